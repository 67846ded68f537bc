"""Data-parallel training for real: 2 CPU processes (gloo, launched by `accelerate launch`) give the per-step losses
of a single process on the same global batch."""
import json, os, subprocess, sys
from pathlib import Path
import numpy as np

BIN = Path(sys.executable).parent
ENV = {**os.environ, 'ACCELERATE_USE_CPU': '1', 'OMP_NUM_THREADS': '1', 'OMP_WAIT_POLICY': 'PASSIVE', 'PYTHONWARNINGS': 'ignore'}

def jsonl(path): return [json.loads(l) for l in Path(path).read_text().splitlines() if l.strip()]

def make(folder, batch):
    from tangoflux_nb.model import tiny_config
    from tangoflux_nb.train import write_toy_config
    # the text attention mask makes each sample's loss independent of the other captions in its batch (padding)
    model = tiny_config(in_channels=4, audio_seq_len=16, max_duration=1, text_attention_mask=True)
    return write_toy_config(folder, n=16, n_val=8, per_device_batch_size=batch, num_train_epochs=2, model=model)

def test_two_processes_equal_one(tmp_path):
    two, one = make(tmp_path/'two', 4), make(tmp_path/'one', 8)
    r = subprocess.run([BIN/'accelerate', 'launch', '--multi_gpu', '--num_processes', '2', '--num_machines', '1',
                        '--mixed_precision', 'no', '--dynamo_backend', 'no', '-m', 'tangoflux_nb.train',
                        '--config', two, '--no_progress'], env=ENV, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-4000:]
    assert r.stdout.count('done: 4 steps') == 1, r.stdout          # printed by the main process only
    r = subprocess.run([BIN/'tangoflux-train', '--config', one, '--no_progress'], env=ENV, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-4000:]
    s2, s1 = jsonl(tmp_path/'two/run/summary.jsonl'), jsonl(tmp_path/'one/run/summary.jsonl')
    assert (s2[0]['num_processes'], s1[0]['num_processes']) == (2, 1)
    l2, l1 = jsonl(tmp_path/'two/run/train_log.jsonl'), jsonl(tmp_path/'one/run/train_log.jsonl')
    assert [r['step'] for r in l2] == [r['step'] for r in l1] == [1, 2, 3, 4]
    np.testing.assert_allclose([r['loss'] for r in l2], [r['loss'] for r in l1], rtol=1e-5)
    np.testing.assert_allclose([r['lr'] for r in l2], [r['lr'] for r in l1], rtol=1e-7)
    np.testing.assert_allclose([r['val_loss'] for r in s2[1:]], [r['val_loss'] for r in s1[1:]], rtol=1e-5)
    assert l1[-1]['loss'] < l1[0]['loss']                           # and it did train

def test_two_processes_equal_one_with_sigma_and_duration_options(tmp_path):
    "training.extend_duration and sigma_logit_mean draw the global batch once and hand each process its share."
    from tangoflux_nb.model import tiny_config
    from tangoflux_nb.train import write_toy_config
    model = tiny_config(in_channels=4, audio_seq_len=32, max_duration=1, text_attention_mask=True)
    cfg = lambda f, b: write_toy_config(f, n=16, n_val=8, per_device_batch_size=b, num_train_epochs=2, model=model,
                                        max_audio_duration=0.256, extend_duration=0.1, sigma_logit_mean=-0.5)  # clips: 0.128 s
    two, one = cfg(tmp_path/'two', 4), cfg(tmp_path/'one', 8)
    r = subprocess.run([BIN/'accelerate', 'launch', '--multi_gpu', '--num_processes', '2', '--num_machines', '1',
                        '--mixed_precision', 'no', '--dynamo_backend', 'no', '-m', 'tangoflux_nb.train',
                        '--config', two, '--no_progress'], env=ENV, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-4000:]
    r = subprocess.run([BIN/'tangoflux-train', '--config', one, '--no_progress'], env=ENV, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-4000:]
    l2, l1 = jsonl(tmp_path/'two/run/train_log.jsonl'), jsonl(tmp_path/'one/run/train_log.jsonl')
    np.testing.assert_allclose([r['loss'] for r in l2], [r['loss'] for r in l1], rtol=1e-5)
