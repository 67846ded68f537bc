"""`tangoflux-prepare` as users run it: a subprocess, killed with SIGKILL mid-way, then resumed; and its inputs.

The resumed data set must equal an uninterrupted run, with no item redone and no temporary left behind."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import numpy as np, soundfile as sf, pytest

HERE = Path(__file__).parent
CLI = str(Path(sys.executable).parent/'tangoflux-prepare')
def run(*args): return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=600)

def make_list(folder:Path, n:int) -> Path:
    rng, rows = np.random.default_rng(0), []
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        sr = [44100, 32000, 16000][i % 3]
        sf.write(folder/f'c{i}.wav', (0.1*rng.standard_normal((int(sr*2), 1 + i % 2))).astype('float32'), sr)
        rows.append({'captions': f'clip {i}', 'location': str(folder/f'c{i}.wav'), 'duration': 2.0})
    (folder/'bad.wav').write_bytes(b'RIFF....WAVEnot really')
    rows.insert(3, {'captions': 'bad', 'location': str(folder/'bad.wav'), 'duration': 1.0})
    (folder/'train.json').write_text(json.dumps(rows))
    return folder/'train.json'

def files(out:Path) -> dict:
    return {p.relative_to(out): p.stat().st_mtime_ns for d in ('original-audio', 'mel-spectrogram', 'caption')
            for p in (out/d).glob('*') if not p.name.startswith('.')}

def test_kill_and_resume(tmp_path):
    data = make_list(tmp_path/'src', 24)
    r = run('--captions', data, '--out', tmp_path/'ref', '--quiet')
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['prepared'] == 24 and '1 item(s) skipped' in r.stderr

    out = tmp_path/'killed'
    p = subprocess.Popen([CLI, '--captions', str(data), '--out', str(out), '--workers', '1', '--quiet'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while len(list((out/'caption').glob('*.txt'))) < 4 and p.poll() is None and time.time() - t0 < 300: time.sleep(0.02)
    p.send_signal(signal.SIGKILL); p.wait()
    before = files(out)
    done_before = {k for k in before if k.parts[0] == 'caption'}
    assert 4 <= len(done_before) < 24, f"the kill should land mid-run ({len(done_before)} of 24 items done)"

    r = run('--captions', data, '--out', out, '--quiet')
    assert r.returncode == 0, r.stderr
    after = files(out)
    for k in done_before:                      # finished items are not redone
        for d, ext in (('caption', '.txt'), ('original-audio', '.wav'), ('mel-spectrogram', '.npy')):
            f = Path(d)/(k.stem + ext); assert after[f] == before[f], f
    ref_info, info = (json.loads((o/'dataset_info.json').read_text()) for o in (tmp_path/'ref', out))
    assert info['splits'] == ref_info['splits'] and len(info['items']) == 24
    for a, b in zip(ref_info['items'], info['items']):
        assert (a['id'], a['index'], a['caption']) == (b['id'], b['index'], b['caption'])
        assert np.array_equal(np.load(tmp_path/'ref'/a['mel']), np.load(out/b['mel']))
        assert np.array_equal(sf.read(tmp_path/'ref'/a['audio'])[0], sf.read(out/b['audio'])[0])
    assert list(json.loads((out/'manifest.json').read_text())['skipped']) == [str(tmp_path/'src'/'bad.wav')]
    assert not [p for p in out.rglob('.*.tmp')], "temporaries of the killed run are cleaned up"

def test_audiocaps_and_wavcaps_inputs(tmp_path):
    from tangoflux_nb.audio import save_audio
    from tangoflux_nb.download import extract_archive, convert_audio
    import torch
    for yid in ('0fixtureAC1', '0fixtureAC3'): save_audio(tmp_path/'ac'/f'{yid}.wav', 0.1*torch.randn(2, 44100), 44100)
    r = run('--captions', HERE/'fixtures'/'audiocaps'/'test.csv', '--audio-dir', tmp_path/'ac', '--out', tmp_path/'ds_ac',
            '--sr', 16000, '--mono', '--quiet')
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['splits'] == {'test': 2}
    assert json.loads((tmp_path/'ds_ac'/'manifest.json').read_text())['skipped']['103550'].startswith('AudioError')
    assert sf.info(tmp_path/'ds_ac'/'original-audio'/'000000.wav').channels == 1
    extract_archive(HERE/'fixtures'/'wavcaps'/'Zip_files'/'AudioSet_SL'/'AudioSet_SL.zip', tmp_path/'flac', method='python', progress=False)
    for f in (tmp_path/'flac').rglob('Y0fixture[A-D]0*.flac'): convert_audio(f, tmp_path/'wc'/f'{f.stem}.wav')
    r = run('--captions', HERE/'fixtures'/'wavcaps'/'json_files'/'AudioSet_SL'/'as_final.json', '--audio-dir', tmp_path/'wc',
            '--out', tmp_path/'ds_wc', '--quiet', '--strict')
    assert r.returncode == 1 and '2 item(s) skipped' in r.stderr         # the corrupt and the absent clip, with --strict
    tf = json.loads((tmp_path/'ds_wc'/'train.json').read_text())
    assert len(tf) == 4 and all(Path(t['location']).exists() for t in tf) and tf[0]['duration'] == 0.6

@pytest.mark.parametrize('extra,msg', [(['--captions', '/no/such.csv', '--audio-dir', '.'], 'captions file not found'),
                                       (['--captions', str(HERE/'fixtures'/'audiocaps'/'test.csv')], 'needs --audio-dir')])
def test_bad_arguments(tmp_path, extra, msg):
    r = run(*extra, '--out', tmp_path/'out', '--quiet')
    assert r.returncode == 2 and msg in r.stderr and 'Traceback' not in r.stderr, r.stderr

def test_other_settings_are_refused(tmp_path):
    data = make_list(tmp_path/'src', 2)
    assert run('--captions', data, '--out', tmp_path/'o', '--quiet').returncode == 0
    r = run('--captions', data, '--out', tmp_path/'o', '--sr', 16000, '--quiet')
    assert r.returncode == 2 and 'use another folder or the same settings' in r.stderr
