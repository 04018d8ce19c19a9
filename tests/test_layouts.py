"""Every folder layout digitcls reads (the table on the reliability page): which images become train, valid and test,
each image in exactly one split, a test image never trained on; unknown layouts are one-line errors; small sets train."""
import json, os, shutil, warnings
from pathlib import Path
import pytest
from PIL import Image
from digitcls.core import DigitclsError
from digitcls.data import find_layout, digit_split, digit_dls, split_of, LAYOUTS
from digitcls.images import image_files
from conftest import run_main


def put(digits, dest, n, labels=('3', '7'), split='train', flat=False):
    "Copy `n` images of each label from the embedded digits' `split` into `dest` (label folders, or `label_i.png` files)."
    out = []
    for lbl in labels:
        for i, f in enumerate(image_files(digits/split/lbl)[:n]):
            t = dest/f'{lbl}_{i}.png' if flat else dest/lbl/f'{split}{i}.png'
            t.parent.mkdir(parents=True, exist_ok=True); shutil.copy(f, t); out.append(t)
    return out


def put_run(run, digits):
    "A digitcls run folder (run.json, model.pth and its plots) inside the data."
    run.mkdir(parents=True); (run/'run.json').write_text('{}'); (run/'model.pth').write_bytes(b'')
    shutil.copy(image_files(digits/'train'/'3')[0], run/'top_losses.png')


def splits(path, label='folder', valid_pct=0.2):
    "The files of each split, as sets, with the disjointness every layout must have."
    items, lbls, t, v, test, lay = digit_split(path, label, valid_pct=valid_pct)
    tr, va, te = {items[i] for i in t}, {items[i] for i in v}, set(test or [])
    assert not tr & va and not tr & te and not va & te, (tr & va, tr & te, va & te)
    return tr, va, te, lay


LAYOUT_CASES = {   # name: (builder, expected kind, n_train, n_valid, n_test)
    'label folders at the root': (lambda d, g: put(g, d, 10), 'label folders', 16, 4, 0),
    'train/': (lambda d, g: put(g, d/'train', 10), 'train/', 16, 4, 0),
    'train/ + valid/': (lambda d, g: (put(g, d/'train', 10), put(g, d/'valid', 3, split='valid')), 'train/ + valid/', 20, 6, 0),
    'train/ + test/': (lambda d, g: (put(g, d/'train', 10), put(g, d/'test', 4, split='test')), 'train/ + test/', 16, 4, 8),
    'train/ + valid/ + test/': (lambda d, g: (put(g, d/'train', 10), put(g, d/'valid', 3, split='valid'), put(g, d/'test', 4, split='test')),
                                'train/ + valid/ + test/', 20, 6, 8),
    'training/ + testing/ (MNIST, fastai)': (lambda d, g: (put(g, d/'training', 10), put(g, d/'testing', 4, split='test')), 'training/ + testing/', 16, 4, 8),
    'train/ + val/': (lambda d, g: (put(g, d/'train', 10), put(g, d/'val', 3, split='valid')), 'train/ + val/', 20, 6, 0),
    'label folders + test/': (lambda d, g: (put(g, d, 10), put(g, d/'test', 4, split='test')), 'label folders + test/', 16, 4, 8),
    'label folders + valid/': (lambda d, g: (put(g, d, 10), put(g, d/'valid', 3, split='valid')), 'label folders + valid/', 20, 6, 0),
    'label folders + valid/ + test/': (lambda d, g: (put(g, d, 10), put(g, d/'valid', 3, split='valid'), put(g, d/'test', 4, split='test')),
                                       'label folders + valid/ + test/', 20, 6, 8),
    'nested: mnist_png/training/ + testing/': (lambda d, g: (put(g, d/'mnist_png'/'training', 10), put(g, d/'mnist_png'/'testing', 4, split='test')),
                                               'training/ + testing/', 16, 4, 8),
    'symlinked label folders': (lambda d, g: (put(g, d.parent/'real', 10), d.mkdir(), [os.symlink(d.parent/'real'/l, d/l) for l in '37']),
                                'label folders', 16, 4, 0),
    'label folders + a run saved inside (--out in the data)': (lambda d, g: (put(g, d, 10), put_run(d/'run', g)), 'label folders', 16, 4, 0),
    'Train/ + Test/ (any case)': (lambda d, g: (put(g, d/'Train', 10), put(g, d/'Test', 4, split='test')), 'Train/ + Test/', 16, 4, 8),
    'training_set/ + test_set/ (Kaggle)': (lambda d, g: (put(g, d/'training_set', 10), put(g, d/'test_set', 4, split='test')),
                                           'training_set/ + test_set/', 16, 4, 8),
    'label folders + Validation/ + TEST/': (lambda d, g: (put(g, d, 10), put(g, d/'Validation', 3, split='valid'), put(g, d/'TEST', 4, split='test')),
                                            'label folders + Validation/ + TEST/', 20, 6, 8),
}


