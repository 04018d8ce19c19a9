"""Issue 21: `digitcls demo` serves a Gradio app on a local port; headless Chromium draws a "1" on the sketchpad with mouse
events and reads the prediction, and uploads a test image. Skipped, with the reason, only without Chromium or gradio."""
import importlib.util, os, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest
from test_docs import Browser, BROWSER, REQUIRED
from conftest import DIGITCLS

pytestmark = [pytest.mark.skipif(BROWSER is None and not REQUIRED, reason='no Chromium installed (Debian: apt-get install chromium); .ci/run installs it'),
              pytest.mark.skipif(importlib.util.find_spec('gradio') is None and not REQUIRED,
                                 reason='gradio is not installed: pip install -e ".[demo]" (or ".[dev]")')]


@pytest.fixture(scope='module')
def demo(home, tmp_path_factory):
    "A model trained well enough to read a drawn 1, served by `digitcls demo` on a free port."
    run = tmp_path_factory.mktemp('demo')/'run'
    env = {**os.environ, 'DIGITCLS_HOME': str(home)}
    r = subprocess.run([DIGITCLS, 'train', '--epochs', '5', '--out', str(run), '--quiet'], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
    log = open(run.parent/'demo.log', 'w')
    srv = subprocess.Popen([DIGITCLS, 'demo', '--model', str(run), '--port', str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}/'
    for _ in range(600):
        try: urllib.request.urlopen(url, timeout=1); break
        except OSError:
            assert srv.poll() is None, (run.parent/'demo.log').read_text()
            time.sleep(0.1)
    b = Browser()
    b.send('Emulation.setDeviceMetricsOverride', width=1200, height=900, deviceScaleFactor=1, mobile=False)
    yield b, url, run
    b.close(); srv.terminate(); srv.wait(10); log.close()


def load(b, url):
    "Open the app and wait until Gradio has rendered it (its title is set by its scripts)."
    b.open(url)
    for _ in range(300):
        if 'digitcls' in (b.js('document.title') or '') and b.js("document.querySelector('#sketchpad') !== null"): return True
        time.sleep(0.1)
    return False


def label_text(b, elem, timeout=60):
    "The text of a Gradio Label once it shows probabilities."
    for _ in range(timeout*4):
        txt = b.js(f"document.querySelector('#{elem}') ? document.querySelector('#{elem}').innerText : ''")
        if '%' in txt: return txt
        time.sleep(0.25)
    return txt


def test_drawing_a_one_predicts_1(demo):
    b, url, _ = demo
    assert load(b, url), b.js('document.body.innerText')[:500]
    for _ in range(100):   # the sketchpad's canvas, once Gradio has drawn it
        box = b.js("(() => { const c = document.querySelector('#sketchpad canvas'); if (!c) return null; const r = c.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })()")
        if box and box[2] > 100: break
        time.sleep(0.1)
    x0, y0, w, h = box
    x, top, bot = x0 + w/2 + 30, y0 + 60, y0 + h - 60   # a vertical stroke, a little right of the middle
    def mouse(kind, y, buttons=1): b.send('Input.dispatchMouseEvent', type=kind, x=x, y=y, button='left', buttons=buttons, clickCount=1)
    for _ in range(3):   # Gradio draws the canvas before its editor takes strokes: a stroke made that early is lost, so draw it again
        mouse('mouseMoved', top, 0); mouse('mousePressed', top)
        for i in range(30): mouse('mouseMoved', top + (bot - top)*i/29)
        mouse('mouseReleased', bot, 0)
        txt = label_text(b, 'drawn', timeout=20)
        if '%' in txt: break
    lines = [l for l in txt.splitlines() if l.strip() and l != 'Prediction']
    assert lines and lines[0] == '1', lines


def test_uploading_an_image_predicts_it(demo, digits):
    "The upload tab predicts what `digitcls predict` predicts for the same file."
    from digitcls.inference import load_predictor
    b, url, run = demo
    assert load(b, url)
    b.js("[...document.querySelectorAll('button[role=tab]')].find(t => t.innerText.trim() === 'Upload').click()")
    time.sleep(1)
    img = sorted((digits/'test'/'7').iterdir())[0]
    doc = b.send('DOM.getDocument', depth=-1, pierce=True)
    node = b.send('DOM.querySelector', nodeId=doc['root']['nodeId'], selector='#upload input[type=file]')['nodeId']
    assert node, 'no file input in the Upload tab'
    b.send('DOM.setFileInputFiles', files=[str(img)], nodeId=node)
    lines = [l for l in label_text(b, 'uploaded').splitlines() if l.strip() and l != 'Prediction']
    assert lines and lines[0] == load_predictor(run, device='cpu').predict(img)[0], lines
