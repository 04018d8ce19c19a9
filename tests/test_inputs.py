"Issue 6: every kind of messy input ends in a clear warning or one-line error, and nothing the user had is lost."
import os, json, signal, subprocess, sys, time, shutil, warnings
from pathlib import Path
import numpy as np, pandas as pd, pytest, torch
from PIL import Image
from digitcls.core import DigitclsError
from digitcls.data import digit_dls
from digitcls.images import image_files, open_image
from digitcls.inference import load_predictor
from digitcls.train import train_digits
from conftest import DIGITCLS, run_main

cli = run_main   # the command through `main`, in this process; tests/test_cli.py runs the installed script

def one_line_error(r, msg):
    assert r.returncode == 2, (r.returncode, r.stderr)
    err = [l for l in r.stderr.strip().splitlines() if not l.startswith('digitcls: warning')]
    assert len(err) == 1 and msg in err[0] and 'Traceback' not in r.stderr, r.stderr

MODES = ['L', 'LA', 'RGB', 'RGBA', 'P', 'CMYK', 'I;16', '1']
FORMATS = {'png': 'PNG', 'jpg': 'JPEG', 'bmp': 'BMP', 'tif': 'TIFF', 'webp': 'WEBP'}

def in_mode(im:Image.Image, mode:str)->Image.Image:
    "The greyscale digit `im` in `mode`, looking the same."
    if mode == 'I;16': return Image.fromarray(np.asarray(im).astype(np.uint16)*257)
    if mode == '1': return im.point(lambda v: 255 if v > 100 else 0).convert('1', dither=Image.Dither.NONE)
    if mode == 'CMYK': return im.convert('RGB').convert('CMYK')
    if mode == 'P': return im.convert('RGB').convert('P', palette=Image.Palette.ADAPTIVE, colors=256)
    return im.convert(mode)

def write_all(im, stem, dest)->list:
    "Save `im` in every mode and format PIL can write together; return the files."
    out = []
    for mode in MODES:
        for ext, fmt in FORMATS.items():
            fn = dest/f'{stem} {mode.replace(";", "")}.{ext}'
            try:
                in_mode(im, mode).save(fn, fmt, **({'quality': 95} if fmt in ('JPEG', 'WEBP') else {}))
                stored = Image.open(fn).mode
            except (OSError, ValueError, KeyError): stored = None
            if stored == mode or (mode == 'I;16' and stored in ('I', 'I;16', 'I;16B')): out.append(fn)
            else: fn.unlink(missing_ok=True)   # the format cannot store this mode (PIL would convert it)
    return out

def test_every_mode_and_format_predicts_like_png(good_run, digits, tmp_path):
    model = load_predictor(good_run, device='cpu')
    confident = []
    for f in image_files(digits/'test'):
        lbl, p, _ = model.predict(f)
        if p > 0.9 and lbl == f.parent.name: confident.append(f)
        if len(confident) == 3: break
    assert len(confident) == 3
    for f in confident:
        files = write_all(Image.open(f).convert('L'), f'{f.parent.name}_{f.stem}', tmp_path)
        got = {Path(g).name: model.predict(g)[0] for g in files}
        assert all(v == f.parent.name for v in got.values()), (f, got)
    names = [p.name for p in tmp_path.iterdir()]
    for mode in MODES: assert any(f' {mode.replace(";", "")}.' in n for n in names), mode
    for ext in FORMATS: assert any(n.endswith('.' + ext) for n in names), ext

def test_tiny_and_non_square_images(run_dir, digits, tmp_path):
    model = load_predictor(run_dir[0], device='cpu')
    src = Image.open(image_files(digits/'test')[0])
    src.resize((1, 1)).save(tmp_path/'one.png'); src.resize((40, 20)).save(tmp_path/'wide.png')
    for n in ('one.png', 'wide.png'):
        lbl, p, probs = model.predict(tmp_path/n)
        assert lbl in model.vocab and 0 < p <= 1 and len(probs) == 10
    assert len(model.predict_folder(tmp_path)) == 2

