"""What a model makes of one prompt over several seeds, read back by `synthcaps.measure`: for each seed, the events
found (kind, and pitch / count / direction / ... where they apply), the side and the loudness. An exploration tool
for SynthCaps-style prompts, not a test:

  python bench/prompt_probe.py "three high beeps on the left" --duration 4 --seeds 8
  python bench/prompt_probe.py "a rising whistle, then static" --guidance 4.5 --model outputs/hH/demo
"""
import argparse, json, sys
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tangoflux_nb.inference import TangoFluxInference
from tangoflux_nb.synthcaps import EVENT_ATTRS, measure, measure_events

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('prompt'); ap.add_argument('--model', default=None, help='model folder (default: the embedded demo model)')
    ap.add_argument('--duration', type=float, default=4.); ap.add_argument('--steps', type=int, default=25)
    ap.add_argument('--guidance', type=float, default=None, help="default: the model's")
    ap.add_argument('--seeds', type=int, default=8, help='seeds 0..N-1'); ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args(); torch.set_num_threads(a.threads)
    pipe = TangoFluxInference(a.model, device='cpu')
    print(json.dumps({'prompt': a.prompt, 'duration': a.duration, 'steps': a.steps,
                      'guidance': pipe.guidance_scale if a.guidance is None else a.guidance}))
    for s in range(a.seeds):
        w = pipe.generate(a.prompt, steps=a.steps, duration=a.duration, guidance_scale=a.guidance, seed=s)
        m, evs = measure(w, pipe.sample_rate), measure_events(w.double().numpy(), pipe.sample_rate)
        events = [{'kind': e['kind'], **{k: e[k] for k in EVENT_ATTRS[e['kind']] if k in e}} for e in evs]
        print(json.dumps({'seed': s, 'position': m['position'], 'loudness': m['loudness'], 'events': events}))

if __name__ == '__main__': main()
