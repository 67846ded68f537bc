"""Training throughput of `tangoflux_nb.train.train` on this machine: samples per second, seconds and CPU seconds per
optimizer step, and peak memory, for the demo size and the released size, each trained from a latent cache and from
audio encoded by the VAE on the fly (what the original `train.py` does every step).

    python bench/train.py                              # demo + released size, cache + audio (slow: the released rows take minutes per step)
    python bench/train.py --sizes demo                 # the demo size only
    python bench/train.py --demo-steps 8 --released-steps 3

Models and VAEs have random weights (nothing is downloaded): "released" is the released architecture
(`tangoflux_config()`: 6 + 18 Flux blocks of width 1024, a FLAN-T5-large-sized encoder with the character tokenizer,
645 frames = 30 s) with the default Oobleck VAE (156 M parameters), batch 1, fp32, the original's settings; "demo" is
`tangoflux_nb.demo_model.demo_recipe('full')`: its MiniLM-conditioned transformer, its VAE and its training options
(batch 16, bf16 autocast, cached text states). Data: SynthCaps clips at the VAE's rate; audio rows pad every clip to
`max_audio_duration` (30 s released, 10 s demo) and encode it each step, cache rows read `build_latent_cache` latents
of the same padded clips. Each row runs `train` in its own subprocess (2 threads) for a few optimizer steps with no
validation or checkpoints; the first step is excluded (warm-up) and the rest are averaged from the per-step wall and
CPU clocks of `train_log.jsonl`. OpenMP threads wait passively (OMP_WAIT_POLICY=PASSIVE unless set): on a shared machine
spinning threads burn several times the CPU for the same work. The 1-minute load average before and after each row is recorded: a load above the
core count means other work shared the CPU and the wall-clock numbers are pessimistic (CPU seconds are less affected).
Results go to bench/results/train.md and train.json.
"""
import argparse, json, os, platform, resource, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def _data(folder:Path, n:int, sr:int) -> Path:
    from tangoflux_nb.synthcaps import synthcaps_items
    from tangoflux_nb.prepare import prepare_dataset
    items = synthcaps_items(n, seed=0, splits='train=1.0,val=0.0,test=0.0', heldout=0, sr=sr)
    return Path(prepare_dataset(items, folder/'data', sr=sr, channels=2, progress=False))

def one(spec:dict) -> dict:
    "Run one configuration in this process and return its measurements."
    import torch, yaml
    torch.set_num_threads(spec['threads'])
    from tangoflux_nb.core import config_from_dict
    from tangoflux_nb.demo_model import demo_recipe
    from tangoflux_nb.latents import build_latent_cache
    from tangoflux_nb.model import tangoflux_config
    from tangoflux_nb.text import FLAN_T5_LARGE
    from tangoflux_nb.train import train
    from tangoflux_nb.vae import OobleckVAE, vae_from_config
    load0, tmp = round(os.getloadavg()[0], 2), Path(tempfile.mkdtemp(prefix='bench_train_'))
    released = spec['size'] == 'released'
    recipe = demo_recipe('full')
    torch.manual_seed(0)
    vae = OobleckVAE() if released else vae_from_config(recipe["vae"]["config"])
    vae.save_pretrained(tmp/'vae')
    bs, steps = spec['batch'], spec['steps']
    data = _data(tmp, bs * steps, vae.sample_rate)
    max_dur = 30 if released else recipe['training']['max_audio_duration']
    cache = ''
    if spec['source'] == 'cache':
        build_latent_cache(str(data/'train.json'), vae, tmp/'cache', batch_size=1 if released else 8, seconds=max_dur,
                           max_seconds=max_dur, workers=1, progress=False)
        cache = str(tmp/'cache')
    model = tangoflux_config(text_encoder_config=FLAN_T5_LARGE, text_tokenizer='char') if released else recipe['model']
    training = dict(per_device_batch_size=bs, learning_rate=5e-4, gradient_accumulation_steps=1, num_train_epochs=1,
                    num_warmup_steps=1, max_audio_duration=max_dur, max_train_steps=steps, seed=0, log_every=1,
                    checkpointing_steps='1000000', latent_fill='error')
    if not released:
        training |= {k: recipe['training'][k] for k in ('train_duration_embedder', 'fix_lr_schedule', 'text_encoder_eval', 'mixed_precision')}
    if spec.get('precision'): training['mixed_precision'] = spec['precision']
    from tangoflux_nb.train import resolve_mixed_precision
    precision = resolve_mixed_precision(training.get('mixed_precision', 'no'), 'cpu')
    cfg = config_from_dict({'paths': dict(train_file=str(data/'train.json'), val_file='', test_file='', resume_from_checkpoint='',
                                          output_dir=str(tmp/'run'), latent_cache=cache, vae=str(tmp/'vae')),
                            'training': training, 'model': model})
    res = train(cfg, progress=False)
    log = res['log']
    wall = (log[-1]['session_s'] - log[0]['session_s']) / (len(log) - 1)
    cpu = (log[-1]['session_cpu_s'] - log[0]['session_cpu_s']) / (len(log) - 1)
    import shutil; shutil.rmtree(tmp, ignore_errors=True)
    return {**spec, 'precision': precision, 'cpu_capability': torch.backends.cpu.get_cpu_capability(), 'samples_per_s': round(bs / wall, 3), 's_per_step': round(wall, 2), 'cpu_s_per_step': round(cpu, 2),
            'first_step_s': round(log[0]['session_s'], 1), 'measured_steps': len(log) - 1,
            'peak_rss_gib': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
            'load_before': load0, 'load_after': round(os.getloadavg()[0], 2)}

