"""The notebooks as sources: README.md is generated from nbs/index.ipynb, and stored outputs show no paths of the machine
they ran on (issue 19)."""
import json, re, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT/'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)
MACHINE = re.compile(r'/root/|/home/\w|\.venv|site-packages|/work/|/Users/|C:\\\\Users')


def test_readme_is_generated_from_index():
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'build_readme.py'), '--check'], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize('nb', NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT/'nbs')))
def test_stored_outputs_show_no_machine_paths(nb):
    cells = json.loads(nb.read_text(encoding='utf-8'))['cells']
    for i, c in enumerate(cells):
        for o in c.get('outputs', []):
            text = ''.join(o.get('text', '')) + ''.join(''.join(v) for k, v in o.get('data', {}).items() if k.startswith('text/'))
            m = MACHINE.search(text)
            assert m is None, f'cell {i} of {nb.name} shows {text[max(0, m.start() - 60):m.end() + 60]!r}'
