__version__ = "0.1.0"

# The public API, imported on first use so that `import digitcls` (and the CLI's start) stays light.
_api = {'train_digits': 'train', 'load_model': 'train', 'predict': 'train', 'predict_folder': 'train', 'evaluate': 'train',
        'TrainResult': 'train', 'Predictor': 'train', 'interpret': 'interpretation', 'Interpretation': 'interpretation',
        'digits_path': 'data', 'mnist_path': 'data', 'digit_dls': 'data', 'digit_block': 'data',
        'digit_learner': 'learner', 'fit_recipe': 'learner', 'find_lr': 'learner'}
__all__ = list(_api)

def __getattr__(name):
    if name in _api:
        import importlib
        return getattr(importlib.import_module(f'.{_api[name]}', __name__), name)
    raise AttributeError(f"module 'digitcls' has no attribute {name!r}")
