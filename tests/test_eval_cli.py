"""`tangoflux-eval` and `tangoflux-generate-testset` as users run them: subprocesses on tiny data.

AudioCaps layout (generated `{audiocap_id}.wav`, reference `{youtube_id}.wav`, the CSV pairing them), saved
reference statistics reused, a damaged clip reported and skipped, the SynthCaps protocol with adherence, bad input
answered with exit code 2 and a message (no traceback)."""
import csv, json, math, subprocess, sys
from pathlib import Path
import pytest, torch

BIN = Path(sys.executable).parent
EVAL, GEN = str(BIN/'tangoflux-eval'), str(BIN/'tangoflux-generate-testset')

def run(cmd, **kw): return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)

def tone(f0, secs=2.0, sr=16000, stereo=True):
    t = torch.arange(int(secs*sr))/sr
    w = 0.3*torch.sin(2*math.pi*f0*t)[None]
    return w.repeat(2, 1) if stereo else w

def audiocaps(tmp:Path, n:int=12, shift:float=1.0):
    "A CSV with 2 captions per YouTube clip, reference clips by youtube_id, generated clips by audiocap_id."
    from tangoflux_nb.audio import save_audio
    rows = [dict(audiocap_id=str(100 + i), youtube_id=f'yt{i//2}', start_time='0', caption=f'a tone {i % 5}') for i in range(n)]
    with open(tmp/'audiocaps-test.csv', 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0])); w.writeheader(); w.writerows(rows)
    (tmp/'ref').mkdir(); (tmp/'gen').mkdir()
    for r in rows:
        k = int(r['youtube_id'][2:])
        save_audio(tmp/'ref'/f"{r['youtube_id']}.wav", tone(200 + 60*k), 16000)
        save_audio(tmp/'gen'/f"{r['audiocap_id']}.wav", tone((200 + 60*k)*shift, stereo=k % 2 == 0), 16000)
    log = dict(model='tiny-test', clips={r['audiocap_id']: dict(seconds=0.5 + (i == 0), steps=7, duration=2.0, device='cpu',
                                                                  warmup=i == 0) for i, r in enumerate(rows)})
    (tmp/'gen'/'generation_log.json').write_text(json.dumps(log))
    return tmp/'audiocaps-test.csv'

def test_eval_audiocaps_protocol(tmp_path):
    caps = audiocaps(tmp_path)
    (tmp_path/'gen'/'999.wav').write_bytes(b'RIFF....WAVEbroken')             # a damaged clip with a caption
    with open(caps, 'a') as f: f.write('999,yt0,0,a broken clip\n')
    (tmp_path/'gen'/'5000.wav').write_bytes((tmp_path/'gen'/'100.wav').read_bytes())  # a clip without a caption
    r = run([EVAL, '--ref', str(tmp_path/'ref'), '--save-ref-stats', str(tmp_path/'ref.npz'), '--quiet'])
    assert r.returncode == 0 and (tmp_path/'ref.npz').exists(), r.stderr
    r = run([EVAL, '--gen', str(tmp_path/'gen'), '--ref', str(tmp_path/'ref.npz'), '--captions', str(caps),
             '--out', str(tmp_path/'rep'), '--name', 'tiny', '--quiet'])
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path/'rep.json').read_text())
    m, c = rep['metrics'], rep['counts']
    assert set(m) >= {'fd', 'kl', 'clap', 'is_mean', 'is_std'}
    # generated audio == reference audio (mono files duplicated): KL is 0; FD is small but not 0, because every
    # reference clip appears twice among the generated ones (two captions each), which changes np.cov's N-1 factor
    assert 0 <= m['fd'] < 0.1 and abs(m['kl']) < 1e-4, m
    assert c['kl_pairs'] == 12 and c['clap_pairs'] == 12 and c['fd_ref_clips'] == 6 and c['generated_clips'] == 13
    assert c['clips_not_in_captions'] == 1 and c['skipped'] == 1 and c['captions'] == 13
    assert [s['id'] for s in rep['skipped']] == ['999']
    assert rep['timing']['inference_s'] == pytest.approx(0.5) and rep['timing']['steps'] == 7   # warm-up excluded
    pr = rep['protocol']
    assert pr['kl_direction'] == 'gen||ref' and pr['is_splits'] == 10 and pr['is_seed'] == 2020
    assert pr['embedders']['fd']['sample_rate'] == 48000 and pr['embedders']['kl']['sample_rate'] == 32000
    md = (tmp_path/'rep.md').read_text()
    assert md.startswith('| Model | Params | Duration (s) | Steps | FD') and '| tiny |' in md and md in r.stdout + '\n'
    # the same numbers from the reference folder directly
    r = run([EVAL, '--gen', str(tmp_path/'gen'), '--ref', str(tmp_path/'ref'), '--captions', str(caps),
             '--out', str(tmp_path/'rep2'), '--quiet'])
    assert r.returncode == 0, r.stderr
    m2 = json.loads((tmp_path/'rep2.json').read_text())['metrics']
    for k in ('fd', 'kl', 'clap', 'is_mean'): assert m2[k] == pytest.approx(m[k], abs=1e-9), k

