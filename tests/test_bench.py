"""`digitcls bench` end to end on a tiny configuration (issue 19): an MNIST-shaped folder made from the embedded digits, the
fast setting, fastai's two recipes, prediction with PyTorch and ONNX."""
import json, shutil
from pathlib import Path
from conftest import run_main


def test_bench_end_to_end_on_a_tiny_mnist(digits, home, tmp_path):
    mnist = tmp_path/'mnist_png'
    for split, dest in (('train', 'training'), ('valid', 'training'), ('test', 'testing')):
        shutil.copytree(digits/split, mnist/dest, dirs_exist_ok=True)
    r = run_main('bench', '--mnist', mnist, '--fast', '--fastai-epochs', '1', '--fastbook-epochs', '3', '--max-items', '300',
                 '--n-pipeline', '200', '--json', tmp_path/'b.json', home=home)
    assert r.returncode == 0, r.stderr[-3000:]
    b = json.loads((tmp_path/'b.json').read_text())
    assert b['mnist_split'] == {'train': 300, 'valid': 152, 'test': 270, 'test_from': "MNIST's test set"}
    recipes = [m['recipe'] for m in b['mnist']]
    assert len(recipes) == 4 and 'size=16' in recipes[1] and 'fit_one_cycle(3, 0.1)' in recipes[2] and 'resnet18' in recipes[3], recipes
    assert all(0 <= m['test_accuracy'] <= 1 and m['curve'] for m in b['mnist'])
    assert len(b['mnist'][2]['curve']) == 3   # one accuracy per fastbook epoch
    if 'sooner' in b: assert b['sooner']['ours_s'] == b['mnist'][1]['seconds_to_0.990'] and b['sooner']['ratio'] > 0
    assert 'weights' in recipes[3]   # says whether fastai's resnet18 had ImageNet weights
    for k in ('torch', 'onnx'): assert b['predict'][k]['batch_img_s'] > 0 and b['predict'][k]['cold_predict_s'] > 0
    assert '2. MNIST end to end' in r.stdout and '3. Prediction' in r.stdout
