"""Does one round of CRPO improve the demo model? The product's CRPO stage run end to end on the embedded demo model:
candidates for training captions of its SynthCaps build (`generate_candidates`), ranked by the default reward (the
shipped SynthCaps CLAP, `clap-offline`) and, for comparison, by `synthcaps.adherence` against each caption's metadata
(a verifier the original does not have), one DPO run per ranking (`train_dpo_steps`, DPO-FM + FM on the winner), then
adherence on a split the candidates never came from. Resumable: candidates, scores and DPO models already on disk are
reused. An experiment, not a test:

  python bench/crpo_demo.py --work outputs/demo_v5 --out outputs/crpo --results bench/results/crpo_demo.md
"""
import argparse, json, sys, time
from pathlib import Path
import numpy as np
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tangoflux_nb.audio import load_audio
from tangoflux_nb.core import load_config
from tangoflux_nb.crpo import generate_candidates, get_reward, make_pairs, select_prompts, train_dpo_steps
from tangoflux_nb.demo_model import evaluate_demo
from tangoflux_nb.inference import TangoFluxInference
from tangoflux_nb.synthcaps import adherence

def score_candidates(results:list, meta:dict, reward, path:Path) -> list[dict]:
    "Per prompt: the adherence and the reward score of each candidate (cached in `path`, reused only for the same candidates)."
    if path.exists():
        rows = json.loads(path.read_text())
        if [r['paths'] for r in rows] == [[s['path'] for s in samples] for samples in results]: return rows
    rows = []
    for samples in results:
        cap, dur = samples[0]['captions'], float(samples[0]['duration'])
        adh = [adherence(w.double().numpy(), sr, meta[(cap, dur)])[0] for w, sr in (load_audio(s['path']) for s in samples)]
        rows.append(dict(captions=cap, duration=dur, paths=[s['path'] for s in samples], adherence=adh,
                         clap=[round(v, 4) for v in reward.score([s['path'] for s in samples], cap)]))
    path.write_text(json.dumps(rows)); return rows

