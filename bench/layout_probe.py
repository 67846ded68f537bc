"""Where does a model lay out the events of a clip? Start the Euler sampler at σ0 from the VAE latent of real
SynthCaps clips noised to σ0 (x = (1 - σ0)·x0 + σ0·ε, as SDEdit does) and measure the adherence of what it makes of
their captions; σ0 = 1 is plain generation from noise. Where adherence jumps between two σ0, the model's predictions
in that band of noise levels lose what the caption asks for. A diagnostic for the demo recipe, not a test:

  python bench/layout_probe.py --work outputs/demo_v5 --starts 1,0.9,0.8,0.6,0.4 --n 60 --results bench/results/layout_probe.md
"""
import argparse, contextlib, sys, time
from pathlib import Path
import torch
import torch.nn.functional as F
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tangoflux_nb.model as model_module
from tangoflux_nb.audio import load_audio
from tangoflux_nb.demo_model import split_items
from tangoflux_nb.inference import TangoFluxInference
from tangoflux_nb.synthcaps import adherence_report

@contextlib.contextmanager
def start_at(x0:torch.Tensor, sigma0:float, steps:int):
    "Make `inference_flow` start from x0 noised to sigma0 and take its share of `steps` Euler steps (linspace(σ0, σ0/N, N), then 0)."
    keep = model_module.initial_noise, model_module.inference_sigmas
    n = max(1, round(steps * sigma0))
    model_module.initial_noise = lambda shape, seed, *a, **kw: (1 - sigma0) * x0 + sigma0 * keep[0](shape, seed, *a, **kw)
    model_module.inference_sigmas = lambda _: torch.cat([torch.linspace(sigma0, sigma0 / n, n), torch.zeros(1)])
    try: yield
    finally: model_module.initial_noise, model_module.inference_sigmas = keep

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--model', default=None, help='model folder (default: the embedded demo model)')
    ap.add_argument('--work', default='outputs/demo_v5', help="the demo build's work folder (its synthcaps/ holds the clips)")
    ap.add_argument('--split', default='val'); ap.add_argument('--n', type=int, default=60)
    ap.add_argument('--starts', default='1,0.9,0.8,0.6,0.4', help='σ0 values, comma-separated')
    ap.add_argument('--steps', type=int, default=25, help='Euler steps of a full run (a start at σ0 takes round(σ0·steps))')
    ap.add_argument('--guidance', type=float, default=None, help="default: the model's")
    ap.add_argument('--results', default=None); ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args(); torch.set_num_threads(a.threads)
    pipe = TangoFluxInference(a.model, device='cpu'); vae, T = pipe.vae, pipe.model.audio_seq_len
    items = split_items(Path(a.work)/'synthcaps', a.split)[:a.n]
    with torch.no_grad():   # each clip's latent on the model's full canvas (the padding encodes to silence)
        x0s = [vae.encode(F.pad(w, (0, T * vae.hop - w.shape[-1]))[None]).mean[:, :T]
               for w in (load_audio(it['audio'], sr=vae.sample_rate)[0] for it in items)]
    rows, t = [], time.time()
    for s0 in [float(s) for s in a.starts.split(',')]:
        waves = []
        for i, (it, x0) in enumerate(zip(items, x0s)):
            with start_at(x0, s0, a.steps):
                waves.append(pipe.generate(it['caption'], steps=a.steps, duration=float(it['duration']), guidance_scale=a.guidance, seed=i))
        r = adherence_report(items, waves, sr=pipe.sample_rate); rows.append((s0, r))
        print(f"σ0 {s0:g}: {r['mean']:.3f}", {k: round(v, 2) for k, v in r['per_attribute'].items()}, flush=True)
    attrs = sorted({k for _, r in rows for k in r['per_attribute']})
    g = pipe.guidance_scale if a.guidance is None else a.guidance
    lines = [f"Adherence when the sampler starts at σ0 from the noised VAE latent of {len(items)} `{a.split}` clips of "
             f"`{a.work}/synthcaps` ({f'model `{a.model}`' if a.model else 'the embedded demo model'}, {a.steps} Euler steps for a full run, "
             f"guidance {g:g}, seeds 0..{len(items) - 1}; {time.time() - t:.0f} s on this CPU). σ0 = 1 is plain generation.", '',
             '| σ0 | overall | ' + ' | '.join(attrs) + ' |', '|---' * (len(attrs) + 2) + '|']
    lines += [f"| {s0:g} | **{r['mean']:.3f}** | " + ' | '.join(f"{r['per_attribute'].get(k, float('nan')):.2f}" for k in attrs) + ' |'
              for s0, r in rows]
    lines += ['', 'Reproduce: `python ' + ' '.join(sys.argv) + '`', '']
    if a.results: Path(a.results).write_text('\n'.join(lines)); print('wrote', a.results)
    else: print('\n'.join(lines))

if __name__ == '__main__': main()
