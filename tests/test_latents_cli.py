"""`tangoflux-latents` as users run it: a subprocess, killed with SIGKILL mid-way, then resumed.

The resumed cache must hold every key exactly once, with the same numbers as an uninterrupted run."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest, torch

BIN = Path(sys.executable).parent
CLI = str(BIN/'tangoflux-latents')

def make_data(folder:Path, n:int=16) -> Path:
    from tangoflux_nb.audio import save_audio
    g = torch.Generator().manual_seed(0)
    rows = []
    for i in range(n):
        sr = [44100, 22050, 16000][i % 3]
        save_audio(folder/f'c{i}.wav', 0.1*torch.randn(1 + i % 2, int(sr*(0.3 + 0.05*i)), generator=g), sr)
        rows.append({'captions': f'clip {i}', 'location': str(folder/f'c{i}.wav'), 'duration': 0.3 + 0.05*i})
    (folder/'bad.wav').write_bytes(b'not audio')
    rows.insert(5, {'captions': 'bad', 'location': str(folder/'bad.wav'), 'duration': 1.0})
    (folder/'train.json').write_text(json.dumps(rows))
    return folder/'train.json'

def args(data, out): return [CLI, '--data', str(data), '--vae', 'oobleck-tiny', '--out', str(out), '--batch-size', '2',
                             '--shard-size', '2', '--seconds', '0.5', '--no-progress', '--device', 'cpu']

def run(cmd, **kw): return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)

def test_kill_and_resume(tmp_path):
    from tangoflux_nb.latents import LatentCache
    data = make_data(tmp_path)
    r = run(args(data, tmp_path/'ref'))
    assert r.returncode == 0, r.stderr
    assert '16 items' in r.stdout and '1 failed' in r.stdout
    ref = LatentCache(tmp_path/'ref')

    out = tmp_path/'killed'
    p = subprocess.Popen(args(data, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while len(list(out.glob('shard-*.safetensors'))) < 2 and p.poll() is None and time.time() - t0 < 300: time.sleep(0.05)
    p.send_signal(signal.SIGKILL); p.wait()
    n_before = len(list(out.glob('shard-*.safetensors')))
    assert 2 <= n_before < 9, f"the kill should land mid-run ({n_before} of 9 shards written)"

    r = run(args(data, out))
    assert r.returncode == 0, r.stderr
    res = LatentCache(out)
    keys = [k for ks in res.index['shards'].values() for k in ks]
    assert sorted(keys) == sorted(ref.keys()) and len(keys) == len(set(keys)) == 16
    for k in ref.keys():
        assert torch.equal(res.get(k)[0], ref.get(k)[0]) and torch.equal(res.get(k)[1], ref.get(k)[1]), k
    assert list(res.failed) == [str(tmp_path/'bad.wav')]
    assert not list(out.glob('.*.tmp')), "temporaries of the killed run are cleaned up"

@pytest.mark.parametrize('extra,msg', [(['--batch-size', '0'], '--batch-size'), (['--seconds', '40'], '--seconds must be'),
                                       (['--vae', '/no/such/vae'], 'no such folder')])
def test_bad_arguments(tmp_path, extra, msg):
    data = make_data(tmp_path, n=2)
    r = run(args(data, tmp_path/'out') + extra)
    assert r.returncode == 2 and msg in r.stderr and 'Traceback' not in r.stderr, r.stderr

def test_missing_data(tmp_path):
    r = run([CLI, '--data', str(tmp_path/'none.json'), '--vae', 'mel-tiny', '--out', str(tmp_path/'o')])
    assert r.returncode == 2 and 'no such file' in r.stderr and 'Traceback' not in r.stderr
