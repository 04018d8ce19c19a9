import os, sys, shutil, warnings
from pathlib import Path
import pytest

warnings.filterwarnings('ignore', category=DeprecationWarning)

# the console script installed beside this Python (pip install -e .)
DIGITCLS = str(Path(sys.executable).parent/'digitcls') if (Path(sys.executable).parent/'digitcls').exists() else shutil.which('digitcls')


@pytest.fixture(scope='session')
def home(tmp_path_factory):
    "A fresh DIGITCLS_HOME for the whole session, so tests never touch the user's files."
    h = tmp_path_factory.mktemp('digitcls_home')
    old = os.environ.get('DIGITCLS_HOME')
    os.environ['DIGITCLS_HOME'] = str(h)
    yield h
    if old is None: os.environ.pop('DIGITCLS_HOME', None)
    else: os.environ['DIGITCLS_HOME'] = old


@pytest.fixture(scope='session')
def digits(home):
    from digitcls.data import digits_path
    return digits_path()


@pytest.fixture(scope='session')
def digits_flat(home):
    from digitcls.data import digits_path
    return digits_path(layout='flat')


@pytest.fixture(scope='session')
def run_dir(home, tmp_path_factory):
    "A model trained once by the CLI (2 epochs), shared by the evaluate/predict tests."
    import subprocess, sys
    out = tmp_path_factory.mktemp('runs')/'run'
    r = subprocess.run([DIGITCLS, 'train', '--epochs', '2', '--lr', '0.01', '--out', str(out), '--quiet'],
                       capture_output=True, text=True, env={**os.environ, 'DIGITCLS_HOME': str(home)})
    assert r.returncode == 0, r.stderr
    return out, r.stdout


@pytest.fixture(scope='session')
def good_run(home, tmp_path_factory):
    "A model trained well enough (4 epochs) that lossy copies of its confident images (1-bit, JPEG) still read the same."
    from digitcls.train import train_digits
    return train_digits(epochs=4, lr=0.01, out=tmp_path_factory.mktemp('runs')/'good', quiet=True, cpu=True).out


def run_main(*args, home=None):
    "The `digitcls` command run in this process through `digitcls.cli.main` (no start-up cost); returns rc, stdout, stderr."
    import contextlib, io, types
    from digitcls.cli import main
    out, err = io.StringIO(), io.StringIO()
    old = os.environ.get('DIGITCLS_HOME')
    if home is not None: os.environ['DIGITCLS_HOME'] = str(home)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
            rc = main([str(a) for a in args])
    finally:
        if old is not None: os.environ['DIGITCLS_HOME'] = old
    return types.SimpleNamespace(returncode=rc, stdout=out.getvalue(), stderr=err.getvalue())
