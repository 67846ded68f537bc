"""How the gate weight of the demo's HNM VAE (`train_hnm_vae(gate_weight=...)`) changes what its reconstructions keep:
the demo build's own VAE stage (`tangoflux_nb.demo_model.make_vae`: control analysis, training, latent scaling,
evaluation) on the shipped recipe with only `gate_weight` changed, then the SynthCaps adherence of the reconstructions
(posterior means) of the validation clips, overall and per attribute, into a markdown table. The held-out split is not
used, so the table can choose the recipe's value. A benchmark, not a test:

  python -m tangoflux_nb.demo_model --out outputs/demo_assets --work outputs/demo_work   # or any build: makes the data
  python bench/vae_gate_weight.py --data outputs/demo_work/synthcaps --weights 1,10,50,200 --results bench/results/vae_gate_weight.md
"""
import argparse, json, shlex, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tangoflux_nb.demo_model import demo_recipe, make_vae

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', default='outputs/demo_work/synthcaps', help='a prepared SynthCaps folder (the demo build makes one)')
    ap.add_argument('--work', default='outputs/vae_gate_weight', help='each VAE goes to WORK/gw<weight>/vae (an existing one is reused)')
    ap.add_argument('--weights', default='1,10,50,200', help='comma-separated gate weights')
    ap.add_argument('--results', default='bench/results/vae_gate_weight.md')
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    try: weights = [float(w) for w in a.weights.split(',')]
    except ValueError: ap.error(f"--weights takes numbers separated by commas, e.g. 1,10,50,200; got {a.weights!r}")
    if min(weights) <= 0: ap.error(f"gate weights must be > 0, got {a.weights!r}")
    if not (Path(a.data)/'dataset_info.json').exists(): ap.error(f"{a.data} is not a prepared SynthCaps folder (no dataset_info.json): build the demo first (see above)")
    torch.set_num_threads(a.threads)
    rows = []
    for gw in weights:
        recipe = demo_recipe('full'); recipe['vae']['gate_weight'] = gw
        work = Path(a.work)/f'gw{gw:g}'; t = time.time()
        make_vae(recipe, Path(a.data), work, progress=False)
        res = json.loads((work/'vae'/'vae_eval.json').read_text()); rep = res['adherence']
        rows.append({'gate_weight': gw, 'wall_s': round(time.time() - t, 1), 'mrstft': round(res['mrstft'], 3), 'n': rep['n'],
                     'adherence': round(rep['mean'], 3), 'per_attribute': {k: round(x, 2) for k, x in rep['per_attribute'].items()}})
        print(json.dumps(rows[-1]), flush=True)
    attrs = sorted({k for r in rows for k in r['per_attribute']})
    shipped = demo_recipe('full')['vae'].get('gate_weight', 1.)
    lines = [f"SynthCaps adherence of the demo HNM VAE's reconstructions (posterior means) of the {rows[0]['n']} `val` clips, "
             f"by the gate weight of its training loss (the shipped recipe's VAE stage otherwise; it uses {shipped:g}). "
             "Seconds: the whole VAE stage (control analysis, training, scaling, evaluation) on this machine.", '',
             '| gate_weight | overall | ' + ' | '.join(attrs) + ' | MR-STFT | s |', '|' + '---|'*(len(attrs) + 4)]
    for r in rows:
        lines.append(f"| {r['gate_weight']:g} | **{r['adherence']:.3f}** | " + ' | '.join(f"{r['per_attribute'].get(k, float('nan')):.2f}" for k in attrs)
                     + f" | {r['mrstft']:.3f} | {r['wall_s']:.0f} |")
    lines += ['', 'Reproduce: `python ' + ' '.join(shlex.quote(x) for x in sys.argv) + '`']
    Path(a.results).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(a.results).with_suffix('.tmp'); tmp.write_text('\n'.join(lines) + '\n'); tmp.replace(a.results)
    print(f'wrote {a.results}')

if __name__ == '__main__': main()
