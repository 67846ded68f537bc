"""Exact resume through the CLI: a run stopped after step k and resumed from its checkpoint reproduces steps k+1..k+m of
the uninterrupted run; a run killed with SIGKILL resumes from its last complete checkpoint."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import numpy as np

BIN = Path(sys.executable).parent
ENV = {**os.environ, 'OMP_NUM_THREADS': '1', 'OMP_WAIT_POLICY': 'PASSIVE', 'PYTHONWARNINGS': 'ignore'}

def jsonl(path): return [json.loads(l) for l in Path(path).read_text().splitlines() if l.strip()]
def train(*args, **kw): return subprocess.run([BIN/'tangoflux-train', *map(str, args), '--no_progress'], env=ENV,
                                              capture_output=True, text=True, timeout=600, **kw)

def test_stop_and_resume_equals_uninterrupted(tmp_path):
    from tangoflux_nb.train import write_toy_config
    whole = write_toy_config(tmp_path/'whole', latent_cache=True, num_train_epochs=3)       # 12 steps, from the cache
    split = write_toy_config(tmp_path/'split', latent_cache=True, num_train_epochs=3)
    r = train('--config', whole, '--checkpointing_steps', 3); assert r.returncode == 0, r.stderr[-3000:]
    r = train('--config', split, '--checkpointing_steps', 3, '--stop_after_steps', 5)       # k = 5, mid-epoch
    assert r.returncode == 0 and 'stopped after step 5' in r.stdout, r.stderr[-3000:]
    assert sorted(p.name for p in (tmp_path/'split/run').glob('step_*')) == ['step_3', 'step_5']
    assert not list((tmp_path/'split/run').glob('.*'))                                       # no temporaries left
    r = train('--config', split, '--checkpointing_steps', 3, '--resume_from_checkpoint', 'latest')
    assert r.returncode == 0 and 'done: 12 steps' in r.stdout, r.stderr[-3000:]
    a, b = jsonl(tmp_path/'whole/run/train_log.jsonl'), jsonl(tmp_path/'split/run/train_log.jsonl')
    assert [x['step'] for x in a] == [x['step'] for x in b] == list(range(1, 13))
    np.testing.assert_allclose([x['loss'] for x in b[5:]], [x['loss'] for x in a[5:]], rtol=1e-5)
    np.testing.assert_allclose([x['lr'] for x in b], [x['lr'] for x in a], rtol=1e-7)
    va, vb = jsonl(tmp_path/'whole/run/summary.jsonl')[1:], jsonl(tmp_path/'split/run/summary.jsonl')[1:]
    np.testing.assert_allclose([x['val_loss'] for x in vb], [x['val_loss'] for x in va], rtol=1e-5)

def test_killed_run_resumes_from_last_checkpoint(tmp_path):
    from tangoflux_nb.train import write_toy_config
    cfg = write_toy_config(tmp_path, latent_cache=True, num_train_epochs=50)
    p = subprocess.Popen([BIN/'tangoflux-train', '--config', str(cfg), '--checkpointing_steps', '2', '--no_progress'], env=ENV,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run, t0 = tmp_path/'run', time.time()
    while not (run/'step_6').exists() and time.time() - t0 < 300 and p.poll() is None: time.sleep(0.2)
    os.kill(p.pid, signal.SIGKILL); p.wait()
    done = sorted(int(d.name.split('_')[1]) for d in run.glob('step_*'))
    assert done and done[-1] >= 6, done
    for d in run.glob('step_*'): assert (d/'trainer_state.json').exists() and (d/'model.safetensors').exists()
    last = max(done)
    r = train('--config', cfg, '--checkpointing_steps', 2, '--resume_from_checkpoint', 'latest', '--max_train_steps', last + 2)
    assert r.returncode == 0, r.stderr[-3000:]
    log = jsonl(run/'train_log.jsonl')
    assert log[-1]['step'] == last + 2 and [x['step'] for x in log] == list(range(1, last + 3))
