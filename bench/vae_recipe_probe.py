"""Probe one variant of the demo VAE recipe: train it with the package's own `train_vae` (the demo recipe's losses
and options) for --steps and print the SynthCaps adherence of its reconstructions of --nval validation clips, overall
and per attribute. An exploration tool for the recipe, not a test (the figures quoted in notebook 09a come from it):

  python -m tangoflux_nb.demo_model --out outputs/demo_assets --work outputs/demo_work   # or any build: makes the data
  python bench/vae_recipe_probe.py --data outputs/demo_work/synthcaps --steps 500                # the shipped recipe's VAE
  python bench/vae_recipe_probe.py --data outputs/demo_work/synthcaps --steps 500 --no-noise     # without the noise source
  python bench/vae_recipe_probe.py --data outputs/demo_work/synthcaps --steps 500 --bands 64 --ratios 2,4,4
"""
import argparse, json, random, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tangoflux_nb.demo_model import split_items, vae_adherence
from tangoflux_nb.vae_training import demo_vae_config, ClipBank, train_vae, init_oobleck
from tangoflux_nb.vae import OobleckVAE

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', default='outputs/demo_work/synthcaps', help='a prepared SynthCaps folder (the demo build makes one)')
    ap.add_argument('--out', default='outputs/vae_recipe_probe'); ap.add_argument('--steps', type=int, default=500)
    ap.add_argument('--bands', type=int, default=16); ap.add_argument('--ratios', default='2,4,4,4')
    ap.add_argument('--width', type=int, default=32); ap.add_argument('--no-noise', action='store_true')
    ap.add_argument('--l1', type=float, default=0.1); ap.add_argument('--nval', type=int, default=60)
    ap.add_argument('--clips', type=int, default=1000); ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads); data = Path(a.data)
    cfg = demo_vae_config(22050, a.width, tuple(int(r) for r in a.ratios.split(',')), bands=a.bands, noise_bands=not a.no_noise)
    vae = init_oobleck(OobleckVAE(cfg), 0.7, seed=0)
    files = [it['audio'] for it in split_items(data, 'train')]
    bank = ClipBank(random.Random(0).sample(files, min(a.clips, len(files))), vae.sample_rate, verbose=False)
    t = time.time()
    train_vae(vae, bank, a.out, steps=a.steps, batch_size=4, crop_seconds=1.0, lr=1e-3, kl_weight=1e-4, l1_weight=a.l1,
              stft_kind='log1p', stft_c=0.01, env_weight=1.0, post_noise=0.0, train_biases=False, seed=0, progress=False)
    wall = time.time() - t
    rep = vae_adherence(vae, split_items(data, 'val')[:a.nval])
    print(json.dumps({'variant': vars(a), 'hop': vae.hop, 'latent_channels': vae.latent_channels,
                      'params_M': round(sum(p.numel() for p in vae.parameters()) / 1e6, 3), 's_per_step': round(wall / a.steps, 3),
                      'adherence': round(rep['mean'], 3), 'per_attribute': {k: round(v, 2) for k, v in rep['per_attribute'].items()}}))

if __name__ == '__main__': main()
