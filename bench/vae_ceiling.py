"""What a magnitude-domain VAE can reach at best: SynthCaps adherence of clips rebuilt by `SpectralVAE`'s own
spectrogram path from the *true* compressed mels (STFT magnitude -> mel -> power -> back -> pseudo-inverse ->
Griffin-Lim), without any network, on the validation clips of a prepared SynthCaps folder. Writes a markdown table.

  python -m tangoflux_nb.demo_model --out outputs/demo_assets --work outputs/demo_work   # or any build: makes the data
  python bench/vae_ceiling.py --data outputs/demo_work/synthcaps --results bench/results/vae_ceiling.md
"""
import argparse, json, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tangoflux_nb.audio import load_audio
from tangoflux_nb.core import atomic_path
from tangoflux_nb.demo_model import split_items
from tangoflux_nb.synthcaps import adherence_report
from tangoflux_nb.vae import SpectralVAE, spectral_vae_config

SETTINGS = [dict(n_fft=512, stft_hop=128, n_mels=64), dict(n_fft=1024, stft_hop=256, n_mels=64),
            dict(n_fft=1024, stft_hop=128, n_mels=64), dict(n_fft=512, stft_hop=128, n_mels=32)]

@torch.no_grad()
def ceiling(items, **kw) -> dict:
    vae = SpectralVAE(spectral_vae_config(**kw), meta=True)   # only the spectrogram path is used: no weights needed
    waves = []
    for it in items:
        w = load_audio(it['audio'], sr=vae.sample_rate)[0]; T = w.shape[-1]
        n = max(vae.hop, -(-T // vae.hop) * vae.hop)
        x = torch.nn.functional.pad(w, (0, n - T))[None]
        waves.append(vae.from_net(vae.to_net(x), 1)[0, :, :T])
    return adherence_report(items, waves, sr=vae.sample_rate)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', default='outputs/demo_work/synthcaps'); ap.add_argument('--split', default='val')
    ap.add_argument('--n', type=int, default=None, help='first n clips of the split (default: all)')
    ap.add_argument('--results', default='bench/results/vae_ceiling.md'); ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args(); torch.set_num_threads(a.threads)
    items = split_items(Path(a.data), a.split)[:a.n]
    rows = []
    for s in SETTINGS:
        t = time.time(); r = ceiling(items, **s)
        rows.append((s, r, time.time() - t)); print(json.dumps({**s, 'adherence': round(r['mean'], 3), 'per_attribute': r['per_attribute']}), flush=True)
    attrs = sorted({k for _, r, _ in rows for k in r['per_attribute']})
    lines = [f"Adherence of `SpectralVAE`'s spectrogram round trip (true compressed mels, Griffin-Lim {spectral_vae_config()['griffin_lim_iters']} "
             f"iterations, 22.05 kHz) on the `{a.split}` split ({len(items)} clips): the ceiling of a magnitude-domain VAE.", '',
             '| n_fft | stft_hop | n_mels | overall | ' + ' | '.join(attrs) + ' | s |', '|' + '---|' * (5 + len(attrs))]
    lines += [f"| {s['n_fft']} | {s['stft_hop']} | {s['n_mels']} | **{r['mean']:.3f}** | " +
              ' | '.join(f"{r['per_attribute'].get(k, float('nan')):.2f}" for k in attrs) + f' | {dt:.0f} |' for s, r, dt in rows]
    lines += ['', f"Reproduce: `python bench/vae_ceiling.py --data {a.data} --split {a.split}" + (f' --n {a.n}' if a.n else '') + '`', '']
    with atomic_path(Path(a.results)) as tmp: tmp.write_text('\n'.join(lines))
    print(Path(a.results).read_text())

if __name__ == '__main__': main()
