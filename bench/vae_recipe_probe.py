"""Probe one variant of the demo VAE recipe: the demo build's own VAE stage (`tangoflux_nb.demo_model.make_vae`: init,
training, latent scaling, evaluation) run on the shipped recipe with a few settings changed, then the SynthCaps
adherence of its reconstructions of the validation clips, overall and per attribute. An exploration tool for the
recipe, not a test:

  python -m tangoflux_nb.demo_model --out outputs/demo_assets --work outputs/demo_work   # or any build: makes the data
  python bench/vae_recipe_probe.py --data outputs/demo_work/synthcaps --steps 500                # the shipped recipe, 500 steps
  python bench/vae_recipe_probe.py --data outputs/demo_work/synthcaps --steps 500 --no-noise     # without the noise source
  python bench/vae_recipe_probe.py --data outputs/demo_work/synthcaps --steps 500 --bands 64 --ratios 2,4,4
"""
import argparse, json, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tangoflux_nb.demo_model import demo_recipe, make_vae
from tangoflux_nb.vae_training import demo_vae_config

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', default='outputs/demo_work/synthcaps', help='a prepared SynthCaps folder (the demo build makes one)')
    ap.add_argument('--work', default='outputs/vae_recipe_probe', help='the VAE goes to WORK/vae (an existing one is reused)')
    ap.add_argument('--steps', type=int, default=None, help="training steps (default: the recipe's)")
    ap.add_argument('--bands', type=int, default=16); ap.add_argument('--ratios', default='2,4,4,4')
    ap.add_argument('--width', type=int, default=32); ap.add_argument('--no-noise', action='store_true')
    ap.add_argument('--l1', type=float, default=None, help="waveform L1 weight (default: the recipe's)")
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    recipe = demo_recipe('full'); v = recipe['vae']
    v['config'] = demo_vae_config(v['config']['sampling_rate'], a.width, tuple(int(r) for r in a.ratios.split(',')),
                                  bands=a.bands, noise_bands=not a.no_noise)
    if a.steps is not None: v['steps'] = a.steps
    if a.l1 is not None: v['l1_weight'] = a.l1
    t = time.time(); vae = make_vae(recipe, Path(a.data), Path(a.work), progress=False)
    res = json.loads((Path(a.work)/'vae'/'vae_eval.json').read_text()); rep = res['adherence']
    print(json.dumps({'variant': {k: v[k] for k in ('steps', 'l1_weight')} | {'config': v['config']}, 'wall_s': round(time.time() - t, 1),
                      'params_M': round(sum(p.numel() for p in vae.parameters()) / 1e6, 3), 'si_sdr_db': round(res['si_sdr_db'], 2),
                      'mrstft': round(res['mrstft'], 3), 'n_clips': rep['n'], 'adherence': round(rep['mean'], 3),
                      'per_attribute': {k: round(x, 2) for k, x in rep['per_attribute'].items()}}))

if __name__ == '__main__': main()
