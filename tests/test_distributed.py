"""Issue 22: `torchrun -m digitcls train` trains one model over two CPU processes (gloo); a failing rank ends the launch."""
import json, os, shutil, subprocess, sys, time
from pathlib import Path
import pytest

TORCHRUN = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2']


def test_two_processes_train_one_model(home, digits, tmp_path):
    "3 epochs on the embedded digits over 2 processes: one run folder, world_size 2, >= 90% test accuracy, a model that loads."
    out = tmp_path/'run'
    t = time.time()
    r = subprocess.run([*TORCHRUN, '-m', 'digitcls', 'train', '--epochs', '3', '--out', str(out), '--quiet'], capture_output=True, text=True,
                       env={**os.environ, 'DIGITCLS_HOME': str(home)}, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.count('saved to') == 1, r.stdout   # rank 0 alone reports
    m = json.loads((out/'metrics.json').read_text())
    assert m['world_size'] == 2 and m['test']['accuracy'] >= 0.9, (m['world_size'], m['test']['accuracy'])
    assert sum(map(sum, m['test']['confusion_matrix'])) == 270   # the whole test set, once
    assert not (out/'.work').exists() and (out/'model.pth').exists() and len(json.loads((out/'run.json').read_text())) > 10
    from digitcls.inference import load_predictor
    p = load_predictor(out, device='cpu')
    f = sorted((digits/'test'/'3').iterdir())[0]
    lbl, prob, probs = p.predict(f)
    assert lbl in p.vocab and abs(sum(probs.values()) - 1) < 1e-4


def test_a_failing_rank_ends_the_launch(home, tmp_path):
    "A bad data path under torchrun: each rank prints one line and exits 2; the launch ends non-zero within 30 s."
    t = time.time()
    r = subprocess.run([*TORCHRUN, '-m', 'digitcls', 'train', '--data', '/no/such/dir', '--out', str(tmp_path/'run')], capture_output=True,
                       text=True, env={**os.environ, 'DIGITCLS_HOME': str(home)}, timeout=120)
    assert r.returncode != 0 and time.time() - t < 30, (r.returncode, time.time() - t)
    ours = [l for l in r.stderr.splitlines() if l.startswith('digitcls: error:')]
    # each rank fails at the same check; torchrun stops the other ranks once one has exited, so a slower rank's line may not be printed
    assert 1 <= len(ours) <= 2 and all('/no/such/dir does not exist' in l for l in ours), r.stderr[-2000:]
    assert '/digitcls/' not in r.stderr   # no traceback of ours (torchrun's own summary is its business)
