"""Inference cost of `TangoFluxInference.generate` on this machine: seconds per generation, real-time factor, peak memory.

    python bench/inference.py                              # tiny size (25 steps) + released size (2 steps), fp32 and bf16
    python bench/inference.py --sizes tiny --dtypes fp32   # a quick look
    python bench/inference.py --released-steps 50          # the real step count (slow on a CPU)

Models are built with random weights (no download): "released" is the released architecture and size
(`tangoflux_config()`: 6 + 18 Flux blocks of width 1024, a FLAN-T5-large-sized encoder, 645 frames) with the default
Oobleck VAE (156M parameters); "tiny" is `tiny_config(audio_seq_len=645)` with `tiny_oobleck_config()`; "demo" is the
embedded demo model when this install has one. The T5 of the random models uses the character tokenizer (the real
SentencePiece files are not downloaded), so prompts are a few more tokens long than with FLAN-T5's tokenizer.

Each row runs in its own subprocess, so "peak memory" is that process's peak resident set (CPU) or
`torch.cuda.max_memory_allocated` (GPU), weights included. Times come from the step callback: "first step" is the
text encoding (prompt and "") plus setup plus the first step, "per step" the mean of the other steps (CFG: batch 2),
"decode" the VAE decode + crop. RTF = wall seconds / seconds of audio produced (< 1 is faster than real time).
"est. 50 steps" = first step + 49 x per step + decode, an extrapolation from the measured per-step time.
"full" rows sample all 645 frames as the original does for any duration; "needed" rows use
`only_needed_frames=True`. The 1-minute load average before and after each row is recorded: a load above the
core count means other work shared the CPU and the numbers are pessimistic.
"""
import argparse, json, os, platform, resource, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROMPT = 'A dog barking in the distance while rain falls on a tin roof'

def one(spec:dict) -> dict:
    "Run one configuration in this process and return its measurements."
    import torch
    from tangoflux_nb.core import get_device, get_dtype
    from tangoflux_nb.inference import TangoFluxInference, demo_model_dir
    from tangoflux_nb.model import TangoFlux, tangoflux_config, tiny_config
    from tangoflux_nb.text import FLAN_T5_LARGE
    from tangoflux_nb.vae import OobleckVAE, tiny_oobleck_config
    dev, dt = get_device(spec['device']), get_dtype(spec['dtype'])
    load0, t0 = round(os.getloadavg()[0], 2), time.perf_counter()
    torch.manual_seed(0)
    if spec['size'] == 'demo': pipe = TangoFluxInference(demo_model_dir(), device=dev, dtype=dt)
    else:
        cfg = tangoflux_config(text_encoder_config=FLAN_T5_LARGE, text_tokenizer='char') if spec['size'] == 'released' \
              else tiny_config(audio_seq_len=645)
        vae = OobleckVAE() if spec['size'] == 'released' else OobleckVAE(tiny_oobleck_config())
        pipe = TangoFluxInference(model=TangoFlux(cfg).to(dev, dt), vae=vae.to(dev, dt))
    build_s = time.perf_counter() - t0
    if dev.type == 'cuda': torch.cuda.reset_peak_memory_stats()
    stamps = []
    def cb(i, N, x):
        if dev.type == 'cuda': torch.cuda.synchronize()
        stamps.append(time.perf_counter())
    for _ in range(spec['warmup']): pipe.generate(PROMPT, steps=1, duration=min(spec['duration'], pipe.max_duration), seed=0)
    t1 = time.perf_counter()
    g = pipe.generate(PROMPT, steps=spec['steps'], duration=min(spec['duration'], pipe.max_duration), seed=0,
                      only_needed_frames=spec['needed'], callback=cb, return_latents=True)
    if dev.type == 'cuda': torch.cuda.synchronize()
    t2 = time.perf_counter()
    steps = [b - a for a, b in zip([t1] + stamps[:-1], stamps)]
    per_step = sum(steps[1:]) / len(steps[1:]) if len(steps) > 1 else steps[0]
    first, decode = stamps[0] - t1, t2 - stamps[-1]
    audio_s = g.audio.shape[-1] / pipe.sample_rate
    peak = torch.cuda.max_memory_allocated() if dev.type == 'cuda' else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {**spec, 'frames': g.latents.shape[1], 'audio_s': round(audio_s, 3), 'sample_rate': pipe.sample_rate,
            'build_s': round(build_s, 1), 'first_step_s': round(first, 2), 'per_step_s': round(per_step, 3),
            'decode_s': round(decode, 2), 'total_s': round(t2 - t1, 2), 'rtf': round((t2 - t1) / audio_s, 3),
            'est_50_steps_s': round(first + 49 * per_step + decode, 1), 'peak_mem_gib': round(peak / 2**30, 2),
            'memory': 'cuda max allocated' if dev.type == 'cuda' else 'process peak RSS',
            'threads': torch.get_num_threads(), 'load_before': load0, 'load_after': round(os.getloadavg()[0], 2)}

def _cpu_name() -> str:
    try: return next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration): return platform.processor() or platform.machine()

