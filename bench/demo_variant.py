"""Build a variant of the demo model: `tangoflux_nb.demo_model.build_demo` (every stage, timed, resumable) on a recipe
with some values changed, exported into WORK/demo (never into the package), then its SynthCaps adherence on the
held-out split. An exploration tool for the recipe, not the shipped build:

  python bench/demo_variant.py --scale spectral --work outputs/variant_a --n 100 \
      --set vae.config.block_out_channels=[16,32,64,64,64] --set vae.config.latent_channels=4

`--set` changes a value the recipe has (a typo fails); `--add` may also add a key the recipe leaves at its default,
e.g. `--add vae.config.time_pack=8` or `--add training.posterior_scale=0`.
"""
import argparse, json, sys
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tangoflux_nb.demo_model import SCALES, build_demo, demo_recipe, evaluate_demo, write_adherence_table
from tangoflux_nb.vae import frames_for_seconds, spectral_vae_config, vae_from_config

def apply(recipe:dict, assignment:str, new:bool=False) -> dict:
    "Set one dotted key of the recipe from KEY=JSON (e.g. training.max_train_steps=2000); `new`: the last key may be absent."
    key, _, val = assignment.partition('=')
    if not val: raise SystemExit(f"--set needs KEY=VALUE, got {assignment!r}")
    *path, last = key.split('.'); d = recipe
    for k in path:
        if k not in d: raise SystemExit(f"--set {key}: the recipe has no {k!r}")
        d = d[k]
    if last not in d and not new: raise SystemExit(f"--set {key}: the recipe has no {last!r} (known: {', '.join(d)})")
    try: d[last] = json.loads(val)
    except json.JSONDecodeError: d[last] = val
    return recipe

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--scale', choices=SCALES, default='spectral'); ap.add_argument('--work', required=True)
    ap.add_argument('--set', action='append', default=[], metavar='KEY=JSON', help='a recipe value to change (repeatable)')
    ap.add_argument('--add', action='append', default=[], metavar='KEY=JSON', help='like --set, for a key the recipe does not list (repeatable)')
    ap.add_argument('--n', type=int, default=None, help="held-out captions to evaluate (default: the recipe's)")
    ap.add_argument('--only_needed_frames', action='store_true', help='evaluate generating only the frames each duration needs')
    a = ap.parse_args()
    recipe = demo_recipe(a.scale)
    for s in a.set: apply(recipe, s)
    for s in a.add: apply(recipe, s, new=True)
    c = recipe['vae']['config']
    if c.get('representation') == 'mel':                             # a SpectralVAE: rebuild the block lists for the widths
        recipe['vae']['config'] = c = spectral_vae_config(**{k: v for k, v in c.items() if k not in ('down_block_types', 'up_block_types', 'in_channels', 'out_channels')})
    v = vae_from_config(c, meta=True)                                # the transformer follows the VAE
    recipe['model'].update(in_channels=v.latent_channels, audio_seq_len=frames_for_seconds(recipe['model']['max_duration'], v.sample_rate, v.hop))
    work, cmd = Path(a.work), 'python bench/demo_variant.py ' + ' '.join(sys.argv[1:])
    model = build_demo(work, work/'build', a.scale, progress=False, command=cmd, recipe=recipe)
    meta = json.loads((model/'demo_model.json').read_text())
    ev = recipe['eval']; torch.set_num_threads(recipe['threads'])
    res = evaluate_demo(model, work/'build'/'synthcaps', ev['split'], a.n or ev['n'], ev['steps'], ev['guidance_scale'], ev['seed'], progress=False,
                       only_needed_frames=a.only_needed_frames)
    write_adherence_table(res, work/'adherence.md', cmd)
    print(json.dumps({'total_wall_s': meta['total_wall_s'], 'timings': meta['timings'], 'vae_adherence': meta['vae_reconstruction']['adherence']['mean'],
                      'transformer': meta['transformer'], 'heldout_adherence': res['mean'], 'per_attribute': res['per_attribute']}, indent=1))

if __name__ == '__main__': main()
