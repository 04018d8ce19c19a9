"End to end from Python on the embedded digits."
import pytest, torch


def test_train_digits_defaults_reach_target(home, tmp_path):
    from digitcls import train_digits, load_predictor
    res = train_digits(out=tmp_path/'run', quiet=True)
    assert res.metrics['test']['accuracy'] >= 0.985, res.metrics['test']
    assert res.metrics['lrs']['lr'] > 0 and 'lr_find' in res.metrics['lrs']
    m = load_predictor(res.out, device='cpu')
    lbl, p, probs = m.predict(res.learn.dls.test.dataset.items[0])
    assert lbl in m.vocab and 0 < p <= 1


def test_same_seed_same_weights(home, tmp_path):
    from digitcls import train_digits
    a = train_digits(epochs=1, lr=0.01, out=tmp_path/'a', quiet=True, cpu=True)
    b = train_digits(epochs=1, lr=0.01, out=tmp_path/'b', quiet=True, cpu=True)
    sa, sb = (torch.load(r.out/'model.pth', weights_only=True) for r in (a, b))
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert a.metrics['test'] == b.metrics['test']


def test_pretrained_without_weights_is_an_error(home, tmp_path, monkeypatch):
    from pathlib import Path
    from digitcls import train_digits
    from digitcls.core import DigitclsError
    if (Path(torch.hub.get_dir())/'checkpoints'/'resnet18-f37072fd.pth').exists(): pytest.skip('resnet18 weights are cached here')
    def offline(*a, **k): raise OSError('network is unreachable')
    monkeypatch.setattr(torch.hub, 'load_state_dict_from_url', offline)
    with pytest.raises(DigitclsError, match='no ImageNet weights for resnet18'):
        train_digits(arch='resnet18', out=tmp_path/'r', quiet=True)
    assert not (tmp_path/'r').exists()   # refused before its run folder is made


def test_efficientnet_lite0_transfer_learning(home, tmp_path):
    "One frozen epoch and one unfrozen epoch with the offline ImageNet weights, at 32 px."
    from digitcls import train_digits
    res = train_digits(arch='efficientnet_lite0', epochs=1, size=32, out=tmp_path/'e', quiet=True, lr=3e-3)
    assert list(res.history.phase.unique()) == ['frozen', 'unfrozen']
    assert res.metrics['test']['accuracy'] > 0.3   # chance is 0.1; two short epochs at 32 px
    assert res.history.train_loss.iloc[-1] < res.history.train_loss.iloc[0]
    lrs = [g['lr'] for g in res.learn.opt.param_groups]
    assert lrs == sorted(lrs) and lrs[0] < lrs[-1]


def test_export_pkl_loads_and_predicts(home, tmp_path):
    "`export=True` writes fastai's export.pkl; `load_learner` reads it back and predicts like the run's own model."
    import warnings
    from pathlib import Path
    from fastai.learner import load_learner
    from digitcls import train_digits, load_predictor
    with warnings.catch_warnings():
        warnings.filterwarnings('error', message="fastai's learn.export failed")   # a failed export only warns: fail the test
        res = train_digits(epochs=1, lr=0.01, out=tmp_path/'x', quiet=True, export=True, cpu=True)
    assert (res.out/'export.pkl').stat().st_size > 0 and res.files['export'] == res.out/'export.pkl'
    learn = load_learner(res.out/'export.pkl', cpu=True)
    fn = Path(res.learn.dls.test.dataset.items[0])
    with learn.no_bar(): lbl, idx, probs = learn.predict(fn)
    assert str(lbl) == load_predictor(res.out, device='cpu').predict(fn)[0]
    assert list(learn.dls.vocab) == list(res.learn.dls.vocab)


def test_without_the_cache(home, tmp_path):
    "`cache=False`: fastai's per-item PIL pipeline (a plain `TfmdDL`), recorded in run.json so a resumed run reads images the same way."
    import json
    from fastai.data.core import TfmdDL
    from digitcls import train_digits
    res = train_digits(epochs=1, lr=0.01, cache=False, out=tmp_path/'n', quiet=True, cpu=True)
    assert all(type(dl) is TfmdDL for dl in res.learn.dls.loaders), [type(dl) for dl in res.learn.dls.loaders]
    assert json.loads((res.out/'run.json').read_text())['cache'] is False
    assert res.metrics['test']['accuracy'] > 0.5   # one short epoch; chance is 0.1


def test_run_json_paths_are_absolute_so_resume_works_from_any_folder(digits, home, tmp_path, monkeypatch):
    "Data, teacher (and weights) given relative to the working folder are saved absolute: `--resume` reads them from anywhere."
    import json
    from pathlib import Path
    from digitcls import train_digits
    monkeypatch.chdir(tmp_path)
    Path('d').symlink_to(digits)
    kw = dict(epochs=1, lr=0.01, max_items=100, quiet=True, cpu=True)
    train_digits('d', out='t', **kw)
    train_digits('d', out='s', teacher='t', **kw)
    saved = json.loads(Path('s/run.json').read_text())
    assert (saved['data'], saved['teacher'], saved['weights']) == (str(Path.cwd()/'d'), str(Path.cwd()/'t'), None)
