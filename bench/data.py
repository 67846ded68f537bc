"""Data-pipeline throughput on this machine: preparation and latent-cache encoding, in clips/s and x real time.

    python bench/data.py                       # writes bench/results/data.md and data.json
    python bench/data.py --released 1          # also the released-size Oobleck encoder (slow on a CPU)

Clips are generated 10 s stereo 44.1 kHz WAV files (PCM 16, like downloaded AudioCaps segments), written before
timing starts. Preparation reads them and writes audio + mel (.npy, .png) + caption per clip (`prepare_dataset`);
"resume" is a rerun on the finished folder. Latent encoding runs `build_latent_cache` on the prepared folder with
each clip padded to 30 s, as the original TangoFlux encodes (so the VAE sees 3x the clip's audio). "x real time" is
seconds of clip audio handled per second of wall time. Preparation rows are the best of `--repeat` runs, and are
repeated in a child process with OMP_NUM_THREADS=1: on an oversubscribed CPU, torch's 2-thread OpenMP kernels wait
on each other and a single worker thread slows down several-fold. The 1-minute load average is recorded before and
after each row: on a shared machine, a load above the core count means the numbers are pessimistic.
"""
import argparse, json, os, platform, shutil, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np, soundfile as sf, torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tangoflux_nb.prepare import prepare_dataset
from tangoflux_nb.latents import build_latent_cache
from tangoflux_nb.vae import OobleckVAE, load_vae, oobleck_default_config

def make_clips(folder:Path, n:int, seconds:float, sr:int=44100) -> list[dict]:
    "n stereo clips (a tone, noise and a fade) as WAV files; returns prepare_dataset items."
    rng, items = np.random.default_rng(0), []
    t = np.arange(int(seconds*sr))/sr
    for i in range(n):
        x = 0.3*np.sin(2*np.pi*(200 + 40*i)*t) * np.minimum(1, (t[-1] - t)/0.5) + 0.02*rng.standard_normal(len(t))
        sf.write(folder/f'clip{i:04d}.wav', np.stack([x, 0.7*x], 1).astype('float32'), sr, subtype='PCM_16')
        items.append({'id': f'clip{i:04d}', 'audio': str(folder/f'clip{i:04d}.wav'), 'caption': f'tone {i}',
                      'split': 'train' if i % 10 else 'val'})
    return items

def load1(): return round(os.getloadavg()[0], 2)

def timed(fn, repeat:int=1):
    "Best wall time of `repeat` calls of fn(k) (k = 0, 1, ...), with the load average before and after."
    before, walls = load1(), []
    for k in range(repeat):
        t0 = time.perf_counter(); fn(k); walls.append(time.perf_counter() - t0)
    return min(walls), before, load1()

