"Data layer on files on disk: the embedded digits tree and DataLoaders in both layouts."
import warnings
from pathlib import Path
import numpy as np, pytest, torch
from PIL import Image
from digitcls.core import DigitclsError
from digitcls.data import digits_path, digit_dls, mnist_path
from digitcls.cache import CachedDL


def test_import_all():
    import digitcls.data as d
    assert {'digits_path', 'mnist_path', 'digit_dls', 'digit_block'} <= set(d.__all__)
    from digitcls import train_digits
    assert callable(train_digits)


def test_public_names_are_functions_even_after_submodules_load():
    import importlib, digitcls, digitcls.train   # importing the submodules sets attributes on the package
    for name in digitcls.__all__:
        obj = getattr(importlib.import_module('digitcls'), name)
        assert not isinstance(obj, type(digitcls)), f'digitcls.{name} is a module, not the API object'
    from digitcls import interpret, DigitInterpretation
    assert callable(interpret) and isinstance(DigitInterpretation, type)


def test_digits_counts_per_split_and_label(digits):
    counts = {s: {l.name: len(list(l.glob('*.png'))) for l in (digits/s).iterdir()} for s in ('train', 'valid', 'test')}
    assert sum(counts['train'].values()) == 1257 and sum(counts['valid'].values()) == 270 and sum(counts['test'].values()) == 270
    for s in counts: assert sorted(counts[s]) == [str(i) for i in range(10)]
    # stratified: every label has 26-27 test images
    assert all(26 <= n <= 28 for n in counts['test'].values()), counts['test']


def test_digits_idempotent_and_rebuilt(tmp_path):
    p = digits_path(tmp_path/'d')
    f = next((p/'train'/'5').iterdir()); mtime = f.stat().st_mtime_ns
    assert digits_path(tmp_path/'d') == p and f.stat().st_mtime_ns == mtime   # reused, not rewritten
    f.unlink()
    digits_path(tmp_path/'d')
    assert f.exists() and len(list(p.rglob('*.png'))) == 1797


def test_digits_refuses_foreign_folder(tmp_path):
    (tmp_path/'mine.txt').write_text('keep me')
    with pytest.raises(DigitclsError, match='already holds other files'): digits_path(tmp_path)
    assert (tmp_path/'mine.txt').read_text() == 'keep me'


def test_interrupted_build_leaves_nothing(tmp_path, monkeypatch):
    import digitcls.datasets as d
    calls = {'n': 0}
    orig = d._digit_image
    def boom(x):
        calls['n'] += 1
        if calls['n'] > 100: raise KeyboardInterrupt
        return orig(x)
    monkeypatch.setattr(d, '_digit_image', boom)
    with pytest.raises(KeyboardInterrupt): digits_path(tmp_path/'d')
    assert not (tmp_path/'d').exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize('layout', ['folders', 'flat'])
def test_dls_both_layouts(layout, digits, digits_flat):
    path, label = (digits, 'folder') if layout == 'folders' else (digits_flat, r'^(\d+)_\d+\.png$')
    dls = digit_dls(path, label=label, bs=16, device='cpu')
    assert dls.vocab == [str(i) for i in range(10)]
    assert (len(dls.train_ds), len(dls.valid_ds), len(dls.test.dataset)) == (1257, 270, 270)
    xb, yb = dls.one_batch()
    assert xb.shape == (16, 1, 28, 28) and xb.dtype == torch.float32 and yb.dtype == torch.int64
    assert isinstance(dls.train, CachedDL)


def test_dls_three_channels_imagenet_stats(digits):
    dls = digit_dls(digits, bs=8, size=32, n_in=3, stats='imagenet', device='cpu', augment=False)
    xb, _ = dls.valid.one_batch()
    assert xb.shape == (8, 3, 32, 32)
    # background pixels (0) normalised with ImageNet's red mean/std
    assert torch.isclose(xb[:, 0].min(), torch.tensor(-0.485/0.229), atol=1e-3)


def test_no_flips_in_augmentation(digits):
    from fastai.vision.augment import Flip, Dihedral
    from digitcls.data import DigitAffine
    dls = digit_dls(digits, bs=64, device='cpu')
    assert not any(isinstance(t, (Flip, Dihedral)) for t in dls.after_batch.fs)
    aff = [t for t in dls.after_batch.fs if isinstance(t, DigitAffine)]
    assert aff, 'augmentation expected'
    # affine matrices as drawn for training batches: never a negative determinant (a mirror)
    m = aff[0].matrices(4096)
    det = m[:, 0, 0]*m[:, 1, 1] - m[:, 0, 1]*m[:, 1, 0]
    assert (det > 0).all()


