"""`tangoflux-train` and `accelerate launch -m tangoflux_nb.train` as users run them (subprocesses, tiny toy setup)."""
import json, os, subprocess, sys
from pathlib import Path
import pytest, yaml

BIN = Path(sys.executable).parent
ENV = {**os.environ, 'OMP_NUM_THREADS': '1', 'OMP_WAIT_POLICY': 'PASSIVE', 'PYTHONWARNINGS': 'ignore'}

def run(*cmd): return subprocess.run([*map(str, cmd)], env=ENV, capture_output=True, text=True, timeout=600)

@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    from tangoflux_nb.train import write_toy_config
    return write_toy_config(tmp_path_factory.mktemp('toy'), num_train_epochs=2)

def test_accelerate_launch_trains_and_exports(toy, tmp_path):
    r = run(BIN/'accelerate', 'launch', '--num_processes', '1', '--num_machines', '1', '--mixed_precision', 'no',
            '--dynamo_backend', 'no', '-m', 'tangoflux_nb.train', '--config', toy, '--no_progress')
    assert r.returncode == 0 and 'done: 8 steps' in r.stdout, r.stderr[-3000:]
    out = Path(yaml.safe_load(toy.read_text())['paths']['output_dir'])
    assert {'best', 'loss.png', 'summary.jsonl', 'train_log.jsonl', 'pretrained', 'config.yaml'} <= {p.name for p in out.iterdir()}
    from tangoflux_nb.model import TangoFlux
    m = TangoFlux.from_pretrained(out/'pretrained', device='cpu')
    assert m.in_channels == 4 and (out/'pretrained'/'vae.safetensors').exists()
    r = run(BIN/'tangoflux-train', '--config', toy, '--export', 'best', '--out', tmp_path/'exported')
    assert r.returncode == 0, r.stderr[-3000:]
    assert sorted(p.name for p in (tmp_path/'exported').iterdir()) == ['config.json', 'tangoflux.safetensors', 'vae.safetensors', 'vae_config.json']

def test_help():
    r = run(BIN/'tangoflux-train', '--help')
    assert r.returncode == 0 and '--checkpointing_steps' in r.stdout and '--resume_from_checkpoint' in r.stdout

@pytest.mark.parametrize('edit,msg', [
    (lambda c: c['training'].pop('learning_rate'), "missing key(s) in 'training': learning_rate"),
    (lambda c: c['training'].update(lerning_rate=1e-3), "unknown key(s) in 'training': lerning_rate"),
    (lambda c: c['paths'].update(train_file='/no/such.json'), 'paths.train_file: /no/such.json does not exist'),
    (lambda c: c['training'].update(latent_fill='noise'), "training.latent_fill must be one of"),
    (lambda c: c['training'].update(checkpointing_steps='often'), "checkpointing_steps must be 'best', 'epoch' or a number"),
])
def test_bad_config(toy, tmp_path, edit, msg):
    c = yaml.safe_load(toy.read_text()); edit(c); c['paths']['output_dir'] = str(tmp_path/'run')
    (tmp_path/'c.yaml').write_text(yaml.safe_dump(c))
    r = run(BIN/'tangoflux-train', '--config', tmp_path/'c.yaml', '--no_progress')
    assert r.returncode == 2 and msg in r.stderr and 'Traceback' not in r.stderr, r.stderr[-3000:]

def test_missing_config(tmp_path):
    r = run(BIN/'tangoflux-train', '--config', tmp_path/'none.yaml')
    assert r.returncode == 2 and 'config file not found' in r.stderr
