"""The documentation site in a real browser.

`tools/build_docs.py` builds index + 01_audio (executed, processed by nbdev, rendered) into a temporary folder;
headless Chromium (Debian's `chromium`, driven by Playwright) opens it from file:// and over HTTP and checks
that the API page of `tangoflux_nb.audio` shows signatures and docstrings, that its audio player loads and
plays, and that the sidebar links work. A screenshot is saved next to the site: `<site>/screenshots/audio.png`
(set DOCS_TEST_OUT=folder to keep the site and screenshot somewhere else than pytest's temporary folder).
"""
import functools, http.server, inspect, os, re, shutil, subprocess, sys, threading
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--autoplay-policy=no-user-gesture-required"]

def find_chromium() -> str:
    "Debian's chromium; installed with apt-get when missing and we are root; else skip, saying why."
    exe = shutil.which('chromium') or shutil.which('chromium-browser')
    if exe: return exe
    if os.geteuid() == 0 and shutil.which('apt-get'):
        subprocess.run('apt-get update -qq && apt-get install -y -qq chromium', shell=True, capture_output=True, timeout=900)
        exe = shutil.which('chromium')
        if exe: return exe
        why = "`apt-get install chromium` failed (no package index reachable?)"
    else: why = "installing it needs root and Debian's apt-get (run `sudo make install-browser`)"
    pytest.skip(f"headless Chromium is not installed and {why}")

@pytest.fixture(scope='module')
def site(tmp_path_factory) -> Path:
    "index + 01_audio built by tools/build_docs.py, from a cache of its own (the repo's _proc/ is left alone)."
    base = Path(os.environ['DOCS_TEST_OUT']) if os.environ.get('DOCS_TEST_OUT') else tmp_path_factory.mktemp('docs')
    out = base/'site'
    shutil.rmtree(out, ignore_errors=True)
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'build_docs.py'), '--out', str(out), '--proc', str(base/'_proc'),
                        '01_audio'], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, f"build_docs.py failed ({r.returncode}):\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    assert (out/'index.html').exists() and (out/'audio.html').exists(), sorted(p.name for p in out.iterdir())
    return out

@pytest.fixture(scope='module')
def browser():
    pw = pytest.importorskip('playwright.sync_api', reason='the python package playwright is not installed')
    exe = find_chromium()
    with pw.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()

@pytest.fixture
def page(browser):
    pg = browser.new_page(viewport={'width': 1280, 'height': 900})
    yield pg
    pg.close()

@pytest.fixture(scope='module')
def http_site(site):
    "The site served by `python -m http.server`'s handler on a free port."
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{srv.server_address[1]}'
    srv.shutdown()

def _text(s:str) -> str:
    "Docstring as the page shows it: markdown backticks gone, whitespace collapsed."
    return re.sub(r'\s+', ' ', s.replace('`', '')).strip()

@pytest.mark.parametrize('name', ['load_audio', 'save_audio'])
def test_api_page_shows_signature_and_docstring(site, page, name):
    from tangoflux_nb import audio
    fn = getattr(audio, name)
    page.goto((site/'audio.html').as_uri())
    heading = page.locator(f'h3#{name}')
    assert heading.is_visible(), f"no visible show_doc heading for {name}"
    entry = page.locator('.jp-OutputArea-output', has=heading)
    sig = entry.locator('pre').first
    assert sig.is_visible()
    sig_text = sig.inner_text()
    assert f'def {name}(' in sig_text, sig_text
    for p in inspect.signature(fn).parameters: assert p in sig_text, f"parameter {p} missing from {sig_text!r}"
    doc = _text(inspect.getdoc(fn).splitlines()[0])
    shown = entry.locator('em', has_text=doc[:40]).first
    assert shown.is_visible() and _text(shown.inner_text()) == doc, f"docstring {doc!r} not shown: {_text(entry.inner_text())!r}"

def test_audio_player_loads_and_plays(site, page):
    page.goto((site/'audio.html').as_uri())
    assert page.locator('audio').count() >= 1, "no <audio> element on the audio page"
    player = page.locator('audio').first
    assert player.is_visible()
    r = player.evaluate("""async (a) => {
        if (a.readyState < 1) await new Promise((ok, fail) => {
            a.addEventListener('loadedmetadata', ok, {once: true});
            a.addEventListener('error', () => fail(new Error('media error ' + (a.error && a.error.code))), {once: true});
            setTimeout(() => fail(new Error('no loadedmetadata within 10 s')), 10000); });
        const t0 = a.currentTime;
        await a.play();
        await new Promise(ok => setTimeout(ok, 500));
        const r = {duration: a.duration, error: a.error ? a.error.code : null, t0, t1: a.currentTime,
                   src: a.currentSrc.slice(0, 21)};
        a.pause();
        return r; }""")
    assert r['error'] is None, r
    assert r['src'] == 'data:audio/wav;base64', r
    assert 0 < r['duration'] < 3600, r
    assert r['t1'] > r['t0'], f"playback did not advance: {r}"
    shots = site/'screenshots'
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots/'audio.png'), full_page=True)
    assert (shots/'audio.png').stat().st_size > 10_000
    print(f"screenshot: {shots/'audio.png'}")

