# Two commands for a newcomer: `make install` then `make test`.
VENV ?= .venv
BIN  := $(VENV)/bin
PY   := $(BIN)/python

.PHONY: install install-browser test test-fast export clean-nbs readme docs demo-model bench

install:            ## create .venv with plain pip and install the package, its tools and the docs browser
	python3 -m venv $(VENV)
	$(BIN)/pip install torch==2.9.1 torchaudio==2.9.1
	$(BIN)/pip install -e '.[dev]'
	-$(MAKE) install-browser

install-browser:    ## headless Chromium for the docs-site test (Debian package; needs root or sudo)
	@command -v chromium >/dev/null || { command -v apt-get >/dev/null && \
	  ( [ "$$(id -u)" = 0 ] && SUDO= || SUDO=sudo; \
	    $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null ) ; } || \
	  echo "chromium could not be installed: the browser test will skip and say why"

test:               ## everything CI runs: sync checks, nbdev_test, pytest; last line `N passed, N failed`
	$(PY) tools/run_tests.py

export:             ## notebooks -> package, README and clean notebooks
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean
	$(PY) tools/make_readme.py

readme:
	$(PY) tools/make_readme.py

docs:               ## static documentation site in _site/ (nbdev_proc_nbs, execute, render to HTML)
	$(PY) tools/build_docs.py --out _site

demo-model:         ## train the embedded demo model on SynthCaps (<= 30 min on 2 CPU cores)
	$(PY) -m tangoflux_nb.demo_model --out tangoflux_nb/assets

bench:
	$(PY) bench/inference.py; $(PY) bench/data.py; $(PY) bench/train.py
