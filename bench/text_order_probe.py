"""Does a model read the order of two events from its caption? For two-event SynthCaps clips, the flow-matching loss of
the clip's latent under three captions, all written by `synthcaps.caption` with the same phrasing stream: the clip's
own, the same with its two events swapped ("B, then A" for "A, then B"), and another clip's. Same noise and σ for all
three; the loss is averaged over the frames the clip's duration covers. A model that reads the order scores its own
caption below the swapped one on most clips (the share "right < swapped" well above 0.5); one that reads only which
sounds are named sits at 0.5. A diagnostic, not a test:

  python bench/text_order_probe.py --work outputs/demo_v5 --results bench/results/text_order_probe.md
"""
import argparse, sys, time
from pathlib import Path
import numpy as np
import torch
import torch.nn.functional as F
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tangoflux_nb.audio import load_audio
from tangoflux_nb.demo_model import split_items
from tangoflux_nb.inference import TangoFluxInference
from tangoflux_nb.synthcaps import caption

@torch.no_grad()
def probe(model_dir, items:list, sigmas:list[float], repeats:int=3) -> list[dict]:
    pipe = TangoFluxInference(model_dir, device='cpu'); vae, m = pipe.vae, pipe.model; T = m.audio_seq_len
    x0 = torch.cat([vae.encode(F.pad(w, (0, T * vae.hop - w.shape[-1]))[None]).mean[:, :T]
                    for w in (load_audio(it['audio'], sr=vae.sample_rate)[0] for it in items)])
    dur = torch.tensor([float(it['duration']) for it in items])
    frames = torch.arange(T)[None] < torch.tensor([min(T, -(-round(d * vae.sample_rate) // vae.hop)) for d in dur.tolist()])[:, None]
    own = [caption(it['meta'], np.random.default_rng(k)) for k, it in enumerate(items)]
    swapped = [caption(it['meta'] | {'events': it['meta']['events'][::-1]}, np.random.default_rng(k)) for k, it in enumerate(items)]
    caps = {'own': own, 'swapped': swapped, 'other': own[1:] + own[:1]}
    conds = {k: m.condition(*m.encode_text(v), dur) for k, v in caps.items()}
    rows = []
    for s in sigmas:
        loss = {k: 0. for k in caps}
        for rep in range(repeats):
            eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(rep))
            xt, sig, tgt = (1 - s) * x0 + s * eps, torch.full((len(items),), s), eps - x0
            for k, c in conds.items():
                e = ((m.velocity(xt, sig, c) - tgt) ** 2).mean(-1)
                loss[k] = loss[k] + (e * frames).sum(1) / frames.sum(1) / repeats
        rows.append(dict(sigma=s, **{k: v.mean().item() for k, v in loss.items()},
                         right=(loss['own'] < loss['swapped']).float().mean().item()))
    return rows

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--models', default='', help="model folders, comma-separated ('' or 'embedded': the embedded demo model)")
    ap.add_argument('--work', default='outputs/demo_v5', help="the demo build's work folder (its synthcaps/ holds the clips)")
    ap.add_argument('--split', default='train'); ap.add_argument('--n', type=int, default=64)
    ap.add_argument('--sigmas', default='0.98,0.9,0.8,0.6'); ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--results', default=None); ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args(); torch.set_num_threads(a.threads); t = time.time()
    items = [it for it in split_items(Path(a.work)/'synthcaps', a.split) if len(it['meta']['events']) == 2][:a.n]
    lines = [f"Flow-matching loss of {len(items)} two-event `{a.split}` clips of `{a.work}/synthcaps` under their own caption, the "
             f"same caption with the two events swapped, and another clip's caption (noise seeds 0..{a.repeats - 1} per σ, loss over "
             f"the frames each clip's duration covers), and the share of clips whose own caption scores below the swapped one.", '',
             '| model | σ | own caption | events swapped | another clip\'s | share own < swapped |', '|---|---|---|---|---|---|']
    for md in (a.models.split(',') if a.models else ['']):
        for r in probe(None if md in ('', 'embedded') else md, items, [float(s) for s in a.sigmas.split(',')], a.repeats):
            lines.append(f"| {md or 'embedded'} | {r['sigma']:g} | {r['own']:.4f} | {r['swapped']:.4f} | {r['other']:.4f} | **{r['right']:.2f}** |")
            print(lines[-1], flush=True)
    lines += ['', f'{time.time() - t:.0f} s on this CPU. Reproduce: `python ' + ' '.join(sys.argv) + '`', '']
    if a.results: Path(a.results).write_text('\n'.join(lines))

if __name__ == '__main__': main()