def test_sidebar_links_and_assets_over_http(http_site, page):
    failed = []
    page.on('requestfailed', lambda req: failed.append(req.url))
    page.on('response', lambda res: failed.append(f'{res.status} {res.url}') if res.status >= 400 else None)
    page.goto(f'{http_site}/index.html')
    nav = page.locator('nav.docs-sidebar')
    assert nav.is_visible()
    assert nav.evaluate("n => getComputedStyle(n).position") == 'sticky', "styles.css was not loaded"
    link = nav.locator('a[href="audio.html"]')
    assert link.count() == 1, nav.inner_html()
    link.click()
    page.wait_for_url('**/audio.html')
    assert page.locator('h3#load_audio').is_visible()
    assert nav.locator('li.docs-current a').get_attribute('href') == 'audio.html'
    page.locator('a.docs-site-title').click()
    page.wait_for_url('**/index.html')
    local = [u for u in failed if '127.0.0.1' in u]
    assert not local, f"the site refers to files it does not have: {local}"

def test_links_on_the_audio_page_resolve(site, page):
    "nbdev's backtick links and notebook links point into the site (to an existing page and anchor) or off-site."
    page.goto((site/'audio.html').as_uri())
    hrefs = page.eval_on_selector_all('main a[href]:not(.anchor-link)', 'as => as.map(a => a.href)')
    internal = [h for h in hrefs if h.startswith('file:')]
    assert any('#' in h for h in internal), f"no in-site anchor links at all: {hrefs[:20]}"
    for h in internal:
        path, _, frag = h[len('file://'):].partition('#')
        target = Path(path)
        assert target.exists(), f"{h} points to a missing page"
        if frag: assert f'id="{frag}"' in target.read_text(encoding='utf-8'), f"{h}: no element with id {frag!r}"

def _nb(*cells):
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(c[3:]) if c.startswith('md:') else nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata.update(kernelspec=dict(name='python3', display_name='Python 3', language='python'))
    return nb

def test_build_rules_on_a_scratch_project(tmp_path):
    "Skipped flags don't run, errors don't stop the build, hidden cells and directives don't show (no browser needed)."
    import nbformat
    for f in ['settings.ini', 'tools/build_docs.py', 'nbs/styles.css']:
        (tmp_path/f).parent.mkdir(parents=True, exist_ok=True); shutil.copy(ROOT/f, tmp_path/f)
    nbs = tmp_path/'nbs'
    nbformat.write(_nb('md:# Scratch home\n> The index.', 'print("home " + str(6*7))'), nbs/'index.ipynb')
    nbformat.write(_nb('#| default_exp demo', 'md:# Demo page\n> One line.',
        'md:## Math\nThe path $x_t = (1-t)x_0 + t\\epsilon$, see [home](index.ipynb).',
        '#| export\ndef add_one(x:int, # a number\n           ) -> int:\n    "Add one to `x`."\n    return x + 1',
        'add_one(41)',
        '#| slow\nopen("ran_slow", "w").write("x")',
        '#| eval: false\nopen("ran_eval_false", "w").write("x")',
        '#| hide\nprint("hidden " + "cell")',
        '1/0',
        'print("after " + "the error")'), nbs/'01_demo.ipynb')
    (nbs/'02_broken.ipynb').write_text('{"cells": [', encoding='utf-8')  # a bad file: reported, the rest goes on
    r = subprocess.run([sys.executable, str(tmp_path/'tools'/'build_docs.py'), '--out', str(tmp_path/'site')],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    out = r.stdout + r.stderr
    assert r.returncode == 1 and '01_demo.ipynb' in out and 'ZeroDivisionError' in out, out
    assert not (nbs/'ran_slow').exists() and not (nbs/'ran_eval_false').exists(), "a skipped cell was executed"
    page = (tmp_path/'site'/'demo.html').read_text(encoding='utf-8')
    assert 'after the error' in page and 'ZeroDivisionError' in page and 'did not run cleanly' in page
    assert '<h3 id="add_one">' in page and 'Add one to <code>x</code>' in page and '# a number' in page
    assert '>42<' in page or '42\n' in page, "the output of add_one(41) is missing"
    assert 'Not run in the docs build (<code>#| slow</code>)' in page and 'href="index.html"' in page
    shown = re.sub(r'<code>#\| (slow|eval: false)</code>', '', page)  # the notes above
    assert 'hidden cell' not in shown and '#|' not in shown and 'default_exp' not in shown
    try: import latex2mathml
    except ImportError: pass
    else: assert '<math' in page
    broken = (tmp_path/'site'/'broken.html').read_text(encoding='utf-8')
    assert 'did not run cleanly' in broken and 'JSON' in broken and '02_broken.ipynb' in out
    home = (tmp_path/'site'/'index.html').read_text(encoding='utf-8')
    assert 'home 42' in home and 'href="demo.html"' in home and 'Demo page' in home