def test_training_on_mixed_modes_formats_and_sizes(home, digits, tmp_path):
    d = tmp_path/'mixed'
    for split, n in (('train', 40), ('valid', 10)):
        for lbl in ('3', '7'):
            (d/split/lbl).mkdir(parents=True)
            for i, f in enumerate(image_files(digits/split/lbl)[:n]):
                im = Image.open(f).convert('L')
                if i % 7 == 0: im = im.resize((37, 19))          # non-square, any size
                mode, (ext, fmt) = MODES[i % len(MODES)], list(FORMATS.items())[i % len(FORMATS)]
                try: in_mode(im, mode).save(d/split/lbl/f'{i}.{ext}', fmt)
                except (OSError, ValueError, KeyError): in_mode(im, mode).save(d/split/lbl/f'{i}.tif')   # TIFF stores every mode
    Image.open(f).resize((1, 1)).save(d/'train'/'3'/'tiny.png')
    res = train_digits(d, epochs=5, bs=8, lr=0.01, quiet=True, out=tmp_path/'run')
    assert res.metrics['valid']['accuracy'] >= 0.8, res.metrics['valid']

def test_decompression_bomb_is_refused_not_decoded(run_dir, digits, tmp_path):
    Image.new('1', (12000, 12000)).save(tmp_path/'bomb.png')
    with pytest.raises(DigitclsError, match='12000x12000 pixels.*downscale it'): open_image(tmp_path/'bomb.png')
    r = cli('predict', '--model', run_dir[0], tmp_path/'bomb.png')
    one_line_error(r, 'bomb.png is 12000x12000 pixels')
    d = tmp_path/'d'; shutil.copytree(digits, d)
    shutil.copy(tmp_path/'bomb.png', d/'train'/'4'/'bomb.png')
    with pytest.warns(UserWarning, match='bomb.png'): dls = digit_dls(d, bs=16, device='cpu')
    assert len(dls.train_ds) == 1257

def test_folder_without_images_and_hidden_files(tmp_path):
    (tmp_path/'notes').mkdir(); (tmp_path/'notes'/'README.txt').write_text('x')
    with pytest.raises(DigitclsError, match='No images found under'): digit_dls(tmp_path/'notes')
    d = tmp_path/'d'
    for lbl in ('a', 'b'):
        (d/lbl).mkdir(parents=True)
        for i in range(10): Image.new('L', (28, 28), 25*i).save(d/lbl/f'{i}.png')
    (d/'.DS_Store').write_bytes(b'\0\0'); (d/'a'/'.hidden.png').write_bytes(b'x'); (d/'b'/'notes.txt').write_text('x')
    (d/'__MACOSX'/'a').mkdir(parents=True); (d/'__MACOSX'/'a'/'._0.png').write_bytes(b'\0\5\26\7')   # a zip made on a Mac
    with pytest.warns(UserWarning, match='1 file\\(s\\) under .* are not images and were ignored, e.g. .*notes.txt'): dls = digit_dls(d, device='cpu')
    assert list(dls.vocab) == ['a', 'b']
    assert len(dls.train_ds) + len(dls.valid_ds) == 20

def test_regex_matching_no_file_shows_examples(digits_flat):
    with pytest.raises(DigitclsError, match=r"matches none of \d+ file names, e.g. 0_"): digit_dls(digits_flat, label=r'^cat_(\d+)')

def test_only_one_class(tmp_path):
    (tmp_path/'d'/'a').mkdir(parents=True)
    for i in range(10): Image.new('L', (28, 28), i).save(tmp_path/'d'/'a'/f'{i}.png')
    with pytest.raises(DigitclsError, match=r'only one label \(a\).*at least two labels'): digit_dls(tmp_path/'d')

def test_label_only_in_valid_or_test_is_skipped(digits, tmp_path):
    d = tmp_path/'d'; shutil.copytree(digits, d)
    for split in ('valid', 'test'):
        (d/split/'x').mkdir()
        Image.open(image_files(d/split/'1')[0]).save(d/split/'x'/'odd.png')
    with pytest.warns(UserWarning) as w: dls = digit_dls(d, bs=16, device='cpu')
    msgs = ' '.join(str(o.message) for o in w)
    assert 'validation image(s) have labels with no training images (x)' in msgs and 'test image(s) have labels with no training images (x)' in msgs
    assert 'x' not in dls.vocab and len(dls.valid_ds) == 270 and len(dls.test.dataset) == 270

