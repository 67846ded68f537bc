"""`tangoflux-crpo generate|label|train` as users run them: subprocesses on a tiny random model folder.

One CRPO iteration end to end (generate -> label -> train -> generate with the trained model), and a generate run
killed with SIGKILL mid-way then resumed, which must end with the same files as an uninterrupted run.
Subprocesses run with OMP_NUM_THREADS=1 (tiny models are overhead-bound; on a busy 2-core machine two OpenMP
threads are many times slower).
"""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest, soundfile as sf

CRPO = str(Path(sys.executable).parent/'tangoflux-crpo')
ENV = {**os.environ, 'OMP_NUM_THREADS': '1'}
BANK = [{'id': i, 'captions': c, 'duration': d} for i, (c, d) in
        enumerate([('a dog barks', 8.), ('rain on a tin roof', 10.), ('a bell rings', 4.), ('wind in the trees', 6.),
                   ('a car passes by', 9.), ('birds singing', 10.)])]

@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    import torch
    from tangoflux_nb.model import TangoFlux, tiny_config
    from tangoflux_nb.vae import OobleckVAE, tiny_oobleck_config
    d = tmp_path_factory.mktemp('crpo')
    torch.manual_seed(0)
    TangoFlux(tiny_config(in_channels=8, audio_seq_len=16)).save_pretrained(d/'model0')
    OobleckVAE(tiny_oobleck_config(latent_channels=8)).save_pretrained(d/'model0')
    (d/'bank.json').write_text(json.dumps(BANK))
    return d

def run(*argv, timeout=300):
    return subprocess.run([CRPO, *map(str, argv)], capture_output=True, text=True, timeout=timeout, env=ENV)

def gen_args(d, out, model='model0'):
    return ['generate', '--json_path', d/'bank.json', '--model', d/model, '--output_dir', out, '--num_samples', 3,
            '--num_steps', 2, '--device', 'cpu']

def wavs(folder): return {p.name: sf.read(p)[0] for p in sorted(Path(folder).glob('*.wav'))}

def test_one_iteration(tiny):
    d = tiny
    r = run(*gen_args(d, d/'iter1'))
    assert r.returncode == 0, r.stderr
    results = json.loads((d/'iter1'/'results.json').read_text())
    assert [len(x) for x in results] == [3] * len(BANK)
    assert results[1][2] == {'path': str((d/'iter1'/'id_1_sample2.wav').resolve()), 'duration': 10.0, 'captions': 'rain on a tin roof'}
    r = run('label', '--json_path', d/'iter1'/'results.json', '--output_dir', d/'iter1', '--reward', 'tiny-clap')
    assert r.returncode == 0, r.stderr
    pairs = json.loads((d/'iter1'/'train.json').read_text())
    scores = json.loads((d/'iter1'/'clap_scores.json').read_text())
    assert len(pairs) == len(BANK)
    for p, s in zip(pairs, scores):
        best = max(s, key=lambda x: x['clap_score']); worst = min(s, key=lambda x: x['clap_score'])
        assert (p['chosen'], p['reject'], p['captions'], p['duration']) == (best['path'], worst['path'], best['captions'], best['duration'])
    r = run('train', '--train_json', d/'iter1'/'train.json', '--model', d/'model0', '--output_dir', d/'model1', '--steps', 3,
            '--batch_size', 2, '--warmup_steps', 0, '--learning_rate', 1e-3, '--max_audio_duration', 0.75, '--device', 'cpu')
    assert r.returncode == 0, r.stderr
    log = [json.loads(l) for l in (d/'model1'/'dpo_log.jsonl').read_text().splitlines()]
    assert [x['step'] for x in log] == [1, 2, 3] and log[0]['implicit_acc'] == 0.0
    assert abs(log[0]['raw_model_loss'] - log[0]['raw_ref_loss']) < 1e-6      # policy == reference at step 1
    r = run(*gen_args(d, d/'iter2', model='model1'))                          # the next iteration starts from it
    assert r.returncode == 0, r.stderr
    a, b = wavs(d/'iter1'), wavs(d/'iter2')
    assert a.keys() == b.keys() and any((a[k] != b[k]).any() for k in a)

def test_defaults_on_the_embedded_demo_model(tmp_path):
    "No --model, no --reward: the shipped demo model makes the candidates and the shipped SynthCaps CLAP ranks them."
    (tmp_path/'bank.json').write_text(json.dumps([{'id': 'a', 'captions': 'static on the left', 'duration': 2.},
                                                  {'id': 'b', 'captions': 'three high beeps', 'duration': 1.5}]))
    r = run('generate', '--json_path', tmp_path/'bank.json', '--output_dir', tmp_path, '--num_samples', 2, '--num_steps', 2,
            '--use_item_duration', '--crop_frames', 'duration', '--device', 'cpu')
    assert r.returncode == 0, r.stderr
    r = run('label', '--json_path', tmp_path/'results.json', '--output_dir', tmp_path)
    assert r.returncode == 0, r.stderr
    scores = json.loads((tmp_path/'clap_scores.json').read_text())
    assert [len(s) for s in scores] == [2, 2] and all(-1 <= x['clap_score'] <= 1 for s in scores for x in s)
    assert len(json.loads((tmp_path/'train.json').read_text())) == 2

def test_killed_generate_resumes_to_the_same_files(tiny):
    d = tiny
    ref = run(*gen_args(d, d/'straight'))
    assert ref.returncode == 0, ref.stderr
    out = d/'killed'
    proc = subprocess.Popen([CRPO, *map(str, gen_args(d, out))], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    deadline = time.time() + 240
    while time.time() < deadline and len(list(out.glob('id_*.wav'))) < 4 and proc.poll() is None: time.sleep(0.05)
    proc.send_signal(signal.SIGKILL); proc.wait()
    n_before = len(list(out.glob('id_*.wav')))
    assert 0 < n_before < 3 * len(BANK), f"the kill came too late to test resuming ({n_before} files)"
    assert not (out/'results.json').exists()
    r = run(*gen_args(d, out))
    assert r.returncode == 0, r.stderr
    assert f"already there" in r.stdout
    got, want = wavs(out), wavs(d/'straight')
    assert got.keys() == want.keys() and all((got[k] == want[k]).all() for k in want)
    assert [p.name for p in out.iterdir() if p.name.startswith('.')] == []     # no temporaries left
    res = json.loads((out/'results.json').read_text())
    assert [[s['path'] for s in x] for x in res] == [[str((out/f'id_{i}_sample{k}.wav').resolve()) for k in range(3)] for i in range(len(BANK))]

@pytest.mark.parametrize('argv,msg', [
    (['generate', '--json_path', '/no/bank.json', '--output_dir', 'x'], 'prompt bank not found: /no/bank.json'),
    (['label', '--json_path', '/no/results.json', '--output_dir', 'x'], 'run tangoflux-crpo generate first'),
    (['train', '--train_json', '/no/train.json', '--output_dir', 'x'], 'run tangoflux-crpo label first'),
    (['generate', '--json_path', '/no/bank.json'], 'the following arguments are required: --output_dir'),
])
def test_bad_arguments(argv, msg):
    r = run(*argv, timeout=120)
    assert r.returncode == 2 and msg in r.stderr and 'Traceback' not in r.stderr, r.stderr
