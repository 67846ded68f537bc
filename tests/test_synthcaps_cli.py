"`tangoflux-synthcaps` in a subprocess: the prepared-AudioCaps layout, SynthCaps metadata, resume, bad arguments."
import json, subprocess, sys
from pathlib import Path
import soundfile as sf
import pytest

EXE = Path(sys.executable).parent/'tangoflux-synthcaps'

def run(*args):
    cmd = [str(EXE)] if EXE.exists() else [sys.executable, '-c', 'import sys; from tangoflux_nb.synthcaps import main; sys.exit(main())']
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, timeout=600)

@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp('synthcaps')/'ds'
    r = run('--n', 10, '--out', out, '--heldout', 3, '--seed', 4)
    assert r.returncode == 0, r.stderr
    return out

def test_layout(dataset):
    info = json.loads((dataset/'dataset_info.json').read_text())
    assert {k: len(v) for k, v in info['splits'].items()} == {'train': 8, 'val': 1, 'test': 1, 'heldout': 3}
    assert info['num_items'] == 13 and len(info['items']) == 13
    for rec in info['items']:
        name = f"{rec['index']:06d}"
        for sub, ext in [('original-audio', '.wav'), ('mel-spectrogram', '.npy'), ('mel-spectrogram', '.png'), ('caption', '.txt')]:
            assert (dataset/sub/f'{name}{ext}').stat().st_size > 0
        assert (dataset/'caption'/f'{name}.txt').read_text() == rec['caption']
        wav = sf.info(str(dataset/rec['audio']))
        assert (wav.samplerate, wav.channels) == (44100, 2)
        assert abs(wav.frames/wav.samplerate - rec['duration']) < 1e-3 and 1 <= rec['duration'] <= 10
        meta = rec['meta']
        assert meta['duration'] == rec['duration'] and set(meta['stated']) and meta['events']
    for split in ('train', 'val', 'test', 'heldout'):
        rows = json.loads((dataset/f'{split}.json').read_text())
        assert rows and all(set(r) == {'captions', 'location', 'duration'} and Path(r['location']).exists() for r in rows)
    assert (dataset/'manifest.json').exists()

def test_audio_matches_metadata(dataset):
    "The written WAVs (16-bit) still carry every attribute: measure recovers the metadata."
    from tangoflux_nb.synthcaps import recovery
    from tangoflux_nb.audio import load_audio
    info = json.loads((dataset/'dataset_info.json').read_text())
    waves = [load_audio(dataset/r['audio'])[0] for r in info['items']]
    rec = recovery([r['meta'] for r in info['items']], waves)
    assert rec['recovered'] >= .98, rec

def test_deterministic_and_resume(dataset, tmp_path):
    before = {p.name: p.stat().st_mtime_ns for p in (dataset/'original-audio').iterdir()}
    r = run('--n', 10, '--out', dataset, '--heldout', 3, '--seed', 4)
    assert r.returncode == 0, r.stderr
    assert {p.name: p.stat().st_mtime_ns for p in (dataset/'original-audio').iterdir()} == before   # nothing redone
    other = tmp_path/'again'
    assert run('--n', 10, '--out', other, '--heldout', 3, '--seed', 4).returncode == 0
    a, b = (json.loads((d/'dataset_info.json').read_text())['items'] for d in (dataset, other))
    assert [(x['caption'], x['meta']) for x in a] == [(x['caption'], x['meta']) for x in b]

@pytest.mark.parametrize('args,msg', [(['--n', 0], '--n must be at least 1'),
                                      (['--n', 5, '--splits', 'train=0.5,dev=0.5'], "unknown split 'dev'"),
                                      (['--n', 5, '--splits', 'train=0.5'], 'sum to 1'),
                                      (['--n', 5, '--heldout', -1], '--heldout must be >= 0')])
def test_bad_arguments(tmp_path, args, msg):
    r = run(*args, '--out', tmp_path/'x')
    assert r.returncode == 2 and msg in r.stderr, r.stderr
    assert not (tmp_path/'x').exists()
