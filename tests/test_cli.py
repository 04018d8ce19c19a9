"""The digitcls command: train as a process (the console script), and evaluate, predict, lr-find, bench, config files and
errors in this process through `digitcls.cli.main`, which skips the 10 s or so that importing fastai costs each process here."""
import json, os
import pandas as pd, pytest, torch
from conftest import run_main, DIGITCLS


def test_train_writes_run_folder(run_dir):
    out, stdout = run_dir
    assert 'test  accuracy' in stdout and 'saved to' in stdout
    m = json.loads((out/'metrics.json').read_text())
    assert set(m) >= {'valid', 'test', 'train_seconds'}
    assert m['test']['accuracy'] > 0.9 and 0 < m['test']['macro_f1'] <= 1
    assert m['valid']['accuracy'] > 0.9
    h = pd.read_csv(out/'history.csv')
    assert len(h) == 2 and {'train_loss', 'valid_loss', 'accuracy', 'macro_f1'} <= set(h.columns)
    sd = torch.load(out/'model.pth', weights_only=True)   # safe format: no pickle
    assert all(isinstance(v, torch.Tensor) for v in sd.values())
    cfg = json.loads((out/'model.json').read_text())
    assert cfg['arch'] == 'digit_cnn' and cfg['vocab'] == [str(i) for i in range(10)] and cfg['size'] == 28
    for f in ('confusion_matrix.png', 'top_losses.png'): assert (out/f).stat().st_size > 1000
    assert not (out/'lr_find.png').exists()   # --lr given: no lr_find
    assert '| macro avg |' in (out/'report.md').read_text()


def test_evaluate_writes_outputs(run_dir, digits, tmp_path):
    out, _ = run_dir
    r = run_main('evaluate', '--model', out, '--data', digits/'test', '--out', tmp_path/'ev')
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path/'ev'/'metrics.json').read_text())
    assert {'accuracy', 'macro_f1', 'per_class', 'confusion_matrix'} <= set(m)
    assert sum(map(sum, m['confusion_matrix'])) == 270
    assert abs(m['accuracy'] - json.loads((out/'metrics.json').read_text())['test']['accuracy']) < 1e-6
    for f in ('confusion_matrix.png', 'top_losses.png', 'report.md'): assert (tmp_path/'ev'/f).exists()


def test_predict_files_and_csv(run_dir, digits, tmp_path):
    out, _ = run_dir
    files = sorted((digits/'test'/'7').iterdir())[:3]
    r = run_main('predict', '--model', out, *files, digits/'test'/'1', '--csv', tmp_path/'pre.csv')
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(tmp_path/'pre.csv', dtype={'label': str})
    assert list(df.columns) == ['image_id', 'label', 'prob']
    assert len(df) == 3 + len(list((digits/'test'/'1').iterdir()))
    assert (df.label.iloc[:3] == '7').mean() >= 2/3 and df.prob.between(0, 1).all()


def test_lr_find(home, digits, tmp_path):
    r = run_main('lr-find', '--out', tmp_path/'lr.png', home=home)
    assert r.returncode == 0, r.stderr
    assert 'valley' in r.stdout and (tmp_path/'lr.png').stat().st_size > 1000


def test_config_file(home, tmp_path):
    (tmp_path/'cfg.yaml').write_text('epochs: 1\nlr: 0.01\nout: %s\nquiet: true\n' % (tmp_path/'run'))
    r = run_main('train', '--config', tmp_path/'cfg.yaml', home=home)
    assert r.returncode == 0, r.stderr
    assert len(pd.read_csv(tmp_path/'run'/'history.csv')) == 1


@pytest.mark.parametrize('args,msg', [
    (['train', '--epochs', '-1'], 'must be at least 1'),
    (['train', '--lr', '0'], 'must be greater than 0'),
    (['train', '--bogus'], 'unrecognized arguments'),
    (['train', '--data', '/no/such/dir'], '/no/such/dir does not exist'),
    (['train', '--arch', 'resnet19'], "arch 'resnet19' is not known"),
    (['evaluate', '--model', '/no/model', '--data', '.'], 'model folder /no/model does not exist'),
])
def test_errors_are_one_line_exit_2(home, args, msg):
    r = run_main(*args, home=home)   # in this process: the console script itself is run by the other tests
    assert r.returncode == 2, (r.returncode, r.stderr)
    err = [l for l in r.stderr.strip().splitlines() if not l.startswith('digitcls: warning')]
    assert len(err) == 1 and msg in err[0] and 'Traceback' not in r.stderr, r.stderr


