"""Write README.md from nbs/index.ipynb, the docs' home page: its markdown as it is, its code cells as Python blocks
(nbdev's `#|` directives left out). What `nbdev_readme` does with Quarto, without it.

    python tools/build_readme.py            # writes README.md
    python tools/build_readme.py --check    # exit 1 when README.md is not what index.ipynb gives"""
import argparse, json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def readme(nb=ROOT/'nbs'/'index.ipynb')->str:
    "The README's text from the notebook `nb`."
    parts = []
    for c in json.loads(Path(nb).read_text(encoding='utf-8'))['cells']:
        src = ''.join(c['source']).strip('\n')
        if c['cell_type'] == 'markdown': parts.append(src)
        elif c['cell_type'] == 'code':
            code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip('\n')
            if code and not any(l.strip() in ('#| hide', '#|hide') for l in src.splitlines()): parts.append(f'```python\n{code}\n```')
    return '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--check', action='store_true', help='only check that README.md is up to date')
    args = ap.parse_args()
    text, dest = readme(), ROOT/'README.md'
    if args.check: sys.exit(0 if dest.read_text(encoding='utf-8') == text else 'README.md differs from nbs/index.ipynb: run python tools/build_readme.py')
    dest.write_text(text, encoding='utf-8')
    print(f'wrote {dest}')
