"""Probe one variant of the demo VAE recipe: the demo build's own VAE stage (`tangoflux_nb.demo_model.make_vae`:
training, latent scaling, evaluation) run on the shipped recipe (a `SpectralVAE`) with a few settings changed, then
the SynthCaps adherence of its reconstructions of the validation clips, overall and per attribute. An exploration
tool for the recipe, not a test:

  python -m tangoflux_nb.demo_model --out outputs/demo_assets --work outputs/demo_work   # or any build: makes the data
  python bench/vae_recipe_probe.py --data outputs/demo_work/synthcaps --steps 500                  # the shipped recipe, 500 steps
  python bench/vae_recipe_probe.py --data outputs/demo_work/synthcaps --steps 500 --batch 8 --latent 4
  python bench/vae_recipe_probe.py --data outputs/demo_work/synthcaps --steps 500 --blocks 32,32,64,64 --n-fft 1024 --stft-hop 256

(The Oobleck recipes of earlier releases are probed by bench/vae_probe.py.)
"""
import argparse, json, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tangoflux_nb.demo_model import demo_recipe, make_vae

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', default='outputs/demo_work/synthcaps', help='a prepared SynthCaps folder (the demo build makes one)')
    ap.add_argument('--work', default='outputs/vae_recipe_probe', help='the VAE goes to WORK/vae (an existing one is reused)')
    ap.add_argument('--steps', type=int, default=None, help="training steps (default: the recipe's)")
    ap.add_argument('--batch', type=int, default=None, help="clips per step (default: the recipe's)")
    ap.add_argument('--lr', type=float, default=None)
    ap.add_argument('--blocks', default=None, help="AutoencoderKL block widths, e.g. 32,32,64,64,64 (all but the last halve time and mels)")
    ap.add_argument('--latent', type=int, default=None, help='latent channels per (frame, mel row)')
    ap.add_argument('--n-fft', type=int, default=None); ap.add_argument('--stft-hop', type=int, default=None)
    ap.add_argument('--mels', type=int, default=None); ap.add_argument('--power', type=float, default=None)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    recipe = demo_recipe('full'); v, c = recipe['vae'], recipe['vae']['config']
    if a.blocks:
        n = len(a.blocks.split(','))
        c.update(block_out_channels=[int(b) for b in a.blocks.split(',')], down_block_types=['DownEncoderBlock2D']*n,
                 up_block_types=['UpDecoderBlock2D']*n)
    for key, val in (('latent_channels', a.latent), ('n_fft', a.n_fft), ('stft_hop', a.stft_hop), ('n_mels', a.mels), ('power', a.power)):
        if val is not None: c[key] = val
    for key, val in (('steps', a.steps), ('batch_size', a.batch), ('lr', a.lr)):
        if val is not None: v[key] = val
    t = time.time(); vae = make_vae(recipe, Path(a.data), Path(a.work), progress=False)
    res = json.loads((Path(a.work)/'vae'/'vae_eval.json').read_text()); rep = res['adherence']
    print(json.dumps({'variant': {k: v[k] for k in ('steps', 'batch_size', 'lr')} | {'config': c}, 'wall_s': round(time.time() - t, 1),
                      'params_M': round(sum(p.numel() for p in vae.parameters()) / 1e6, 3), 'hop': vae.hop,
                      'latent_channels': vae.latent_channels, 'mrstft': round(res['mrstft'], 3), 'n_clips': rep['n'],
                      'adherence': round(rep['mean'], 3), 'per_attribute': {k: round(x, 2) for k, x in rep['per_attribute'].items()}}))

if __name__ == '__main__': main()
