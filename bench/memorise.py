"""Can the demo transformer fit a handful of clips? Train it from a finished demo build's VAE and latent cache on the
first N training captions only (validated on the same N), then generate each of those captions and report the
SynthCaps adherence of the clips. High adherence here and low adherence on held-out captions means the recipe is short
of training, not broken (the sampler, the latent layout and the decoder all work). An exploration tool, not a test:

  python bench/memorise.py --build outputs/vk01/build --out outputs/memorise --n 32 --steps 300 \\
      --set posterior_scale=0 --set mixed_precision=no
"""
import argparse, dataclasses, json, sys
from pathlib import Path
import torch, yaml
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tangoflux_nb.core import TrainingConfig
from tangoflux_nb.demo_model import split_items
from tangoflux_nb.synthcaps import adherence_report

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--build', required=True, help='a demo build work folder (synthcaps/, vae/, latents/, run/config.yaml)')
    ap.add_argument('--out', required=True); ap.add_argument('--n', type=int, default=32); ap.add_argument('--steps', type=int, default=300)
    ap.add_argument('--set', action='append', default=[], metavar='KEY=JSON', help='a training option to change (repeatable)')
    ap.add_argument('--guidance', type=float, default=4.5); ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args(); torch.set_num_threads(a.threads)
    from tangoflux_nb.inference import TangoFluxInference
    from tangoflux_nb.train import train
    build, out = Path(a.build), Path(a.out); out.mkdir(parents=True, exist_ok=True)
    cfg = yaml.safe_load((build/'run'/'config.yaml').read_text())
    sub = json.loads((build/'synthcaps'/'train.json').read_text())[:a.n]
    (out/'train.json').write_text(json.dumps(sub))
    cfg['paths'].update(train_file=str(out/'train.json'), val_file=str(out/'train.json'), output_dir=str(out/'run'), resume_from_checkpoint='')
    cfg['training'].update(max_train_steps=a.steps, num_warmup_steps=min(20, a.steps), checkpointing_steps=str(10**6), log_every=10)
    for s in a.set:
        k, _, v = s.partition('=')
        if k not in {f.name for f in dataclasses.fields(TrainingConfig)}: raise SystemExit(f"--set {k}: not a training option (tangoflux_nb.core.TrainingConfig)")
        try: cfg['training'][k] = json.loads(v)
        except json.JSONDecodeError: cfg['training'][k] = v          # a bare string, e.g. mixed_precision=no
    (out/'config.yaml').write_text(yaml.safe_dump(cfg, sort_keys=False))
    if not (out/'run'/'pretrained'/'tangoflux.safetensors').exists(): train(out/'config.yaml', resume_from_checkpoint='latest', progress=False)
    pipe = TangoFluxInference(out/'run'/'pretrained', device='cpu')
    by_name = {Path(it['audio']).name: it for it in split_items(build/'synthcaps', 'train')}
    items = [by_name[Path(s['location']).name] for s in sub]
    waves = [pipe.generate(it['caption'], steps=25, duration=float(it['duration']), guidance_scale=a.guidance, seed=i) for i, it in enumerate(items)]
    r = adherence_report(items, waves, sr=pipe.sample_rate)
    log = [json.loads(l) for l in (out/'run'/'train_log.jsonl').read_text().splitlines()]
    print(json.dumps({'n': r['n'], 'steps': a.steps, 'last_loss': log[-1]['loss'], 'adherence': round(r['mean'], 3),
                      'per_attribute': {k: round(v, 2) for k, v in r['per_attribute'].items()},
                      'command': 'python bench/memorise.py ' + ' '.join(sys.argv[1:])}, indent=1))

if __name__ == '__main__': main()
