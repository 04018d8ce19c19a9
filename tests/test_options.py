"""One definition of the options (issue 19) drives the CLI, config files, run.json, resume and train_digits; every training
option of issue 20 is applied (a test fails when it is not); the architecture's rules: module sizes, fastai's names, layers."""
import ast, importlib, inspect, json, re
from dataclasses import asdict
from pathlib import Path
import numpy as np, pandas as pd, pytest, torch
from conftest import run_main

ROOT = Path(__file__).resolve().parents[1]
CLI_ONLY = {'config', 'debug'}   # flags of `digitcls train` that are not options of `train_digits`


def test_cli_flags_are_train_digits_parameters_with_equal_defaults():
    from digitcls.cli import parser, parse_args, train_options, CLI_ONLY as cli_only
    from digitcls.train import train_digits
    assert set(cli_only) == CLI_ONLY
    t = parser()._subparsers._group_actions[0].choices['train']
    flags = {a.dest for a in t._actions if a.dest != 'help'}
    params = inspect.signature(train_digits).parameters
    assert flags - CLI_ONLY == set(params)
    assert asdict(train_options(parse_args(['train']))) == {k: p.default for k, p in params.items()}


def test_run_json_round_trips_every_option_and_resume_keeps_them():
    from digitcls.options import TrainOptions, options, run_options, resume_options
    o = TrainOptions(epochs=7, opt='lamb', schedule='sgdr', label_smoothing=0.1, mixup=0.3, tta=True, ema=0.99, swa=True,
                     swa_epochs=3, kfold=0, max_items=500, accumulate=2, cache=False, patience=0, quiet=True, out='x')
    saved = json.loads(json.dumps(run_options(o)))
    assert set(saved) == {p.name for p in options() if not p.run}
    back = resume_options(saved, {'quiet': True, 'cpu': True})
    assert all(getattr(back, k) == v for k, v in saved.items()) and back.cpu


@pytest.mark.parametrize('opt,cls', [('adam', 'Optimizer'), ('sgd', 'Optimizer'), ('radam', 'Optimizer'), ('lamb', 'Optimizer'), ('ranger', 'Lookahead')])
def test_each_optimizer_is_the_one_asked_for(opt, cls, digits):
    from digitcls.data import digit_dls
    from digitcls.learner import digit_learner
    learn = digit_learner(digit_dls(digits, max_items=64, device='cpu'), opt=opt)
    learn.create_opt()
    assert type(learn.opt).__name__ == cls
    steps = {getattr(f, 'func', f).__name__ for f in getattr(learn.opt, 'opt', learn.opt).cbs}
    assert {'adam': 'adam_step', 'sgd': 'momentum_step', 'radam': 'radam_step', 'lamb': 'lamb_step', 'ranger': 'radam_step'}[opt] in steps
    if opt == 'sgd': assert learn.opt.hypers[0]['mom'] == 0.9


def test_the_options_of_the_issue_from_the_command_line(home, tmp_path):
    "`digitcls train --epochs 3 --opt ranger --schedule flat_cos --label-smoothing 0.1 --mixup 0.4 --ema 0.99 --tta` writes test and test_tta."
    r = run_main('train', '--epochs', '3', '--opt', 'ranger', '--schedule', 'flat_cos', '--label-smoothing', '0.1', '--mixup', '0.4',
                 '--ema', '0.99', '--tta', '--out', tmp_path/'run', '--quiet', home=home)
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path/'run'/'metrics.json').read_text())
    assert {'test', 'test_tta', 'valid', 'valid_tta'} <= set(m) and m['test']['accuracy'] > 0.8, m.get('test')
    assert m['lrs']['ema_steps'] > 0
    run = json.loads((tmp_path/'run'/'run.json').read_text())
    assert (run['opt'], run['schedule'], run['label_smoothing'], run['mixup'], run['ema'], run['tta']) == ('ranger', 'flat_cos', 0.1, 0.4, 0.99, True)
    assert 'with TTA' in r.stdout