def _available_gib() -> float:
    for line in Path('/proc/meminfo').read_text().splitlines():
        if line.startswith('MemAvailable:'): return int(line.split()[1]) / 2**20
    return float('inf')

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--sizes', default='demo,released'); p.add_argument('--sources', default='cache,audio')
    p.add_argument('--demo-steps', type=int, default=6); p.add_argument('--released-steps', type=int, default=3)
    p.add_argument('--threads', type=int, default=2); p.add_argument('--out', default=str(ROOT/'bench'/'results'/'train'))
    p.add_argument('--precision', default='', help="mixed precision of every row ('no', 'bf16', 'auto'); default: the recipe's for demo rows, fp32 for released ones")
    p.add_argument('--one', default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.one: print('RESULT ' + json.dumps(one(json.loads(a.one)))); return
    rows = []
    for size in a.sizes.split(','):
        for source in a.sources.split(','):
            spec = {'size': size, 'source': source, 'threads': a.threads, 'batch': 1 if size == 'released' else 16,
                    'steps': a.released_steps if size == 'released' else a.demo_steps, 'precision': a.precision}
            need = 16 if size == 'released' else 3
            if _available_gib() < need:
                rows.append({**spec, 'skipped': f'only {_available_gib():.1f} GiB of memory available, {need} needed'}); continue
            print(f'bench/train.py: {spec}', flush=True)
            env = {**os.environ, 'OMP_WAIT_POLICY': os.environ.get('OMP_WAIT_POLICY', 'PASSIVE')}
            r = subprocess.run([sys.executable, __file__, '--one', json.dumps(spec)], capture_output=True, text=True, cwd=ROOT, env=env)
            line = [l for l in r.stdout.splitlines() if l.startswith('RESULT ')]
            rows.append(json.loads(line[-1][7:]) if line else {**spec, 'skipped': f'failed (exit {r.returncode}): {r.stderr[-300:]}'})
            print(rows[-1], flush=True)
    import torch
    meta = {'command': 'python bench/train.py ' + ' '.join(sys.argv[1:]), 'date': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()),
            'omp_wait_policy': os.environ.get('OMP_WAIT_POLICY', 'PASSIVE'),
            'cpu': platform.processor() or platform.machine(), 'cpu_capability': torch.backends.cpu.get_cpu_capability(), 'cores': os.cpu_count(), 'torch': torch.__version__}
    for r in rows: r.update(date=meta['date'], command=meta['command'])
    out = Path(a.out); out.parent.mkdir(parents=True, exist_ok=True)
    if out.with_suffix('.json').exists():   # keep the rows this run did not measure (e.g. `--sizes demo` keeps the released ones)
        old = json.loads(out.with_suffix('.json').read_text())
        key = lambda r: (r['size'], r['source'], r.get('precision', 'bf16' if r['size'] == 'demo' else 'no'), r.get('cpu_capability', '-'))  # older rows: bf16, CPU not recorded
        done = {key(r) for r in rows}
        rows += [{'date': old['meta']['date'], 'command': old['meta']['command'], **r} for r in old['rows']
                 if key(r) not in done]
        rows.sort(key=lambda r: (r['size'] != 'demo', r['source'] != 'cache', r.get('date', '')))
    out.with_suffix('.json').write_text(json.dumps({'meta': meta, 'rows': rows}, indent=1))
    lines = [f"Training throughput on this machine ({meta['cores']} cores, {a.threads} threads, OMP_WAIT_POLICY={meta['omp_wait_policy']}, "
             f"torch {meta['torch']}); random weights; first step excluded; precision: the autocast each row ran; CPU: "
             "torch's CPU capability where recorded (a CPU without AVX-512 BF16 runs bf16 matmuls in a slow fallback).", '',
             '| size | data | precision | CPU | batch | samples/s | s / step | CPU s / step | peak RSS (GiB) | load before / after | measured |',
             '|---|---|---|---|---|---|---|---|---|---|---|']
    for r in rows:
        what = 'latent cache' if r['source'] == 'cache' else 'audio, VAE on the fly'
        prec = r.get('precision', 'bf16' if r['size'] == 'demo' else 'no')
        cpu = r.get('cpu_capability', '-')
        if 'skipped' in r: lines.append(f"| {r['size']} | {what} | {prec} | {cpu} | {r['batch']} | - | - | - | - | {r['skipped']} | {r['date']} |"); continue
        lines.append(f"| {r['size']} | {what} | {prec} | {cpu} | {r['batch']} | {r['samples_per_s']} | {r['s_per_step']} | {r['cpu_s_per_step']} | "
                     f"{r['peak_rss_gib']} | {r['load_before']} / {r['load_after']} | {r['date']} |")
    cmds = sorted({(r['command'], r['steps'], r['size']) for r in rows})
    lines += ['', 'Reproduce: ' + '; '.join(f"`{c}` ({sz} rows, {n} steps)" for c, n, sz in cmds) + '.', '']
    out.with_suffix('.md').write_text('\n'.join(lines))
    print('\n'.join(lines))

if __name__ == '__main__': main()
