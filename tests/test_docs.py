"Issue 5: the docs build without Quarto, and a real headless browser (Debian's chromium) checks the pages."
import json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BROWSER = next((shutil.which(b) for b in ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable') if shutil.which(b)), None)
REQUIRED = bool(os.environ.get('DIGITCLS_REQUIRE_BROWSER'))   # set by .ci/run: there a missing browser is a failure
pytestmark = pytest.mark.skipif(BROWSER is None and not REQUIRED, reason='no Chromium installed (Debian: apt-get install chromium); .ci/run installs it')


class Browser:
    "Just enough of the Chrome DevTools Protocol: open a page, wait for it to load, evaluate JavaScript."
    def __init__(self):
        import websocket
        if BROWSER is None: pytest.fail('DIGITCLS_REQUIRE_BROWSER is set but no Chromium is installed')
        self.profile = tempfile.mkdtemp()
        with socket.socket() as s: s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
        self.proc = subprocess.Popen([BROWSER, '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                                      f'--remote-debugging-port={port}', f'--user-data-dir={self.profile}', '--allow-file-access-from-files',
                                      'about:blank'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                tabs = json.load(urllib.request.urlopen(f'http://127.0.0.1:{port}/json', timeout=1)); break
            except OSError: time.sleep(0.1)
        else: raise RuntimeError('chromium did not start')
        page = next(t for t in tabs if t.get('type') == 'page')
        self.ws = websocket.create_connection(page['webSocketDebuggerUrl'], timeout=30, suppress_origin=True)
        self.n = 0

    def send(self, method, **params):
        self.n += 1; self.ws.send(json.dumps({'id': self.n, 'method': method, 'params': params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get('id') == self.n:
                assert 'error' not in msg, msg
                return msg.get('result', {})

    def js(self, expr):
        r = self.send('Runtime.evaluate', expression=expr, returnByValue=True, awaitPromise=True)
        assert 'exceptionDetails' not in r, r
        return r['result'].get('value')

    def open(self, url):
        self.send('Page.navigate', url=url)
        for _ in range(300):
            time.sleep(0.05)
            if self.js('document.readyState') == 'complete' and self.js('location.href') == url: break
        # wait for every image to be decoded
        self.js('Promise.all([...document.images].map(i => i.complete ? 1 : new Promise(r => { i.onload = i.onerror = r; })))')
        return self.js('document.title')

    def close(self):
        self.ws.close(); self.proc.terminate(); self.proc.wait(10); shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp('docs')/'_docs'
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'build_docs.py'), '--out', str(out)], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (out/'index.html').exists()
    return out


@pytest.fixture(scope='module')
def browser():
    b = Browser(); yield b; b.close()


def test_docs_pages_load_with_navigation_api_and_images(site, browser):
    home = (site/'index.html').as_uri()
    assert 'digitcls' in browser.open(home)
    links = browser.js("[...document.querySelectorAll('nav.sidebar a')].map(a => a.href)")
    links = sorted(set(links))
    names = {l.rsplit('/', 1)[-1] for l in links}
    assert {'index.html', 'data.html', 'train.html', 'quickstart.html', 'transfer_learning.html', 'regex_labels.html',
            'interpretation.html', 'mnist.html', 'reliability.html'} <= names, names
    for url in links:
        title = browser.open(url)
        assert title and 'digitcls' in title, url
        assert browser.js("document.querySelector('main h1') !== null"), url
        assert sorted(set(browser.js("[...document.querySelectorAll('nav.sidebar a')].map(a => a.href)"))) == links, url
        # images of the site itself (plots are data: URIs); the Colab badge comes from the internet, which CI may not reach
        broken = browser.js("[...document.images].filter(i => !i.src.startsWith('http') && !(i.naturalWidth > 0)).map(i => i.src.slice(0, 80))")
        assert broken == [], (url, broken)
    # API entries from show_doc
    browser.open([l for l in links if l.endswith('/train.html')][0])
    text = browser.js('document.body.innerText')
    assert 'train_digits' in text and 'Train, evaluate and save an image classifier' in text
    browser.open([l for l in links if l.endswith('/data.html')][0])
    text = browser.js('document.body.innerText')
    for name in ('digit_block', 'digit_dls'): assert name in text, name
    assert 'A fastai `DataBlock`' in text or 'A fastai DataBlock' in text
    # tutorials show their plots
    for t in ('transfer_learning.html', 'interpretation.html'):
        browser.open([l for l in links if l.endswith('/tutorials/' + t)][0])
        n = browser.js("[...document.images].filter(i => i.src.startsWith('data:image') && i.naturalWidth > 0).length")
        assert n >= 2, (t, n)


def test_every_page_has_its_notebooks_whole_description(site):
    "The description under each page's title is the notebook's `> ...` line, whole (it used to lose its last words)."
    import html, re
    sys.path.insert(0, str(ROOT/'tools'))
    from build_docs import page_name
    nbs = ROOT/'nbs'
    for nb in sorted(p for p in nbs.rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts):
        cells = json.loads(nb.read_text(encoding='utf-8'))['cells']
        first = ''.join(cells[0]['source'])
        m = re.search(r'^>\s*(.+)$', first, re.M)
        if not m: continue
        want = re.sub(r'`([^`]+)`', r'\1', m.group(1)).strip()
        page = (site/page_name(nb, nbs)).read_text(encoding='utf-8')
        got = re.search(r'<p class="description">(.*?)</p>', page, re.S)
        assert got, nb.name
        text = html.unescape(re.sub(r'<[^>]+>', '', got.group(1))).strip()
        assert text == want, (nb.name, text, want)