def test_regex_partial_match_warns_and_skips(tmp_path, digits_flat):
    import shutil
    shutil.copytree(digits_flat, tmp_path/'d')
    (tmp_path/'d'/'train'/'README.txt').write_text('not an image')
    Image.new('L', (28, 28)).save(tmp_path/'d'/'train'/'nolabel.png')
    with pytest.warns(UserWarning) as w:
        dls = digit_dls(tmp_path/'d', label=r'^(\d+)_\d+\.png$', bs=16, device='cpu')
    msgs = ' '.join(str(o.message) for o in w)
    assert 'nolabel.png' in msgs and 'not images' in msgs
    assert len(dls.train_ds) == 1257


def test_bad_inputs(tmp_path, digits):
    with pytest.raises(DigitclsError, match='does not exist'): digit_dls(tmp_path/'nope')
    (tmp_path/'empty').mkdir()
    with pytest.raises(DigitclsError, match='No images found under'): digit_dls(tmp_path/'empty')
    with pytest.raises(DigitclsError, match='has no group'): digit_dls(digits, label=r'\d+\.png')
    with pytest.raises(DigitclsError, match='matches none of'): digit_dls(digits, label=r'^cat_(\d+)')


def test_corrupt_image_skipped_or_strict(tmp_path, digits):
    import shutil
    shutil.copytree(digits, tmp_path/'d')
    (tmp_path/'d'/'train'/'3'/'broken.png').write_bytes(b'\x89PNG\r\n\x1a\n truncated')
    with pytest.warns(UserWarning, match='broken.png'): dls = digit_dls(tmp_path/'d', bs=16, device='cpu')
    assert len(dls.train_ds) == 1257
    with pytest.raises(DigitclsError, match='broken.png'): digit_dls(tmp_path/'d', strict=True)


def test_mnist_path_local_archive(tmp_path, digits):
    import tarfile
    arc = tmp_path/'mnist_png.tgz'
    with tarfile.open(arc, 'w:gz') as t: t.add(digits/'test', arcname='mnist_png/training')
    m = mnist_path(arc, dest=tmp_path/'data')
    assert (m/'training'/'0').is_dir()
    assert mnist_path(arc, dest=tmp_path/'data') == m


def test_decode_cache_on_disk(home, tmp_path):
    "Decoded once at the files' own size; a changed file or a damaged cache file means decoding again, never a stale tensor."
    import os, shutil
    from digitcls.cache import decode_images
    from digitcls.images import open_image
    src = digits_path()/'test'/'3'
    files = []
    for i, f in enumerate(sorted(src.glob('*.png'))[:12]):
        files.append(tmp_path/f'{i}.png'); shutil.copy(f, files[-1])
    before = set((home/'cache').glob('*.pt')) if (home/'cache').exists() else set()
    x28, _ = decode_images(files, size=28)
    new = set((home/'cache').glob('*.pt')) - before
    assert len(new) == 1
    x16, _ = decode_images(files, size=16)   # resized from that file, and kept at 16 px for the next run
    at16 = set((home/'cache').glob('*.pt')) - before - new
    assert len(at16) == 1 and torch.load(next(iter(at16)))['x'].shape == (12, 1, 16, 16)
    assert torch.equal(x16, decode_images(files, size=16, cache=False)[0])
    Image.fromarray(np.full((28, 28), 200, np.uint8)).save(files[0])   # a file changes: decoded again
    os.utime(files[0], ns=(1, 1))
    assert decode_images(files, size=16)[0][0].float().mean() > 150
    latest = set((home/'cache').glob('*.pt')) - before - new - at16
    assert sorted(torch.load(f)['x'].shape[-1] for f in latest) == [16, 28]   # at its own size and at 16 px
    damaged = next(f for f in latest if torch.load(f)['x'].shape[-1] == 28)
    damaged.write_bytes(b'damaged')     # a damaged cache file: decoded again, not an error
    x, bad = decode_images(files, size=28)
    assert not bad and torch.equal(x[0, 0], torch.from_numpy(np.asarray(open_image(files[0], 1, 28))))
    assert damaged.stat().st_size > 1000   # and written anew
