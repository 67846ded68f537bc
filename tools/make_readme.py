#!/usr/bin/env python
"README.md is generated from nbs/index.ipynb (markdown cells verbatim, visible code cells as code blocks)."
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = "<!-- generated from nbs/index.ipynb by tools/make_readme.py (`make readme`): edit the notebook, not this file -->\n\n"

def render(nb_path=ROOT/'nbs'/'index.ipynb') -> str:
    cells = json.loads(Path(nb_path).read_text())['cells']
    out = []
    for c in cells:
        src = ''.join(c['source']) if isinstance(c['source'], list) else c['source']
        if c['cell_type'] == 'markdown': out.append(src.strip())
        elif c['cell_type'] == 'code':
            lines = src.splitlines()
            directives = [l for l in lines if re.match(r'\s*#\|', l)]
            if any(re.match(r'\s*#\|\s*(hide|exporti?|default_exp)', l) for l in directives): continue
            body = '\n'.join(l for l in lines if not re.match(r'\s*#\|', l)).strip()
            if body: out.append(f"```python\n{body}\n```")
    return HEADER + '\n\n'.join(o for o in out if o) + '\n'

if __name__ == '__main__':
    text = render()
    if '--check' in sys.argv:
        ok = (ROOT/'README.md').read_text() == text
        print('README.md is up to date' if ok else 'README.md differs from nbs/index.ipynb: run `make readme`')
        sys.exit(0 if ok else 1)
    (ROOT/'README.md').write_text(text)
    print('wrote README.md')
