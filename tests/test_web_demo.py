"""The `tangoflux-demo` web page in a real browser.

Starts the console script on a tiny random model folder (hub layout) on a free port of 127.0.0.1, then drives the
page in headless Chromium (Debian's /usr/bin/chromium through Playwright; never `playwright install`): type a
prompt, set the duration, click Generate, wait until the <audio> player has loaded the clip's metadata and check
its duration; an empty prompt shows the server's message. A screenshot is saved to pytest's temporary folder (or
to $WEB_DEMO_OUT). The server is stopped with SIGTERM and must remove its temporary audio folder. The server runs
with OMP_NUM_THREADS=1 (a tiny model is overhead-bound; two OpenMP threads on a busy 2-core machine are far slower).
"""
import os, queue, re, signal, socket, subprocess, sys, threading, time, urllib.request
from pathlib import Path
import pytest

DEMO = str(Path(sys.executable).parent/'tangoflux-demo')
CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--autoplay-policy=no-user-gesture-required"]

@pytest.fixture(scope='module')
def tiny_model(tmp_path_factory):
    import torch
    from tangoflux_nb.model import TangoFlux, tiny_config
    from tangoflux_nb.vae import OobleckVAE, tiny_oobleck_config
    d = tmp_path_factory.mktemp('tiny_model')
    torch.manual_seed(0)
    TangoFlux(tiny_config(audio_seq_len=70)).save_pretrained(d)   # up to 3.3 s
    OobleckVAE(tiny_oobleck_config()).save_pretrained(d)
    return d

def free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

class Server:
    "`tangoflux-demo` in a subprocess; its stdout lines are collected by a thread."
    def __init__(self, model, port):
        self.proc = subprocess.Popen([DEMO, '--model', str(model), '--port', str(port), '--device', 'cpu', '--quiet'],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env={**os.environ, 'OMP_NUM_THREADS': '1'})  # tiny model: one thread is faster
        self.lines = queue.Queue(); self.log = []
        threading.Thread(target=lambda: [self.lines.put(l) for l in self.proc.stdout], daemon=True).start()

    def wait_ready(self, timeout=120.) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try: line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None: break
                continue
            self.log.append(line)
            if m := re.search(r'Running on local URL:\s+(http://\S+)', line):
                self.log.append(self.lines.get(timeout=10))                  # the line naming the audio folder
                return m.group(1)
        raise AssertionError(f"tangoflux-demo did not start in {timeout:.0f} s:\n{''.join(self.log)}")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try: return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired: self.proc.kill(); self.proc.wait(); return -9

@pytest.fixture(scope='module')
def server(tiny_model):
    s = Server(tiny_model, free_port())
    try:
        s.url = s.wait_ready()
        s.audio_dir = Path(re.search(r'audio files in (\S+) \(removed on exit\)', s.log[-1]).group(1))
        yield s
    finally:
        code = s.stop()
    assert code == 0, f"the server exited with {code}"
    assert not s.audio_dir.exists(), f"{s.audio_dir} was not removed on SIGTERM"

@pytest.fixture(scope='module')
def browser():
    pw = pytest.importorskip('playwright.sync_api', reason='the python package playwright is not installed')
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"headless Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)")
    with pw.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()

@pytest.fixture
def page(browser, server):
    pg = browser.new_page(viewport={'width': 1000, 'height': 900})
    pg.goto(server.url, timeout=30_000)
    yield pg
    pg.close()

def set_range(page, selector, value):
    page.locator(selector).evaluate("(e, v) => { e.value = v; e.dispatchEvent(new Event('input', {bubbles: true})); }", str(value))

def test_page_serves_and_has_the_controls(server):
    with urllib.request.urlopen(server.url, timeout=10) as r:
        html = r.read().decode()
    for id_ in ['prompt', 'duration', 'steps', 'guidance', 'seed', 'generate', 'progress', 'audio', 'download']:
        assert f'id="{id_}"' in html

def test_generate_plays_requested_duration(page, server, tmp_path):
    out = Path(os.environ.get('WEB_DEMO_OUT') or tmp_path); out.mkdir(parents=True, exist_ok=True)
    page.fill('#prompt', 'a dog barks in the rain')
    set_range(page, '#duration', 2.5); set_range(page, '#steps', 3)
    page.fill('#seed', '5')
    assert page.inner_text('#duration-value') == '2.5' and page.inner_text('#steps-value') == '3'
    page.evaluate("""() => { window.progressShown = false;
        new MutationObserver(() => { if (!document.getElementById('progress').hidden) window.progressShown = true; })
          .observe(document.getElementById('progress'), {attributes: true}); }""")
    page.click('#generate')
    page.wait_for_function("() => { const a = document.getElementById('audio');"
                           " return a.src !== '' && a.readyState >= 1 && isFinite(a.duration); }", timeout=120_000)
    duration = page.evaluate("document.getElementById('audio').duration")
    assert abs(duration - 2.5) < 1e-3, duration                       # int(2.5 * 44100) samples at 44.1 kHz
    assert page.evaluate('window.progressShown') and page.locator('#progress').is_hidden()
    assert page.inner_text('#status').startswith('done in') and page.locator('#error').is_hidden()
    assert page.inner_text('#result-info') == '2.5 s, 3 steps, guidance 4.5, seed 5'
    link = page.locator('#download')
    assert link.get_attribute('download') == 'a-dog-barks-in-the-rain_seed5.wav'
    assert page.evaluate("fetch(document.getElementById('download').href).then(r => r.headers.get('content-type'))") == 'audio/wav'
    shot = out/'web_demo.png'
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")

def test_empty_prompt_shows_the_error(page):
    page.fill('#prompt', '   ')
    page.click('#generate')
    page.wait_for_selector('#error', state='visible', timeout=20_000)
    assert page.inner_text('#error') == "prompt is empty: describe the sound, e.g. 'rain on a tin roof'"
    assert page.locator('#result').is_hidden() and page.locator('#generate').is_enabled()

def test_share_is_refused_with_a_reason(tiny_model):
    r = subprocess.run([DEMO, '--share', '--model', str(tiny_model)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and '--share is not available' in r.stderr and 'Traceback' not in r.stderr, r.stderr
