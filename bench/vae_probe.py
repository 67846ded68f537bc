"""Probe: how fast does the demo-size Oobleck VAE learn SynthCaps? Trains for --steps with one setting and prints the
SynthCaps adherence of its reconstructions on validation clips every --eval_every steps, then saves the VAE to --save.
An exploration tool for the demo recipe, not a test; the settings tried and what they gave are in the notes.

  python bench/vae_probe.py --data outputs/demo_work/synthcaps --steps 300 --noise 0 --crop 0.5 --loss log1p
"""
import sys, time, json, random, math, argparse, torch, numpy as np
from pathlib import Path
from torch import nn
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tangoflux_nb.demo_model import split_items, vae_adherence
from tangoflux_nb.vae_training import ClipBank, MultiResolutionSTFTLoss, _lr_at, demo_vae_config, envelope_loss
from tangoflux_nb.vae import OobleckVAE

def reinit(net, mode, gain, io=1.0):
    "'zb': zero every conv bias; 'vp': conv weights N(0, gain^2/fan_in) (weight-norm g recomputed)."
    for m in net.modules():
        if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d)):
            if m.bias is not None and 'zb' in mode: nn.init.zeros_(m.bias)
            if 'vp' in mode and hasattr(m, 'weight_v'):
                v = m.weight_v; fan_in = (m.in_channels * m.kernel_size[0]) if isinstance(m, nn.Conv1d) else (m.in_channels * m.kernel_size[0] / m.stride[0])
                with torch.no_grad():
                    v.normal_(0, gain/math.sqrt(fan_in))
                    m.weight_g.copy_(torch.norm_except_dim(v, 2, 0))
    if 'zr' in mode:                      # residual units start as the identity (their last conv's gain g = 0)
        for n_, m in net.named_modules():
            if type(m).__name__ == 'OobleckResidualUnit':
                with torch.no_grad(): m.conv2.weight_g.zero_()
    if io != 1:                           # audio-level inputs are ~0.01: amplify at the input, attenuate at the output
        with torch.no_grad(): net.encoder.conv1.weight_g.mul_(io); net.decoder.conv2.weight_g.div_(io)

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument('--data', default='outputs/demo_work/synthcaps', help='a prepared SynthCaps folder (the demo build makes one)')
ap.add_argument('--save', default='outputs/vae_probe')
ap.add_argument('--steps', type=int, default=300); ap.add_argument('--lr', type=float, default=1e-3)
ap.add_argument('--bs', type=int, default=8); ap.add_argument('--crop', type=float, default=1.0)
ap.add_argument('--noise', type=float, default=1.0); ap.add_argument('--width', type=int, default=16)
ap.add_argument('--ratios', default='2,4,8,8,4'); ap.add_argument('--sr', type=int, default=22050)
ap.add_argument('--eval_every', type=int, default=100); ap.add_argument('--nval', type=int, default=60)
ap.add_argument('--l1', type=float, default=0.1); ap.add_argument('--latc', type=int, default=None)
ap.add_argument('--loss', choices=['mrstft', 'log1p', 'mel'], default='mrstft'); ap.add_argument('--c', type=float, default=1.0)
ap.add_argument('--gain', type=float, default=1.0); ap.add_argument('--sbias', type=float, default=0.0)
ap.add_argument('--init', default=''); ap.add_argument('--igain', type=float, default=0.7)
ap.add_argument('--freeze_bias', action='store_true')
ap.add_argument('--env', type=float, default=0.0, help='weight of a per-channel dB envelope loss (256-sample frames)')
ap.add_argument('--io_gain', type=float, default=1.0, help='with --init: encoder input conv x this, decoder output conv / this')
ap.add_argument('--nmel', type=int, default=32)
ap.add_argument('--ntrain', type=int, default=600, help='training clips (8: can it overfit one batch?)')
ap.add_argument('--eval_train', action='store_true', help='measure the reconstructions of the training clips instead of val')
ap.add_argument('--ffts', default='2048,1024,512,256,128')
a = ap.parse_args(); print(vars(a), flush=True)
torch.set_num_threads(2); torch.manual_seed(0)
data = Path(a.data)
tri = random.Random(0).sample(split_items(data, 'train'), a.ntrain); tr = [it['audio'] for it in tri]
val = tri[:a.nval] if a.eval_train else split_items(data, 'val')[:a.nval]
t = time.time(); bank = ClipBank(tr, a.sr, verbose=False); print('bank', time.time()-t, flush=True)
cfg = demo_vae_config(a.sr, a.width, tuple(int(r) for r in a.ratios.split(',')))
if a.latc: cfg['decoder_input_channels'] = a.latc
vae = OobleckVAE(cfg); net = vae.vae.train().requires_grad_(True)
if a.init: reinit(net, a.init, a.igain, a.io_gain)
if a.gain != 1 or a.sbias:
  with torch.no_grad():
    c2 = net.encoder.conv2; L = c2.out_channels//2
    for n, p in c2.named_parameters():
        if 'original0' in n or n.endswith('weight_g'): p.mul_(a.gain)
    if c2.bias is not None: c2.bias[L:] += a.sbias