def test_images_loose_in_split_folders_are_named_as_unlabelled(digits, tmp_path):
    "Kaggle-style: label folders in train/, the test images directly in test/ (no labels): skipped, said as such."
    d = tmp_path/'d'; shutil.copytree(digits/'train', d/'train'); shutil.copytree(digits/'valid', d/'valid'); (d/'test').mkdir()
    for i, f in enumerate(image_files(digits/'test'/'1')[:3]): shutil.copy(f, d/'test'/f'{i}.png')
    shutil.copy(f, d/'valid'/'loose.png')
    with pytest.warns(UserWarning) as w: dls = digit_dls(d, bs=16, device='cpu')
    msgs = [str(o.message) for o in w]
    assert any(m.startswith('3 test image(s) sit directly in test/ with no label folder') and 'digitcls predict' in m for m in msgs), msgs
    assert any(m.startswith('1 validation image(s) sit directly in valid/ with no label folder') for m in msgs), msgs
    assert not any('labels with no training images' in m for m in msgs), msgs
    assert dls.test is None and len(dls.valid_ds) == 270

def test_spaces_and_non_ascii_labels_and_paths(home, digits, tmp_path):
    d = tmp_path/'dossier à chiffres'/'données'
    names = {'0': 'zéro', '1': 'un deux', '2': '三'}
    for split in ('train', 'valid'):
        for src, lbl in names.items():
            (d/split/lbl).mkdir(parents=True)
            for f in image_files(digits/split/src)[:30]: shutil.copy(f, d/split/lbl/f'chiffre {f.name}')
    out = tmp_path/'sortie é'
    r = cli('train', '--data', d, '--epochs', '5', '--bs', '8', '--lr', '0.01', '--out', out, '--quiet', home=home)
    assert r.returncode == 0, r.stderr
    assert sorted(load_predictor(out, device='cpu').vocab) == sorted(names.values())
    r = cli('predict', '--model', out, d/'valid', '--csv', tmp_path/'p.csv', home=home)
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(tmp_path/'p.csv', encoding='utf-8')
    assert (df.label == df.image_id.map(lambda s: Path(s).parent.name)).mean() > 0.8

def test_model_vocab_or_shape_mismatch(run_dir, digits, tmp_path):
    out, _ = run_dir
    d = tmp_path/'letters'
    for lbl in ('a', 'b'):
        (d/lbl).mkdir(parents=True); Image.new('L', (28, 28)).save(d/lbl/'0.png')
    one_line_error(cli('evaluate', '--model', out, '--data', d), "labels ['a', 'b'] under")
    bad = tmp_path/'bad'; shutil.copytree(out, bad)
    cfg = (bad/'model.json').read_text().replace('"n_in": 1', '"n_in": 3')
    (bad/'model.json').write_text(cfg)
    one_line_error(cli('predict', '--model', bad, image_files(digits/'test')[0]), 'do not belong together')
    (bad/'model.pth').unlink()
    one_line_error(cli('predict', '--model', bad, image_files(digits/'test')[0]), 'has no model.pth')
    # a bigger RGB image of a digit is converted and resized to what the model takes
    Image.open(image_files(digits/'test'/'5')[0]).convert('RGB').resize((64, 64)).save(tmp_path/'big.jpg')
    assert load_predictor(out, device='cpu').predict(tmp_path/'big.jpg')[0] in [str(i) for i in range(10)]

def test_weights_file_that_would_run_code_is_refused(run_dir, tmp_path):
    out, _ = run_dir
    bad = tmp_path/'evil'; shutil.copytree(out, bad)
    flag = tmp_path/'pwned'
    class Evil:
        def __reduce__(self): return (os.system, (f'touch {flag}',))
    torch.save({'x': Evil()}, bad/'model.pth')
    with pytest.raises(DigitclsError, match='model.pth cannot be read'): load_predictor(bad)
    assert not flag.exists()

def test_out_that_cannot_be_written(home, tmp_path):
    (tmp_path/'afile').write_text('x')
    one_line_error(cli('train', '--out', tmp_path/'afile'/'run', '--epochs', '1', home=home), 'cannot be written')
    one_line_error(cli('train', '--out', tmp_path/'afile', '--epochs', '1', home=home), 'is a file')

def test_interrupted_write_keeps_previous_file(tmp_path):
    from digitcls.core import atomic_write, save_json, load_json
    save_json({'v': 1}, tmp_path/'m.json')
    with pytest.raises(RuntimeError):
        with atomic_write(tmp_path/'m.json', 'w') as f: f.write('{"v": 2, "half'); raise RuntimeError('crash')
    assert load_json(tmp_path/'m.json') == {'v': 1}
    assert [p.name for p in tmp_path.iterdir()] == ['m.json']