def bf16_ok(device) -> bool:
    import torch
    if device and str(device).startswith('cuda') or (device is None and torch.cuda.is_available()): return torch.cuda.is_bf16_supported()
    return True  # CPU bf16 kernels always run; fast with AVX512-BF16/AMX (recorded in the header)

def table(rows:list, env:dict, cmd:str) -> str:
    hdr = ['size', 'dtype', 'duration (s)', 'frames', 'steps', 'first step (s)', 'per step (s)', 'decode (s)', 'total (s)',
           'RTF', 'est. 50 steps (s)', 'peak mem (GiB)', 'load before/after']
    out = [f"Measured with `{cmd}` on {env['device']} ({env['cpu']}, {env['threads']} threads, torch {env['torch']}, "
           f"CPU capability {env['cpu_capability']}), {env['date']}. Random weights; see bench/inference.py for the definitions.",
           '', '| ' + ' | '.join(hdr) + ' |', '|' + '---|' * len(hdr)]
    for r in rows:
        if 'error' in r:
            out.append(f"| {r['size']} | {r['dtype']} | {r['duration']} | - | {r['steps']} | failed: {r['error'][:80]} |" + ' |' * 7); continue
        out.append(f"| {r['size']} | {r['dtype']} | {r['audio_s']:g} ({'needed' if r['needed'] else 'full'}) | {r['frames']} | "
                   f"{r['steps']} | {r['first_step_s']} | {r['per_step_s']} | {r['decode_s']} | {r['total_s']} | {r['rtf']} | "
                   f"{r['est_50_steps_s']} | {r['peak_mem_gib']} | {r['load_before']}/{r['load_after']} |")
    loads = [r['load_before'] for r in rows if 'load_before' in r]
    if loads and max(loads) > env['cores']:
        out += ['', f"The 1-minute load average was {min(loads):g}-{max(loads):g} on {env['cores']} cores during these runs: other jobs "
                "shared the CPU, so these times are pessimistic (upper bounds for this machine). The released size ran "
                f"{', '.join(sorted({str(r['steps']) for r in rows if r.get('size') == 'released'}))} sampling step(s) "
                "to bound CPU time; 'est. 50 steps' extrapolates from the measured per-step time."]
    return '\n'.join(out) + '\n'

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--sizes', default='tiny,released', help="comma list of tiny, released, demo")
    p.add_argument('--dtypes', default='fp32,bf16')
    p.add_argument('--tiny-steps', type=int, default=25)
    p.add_argument('--released-steps', type=int, default=2)
    p.add_argument('--device', default=None)
    p.add_argument('--out', default=str(ROOT/'bench'/'results'))
    p.add_argument('--one', default=None, help=argparse.SUPPRESS)
    p.add_argument('--render', default=None, help='re-write the markdown table from an inference.json (no measuring)')
    a = p.parse_args(argv)
    if a.one: print('RESULT ' + json.dumps(one(json.loads(a.one)))); return
    if a.render:
        d = json.loads(Path(a.render).read_text())
        Path(a.render).with_suffix('.md').write_text(table(d['rows'], d['env'], d['command'])); return
    import torch
    dtypes = [d for d in a.dtypes.split(',') if d != 'bf16' or bf16_ok(a.device)]
    specs = []
    for size in a.sizes.split(','):
        if size == 'demo':
            from tangoflux_nb.inference import demo_model_dir
            if not (demo_model_dir()/'tangoflux.safetensors').exists(): print('no demo model in this install: skipping it'); continue
        steps = a.released_steps if size == 'released' else a.tiny_steps
        for dtype in dtypes:
            for duration, needed in [(10, False), (30, False), (10, True)]:
                specs.append(dict(size=size, dtype=dtype, duration=duration, needed=needed, steps=steps, device=a.device,
                                  warmup=0 if size == 'released' else 1))
    rows = []
    for s in specs:
        print(f"running {s}", flush=True)
        r = subprocess.run([sys.executable, __file__, '--one', json.dumps(s)], capture_output=True, text=True, cwd=ROOT)
        line = [l for l in r.stdout.splitlines() if l.startswith('RESULT ')]
        rows.append(json.loads(line[-1][7:]) if line else {**s, 'error': (r.stderr.strip().splitlines() or ['?'])[-1]})
        print(rows[-1], flush=True)
    cmd = 'python bench/inference.py' + (' ' + ' '.join(argv if argv is not None else sys.argv[1:])).rstrip()
    env = {'device': (torch.cuda.get_device_name() if torch.cuda.is_available() and a.device != 'cpu' else 'CPU'),
           'cpu': _cpu_name(), 'threads': torch.get_num_threads(), 'torch': torch.__version__,
           'cpu_capability': torch.backends.cpu.get_cpu_capability(), 'date': time.strftime('%Y-%m-%d %H:%M'),
           'cores': os.cpu_count()}
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    (out/'inference.json').write_text(json.dumps({'command': cmd, 'env': env, 'rows': rows}, indent=1))
    (out/'inference.md').write_text(table(rows, env, cmd))
    print(table(rows, env, cmd))

if __name__ == '__main__':
    sys.path.insert(0, str(ROOT))
    main()