def row(stage, setting, n, audio_s, wall, la0, la1):
    g = lambda x: float(f'{x:.3g}')
    return {'stage': stage, 'setting': setting, 'clips': n, 'audio_s': round(audio_s, 1), 'wall_s': g(wall),
            'clips_per_s': g(n/wall), 'x_real_time': g(audio_s/wall), 'load_before': la0, 'load_after': la1}

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--n', type=int, default=24, help='clips for preparation')
    p.add_argument('--n-latent', type=int, default=2, help='clips for the tiny and small VAEs; 0 skips them')
    p.add_argument('--seconds', type=float, default=10.)
    p.add_argument('--workers', type=int, nargs='+', default=[1, 2])
    p.add_argument('--repeat', type=int, default=3, help='preparation runs per row (fresh folders); the best is reported')
    p.add_argument('--released', type=int, default=0, help='clips for the released-size Oobleck (156M params); 0 skips it')
    p.add_argument('--out', default=str(ROOT/'bench'/'results'))
    p.add_argument('--omp1', type=int, default=1, help='also time preparation with OMP_NUM_THREADS=1 (a child process)')
    p.add_argument('--rows-json', default=None, help=argparse.SUPPRESS)   # child mode: preparation rows only, to this file
    a = p.parse_args(argv)
    rows, tmp = [], Path(tempfile.mkdtemp(prefix='bench_data_'))
    try:
        src = tmp/'src'; src.mkdir()
        items = make_clips(src, a.n, a.seconds)
        audio_s = a.n * a.seconds
        for w in a.workers:
            rows.append(row('prepare', f'44.1 kHz stereo + mel, {w} worker(s)', a.n, audio_s,
                            *timed(lambda k: prepare_dataset(items, tmp/f'tf_w{w}_{k}', workers=w, progress=False), a.repeat)))
        w = max(a.workers)
        rows.append(row('prepare', f'16 kHz mono + mel (Tango), {w} worker(s)', a.n, audio_s,
                        *timed(lambda k: prepare_dataset(items, tmp/f'tango_{k}', sr=16000, channels=1, workers=w, progress=False), a.repeat)))
        data = tmp/f'tf_w{w}_0'
        rows.append(row('prepare', f'rerun on a finished folder (resume), {w} worker(s)', a.n, audio_s,
                        *timed(lambda k: prepare_dataset(items, data, workers=w, progress=False), a.repeat)))
        if a.rows_json:
            Path(a.rows_json).write_text(json.dumps(rows)); return
        if a.omp1:   # OpenMP's 2-thread kernels suffer badly on an oversubscribed CPU; show the 1-thread alternative
            child = tmp/'omp1.json'
            subprocess.run([sys.executable, __file__, '--n', str(a.n), '--seconds', str(a.seconds), '--repeat', str(a.repeat),
                            '--workers', *map(str, a.workers), '--rows-json', str(child)],
                           env={**os.environ, 'OMP_NUM_THREADS': '1'}, check=True)
            rows += [{**r, 'setting': r['setting'] + ', OMP_NUM_THREADS=1'} for r in json.loads(child.read_text())]
        write(a, argv, rows)
        from tangoflux_nb.vae_training import demo_vae_config
        n = min(a.n_latent, a.n)
        vaes = [('tiny Oobleck (oobleck-tiny, 44.1 kHz, 64 ch)', lambda: load_vae('oobleck-tiny', device='cpu'), n),
                ('small Oobleck (demo_vae_config: 22.05 kHz, 16 MDCT bands + noise, L/R apart)', lambda: OobleckVAE(demo_vae_config()), n)] if n else []
        if a.released: vaes.append(('released-size Oobleck (random weights)', lambda: OobleckVAE(oobleck_default_config()),
                                    min(a.released, a.n)))
        for name, make, n in vaes:
            vae = make().eval()
            params = sum(p.numel() for p in vae.parameters())
            sub = [{'key': it['id'], 'location': str(data/'original-audio'/f'{k:06d}.wav'), 'duration': a.seconds}
                   for k, it in enumerate(items[:n])]
            with torch.inference_mode():
                r = row('latent cache', f'{name}, {params/1e6:.2f}M params, 30 s padding, batch 1', n, n*a.seconds,
                        *timed(lambda k: build_latent_cache(sub, vae, tmp/f'cache_{len(rows)}', batch_size=1, progress=False)))
            rows.append(r); write(a, argv, rows)
    finally: shutil.rmtree(tmp, ignore_errors=True)
    write(a, argv, rows)

def write(a, argv, rows):
    "bench/results/data.json and data.md (rewritten after every latent row, so a killed run keeps what it measured)."
    info = {'command': 'python bench/data.py ' + ' '.join(argv if argv is not None else sys.argv[1:]),
            'cpu': platform.processor() or platform.machine(), 'cores': os.cpu_count(), 'torch_threads': torch.get_num_threads(),
            'torch': torch.__version__, 'clip_seconds': a.seconds, 'rows': rows}
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    (out/'data.json').write_text(json.dumps(info, indent=1))
    lines = [f"Data pipeline throughput (`{info['command']}`; {info['cores']} cores, torch {info['torch']}, "
             f"{info['torch_threads']} threads; {a.seconds:g} s stereo 44.1 kHz clips; load = 1-min load average before/after)", '',
             '| stage | setting | clips | wall (s) | clips/s | × real time | load |', '|---|---|---|---|---|---|---|']
    lines += [f"| {r['stage']} | {r['setting']} | {r['clips']} | {r['wall_s']} | {r['clips_per_s']} | {r['x_real_time']} | "
              f"{r['load_before']} / {r['load_after']} |" for r in rows]
    (out/'data.md').write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines), flush=True)

if __name__ == '__main__': main()
