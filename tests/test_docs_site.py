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
