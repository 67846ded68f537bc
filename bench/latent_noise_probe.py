"""How much a VAE's decoding suffers from errors in its latents, the errors a generator makes: encode validation clips
(posterior mean; latents are unit-RMS in the demo VAEs), add Gaussian noise of standard deviation sigma to every latent,
decode, and report the SynthCaps adherence of the result per attribute. An exploration tool, not a test:

  python bench/latent_noise_probe.py --vae tangoflux_nb/assets/demo --data outputs/demo_work/synthcaps
  python bench/latent_noise_probe.py --vae tangoflux_nb/assets/demo --n 12 --sigmas 0 --peaks   # the shipped VAE's ~226 Hz tone
  python bench/latent_noise_probe.py --vae outputs/demo_spectral/demo --data outputs/demo_work/synthcaps   # a --scale spectral build
"""
import argparse, json, sys
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tangoflux_nb.audio import load_audio
from tangoflux_nb.demo_model import split_items
from tangoflux_nb.synthcaps import adherence_report
from tangoflux_nb.vae import OobleckVAE

@torch.no_grad()
def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--vae', required=True, help='a model or VAE folder (vae.safetensors + vae_config.json)')
    ap.add_argument('--data', default='outputs/demo_work/synthcaps'); ap.add_argument('--split', default='val')
    ap.add_argument('--n', type=int, default=40); ap.add_argument('--sigmas', default='0,0.1,0.3')
    ap.add_argument('--seed', type=int, default=0); ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--peaks', action='store_true', help="also print each reconstruction's strongest frequency")
    a = ap.parse_args(); torch.set_num_threads(a.threads)
    vae = OobleckVAE.from_pretrained(a.vae, device='cpu')
    items = split_items(Path(a.data), a.split)[:a.n]
    clips = [load_audio(it['audio'], sr=vae.sample_rate)[0] for it in items]
    lats, stds = [], []
    for w in clips:
        n = max(vae.hop, -(-w.shape[-1] // vae.hop) * vae.hop)
        d = vae.encode(torch.nn.functional.pad(w, (0, n - w.shape[-1]))[None]); lats.append(d.mean); stds.append(d.std)
    rms = torch.cat([z.reshape(-1, z.shape[-1]) for z in lats]).pow(2).mean().sqrt().item()
    post_std = torch.cat([s.reshape(-1) for s in stds]).mean().item()   # the posterior's own spread, against that RMS
    if a.peaks:   # what the reconstructions sound like: the strongest frequency of each (mid channel)
        ys = [vae.decode(z)[0, :, :w.shape[-1]].mean(0) for z, w in zip(lats, clips)]
        print('strongest frequency of each reconstruction (Hz):', [round(torch.fft.rfft(y).abs().argmax().item() * vae.sample_rate / len(y)) for y in ys])
    for s in (float(x) for x in a.sigmas.split(',')):
        g = torch.Generator().manual_seed(a.seed)
        waves = [vae.decode(z + s*torch.randn(z.shape, generator=g))[0, :, :w.shape[-1]] for z, w in zip(lats, clips)]
        r = adherence_report(items, waves, sr=vae.sample_rate)
        print(json.dumps({'vae': a.vae, 'kind': type(vae).__name__, 'latent_rms': round(rms, 3), 'posterior_std_mean': round(post_std, 3), 'sigma': s, 'n': r['n'],
                          'adherence': round(r['mean'], 3), 'per_attribute': {k: round(v, 2) for k, v in r['per_attribute'].items()}}), flush=True)

if __name__ == '__main__': main()