if a.freeze_bias:
    for n_, p_ in net.named_parameters():
        if n_.endswith('bias'): p_.requires_grad_(False)
print('params', sum(p.numel() for p in net.parameters())/1e6, flush=True)
opt = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=a.lr, betas=(0.8, 0.99), weight_decay=1e-3)
stft = MultiResolutionSTFTLoss(tuple(int(f) for f in a.ffts.split(','))); n = max(1, int(a.crop*a.sr)//vae.hop)*vae.hop
t0 = time.time()
for step in range(a.steps):
    for g in opt.param_groups: g['lr'] = _lr_at(step, a.steps, a.lr, 50)
    x = bank.batch(a.bs, n, 0, step)
    post = net.encode(x).latent_dist
    z = post.mean + a.noise*post.std*torch.randn_like(post.mean)
    y = net.decode(z).sample
    l1, kl = (y-x).abs().mean(), post.kl().mean()
    if a.loss == 'mrstft': sp = stft(y, x)
    elif a.loss == 'log1p':
        sp = 0
        for nf in (2048, 1024, 512, 256, 128):
            w = torch.hann_window(nf)
            f = lambda q: torch.stft(q.reshape(-1, q.shape[-1]), nf, nf//4, window=w, return_complex=True).abs()
            sp = sp + (torch.log1p(f(y)/a.c) - torch.log1p(f(x)/a.c)).abs().mean()
    elif a.loss == 'mel':
        import torchaudio
        sp = 0
        for nf in (2048, 1024, 512):
            w = torch.hann_window(nf)
            fb = torchaudio.functional.melscale_fbanks(nf//2+1, 20., a.sr/2, a.nmel, a.sr)
            f = lambda q: torch.stft(q.reshape(-1, q.shape[-1]), nf, nf//4, window=w, return_complex=True).abs().transpose(1, 2) @ fb
            sp = sp + (torch.log(f(y) + a.c) - torch.log(f(x) + a.c)).abs().mean()
    if a.env:                             # per-channel loudness envelope in dB: rewards level and left/right balance
        sp = sp + a.env*envelope_loss(y, x)
    loss = a.l1*l1 + sp + 1e-4*kl
    opt.zero_grad(); loss.backward(); opt.step()
    if step % 20 == 0: print(step, f'{time.time()-t0:.0f}s', f'stft {sp.item():.3f} kl {kl.item():.1f} std {post.std.mean().item():.3f} meanabs {post.mean.abs().mean().item():.3f}', flush=True)
    if (step+1) % a.eval_every == 0:
        net.eval()
        r = vae_adherence(vae, val); print('ADH', step+1, f'{time.time()-t0:.0f}s', round(r['mean'],3), {k: round(v,2) for k,v in r['per_attribute'].items()}, flush=True)
        net.train()
vae.save_pretrained(a.save)
