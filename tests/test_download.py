"""`tangoflux-download` as users run it: a subprocess against a local HTTP server on 127.0.0.1.

The server (tests/fixtures/fake_server.py) injects failures, cuts transfers short, answers 404 and imitates the
Hugging Face hub's file API, so the real download paths run without the internet."""
import hashlib, json, subprocess, sys
from pathlib import Path
import pytest
import soundfile as sf

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE/'fixtures'))
from fake_server import FixtureServer

CLI = str(Path(sys.executable).parent/'tangoflux-download')
def run(*args): return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=300)

def test_url_resumes_a_cut_transfer_and_checks_it(tmp_path):
    data = bytes(range(256))*4000
    (tmp_path/'site').mkdir(); (tmp_path/'site'/'f.bin').write_bytes(data)
    with FixtureServer(tmp_path/'site', {'/f.bin': ['truncate', 'fail']}) as s:
        r = run('url', f'{s.url}/f.bin', tmp_path/'out'/'f.bin', '--sha256', hashlib.sha256(data).hexdigest(), '--quiet')
        ranges = [rng for m, p, rng in s.log if m == 'GET']
    assert r.returncode == 0, r.stderr
    assert (tmp_path/'out'/'f.bin').read_bytes() == data and not list((tmp_path/'out').glob('*.part'))
    assert ranges[0] is None and ranges[-1] == f'bytes={len(data)//2}-'

def test_url_404_is_a_clear_error(tmp_path):
    with FixtureServer(tmp_path) as s: r = run('url', f'{s.url}/missing.bin', tmp_path/'x.bin', '--quiet')
    assert r.returncode == 2 and 'HTTP 404' in r.stderr and 'Traceback' not in r.stderr
    assert not (tmp_path/'x.bin').exists()

def test_audiocaps_metadata_and_missing_extra(tmp_path):
    with FixtureServer(HERE/'fixtures'/'audiocaps') as s:
        r = run('audiocaps', '--split', 'test', '--out', tmp_path, '--csv-url', f'{s.url}/test.csv', '--metadata-only', '--quiet')
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)['rows'] == 3 and (tmp_path/'test.csv').exists()
        try: import yt_dlp  # noqa: F401
        except ImportError:
            r = run('audiocaps', '--split', 'test', '--out', tmp_path, '--csv-url', f'{s.url}/test.csv', '--quiet')
            assert r.returncode == 2 and "pip install 'tangoflux-nb[audiocaps]'" in r.stderr and 'Traceback' not in r.stderr

@pytest.mark.parametrize('extract', ['python', 'auto'])
def test_wavcaps_from_a_fake_hub(tmp_path, extract):
    fx = HERE/'fixtures'/'wavcaps'
    with FixtureServer(fx, {'/Zip_files/AudioSet_SL/AudioSet_SL.z01': ['fail', 'truncate']}) as s:
        r = run('wavcaps-audioset-sl', '--out', tmp_path, '--endpoint', s.url, '--sr', 16000, '--channels', 1,
                '--extract', extract, '--jobs', 2, '--quiet')
        assert r.returncode == 0, r.stderr
        n = len(s.log)
        again = run('wavcaps-audioset-sl', '--out', tmp_path, '--endpoint', s.url, '--quiet', '--strict')
        assert len(s.log) == n, "a finished download makes no request"
    assert again.returncode == 1 and '1 item(s) failed' in again.stderr      # the corrupt FLAC, with --strict
    wavs = sorted(p.name for p in (tmp_path/'audio').glob('*.wav'))
    assert wavs == ['Y0fixtureA01.wav', 'Y0fixtureB02.wav', 'Y0fixtureC03.wav', 'Y0fixtureD04.wav']
    assert {(sf.info(tmp_path/'audio'/w).samplerate, sf.info(tmp_path/'audio'/w).channels) for w in wavs} == {(16000, 1)}
    man = json.loads((tmp_path/'manifest.json').read_text())
    assert list(man['failed']) == ['Y0fixtureBAD'] and 'could not decode' in man['failed']['Y0fixtureBAD']
    assert json.loads((tmp_path/'as_final.json').read_text())['data'][0]['id'] == 'Y0fixtureA01.wav'
    assert not (tmp_path/'raw').exists() and not (tmp_path/'flac').exists()    # archives removed after success

def test_wavcaps_missing_repo_is_not_retried(tmp_path):
    with FixtureServer(tmp_path/'empty') as s:
        (tmp_path/'empty').mkdir()
        r = run('wavcaps-audioset-sl', '--out', tmp_path/'out', '--endpoint', s.url, '--quiet')
        tree = [p for m, p, _ in s.log if '/tree/' in p]
    assert r.returncode == 2 and "can't list 'Zip_files/AudioSet_SL'" in r.stderr and 'Traceback' not in r.stderr
    assert len(tree) == 1