def test_eval_detects_a_worse_model(tmp_path):
    caps = audiocaps(tmp_path, shift=1.6)
    r = run([EVAL, '--gen', str(tmp_path/'gen'), '--ref', str(tmp_path/'ref'), '--captions', str(caps),
             '--out', str(tmp_path/'rep'), '--kl-direction', 'ref||gen', '--quiet'])
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path/'rep.json').read_text())
    assert rep['metrics']['fd'] > 1 and rep['metrics']['kl'] > 0.01 and rep['protocol']['kl_direction'] == 'ref||gen'

def test_eval_synthcaps_protocol(tmp_path):
    from tangoflux_nb.synthcaps import generate, render
    from tangoflux_nb.audio import save_audio
    items = generate(4, 'test', 3) + generate(2, 'train', 3)
    (tmp_path/'dataset_info.json').write_text(json.dumps({'items': items}))
    for it in items: save_audio(tmp_path/'gen'/f"{it['id']}.wav", render(it), 44100)
    from tangoflux_nb.clap import Clap, save_clap, tiny_config   # a tiny random offline CLAP in the shipped format
    torch.manual_seed(0); save_clap(Clap(tiny_config()), tmp_path/'clap')
    r = run([EVAL, '--gen', str(tmp_path/'gen'), '--ref', str(tmp_path/'gen'), '--captions', str(tmp_path/'dataset_info.json'),
             '--split', 'test', '--protocol', 'synthcaps', '--suite', 'offline', '--clap', f"clap-offline:{tmp_path/'clap'}",
             '--out', str(tmp_path/'rep'), '--quiet'])
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path/'rep.json').read_text())
    ad = rep['metrics']['adherence']
    assert ad['n'] == 4 and ad['mean'] == 1.0 and ad['per_attribute'] and set(ad['per_attribute'].values()) == {1.0}
    assert rep['counts']['clap_pairs'] == 4 and rep['protocol']['split'] == 'test' and 'adherence' in r.stdout
    assert rep['protocol']['embedders']['clap']['name'] == 'clap-synthcaps' and -1 <= rep['metrics']['clap'] <= 1
    assert rep['counts']['generated_clips'] == 4 and rep['counts']['clips_not_in_captions'] == 2 and rep['counts']['kl_pairs'] == 4

@pytest.mark.parametrize('argv,msg', [([], 'pass --gen'), (['--gen', '/no/such/dir'], 'not a folder'),
                                      (['--gen', '.', '--fd', 'vggish'], 'unknown embedder'),
                                      (['--ref', '/no/such/dir', '--save-ref-stats', 'x.npz'], 'needs --ref pointing at a folder')])
def test_eval_bad_input(tmp_path, argv, msg):
    r = run([EVAL] + argv, cwd=tmp_path)
    assert r.returncode == 2 and msg in r.stderr and 'Traceback' not in r.stderr, r.stderr

