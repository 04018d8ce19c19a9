"tools/mnist_testing.py: MNIST's test images through the tone curve of a copy that has only training/, or a clear error."
import hashlib, importlib.util
from pathlib import Path
import numpy as np, pytest
from PIL import Image

spec = importlib.util.spec_from_file_location('mnist_testing', Path(__file__).parents[1]/'tools'/'mnist_testing.py')
mt = importlib.util.module_from_spec(spec); spec.loader.exec_module(mt)

def write_idx(folder, rng, n_train=40, n_test=12):
    "Small IDX files in MNIST's format, and their MD5s."
    folder.mkdir()
    data = {'train-images-idx3-ubyte': rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            'train-labels-idx1-ubyte': rng.integers(0, 10, n_train, dtype=np.uint8),
            't10k-images-idx3-ubyte': rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            't10k-labels-idx1-ubyte': rng.integers(0, 10, n_test, dtype=np.uint8)}
    for name, a in data.items(): (folder/name).write_bytes(bytes(16 if 'images' in name else 8) + a.tobytes())
    return data, {n: hashlib.md5((folder/n).read_bytes()).hexdigest() for n in data}

def write_copy(root, images, labels, curve):
    for i, (x, y) in enumerate(zip(images, labels)):
        (root/'training'/str(y)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(curve[x]).save(root/'training'/str(y)/f'{i}.png')

def test_test_images_get_the_copys_curve(tmp_path):
    data, md5 = write_idx(tmp_path/'idx', np.random.default_rng(0))
    curve = (255 - 255*(np.arange(256)/255)**0.8).round().astype(np.uint8)
    write_copy(tmp_path/'copy', data['train-images-idx3-ubyte'], data['train-labels-idx1-ubyte'], curve)
    root = mt.build(tmp_path/'idx', tmp_path/'copy', tmp_path/'out', md5=md5, say=lambda m: None)
    for i, (x, y) in enumerate(zip(data['t10k-images-idx3-ubyte'], data['t10k-labels-idx1-ubyte'])):
        assert (np.array(Image.open(root/'testing'/str(y)/f'{i}.png')) == curve[x]).all()
    assert (root/'training').resolve() == (tmp_path/'copy'/'training').resolve()
    assert not (root/'.testing-partial').exists()
    with pytest.raises(SystemExit, match='exists already'): mt.build(tmp_path/'idx', tmp_path/'copy', tmp_path/'out', md5=md5)

def test_refuses_what_is_not_mnist(tmp_path):
    data, md5 = write_idx(tmp_path/'idx', np.random.default_rng(1))
    ims, labels = data['train-images-idx3-ubyte'], data['train-labels-idx1-ubyte']
    with pytest.raises(SystemExit, match='its MD5 differs'): mt.build(tmp_path/'idx', tmp_path, tmp_path/'o1')   # MNIST's real MD5s
    with pytest.raises(SystemExit, match='train-images-idx3-ubyte does not exist; pass the folder'):
        mt.build(tmp_path, tmp_path, tmp_path/'o2', md5=md5)
    write_copy(tmp_path/'part', ims[:-1], labels[:-1], np.arange(256, dtype=np.uint8))
    with pytest.raises(SystemExit, match='has 39 of MNIST\'s 40 training images'): mt.build(tmp_path/'idx', tmp_path/'part', tmp_path/'o3', md5=md5)
    write_copy(tmp_path/'wrong', ims, (labels + 1) % 10, np.arange(256, dtype=np.uint8))
    with pytest.raises(SystemExit, match='not an MNIST copy'): mt.build(tmp_path/'idx', tmp_path/'wrong', tmp_path/'o4', md5=md5)
    Image.new('L', (32, 32)).save(tmp_path/'part'/'training'/str(labels[-1])/f'{len(ims)-1}.png')
    with pytest.raises(SystemExit, match='not a 28x28 greyscale image'): mt.build(tmp_path/'idx', tmp_path/'part', tmp_path/'o5', md5=md5)
    with pytest.raises(SystemExit, match='holds no training/ folder'): mt.build(tmp_path/'idx', tmp_path/'idx', tmp_path/'o6', md5=md5)
    assert not any((tmp_path/o/'mnist_png'/'testing').exists() for o in ('o1', 'o2', 'o3', 'o4', 'o5', 'o6'))
