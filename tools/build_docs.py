"""Build the docs site into `_docs/` without Quarto: nbdev's own notebook processing (`proc_nbs`: directives, `show_doc`
entries for everything exported), then nbconvert's HTML exporter, in one page per notebook with navigation between pages.

    python tools/build_docs.py            # -> _docs/index.html
    python tools/build_docs.py --out DIR  # elsewhere

Where Quarto is installed, `nbdev_docs` builds the full nbdev site from the same notebooks."""
from __future__ import annotations
import argparse, html, json, re, shutil
from pathlib import Path

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – {lib}</title>
<style>
body {{ margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; display: flex; }}
nav.sidebar {{ width: 230px; flex: none; padding: 1.2rem 1rem; border-right: 1px solid #d0d7de; min-height: 100vh; background: #f6f8fa; }}
nav.sidebar a {{ display: block; padding: .2rem .4rem; color: #0969da; text-decoration: none; border-radius: 4px; }}
nav.sidebar a.active {{ background: #ddf4ff; font-weight: 600; }}
nav.sidebar h2 {{ font-size: .8rem; text-transform: uppercase; color: #57606a; margin: 1.2rem 0 .3rem; }}
nav.sidebar .brand {{ font-size: 1.3rem; font-weight: 700; color: #1f2328; }}
main {{ max-width: 980px; padding: 1.5rem 2.5rem; overflow-x: auto; flex: 1; }}
.description {{ color: #57606a; font-size: 1.1rem; }}
pre {{ background: #f6f8fa; padding: .7rem; border-radius: 6px; overflow-x: auto; font-size: 14px; }}
.jp-OutputArea-output pre {{ background: #fff; border-left: 3px solid #d0d7de; }}
table {{ border-collapse: collapse; margin: .8rem 0; }} td, th {{ border: 1px solid #d0d7de; padding: .25rem .6rem; }}
img {{ max-width: 100%; }}
.jp-InputPrompt, .jp-OutputPrompt {{ display: none; }}
footer.pager {{ display: flex; justify-content: space-between; margin-top: 3rem; border-top: 1px solid #d0d7de; padding-top: 1rem; }}
{pygments}
</style></head>
<body>
<nav class="sidebar" id="nav"><a class="brand" href="{root}index.html">{lib}</a>
{nav}
</nav>
<main><h1 class="title">{title}</h1>{description}
{body}
<footer class="pager">{prev}{next}</footer>
</main></body></html>
"""

def page_name(nb:Path, nbs:Path)->str:
    "nbdev's naming: `00_core.ipynb` -> `core.html`, in the notebook's sub-folder."
    rel = nb.relative_to(nbs)
    return str(rel.parent/(re.sub(r'^\d+[a-z]?_', '', rel.stem) + '.html')).lstrip('./') if rel.parent != Path('.') else re.sub(r'^\d+[a-z]?_', '', rel.stem) + '.html'

def front_matter(nb:dict)->dict:
    "Title and description: from the YAML front matter nbdev writes, else the first `# title` / `> description` cell."
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'raw' and src.startswith('---'):   # YAML (nbdev's yaml.dump folds long values over several lines)
            import yaml
            m = re.match(r'^---\s*\n(.*?)\n---', src, re.S)
            meta = (yaml.safe_load(m.group(1)) if m else None) or {}
            return {k: str(v) for k, v in meta.items()}
        if c['cell_type'] == 'markdown':
            m = re.match(r'#\s+(.+?)\n(?:\s*>\s*(.+))?', src + '\n')
            if m: return {'title': m.group(1), 'description': m.group(2) or ''}
    return {}

def drop_front_matter(nb:dict)->dict:
    cells = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'raw' and src.startswith('---'): continue
        cells.append(c)
    nb['cells'] = cells
    return nb

_QUARTO_ATTRS = re.compile(r'\{(?:target|style|\.)[^{}\n]*\}')

def apply_directives(nb:dict)->dict:
    "Quarto's cell options, done with nbconvert's tags: `echo: false` hides the code, `output: false` the output, `include: false` both; `#|` lines are not shown."
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown':
            c['source'] = _QUARTO_ATTRS.sub('', src); continue
        if c['cell_type'] != 'code': continue
        opts = dict(re.findall(r'^#\|\s*([\w-]+):\s*(\S+)', src, re.M))
        tags = set(c.get('metadata', {}).get('tags', []))
        if opts.get('echo') == 'false': tags.add('remove_input')
        if opts.get('output') == 'false': tags.add('remove_output')
        if opts.get('include') == 'false': tags.add('remove_cell')
        c.setdefault('metadata', {})['tags'] = sorted(tags)
        c['source'] = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip('\n')
        if not c['source'] and not c.get('outputs'): c['metadata']['tags'] = sorted(tags | {'remove_cell'})
        for o in c.get('outputs', []):
            md = o.get('data', {}).get('text/markdown')
            if md is not None: o['data']['text/markdown'] = _QUARTO_ATTRS.sub('', ''.join(md))
    return nb

def build(out='_docs', nbs=None)->Path:
    from nbdev.config import get_config
    from nbdev.serve import proc_nbs
    import nbformat
    from nbconvert import HTMLExporter
    from pygments.formatters import HtmlFormatter
    cfg = get_config()
    nbs = Path(nbs or cfg.nbs_path)
    proc = proc_nbs(nbs, n_workers=0, force=True)          # nbdev: run show_doc, apply directives (#| hide, echo...)
    out = Path(out)
    shutil.rmtree(out, ignore_errors=True); out.mkdir(parents=True)
    notebooks = sorted(p for p in proc.rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)
    order = lambda p: (p.stem != 'index', p.relative_to(proc).parent.name != 'tutorials', not re.match(r'^\d', p.stem), str(p))
    notebooks.sort(key=order)
    pages = []
    for p in notebooks:
        nb = json.loads(p.read_text(encoding='utf-8'))
        fm = front_matter(nb)
        rel = p.relative_to(proc)
        group = ('Tutorials' if rel.parent.name == 'tutorials' else '' if p.stem == 'index' else
                 'API' if re.match(r'^\d+[a-z]?_', p.stem) else 'Guides')
        pages.append({'nb': p, 'html': page_name(p, proc), 'title': fm.get('title', p.stem), 'description': fm.get('description', ''),
                      'group': group})
    from traitlets.config import Config
    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = ('remove_cell',)
    c.TagRemovePreprocessor.remove_input_tags = ('remove_input',)
    c.TagRemovePreprocessor.remove_all_outputs_tags = ('remove_output',)
    exporter = HTMLExporter(template_name='basic', config=c)
    exporter.exclude_input_prompt = exporter.exclude_output_prompt = True
    pyg = HtmlFormatter().get_style_defs('.highlight')
    for i, pg in enumerate(pages):
        depth = pg['html'].count('/')
        root = '../'*depth
        nav = []
        for group in ('', 'Tutorials', 'Guides', 'API'):
            items = [q for q in pages if q['group'] == group]
            if not items: continue
            if group: nav.append(f'<h2>{group}</h2>')
            for q in items:
                cls = ' class="active"' if q is pg else ''
                nav.append(f'<a{cls} href="{root}{q["html"]}">{html.escape(q["title"])}</a>')
        nb = nbformat.reads(json.dumps(apply_directives(drop_front_matter(json.loads(pg['nb'].read_text(encoding='utf-8'))))), as_version=4)
        body, _ = exporter.from_notebook_node(nb)
        prev = f'<a href="{root}{pages[i-1]["html"]}">← {html.escape(pages[i-1]["title"])}</a>' if i else '<span></span>'
        nxt = f'<a href="{root}{pages[i+1]["html"]}">{html.escape(pages[i+1]["title"])} →</a>' if i + 1 < len(pages) else '<span></span>'
        desc = re.sub(r'`([^`]+)`', r'<code>\1</code>', html.escape(pg['description']))
        desc = f'<p class="description">{desc}</p>' if desc else ''
        dest = out/pg['html']; dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(PAGE.format(title=html.escape(pg['title']), lib=cfg.lib_name, pygments=pyg, root=root, nav='\n'.join(nav),
                                    description=desc, body=body, prev=prev, next=nxt), encoding='utf-8')
    (out/'.nojekyll').touch()
    return out/'index.html'

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default='_docs', help='output folder (default: _docs)')
    args = ap.parse_args()
    print(f'docs written to {build(args.out)}')
