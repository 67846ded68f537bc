"README.md is generated from nbs/index.ipynb; the two never drift, and README's commands exist."
import re, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
from make_readme import render

def test_readme_is_generated_from_index():
    assert (ROOT/'README.md').read_text() == render(), "README.md differs from nbs/index.ipynb: run `make readme`"

def test_readme_names_the_two_commands_and_they_exist():
    readme = (ROOT/'README.md').read_text()
    assert 'make install' in readme and 'make test' in readme
    targets = set(re.findall(r'^([a-z][\w-]*):', (ROOT/'Makefile').read_text(), re.M))
    for t in re.findall(r'`make ([\w-]+)`', readme): assert t in targets, f"README mentions `make {t}`, which the Makefile lacks"

def test_readme_console_scripts_are_declared():
    readme, ini = (ROOT/'README.md').read_text(), (ROOT/'settings.ini').read_text()
    declared = set(re.findall(r'(tangoflux[\w-]*)=tangoflux_nb', ini))
    used = set(re.findall(r'^\s*(tangoflux(?:-[a-z-]+)?) ', readme, re.M))
    assert used <= declared, f"README uses commands not declared in settings.ini: {used - declared}"