def pairs_by(rows:list[dict], key:str) -> list[dict]:
    "Best vs worst candidate of each prompt by `key` ('clap' as `make_pairs`; 'adherence': ties broken by CLAP, prompts without spread left out)."
    if key == 'clap':
        return make_pairs([[{'captions': r['captions'], 'duration': r['duration'], 'path': p, 'clap_score': c}
                            for p, c in zip(r['paths'], r['clap'])] for r in rows])
    out = []
    for r in rows:
        a = np.array(r['adherence'])
        if a.max() == a.min(): continue
        k = a + 1e-3 * np.array(r['clap'])
        out.append({'captions': r['captions'], 'duration': r['duration'], 'chosen': r['paths'][int(k.argmax())], 'reject': r['paths'][int(k.argmin())]})
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--work', default='outputs/demo_v5', help="the demo build's work folder (synthcaps/, run/config.yaml)")
    ap.add_argument('--model', default=None, help='starting model (default: the embedded demo model)')
    ap.add_argument('--out', default='outputs/crpo'); ap.add_argument('--prompts', type=int, default=320)
    ap.add_argument('--candidates', type=int, default=4); ap.add_argument('--steps', type=int, default=25)
    ap.add_argument('--dpo_steps', type=int, default=120); ap.add_argument('--batch_size', type=int, default=8)
    ap.add_argument('--lr', type=float, default=1e-4); ap.add_argument('--warmup', type=int, default=10)
    ap.add_argument('--rankers', default='clap,adherence'); ap.add_argument('--split', default='test')
    ap.add_argument('--results', default=None); ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args(); torch.set_num_threads(a.threads)
    work, out, t0 = Path(a.work), Path(a.out), time.time()
    out.mkdir(parents=True, exist_ok=True); times = {}
    train = json.loads((work/'synthcaps'/'train.json').read_text())
    info = json.loads((work/'synthcaps'/'dataset_info.json').read_text())['items']
    meta = {(it['caption'], float(it['duration'])): it['meta'] for it in info if it['split'] == 'train'}
    bank = select_prompts([{'id': f'tr{i:05d}', 'captions': r['captions'], 'duration': r['duration']} for i, r in enumerate(train)], a.prompts, 0)
    pipe = TangoFluxInference(a.model, device='cpu'); g = pipe.guidance_scale
    t = time.time()
    results = generate_candidates(pipe, bank, out/'c1', a.candidates, a.steps, g, use_item_duration=True, crop_frames=None,
                                  seed_per_prompt=True, progress=False)
    times['candidates'] = time.time() - t; t = time.time()
    rows = score_candidates(results, meta, get_reward('clap-offline'), out/'scores.json')
    times['scoring'] = time.time() - t
    A, C = np.array([r['adherence'] for r in rows]), np.array([r['clap'] for r in rows]); i = np.arange(len(rows))
    ch, rj = A[i, C.argmax(1)], A[i, C.argmin(1)]
    stats = dict(prompts=len(rows), mean=A.mean(), best=A.max(1).mean(), worst=A.min(1).mean(), clap_chosen=ch.mean(),
                 clap_rejected=rj.mean(), clap_right=(ch > rj).mean(), clap_tie=(ch == rj).mean(), clap_wrong=(ch < rj).mean())
    print(json.dumps({k: round(float(v), 3) for k, v in stats.items()}), flush=True)
    tc = load_config(work/'run'/'config.yaml').training
    tc.per_device_batch_size, tc.learning_rate, tc.num_warmup_steps, tc.seed = a.batch_size, a.lr, a.warmup, 0
    evals = [('shipped' if a.model is None else a.model, None, evaluate_demo(a.model, work/'synthcaps', a.split, guidance_scale=g, progress=False))]
    for rk in a.rankers.split(','):
        pairs, d = pairs_by(rows, rk), out/f'dpo_{rk}'
        (out/f'pairs_{rk}.json').write_text(json.dumps(pairs, indent=1))
        t = time.time()
        if not (d/'tangoflux.safetensors').exists():
            model = TangoFluxInference(a.model, device='cpu').model.float()
            train_dpo_steps(model, out/f'pairs_{rk}.json', pipe.vae, tc, a.dpo_steps, d, save_every=40, log=lambda r: None)
        times[f'dpo_{rk}'] = time.time() - t
        evals.append((f'CRPO, ranked by {rk}', len(pairs), evaluate_demo(d, work/'synthcaps', a.split, guidance_scale=g, progress=False)))
        print(rk, len(pairs), round(evals[-1][2]['mean'], 3), flush=True)
    attrs = sorted({k for _, _, r in evals for k in r['per_attribute']})
    f = lambda x: f'{float(x):.3f}'
    lines = [f"One round of CRPO on the demo model (`{a.model or 'embedded'}`): {a.candidates} candidates for each of {len(rows)} "
             f"`train` captions of `{a.work}/synthcaps` ({a.steps} Euler steps, guidance {g:g}, each at its caption's duration), "
             f"best vs worst of each prompt as a DPO pair, {a.dpo_steps} DPO steps of {a.batch_size} pairs (lr {a.lr:g}, warmup "
             f"{a.warmup}, beta {pipe.model.beta_dpo}, the build's training section otherwise), then adherence on `{a.split}` "
             f"({evals[0][2]['n']} captions, seeds 0.., guidance {g:g}). {time.time() - t0:.0f} s on this CPU in this run "
             f"(making candidates {times['candidates']:.0f} s, scoring {times['scoring']:.0f} s, DPO "
             + ', '.join(f"{times[f'dpo_{rk}']:.0f} s" for rk in a.rankers.split(',')) + "; what an earlier run left on disk is reused).", '',
             f"How well the rewards rank the candidates (adherence of each candidate to its caption): mean {f(stats['mean'])}, best of "
             f"{a.candidates} {f(stats['best'])}, worst {f(stats['worst'])}; the CLAP's chosen {f(stats['clap_chosen'])} and rejected "
             f"{f(stats['clap_rejected'])}, its pair ordered right {f(stats['clap_right'])}, tied {f(stats['clap_tie'])}, "
             f"wrong {f(stats['clap_wrong'])} of the time.", '',
             '| model | pairs | overall | ' + ' | '.join(attrs) + ' |', '|---' * (len(attrs) + 3) + '|']
    lines += [f"| {name} | {'' if n is None else n} | **{f(r['mean'])}** | " + ' | '.join(f(r['per_attribute'].get(k, float('nan'))) for k in attrs) + ' |'
              for name, n, r in evals]
    lines += ['', 'Reproduce: `python ' + ' '.join(sys.argv) + '`', '']
    print('\n'.join(lines))
    if a.results: Path(a.results).write_text('\n'.join(lines))

if __name__ == '__main__': main()