def test_options_from_python_are_applied(digits, tmp_path):
    from fastai.vision.all import CutMix, GradientAccumulation, CrossEntropyLossFlat
    from digitcls import train_digits
    res = train_digits(epochs=4, lr=0.01, opt='sgd', schedule='step', cutmix=1., swa=True, swa_epochs=2, accumulate=2, label_smoothing=0,
                       max_items=300, patience=0, quiet=True, out=tmp_path/'run', cpu=True)
    learn = res.learn
    assert learn.opt_func.func.__name__ == 'SGD' and isinstance(learn.loss_func, CrossEntropyLossFlat)
    assert any(isinstance(cb, CutMix) for cb in learn.cbs)
    acc = next(cb for cb in learn.cbs if isinstance(cb, GradientAccumulation)); assert acc.n_acc == 2*learn.dls.train.bs
    assert len(learn.dls.train.dataset) == 300 and res.metrics['lrs']['swa_averaged'] == 2
    lrs = np.array(learn.recorder.lrs)   # the step schedule: lr, then /10 at half, /100 at three quarters
    n = len(lrs)
    assert np.allclose(lrs[:n//2], 0.01) and np.allclose(lrs[-max(1, n//8):], 0.0001)


def test_options_from_a_config_file(home, tmp_path):
    (tmp_path/'c.yaml').write_text('opt: lamb\nschedule: sgdr\nlabel-smoothing: 0\nno-augment: true\nmax-items: 200\nepochs: 3\n'
                                   'lr: 0.01\nswa: true\nswa-epochs: 1\ntta: true\npatience: 0\nquiet: true\nout: %s\n' % (tmp_path/'run'))
    r = run_main('train', '--config', tmp_path/'c.yaml', home=home)
    assert r.returncode == 0, r.stderr
    run = json.loads((tmp_path/'run'/'run.json').read_text())
    assert (run['opt'], run['schedule'], run['label_smoothing'], run['augment'], run['max_items'], run['swa_epochs']) == ('lamb', 'sgdr', 0., False, 200, 1)
    m = json.loads((tmp_path/'run'/'metrics.json').read_text())
    assert 'test_tta' in m and m['lrs']['swa_averaged'] == 1 and len(pd.read_csv(tmp_path/'run'/'history.csv')) == 3


def test_kfold_and_distillation(run_dir, home, tmp_path):
    "`--kfold 3` writes cv with 3 folds and their mean and std, and the ensemble; `--teacher RUN` trains a student from it."
    r = run_main('train', '--kfold', '3', '--epochs', '1', '--lr', '0.01', '--max-items', '240', '--out', tmp_path/'cv', '--quiet', home=home)
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path/'cv'/'metrics.json').read_text())
    cv = m['cv']
    assert cv['k'] == 3 and len(cv['folds']) == 3 and abs(cv['mean'] - np.mean([f['accuracy'] for f in cv['folds']])) < 1e-9 and cv['std'] >= 0
    assert json.loads((tmp_path/'cv'/'model.json').read_text())['ensemble'] == 3 and 'test' in m
    assert sorted(p.name for p in (tmp_path/'cv'/'folds').iterdir()) == ['fold0', 'fold1', 'fold2']
    teacher, _ = run_dir
    r = run_main('train', '--teacher', teacher, '--distill-temp', '3', '--distill-weight', '0.7', '--epochs', '4', '--lr', '0.01',
                 '--max-items', '300', '--out', tmp_path/'student', '--quiet', home=home)
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path/'student'/'metrics.json').read_text())
    assert m['lrs']['distill_kl'] > 0 and m['test']['accuracy'] > 0.3   # chance is 0.1
    run = json.loads((tmp_path/'student'/'run.json').read_text())
    assert (run['teacher'], run['distill_temp'], run['distill_weight']) == (str(teacher), 3., 0.7)


def test_schedules_drive_the_learning_rate(digits):
    from fastai.vision.all import ParamScheduler, ReduceLROnPlateau
    from digitcls.data import digit_dls
    from digitcls.learner import digit_learner, schedule_cbs
    from digitcls.options import SCHEDULES
    learn = digit_learner(digit_dls(digits, max_items=64, device='cpu'))
    for s in SCHEDULES:
        cbs = schedule_cbs(learn, s, 0.01, 4)
        assert isinstance(cbs[0], ReduceLROnPlateau if s == 'plateau' else ParamScheduler), s


def _modules():
    return sorted(p for p in (ROOT/'digitcls').glob('*.py') if not p.name.startswith('_'))


def test_no_module_over_400_lines():
    sizes = {p.name: sum(1 for l in p.read_text().splitlines() if l.strip()) for p in _modules()}
    assert max(sizes.values()) <= 400, sizes


def test_no_public_name_shadows_fastai():
    import fastai.vision.all as fa
    for p in _modules():
        mod = importlib.import_module(f'digitcls.{p.stem}')
        clash = [n for n in getattr(mod, '__all__', []) if hasattr(fa, n) and getattr(fa, n) is not getattr(mod, n)]
        assert not clash, (p.name, clash)


LAYERS = ['core', 'options', 'images', 'datasets', 'cache', 'labels', 'data', 'models', 'callbacks', 'distributed', 'learner', 'interpretation',
          'inference', 'train', 'export', 'serve', 'bench', 'ablation', 'cli']   # the layer picture of the architecture page, bottom up

def test_modules_import_only_lower_layers():
    "Data flows one way: a module imports only modules below it (no cycles); the command line imports the rest lazily."
    assert sorted(LAYERS + ['__main__']) == sorted(p.stem for p in (ROOT/'digitcls').glob('*.py') if p.stem not in ('__init__', '_modidx'))
    for p in _modules():
        if p.stem == '__main__': continue
        tree = ast.parse(p.read_text())
        top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]   # module level: what importing it costs
        for n in ast.walk(tree):
            if not isinstance(n, ast.ImportFrom) or not (n.module or '').startswith('digitcls.'): continue
            dep = n.module.split('.')[1]
            lazy = n not in top
            assert LAYERS.index(dep) < LAYERS.index(p.stem) or (lazy and p.stem == 'cli'), (p.stem, dep)
