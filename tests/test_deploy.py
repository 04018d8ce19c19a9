"""Issue 21: fastai's export.pkl loads in a fresh process; `digitcls export` writes model.onnx and `digitcls predict` then
gives the same labels and probabilities without importing torch or fastai; a bad model.onnx is a one-line error."""
import json, os, shutil, subprocess, sys
from pathlib import Path
import numpy as np, pandas as pd, pytest
from conftest import run_main


@pytest.fixture(scope='module')
def exported(run_dir, tmp_path_factory):
    "A copy of the shared run folder with model.onnx written by `digitcls export`."
    run = tmp_path_factory.mktemp('exp')/'run'
    shutil.copytree(run_dir[0], run)
    r = run_main('export', '--model', run)
    assert r.returncode == 0 and 'model.onnx' in r.stdout, r.stderr
    return run


def test_export_pkl_loads_in_a_fresh_process(home, tmp_path, digits):
    "`digitcls train --export`, then fastai's `load_learner` in another interpreter: the same label and probability (1e-4)."
    r = run_main('train', '--export', '--epochs', '1', '--lr', '0.01', '--max-items', '300', '--out', tmp_path/'run', '--quiet', home=home)
    assert r.returncode == 0, r.stderr
    img = sorted((digits/'test'/'2').iterdir())[0]
    code = ("import json, sys, warnings; warnings.simplefilter('ignore')\n"
            "from pathlib import Path\nfrom fastai.learner import load_learner\n"
            f"learn = load_learner({str(tmp_path/'run'/'export.pkl')!r}, cpu=True)\n"
            f"with learn.no_bar(): lbl, idx, probs = learn.predict(Path({str(img)!r}))\n"
            "print(json.dumps([str(lbl), float(probs[idx])]))")
    p = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env={**os.environ, 'DIGITCLS_HOME': str(home)})
    assert p.returncode == 0, p.stderr[-2000:]
    lbl, prob = json.loads(p.stdout.strip().splitlines()[-1])
    from digitcls.inference import load_predictor
    want = load_predictor(tmp_path/'run', device='cpu', backend='torch').predict(img)
    assert lbl == want[0] and abs(prob - want[1]) < 1e-4, (lbl, prob, want)


def test_onnx_predicts_like_pytorch(exported, digits, tmp_path):
    "On the embedded digits' test split, `digitcls predict` with model.onnx gives the labels and probabilities (1e-3) of model.pth."
    outs = {}
    for backend in ('torch', 'onnx'):
        r = run_main('predict', '--model', exported, digits/'test', '--backend', backend, '--csv', tmp_path/f'{backend}.csv', '--quiet')
        assert r.returncode == 0 and r.stdout == '', r.stderr
        outs[backend] = pd.read_csv(tmp_path/f'{backend}.csv', dtype={'label': str})
    a, b = outs['torch'], outs['onnx']
    assert len(a) == 270 and (a.image_id == b.image_id).all() and (a.label == b.label).all()
    assert np.abs(a.prob - b.prob).max() < 1e-3


def test_the_onnx_path_imports_neither_torch_nor_fastai(exported, digits):
    img = sorted((digits/'test'/'5').iterdir())[0]
    code = ("import sys; from digitcls.cli import main\n"
            f"rc = main(['predict', '--model', {str(exported)!r}, {str(img)!r}])\n"
            "print(sorted(m for m in ('torch', 'fastai', 'torchvision') if m in sys.modules), rc)")
    p = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().splitlines()[-1] == '[] 0', p.stdout


def test_a_bad_model_onnx_is_a_one_line_error(exported, digits, tmp_path):
    bad = tmp_path/'bad'; shutil.copytree(exported, bad)
    img = sorted((digits/'test'/'5').iterdir())[0]
    cfg = json.loads((bad/'model.json').read_text())
    (bad/'model.json').write_text(json.dumps({**cfg, 'vocab': cfg['vocab'][:5]}))
    r = run_main('predict', '--model', bad, img)
    assert r.returncode == 2 and 'does not match model.json' in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    (bad/'model.json').write_text(json.dumps(cfg))
    (bad/'model.onnx').write_bytes((exported/'model.onnx').read_bytes()[:2000])   # truncated
    r = run_main('predict', '--model', bad, img)
    assert r.returncode == 2 and 'cannot be read by onnxruntime' in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