@pytest.mark.parametrize('name', list(LAYOUT_CASES))
def test_layout_splits_are_disjoint_and_complete(name, digits, tmp_path):
    build, kind, n_train, n_valid, n_test = LAYOUT_CASES[name]
    d = tmp_path/'data'; build(d, digits)
    tr, va, te, lay = splits(d)
    assert lay.kind == kind, lay
    assert (len(tr), len(va), len(te)) == (n_train, n_valid, n_test), (len(tr), len(va), len(te))
    every = set(image_files(d))
    assert tr | va | te == every   # every image lands in exactly one split (disjoint, checked in `splits`)
    if n_test:
        assert all(split_of(f.relative_to(lay.root).parts[0]) == 'test' for f in te)
        assert not any(split_of(f.relative_to(lay.root).parts[0]) == 'test' for f in tr | va)
    if 'valid' in kind or 'val/' in kind:
        assert all(f.relative_to(lay.root).parts[0] in ('valid', 'val') for f in va)


def test_images_directly_in_split_folders_with_a_regex(digits, tmp_path):
    d = tmp_path/'flat'
    put(digits, d/'train', 10, flat=True); put(digits, d/'test', 4, split='test', flat=True)
    tr, va, te, lay = splits(d, label=r'^(\d)_\d+\.png$')
    assert lay.kind == 'train/ + test/' and (len(tr), len(va), len(te)) == (16, 4, 8)
    with pytest.raises(DigitclsError, match='sit directly in split folders'): digit_dls(d)


def test_a_flat_folder_with_a_regex(digits, tmp_path):
    d = tmp_path/'flat'; put(digits, d, 10, flat=True)
    tr, va, te, lay = splits(d, label=r'^(\d)_\d+\.png$')
    assert lay.kind == 'files at the root' and (len(tr), len(va), len(te)) == (16, 4, 0)
    with pytest.raises(DigitclsError, match='sit directly in .*one folder per label'): find_layout(d)


@pytest.mark.parametrize('build,msg', [
    (lambda d, g: put(g, d/'valid', 3, split='valid'), 'has valid/ but no train/ folder and no label folders'),
    (lambda d, g: put(g, d/'test', 3, split='test'), 'has test/ but no train/ folder'),
    (lambda d, g: (put(g, d/'train', 3), put(g, d/'cats', 3)), 'has a train/ folder and other images beside it'),
    (lambda d, g: (put(g, d/'train', 3), put(g, d/'training', 3)), 'has both train/ and training/'),
])
def test_unknown_layouts_are_one_line_errors_listing_the_layouts(build, msg, digits, tmp_path, home):
    d = tmp_path/'data'; build(d, digits)
    with pytest.raises(DigitclsError, match=msg): find_layout(d)
    r = run_main('train', '--data', d, '--epochs', '1', home=home)
    err = [l for l in r.stderr.strip().splitlines() if not l.startswith('digitcls: warning')]
    assert r.returncode == 2 and len(err) == 1 and msg in err[0], r.stderr
    if 'both' not in msg: assert LAYOUTS in err[0]


def test_a_test_folder_beside_label_folders_is_not_trained_on(digits, tmp_path, home):
    "30 images a label at the root and a test/ folder: test/ is reported as test, never trained or validated on."
    d = tmp_path/'data'; put(digits, d, 30); test = put(digits, d/'test', 6, split='test')
    r = run_main('train', '--data', d, '--epochs', '3', '--out', tmp_path/'run', '--quiet', home=home)
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path/'run'/'metrics.json').read_text())
    assert m['test']['n'] == 12 and m['valid']['n'] == 12 and 'test  ' in r.stdout
    from digitcls.train import train_digits
    res = train_digits(d, epochs=1, lr=0.01, quiet=True, out=tmp_path/'run2')
    seen = set(map(str, res.learn.dls.train.dataset.items)) | set(map(str, res.learn.dls.valid.dataset.items))
    assert not seen & set(map(str, test)) and len(res.learn.dls.train.dataset) == 48


def test_three_images_a_label_train(digits, tmp_path, home):
    "Two labels of 3 training and 3 validation images: a batch size that fits, said in one line, and a finished run."
    d = tmp_path/'few'; put(digits, d/'train', 3); put(digits, d/'valid', 3, split='valid')
    r = run_main('train', '--data', d, '--out', tmp_path/'run', '--quiet', home=home)
    assert r.returncode == 0, r.stderr
    assert 'digitcls: note: batch size 64 is more than half of the 6 training images: using 3' in r.stderr, r.stderr
    m = json.loads((tmp_path/'run'/'metrics.json').read_text())
    assert m['valid']['n'] == 6 and 0 <= m['valid']['accuracy'] <= 1


def test_two_images_a_label_at_the_root(digits, tmp_path):
    "The smallest set that can train: 2 images of each of 2 labels; one goes to validation, no batch of one in training."
    from digitcls.train import train_digits
    d = tmp_path/'tiny'; put(digits, d, 2)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter('always')
        res = train_digits(d, epochs=1, lr=0.01, quiet=True, out=tmp_path/'run')
    assert res.learn.dls.train.bs == 2 and res.learn.dls.train.drop_last and len(res.learn.dls.valid_ds) == 1


