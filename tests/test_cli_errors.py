"""Every error a user can cause through the command line is one line on stderr with exit status 2, no traceback (issue 18);
every option a user can type changes behaviour or is refused."""
import json, os, shutil, subprocess, sys
from pathlib import Path
import pandas as pd, pytest, torch
from PIL import Image
from digitcls.images import image_files
from conftest import run_main, DIGITCLS


def one_line_error(r, msg):
    assert r.returncode == 2, (r.returncode, r.stdout[-500:], r.stderr[-2000:])
    err = [l for l in r.stderr.strip().splitlines() if not l.startswith(('digitcls: warning', 'digitcls: note'))]
    assert len(err) == 1 and msg in err[0] and 'Traceback' not in r.stderr, r.stderr


@pytest.fixture(scope='module')
def bad_files(tmp_path_factory):
    d = tmp_path_factory.mktemp('bad')
    (d/'corrupt.png').write_bytes(b'\x89PNG\r\n\x1a\n truncated')
    (d/'notes.png').write_text('this is text, not an image')
    Image.new('1', (12000, 12000)).save(d/'bomb.png')
    (d/'cfg.yaml').write_text('epochs: [1, 2\n')
    (d/'afile.txt').write_text('x')
    (d/'empty').mkdir()
    return d


def cases(run, bad, digits):
    "(argv, message) pairs: bad paths, bad files and bad values for every command."
    cuda = [] if torch.cuda.is_available() else [(['train', '--device', 'cuda'], 'no CUDA GPU is visible here'),
                                                 (['train', '--precision', 'fp16', '--epochs', '1'], 'precision fp16 needs a CUDA GPU')]
    return [
        (['train', '--data', '/no/such/dir'], '/no/such/dir does not exist'),
        (['train', '--data', bad/'afile.txt'], 'is a file; --data takes a folder'),
        (['train', '--data', bad/'empty'], 'No images found under'),
        (['train', '--data', bad], 'the images sit directly in'),
        (['train', '--label', '(oops'], 'does not compile'),
        (['train', '--arch', 'resnet19'], "arch 'resnet19' is not known"),
        (['train', '--epochs', '0'], '0 must be at least 1'),
        (['train', '--bs', 'many'], "'many' is not a whole number"),
        (['train', '--opt', 'adamw'], "'adamw' is not one of adam, sgd, radam, lamb, ranger"),
        (['train', '--schedule', 'cosine'], "'cosine' is not one of one_cycle"),
        (['train', '--label-smoothing', '1.5'], 'must be from 0 up to 1'),
        (['train', '--mixup', '-1'], '-1.0 must be at least 0'),
        (['train', '--mixup', '0.4', '--cutmix', '1', '--epochs', '1'], 'choose one of them'),
        (['train', '--kfold', '1', '--epochs', '1'], 'k-fold needs at least 2 folds'),
        (['train', '--kfold', '300', '--epochs', '1'], 'kfold=300 needs at least 300 images of every label'),
        (['train', '--teacher', '/no/run', '--epochs', '1'], 'model folder /no/run does not exist'),
        (['train', '--device', 'gpu'], "device 'gpu' is not known"),
        (['train', '--swa-epochs', '3'], '--swa-epochs has no effect without --swa'),
        (['train', '--distill-temp', '2'], '--distill-temp has no effect without --teacher RUN'),
        (['train', '--weights', bad/'afile.txt'], '--weights is for pretrained models, and digit_cnn has no ImageNet weights'),
        (['train', '--freeze-epochs', '2'], '--freeze-epochs is for pretrained models'),
        (['train', '--config', '/no/cfg.yaml'], 'config file /no/cfg.yaml does not exist'),
        (['train', '--config', bad/'cfg.yaml'], 'does not parse'),
        (['train', '--resume', '/no/run'], '--resume /no/run does not exist'),
        (['train', '--resume', run, '--epochs', '5'], '--epochs cannot change on resume'),
        (['train', '--out', bad/'afile.txt'], 'is a file; choose a folder'),
        (['lr-find', '--data', '/no/such/dir'], '/no/such/dir does not exist'),
        (['lr-find', '--epochs', '3'], 'unrecognized arguments: --epochs'),
        (['evaluate', '--model', '/no/model', '--data', digits], 'model folder /no/model does not exist'),
        (['evaluate', '--model', run, '--data', '/no/such/dir'], '/no/such/dir does not exist'),
        (['evaluate', '--model', run, '--data', digits, '--split', 'dev'], "invalid choice: 'dev'"),
        (['evaluate', '--model', run, '--data', bad/'empty'], 'No images found under'),
        (['predict', '--model', '/no/model', bad/'corrupt.png'], 'model folder /no/model does not exist'),
        (['predict', '--model', run, '/no/such.png'], '/no/such.png does not exist'),
        (['predict', '--model', run, bad/'corrupt.png'], 'corrupt.png cannot be read as an image'),
        (['predict', '--model', run, bad/'notes.png'], 'notes.png cannot be read as an image'),
        (['predict', '--model', run, bad/'bomb.png'], 'bomb.png is 12000x12000 pixels'),
        (['predict', '--model', run, digits/'test', bad, '--strict'], 'unreadable image(s)'),
        (['predict', '--model', run, bad], 'none of the 3 image(s) could be read'),
        (['predict', '--model', run, '--backend', 'onnx', bad/'corrupt.png'], 'has no model.onnx; write it with: digitcls export'),
        (['export', '--model', '/no/model'], 'model folder /no/model does not exist'),
        (['export', '--model', run, '--data', bad/'afile.txt'], 'no readable images'),
        (['demo', '--model', '/no/model'], 'model folder /no/model does not exist'),
        (['demo', '--model', run, '--port', '0'], '0 must be at least 1'),
        (['bench', '--ablation', 'cifar'], "invalid choice: 'cifar'"),
        (['bench', '--mnist', '/no/mnist.tgz'], '/no/mnist.tgz does not exist'),
        (['bench', '--device', 'tpu'], "device 'tpu' is not known"),
        *cuda,
    ]