def test_resume_after_a_crash(home, tmp_path):
    out = tmp_path/'run'
    p = subprocess.Popen([DIGITCLS, 'train', '--epochs', '6', '--lr', '0.01', '--patience', '0', '--out', str(out), '--quiet'],
                         env={**os.environ, 'DIGITCLS_HOME': str(home)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t0 = time.time()
    while not (out/'.work'/'checkpoint.pth').exists() and p.poll() is None and time.time() - t0 < 300: time.sleep(0.05)
    p.send_signal(signal.SIGKILL); p.wait()
    assert (out/'.work'/'checkpoint.pth').exists() and not (out/'metrics.json').exists()
    done = len(pd.read_csv(out/'history.csv')) if (out/'history.csv').exists() else 0
    assert done < 6
    opts = json.loads((out/'run.json').read_text()); del opts['cache']   # a run started before the option existed
    (out/'run.json').write_text(json.dumps(opts))
    r = cli('train', '--resume', out, '--quiet', home=home)
    assert r.returncode == 0, r.stderr
    h = pd.read_csv(out/'history.csv')
    assert list(h.epoch) == list(range(6)), h
    assert not (out/'.work').exists() and (out/'model.pth').exists()
    m = json.loads((out/'metrics.json').read_text())
    assert m['test']['accuracy'] > 0.95 and m['epochs_run'] == 6
    one_line_error(cli('train', '--resume', out, home=home), 'nothing to resume: the run finished')
    one_line_error(cli('train', '--resume', tmp_path, home=home), 'has no run.json')


def test_one_image_in_every_mode_format_and_dtype_predicts_like_its_png(run_dir, digits, tmp_path):
    "Issue 18: one decoding path; lossless files of every mode, PIL images, arrays of every dtype and tensors all give the PNG's label and probability (1e-3)."
    model = load_predictor(run_dir[0], device='cpu')
    png = sorted((digits/'test'/'6').iterdir())[0]
    g = np.asarray(Image.open(png).convert('L'))
    want_lbl, want_p, _ = model.predict(png)
    forms = {'PIL L': Image.fromarray(g), 'PIL RGB': Image.fromarray(g).convert('RGB'), 'PIL RGBA': Image.fromarray(g).convert('RGBA'),
             'PIL LA': Image.fromarray(g).convert('LA'), 'PIL P': Image.fromarray(g).convert('RGB').convert('P', palette=Image.Palette.ADAPTIVE, colors=256),
             'PIL CMYK': Image.fromarray(g).convert('RGB').convert('CMYK'), 'PIL I;16': Image.fromarray(g.astype(np.uint16)*257),
             'PIL I': Image.fromarray(g.astype(np.int32)*257, 'I'), 'PIL F [0,1]': Image.fromarray(g.astype(np.float32)/255),
             'uint8 (H, W)': g, 'uint8 (H, W, 1)': g[..., None], 'uint8 (H, W, 3)': np.stack([g]*3, -1), 'uint8 (H, W, 4) opaque': np.dstack([g]*3 + [np.full_like(g, 255)]),
             'uint16': g.astype(np.uint16)*257, 'float32 [0, 1]': g.astype(np.float32)/255, 'float64 [0, 255]': g.astype(np.float64),
             'int64': g.astype(np.int64), 'tensor uint8 (1, H, W)': torch.from_numpy(g)[None], 'tensor float (1, H, W) [0, 1]': torch.from_numpy(g).float()[None]/255,
             'tensor uint8 (3, H, W)': torch.from_numpy(g)[None].repeat(3, 1, 1)}
    for mode in ('L', 'LA', 'RGB', 'RGBA', 'I;16', 'P'):
        for ext, fmt in (('png', 'PNG'), ('bmp', 'BMP'), ('tif', 'TIFF')):
            try: in_mode(Image.fromarray(g), mode).save(tmp_path/f'{mode.replace(";", "")}.{ext}', fmt)
            except (OSError, ValueError, KeyError): continue
            forms[f'{fmt} file, {mode}'] = tmp_path/f'{mode.replace(";", "")}.{ext}'
    assert len(forms) > 30
    for name, img in forms.items():
        lbl, p, _ = model.predict(img)
        assert lbl == want_lbl and abs(p - want_p) < 1e-3, (name, lbl, p, want_lbl, want_p)