def test_a_label_without_training_images_is_left_out_and_one_label_is_an_error(digits, tmp_path):
    d = tmp_path/'data'; put(digits, d/'train', 4); put(digits, d/'valid', 2, labels=('3', '7', '9'), split='valid')
    with pytest.warns(UserWarning, match=r'have labels with no training images \(9\)'): dls = digit_dls(d, device='cpu')
    assert dls.vocab == ['3', '7'] and len(dls.valid_ds) == 4
    e = tmp_path/'one'; put(digits, e/'train', 4, labels=('3',)); put(digits, e/'valid', 2, labels=('3', '7'), split='valid')
    with pytest.raises(DigitclsError, match=r'only one label \(3\) has training images'): digit_dls(e, device='cpu')


def test_evaluate_scores_the_test_split_and_says_so(run_dir, digits, tmp_path):
    out, _ = run_dir
    r = run_main('evaluate', '--model', out, '--data', digits, '--out', tmp_path/'ev')
    assert r.returncode == 0, r.stderr
    assert 'on the 270 images of test' in r.stdout, r.stdout
    m = json.loads((tmp_path/'ev'/'metrics.json').read_text())
    assert {'accuracy', 'macro_f1', 'per_class', 'confusion_matrix'} <= set(m) and (m['split'], m['n']) == ('test', 270)
    assert abs(m['accuracy'] - json.loads((out/'metrics.json').read_text())['test']['accuracy']) < 1e-6
    r = run_main('evaluate', '--model', out, '--data', digits, '--split', 'valid')
    assert r.returncode == 0 and 'on the 270 images of valid' in r.stdout
    r = run_main('evaluate', '--model', out, '--data', digits, '--split', 'all')
    assert r.returncode == 0 and 'on the 1797 images of all' in r.stdout
    d = tmp_path/'notest'; put(digits, d/'train', 3); put(digits, d/'valid', 3, split='valid')
    r = run_main('evaluate', '--model', out, '--data', d)
    assert r.returncode == 2 and 'has no test/ folder: choose the images with --split' in r.stderr


def put_csv(digits, d, n, test_labelled=False):
    "Kaggle's layout: images named by id in train/ and test/ (no label folders), labels in one CSV (`id,label`, ids without extension)."
    rows = []
    for split, k in (('train', n), ('test', 4)):
        for f in put(digits, d/'tmp'/split, k, split=split):
            g = d/split/f'{split}_{f.parent.name}_{f.stem}.png'; g.parent.mkdir(exist_ok=True); f.rename(g)
            if split == 'train' or test_labelled: rows.append(f'{g.stem},{f.parent.name}')
    shutil.rmtree(d/'tmp')
    (d/'labels.csv').write_text('id,label\n' + '\n'.join(rows) + '\n')


def test_labels_from_a_csv_file(digits, tmp_path, home):
    "fastai's from_csv: the CSV names each image (an id without extension here) and its label; test images it does not list are unlabelled, so there is no test set."
    d = tmp_path/'kaggle'; put_csv(digits, d, 10)
    tr, va, te, lay = splits(d, label='labels.csv')
    assert lay.kind == 'train/ + test/' and (len(tr), len(va), len(te)) == (16, 4, 8)
    with pytest.warns(UserWarning, match=r'the 8 test image\(s\) have no label in labels.csv: no test set'): dls = digit_dls(d, label='labels.csv', device='cpu')
    assert dls.vocab == ['3', '7'] and len(dls.loaders) == 2
    items, lbls, *_ = digit_split(d, 'labels.csv')
    assert [Path(o).name.split('_')[1] for o in items] == lbls   # each image gets its row's label
    r = run_main('train', '--data', d, '--label', d/'labels.csv', '--epochs', '1', '--out', tmp_path/'run', '--quiet', home=home)
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path/'run'/'run.json').read_text())['label'] == str((d/'labels.csv').resolve())
    r = run_main('evaluate', '--model', tmp_path/'run', '--data', d, '--label', 'labels.csv', home=home)   # test/ has no labels: one line
    assert r.returncode == 2 and 'lists none of the 8 image(s) here' in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = run_main('evaluate', '--model', tmp_path/'run', '--data', d, '--label', 'labels.csv', '--split', 'train', home=home)
    assert r.returncode == 0 and 'on the 20 images of train' in r.stdout, r.stdout + r.stderr
    e = tmp_path/'labelled'; put_csv(digits, e, 10, test_labelled=True)
    dls = digit_dls(e, label=str(e/'labels.csv'), device='cpu')
    assert len(dls.test.dataset) == 8 and {str(p.parent.name) for p in dls.test.dataset.items} == {'test'}
    r = run_main('train', '--data', d, '--label', 'nolabels.csv', '--epochs', '1', home=home)
    assert r.returncode == 2 and 'label file nolabels.csv does not exist' in r.stderr