def test_out_exists_refused(run_dir, home):
    out, _ = run_dir
    before = (out/'model.pth').read_bytes()
    r = run_main('train', '--out', out, '--epochs', '1', home=home)
    assert r.returncode == 2 and 'pass --overwrite' in r.stderr
    assert (out/'model.pth').read_bytes() == before


def test_debug_shows_traceback(home):
    r = run_main('train', '--data', '/no/such/dir', '--debug', home=home)
    assert r.returncode == 2 and 'Traceback' in r.stderr


def test_damaged_model_folder(run_dir, tmp_path):
    import shutil
    out, _ = run_dir
    bad = tmp_path/'bad'; shutil.copytree(out, bad)
    (bad/'model.json').write_text('{oops')
    r = run_main('predict', '--model', bad, __file__)
    assert r.returncode == 2 and 'model.json is not valid JSON' in r.stderr
    shutil.copy(out/'model.json', bad/'model.json'); (bad/'model.pth').write_bytes(b'garbage')
    r = run_main('predict', '--model', bad, __file__)
    assert r.returncode == 2 and 'model.pth cannot be read' in r.stderr


def test_bench_prints_tables_and_writes_json(home, tmp_path):
    r = run_main('bench', '--skip-mnist', '--n-pipeline', '300', '--json', tmp_path/'b.json', home=home)
    assert r.returncode == 0, r.stderr
    assert '1. Pipeline ceiling' in r.stdout and '3. Prediction' in r.stdout
    b = json.loads((tmp_path/'b.json').read_text())
    assert {'machine', 'pipeline', 'predict'} <= set(b)
    zero = {row['pipeline']: row for row in b['pipeline'] if row['model'] == 'zero-cost'}
    assert zero['digitcls digit_dls']['train_img_s'] > zero['fastai folder DataLoaders']['train_img_s']
    assert b['predict']['predict_ms_median'] > 0 and b['predict']['batch_img_s_model'] > 0


def test_log_output_has_the_epoch_table_not_the_bars(home, tmp_path):
    "Written to a file or a pipe, `train` prints one row per epoch; fastprogress's bars are for terminals."
    r = run_main('train', '--epochs', '1', '--lr', '0.01', '--out', tmp_path/'run', home=home)
    assert r.returncode == 0, r.stderr
    assert 'train_loss' in r.stdout and 'test  accuracy' in r.stdout
    assert 'Epoch 1/1' not in r.stdout and '|████' not in r.stdout


def test_help_and_argument_errors_start_without_torch():
    "`digitcls --help` and argument errors answer without importing torch or fastai (3.5 s or more here)."
    import subprocess, sys
    from conftest import DIGITCLS
    r = subprocess.run([DIGITCLS, 'train', '--help'], capture_output=True, text=True)
    assert r.returncode == 0 and '--epochs' in r.stdout, r.stderr
    r = subprocess.run([DIGITCLS, 'train', '--epochs', '0'], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.strip() == 'digitcls: error: digitcls train: argument --epochs: 0 must be at least 1'
    code = "import sys; from digitcls.cli import parse_args; parse_args(['train', '--epochs', '3']); print(sorted({'torch', 'fastai'} & set(sys.modules)))"
    assert subprocess.run([sys.executable, '-c', code], capture_output=True, text=True).stdout.strip() == '[]'


def test_predict_one_file_as_a_process_prints_no_warnings(run_dir, digits, home):
    "What a user sees: the CSV and nothing else (a decoded PIL image is read-only; torch used to warn about it once per process)."
    import subprocess
    out, _ = run_dir
    f = sorted((digits/'test'/'3').iterdir())[0]
    r = subprocess.run([DIGITCLS, 'predict', '--model', str(out), str(f)], capture_output=True, text=True,
                       env={**os.environ, 'DIGITCLS_HOME': str(home)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == 'image_id,label,prob' and len(r.stdout.splitlines()) == 2
    assert r.stderr == '', r.stderr
