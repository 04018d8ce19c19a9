__version__ = "0.1.0"

# The public API, imported on first use so that `import digitcls` (and the CLI's start) stays light.
_api = {'train_digits': 'train', 'TrainResult': 'train', 'TrainOptions': 'options',
        'load_predictor': 'inference', 'save_predictor': 'inference', 'predict': 'inference', 'predict_folder': 'inference',
        'evaluate': 'inference', 'Predictor': 'inference', 'export_onnx': 'export', 'demo_app': 'serve',
        'interpret': 'interpretation', 'DigitInterpretation': 'interpretation',
        'digits_path': 'datasets', 'mnist_path': 'datasets', 'digit_dls': 'data', 'digit_block': 'data', 'find_layout': 'data',
        'image_array': 'images', 'digit_learner': 'learner', 'fit_recipe': 'learner', 'find_lr': 'learner'}
__all__ = list(_api)

def __getattr__(name):
    if name in _api:
        import importlib
        return getattr(importlib.import_module(f'.{_api[name]}', __name__), name)
    raise AttributeError(f"module 'digitcls' has no attribute {name!r}")