def test_every_command_fails_in_one_line(run_dir, digits, bad_files, home):
    run, _ = run_dir
    runs = lambda: {p: sorted(q.name for q in p.iterdir()) for p in (home/'runs').glob('*')} if (home/'runs').exists() else {}
    for argv, msg in cases(run, bad_files, digits):
        before = runs()
        one_line_error(run_main(*argv, home=home), msg)
        assert runs() == before, f'{argv} failed but left a run folder behind'   # nothing half-written


def test_debug_from_a_config_file_shows_the_traceback(home, tmp_path):
    (tmp_path/'c.yaml').write_text('data: /no/such/dir\ndebug: true\n')
    r = run_main('train', '--config', tmp_path/'c.yaml', home=home)
    assert r.returncode == 2 and 'Traceback' in r.stderr and '/no/such/dir does not exist' in r.stderr


def test_predict_skips_unreadable_files_in_folders(run_dir, digits, bad_files, tmp_path):
    run, _ = run_dir
    d = tmp_path/'mixed'; d.mkdir()
    for f in sorted((digits/'test'/'4').iterdir())[:3]: shutil.copy(f, d/f.name)
    shutil.copy(bad_files/'corrupt.png', d/'corrupt.png')
    r = run_main('predict', '--model', run, d, digits/'test'/'4'/sorted(os.listdir(digits/'test'/'4'))[5], '--csv', tmp_path/'p.csv')
    assert r.returncode == 0, r.stderr
    assert 'digitcls: warning: 1 unreadable image(s) skipped:' in r.stderr and 'corrupt.png' in r.stderr
    df = pd.read_csv(tmp_path/'p.csv', dtype={'label': str})
    assert len(df) == 4 and not df.image_id.str.contains('corrupt').any()


def test_quiet_and_cpu_change_what_happens(run_dir, digits, home, tmp_path):
    run, _ = run_dir
    r = run_main('evaluate', '--model', run, '--data', digits, '--out', tmp_path/'ev', '--quiet', home=home)
    assert r.returncode == 0 and r.stdout == '' and (tmp_path/'ev'/'metrics.json').exists()
    r = run_main('evaluate', '--model', run, '--data', digits, '--quiet', home=home)   # no --out: the result is printed
    assert r.returncode == 0 and 'accuracy' in r.stdout
    r = run_main('lr-find', '--max-items', '200', '--out', tmp_path/'lr.png', '--quiet', home=home)
    assert r.returncode == 0 and 1e-6 < float(r.stdout.strip()) < 10, r.stdout
    r = run_main('bench', '--skip-mnist', '--max-items', '100', '--n-pipeline', '100', '--cpu', '--quiet', '--json', tmp_path/'b.json', home=home)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(tmp_path/'b.json') and 'Pipeline' not in r.stdout
    assert json.loads((tmp_path/'b.json').read_text())['machine']['device'] != 'cuda'


def test_a_folder_named_digits_wins_over_the_dataset(digits, home, tmp_path, monkeypatch):
    "`--data digits` is a folder called digits when there is one; without --data, always the embedded digits."
    cwd = tmp_path/'work'; own = cwd/'digits'
    for lbl in ('a', 'b'):
        (own/lbl).mkdir(parents=True)
        for f in sorted((digits/'train'/('1' if lbl == 'a' else '0')).iterdir())[:10]: shutil.copy(f, own/lbl/f.name)
    monkeypatch.chdir(cwd)
    r = run_main('train', '--data', 'digits', '--epochs', '1', '--lr', '0.01', '--out', 'r1', '--quiet', home=home)
    assert r.returncode == 0, r.stderr
    assert json.loads((cwd/'r1'/'model.json').read_text())['vocab'] == ['a', 'b']
    r = run_main('train', '--epochs', '1', '--lr', '0.01', '--out', 'r2', '--quiet', '--max-items', '100', home=home)
    assert r.returncode == 0, r.stderr
    assert json.loads((cwd/'r2'/'model.json').read_text())['vocab'] == [str(i) for i in range(10)]


def test_evaluate_with_no_readable_image_is_one_line(run_dir, bad_files, tmp_path):
    run, _ = run_dir
    (tmp_path/'4').mkdir()
    shutil.copy(bad_files/'corrupt.png', tmp_path/'4'/'a.png'); shutil.copy(bad_files/'notes.png', tmp_path/'4'/'b.png')
    one_line_error(run_main('evaluate', '--model', run, '--data', tmp_path), 'none of the 2 image(s) could be read')

def test_evaluate_on_unlabelled_test_images_is_one_line(run_dir, digits, tmp_path):
    "Kaggle-style test/ of loose images: evaluate says they have no label folder (not 'labels [test] not in the vocab')."
    run, _ = run_dir
    shutil.copytree(digits/'train', tmp_path/'train'); (tmp_path/'test').mkdir()
    for i, f in enumerate(image_files(digits/'test'/'1')[:2]): shutil.copy(f, tmp_path/'test'/f'{i}.png')
    one_line_error(run_main('evaluate', '--model', run, '--data', tmp_path), 'sit directly in test/ with no label folder')