def test_generate_testset_bad_input(tmp_path):
    (tmp_path/'caps.json').write_text(json.dumps([{'captions': 'a tone', 'location': 'x/a.wav', 'duration': 1.0}]))
    r = run([GEN, '--model', str(tmp_path/'no-model'), '--captions', str(tmp_path/'caps.json'), '--out', str(tmp_path/'out')])
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr
    r = run([GEN, '--model', 'm', '--captions', str(tmp_path/'missing.csv'), '--out', str(tmp_path/'out')])
    assert r.returncode == 2 and 'not found' in r.stderr, r.stderr
    r = run([GEN, '--model', 'm', '--captions', str(tmp_path/'caps.json'), '--out', str(tmp_path/'out'), '--batch-size', '0'])
    assert r.returncode == 2 and '--batch-size' in r.stderr, r.stderr

def tiny_model(folder:Path) -> Path:
    "A random TangoFlux in the hub layout: 1+1 Flux blocks of width 64, 24 latent frames (1.11 s), a tiny Oobleck."
    from tangoflux_nb.model import TangoFlux, tiny_config
    from tangoflux_nb.vae import OobleckVAE, tiny_oobleck_config
    torch.manual_seed(0)
    TangoFlux(tiny_config(audio_seq_len=24)).save_pretrained(folder)
    OobleckVAE(tiny_oobleck_config()).save_pretrained(folder)
    return folder

def test_generate_resume_then_evaluate(tmp_path):
    "Generate 2 clips, resume to 4 (the first 2 untouched), compare with an uninterrupted run, then score them."
    model = tiny_model(tmp_path/'model')
    rows = [{'captions': f'a tone number {w}', 'location': f'x/c{i}.wav', 'duration': 1.0}
            for i, w in enumerate(['one', 'two', 'three', 'four'])]
    caps = tmp_path/'test.json'; caps.write_text(json.dumps(rows))
    base = [GEN, '--model', str(model), '--captions', str(caps), '--steps', '2', '--device', 'cpu', '--quiet']
    r = run(base + ['--out', str(tmp_path/'gen'), '--limit', '2'])
    assert r.returncode == 0, r.stderr
    first = {p.name: p.stat().st_mtime_ns for p in (tmp_path/'gen').glob('*.wav')}
    assert sorted(first) == ['c0.wav', 'c1.wav']
    r = run(base + ['--out', str(tmp_path/'gen')])
    assert r.returncode == 0 and json.loads(r.stdout.strip().splitlines()[-1])['clips'] == 4, r.stderr
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path/'gen').glob('c[01].wav')} == first   # not regenerated
    r = run(base + ['--out', str(tmp_path/'gen_once')])
    assert r.returncode == 0, r.stderr
    import soundfile as sf   # (compare samples: float WAVs carry a PEAK chunk with a timestamp)
    for i in range(4): assert (sf.read(tmp_path/'gen'/f'c{i}.wav')[0] == sf.read(tmp_path/'gen_once'/f'c{i}.wav')[0]).all(), i
    log = json.loads((tmp_path/'gen'/'generation_log.json').read_text())
    assert [log['clips'][f'c{i}']['seed'] for i in range(4)] == [0, 1, 2, 3] and log['sample_rate'] == 44100
    assert [log['clips'][f'c{i}']['warmup'] for i in range(4)] == [True, False, True, False]
    r = run([EVAL, '--gen', str(tmp_path/'gen'), '--ref', str(tmp_path/'gen_once'), '--captions', str(caps),
             '--out', str(tmp_path/'rep'), '--is-splits', '2', '--quiet'])
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path/'rep.json').read_text())
    assert rep['timing']['steps'] == 2 and rep['timing']['duration'] == 1.0 and rep['timing']['n_timed'] == 2
    assert rep['timing']['inference_s'] > 0 and rep['protocol']['is_splits'] == 2 and abs(rep['metrics']['kl']) < 1e-4
