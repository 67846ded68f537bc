#!/usr/bin/env python
"""Build the documentation site offline, with no Quarto: `python tools/build_docs.py [--out _site] [NOTEBOOK ...]`.

For each notebook in `nbs/`, in its own process:
  1. add nbdev's `show_doc(symbol)` cell after each exported definition, then execute the notebook in a Jupyter
     kernel that runs this interpreter (outputs are never committed), skipping the cells `nbdev_test` skips
     (the `tst_flags` of settings.ini, `#| eval: false`): every plot, player and API entry is made here;
  2. process it with the rest of nbdev's docs processors, the ones `nbdev_proc_nbs` runs (`#| hide` and
     `#| export` cells removed, title and summary from `# Title` / `> summary`, backticked names linked), and
     save it to `_proc/` (a cache keyed on the notebook, the package and the code that ran it, so an
     interrupted or repeated build resumes where it stopped);
then render every page with nbconvert's JupyterLab template and a sidebar listing all pages, with relative
links, so the site works from file:// and from `python -m http.server`. A notebook that fails still gets
its page, with the error shown; the build goes on and exits 1 at the end, naming it.
Where Quarto is installed, `nbdev_docs` renders the same notebooks with nbs/_quarto.yml and nbs/nbdev.yml.
"""
from __future__ import annotations
import argparse, hashlib, html, json, os, re, shutil, sys, tempfile, time, traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXEC_TAG = 'skip-execution'  # nbclient leaves cells with this tag unexecuted

# ---------------------------------------------------------------- finding notebooks

def find_notebooks(nbs_path:Path) -> list[Path]:
    "Every notebook nbdev documents: nbglob's rules (no `_`/`.` files or folders), index first, then by path."
    from nbdev.doclinks import nbglob
    nbs = [Path(p) for p in nbglob(nbs_path)]
    return sorted(nbs, key=lambda p: (p.relative_to(nbs_path) != Path('index.ipynb'), str(p.relative_to(nbs_path))))

def select_notebooks(all_nbs:list[Path], nbs_path:Path, names:list[str]) -> list[Path]:
    "`names` (`01_audio`, `01_audio.ipynb` or a path) plus index.ipynb; all of them when `names` is empty."
    if not names: return all_nbs
    by_key = {}
    for p in all_nbs:
        rel = p.relative_to(nbs_path)
        for k in (str(rel), str(rel.with_suffix('')), p.name, p.stem): by_key.setdefault(k, p)
    sel = [p for p in all_nbs if p.relative_to(nbs_path) == Path('index.ipynb')]
    for n in names:
        cand = Path(n)
        if cand.exists() and cand.resolve() in [q.resolve() for q in all_nbs]: p = cand.resolve()
        else: p = by_key.get(n.removeprefix('nbs/'))
        if p is None:
            avail = ', '.join(q.relative_to(nbs_path).with_suffix('').as_posix() for q in all_nbs)
            raise SystemExit(f"build_docs: no notebook called {n!r} in {nbs_path}; choose among: {avail}")
        if p not in sel: sel.append(p)
    return sel

# ---------------------------------------------------------------- executing and processing (one process per notebook)

def cache_key(nb:Path, root:Path, lib_path:Path) -> str:
    "Hash of what an executed notebook depends on: it, the package, settings.ini and the code below that runs it."
    import inspect
    h = hashlib.sha256()
    for p in [nb, root/'settings.ini', *sorted(lib_path.rglob('*.py'))]:
        if p.exists(): h.update(str(p.relative_to(root)).encode()); h.update(p.read_bytes())
    for f in (skip_reason, _kernel_env, add_show_doc_cells, execute, _restore_has_sd, nbdev_process, build_notebook): h.update(inspect.getsource(f).encode())
    return h.hexdigest()

def skip_reason(cell, flags:set[str]) -> str|None:
    "Why `nbdev_test` would not run this code cell (a test flag, `eval: false`, an `nbdev_export()` call), or None."
    from nbdev.process import extract_directives
    if cell.get('cell_type') != 'code': return None
    if 'nbdev_export' + '(' in cell.source: return 'nbdev_export'
    d = extract_directives(cell, remove=False)
    if d.get('eval:', [''])[0].lower() == 'false': return 'eval: false'
    hit = sorted(flags & d.keys())
    return hit[0] if hit else None

def _kernel_manager():
    "A kernel running this very interpreter (not whatever `python` a kernelspec names), with the repo importable."
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    spec = KernelSpec(argv=[sys.executable, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
                      display_name='Python 3 (docs build)', language='python')
    class _ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name, *args, **kwargs): return spec
    return KernelManager(kernel_name='python3', kernel_spec_manager=_ThisPython())

def _kernel_env(root:Path) -> dict:
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([str(root), *filter(None, [env.get('PYTHONPATH')])])
    env.update(IN_TEST='1',           # the same switches `nbdev_test` sets: docs show what the tests run
               TQDM_DISABLE='1',      # progress bars are noise on a static page
               MPLBACKEND='module://matplotlib_inline.backend_inline', PYDEVD_DISABLE_FILE_VALIDATION='1')
    return env

def first_line(src:str) -> str:
    "A cell's first line of code (directives skipped), to name it in messages."
    lines = [l for l in src.splitlines() if l.strip() and not l.lstrip().startswith('#|')]
    return (lines[0].strip()[:70] if lines else '')

def add_show_doc_cells(nb) -> int:
    """nbdev's `add_show_docs` on the notebook before it runs: a `show_doc(sym)` cell after each exported definition.

    `nbdev_proc_nbs` instead re-runs the exported and import cells in-process to call `show_doc`; running the calls in
    the kernel, in order, gives the same signatures and docstrings, costs no second import of the package, and does
    not stop at a cell that mixes imports with code that needs earlier cells."""
    import nbformat
    from execnb.nbio import dict2nb
    from nbdev.process import NBProcessor
    from nbdev.processors import add_show_docs
    xnb = dict2nb(json.loads(nbformat.writes(nb)))
    NBProcessor(nb=xnb, procs=[add_show_docs], rm_directives=False).process()
    old, cells = iter(nb.cells), []
    for c in xnb.cells:
        if getattr(c, 'has_sd', False): cells.append(nbformat.v4.new_code_cell(c.source, metadata={'docs_show_doc': True}))
        else: cells.append(next(old))
    n = len(cells) - len(nb.cells)
    if n: cells.insert(0, nbformat.v4.new_code_cell('#| hide\nfrom nbdev.showdoc import show_doc'))
    nb.cells = cells
    return n

def execute(nb, nb_dir:Path, root:Path, flags:set[str], timeout:int) -> list[dict]:
    "Run `nb` (nbformat) in place in a fresh kernel from `nb_dir`; returns the errors raised, one dict per cell."
    from nbclient import NotebookClient
    why = None
    for cell in nb.cells:
        # a show_doc cell is skipped with the definition it documents
        why = why if cell.metadata.get('docs_show_doc') else skip_reason(cell, flags)
        if why:
            cell.metadata.setdefault('tags', []).append(EXEC_TAG)
            if not cell.metadata.get('docs_show_doc'): cell.metadata['docs_skipped'] = why
    client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name='python3',
                            km=_kernel_manager(), resources={'metadata': {'path': str(nb_dir)}})
    client.execute(env=_kernel_env(root), cwd=str(nb_dir))
    errs = []
    for cell in nb.cells:
        if EXEC_TAG in cell.metadata.get('tags', []): cell.metadata['tags'].remove(EXEC_TAG)
        if not cell.metadata.get('tags'): cell.metadata.pop('tags', None)
        for o in cell.get('outputs', []):
            if o.get('output_type') == 'error': errs.append(dict(cell=first_line(cell.source), ename=o.ename, evalue=o.evalue))
    return errs

def _restore_has_sd(cell):
    "Mark the show_doc cells we added as nbdev's own (`mv_exports` moves `#| exports` code below them)."
    if cell.get('metadata', {}).get('docs_show_doc'): cell.has_sd = True

def nbdev_process(path:Path, nb_dir:Path) -> str|None:
    "Apply nbdev's docs processors (all but `exec_show_docs`, whose work the kernel did) to the notebook at `path`."
    from execnb.nbio import read_nb, write_nb
    from nbdev.processors import FilterDefaults, exec_show_docs
    from fastcore.xtras import working_directory
    class _Docs(FilterDefaults):
        def procs(self): return [_restore_has_sd] + [p for p in super().procs() if p is not exec_show_docs]
    nb = read_nb(path)
    with working_directory(nb_dir):
        try: _Docs()(nb)
        except Exception as e: return f"nbdev could not process this notebook, so it is shown as it ran: {e!r}"
    state = nb.metadata.get('widgets', {}).get('application/vnd.jupyter.widget-state+json', {}).get('state')
    if not state: nb.metadata.pop('widgets', None)
    write_nb(nb, path)

def cached(job:dict) -> dict|None:
    "The build record of `job['dst']` if it was built from exactly this notebook, package and build code."
    try: meta = json.loads(Path(job['dst']).read_text(encoding='utf-8'))['metadata'].get('docs_build', {})
    except (OSError, ValueError, KeyError): return None
    return dict(meta, src=job['src'], cached=True) if meta.get('key') == job['key'] else None

def build_notebook(job:dict) -> dict:
    "Execute + process one notebook into `job['dst']` (atomically)."
    import nbformat
    from fastcore.xtras import working_directory
    src, dst, root = Path(job['src']), Path(job['dst']), Path(job['root'])
    t0 = time.time()
    nb = nbformat.read(src, as_version=4)
    with working_directory(src.parent): add_show_doc_cells(nb)
    try: errors, problem = execute(nb, src.parent, root, set(job['flags']), job['timeout']), None
    except Exception as e:  # the kernel died or a cell timed out: keep what ran, show why
        errors, problem = [], f"execution stopped: {type(e).__name__}: {e}"
    tmpdir = dst.parent/f'.tmp-{os.getpid()}'  # same file name as the source: nbdev derives the page name from it
    tmpdir.mkdir(parents=True, exist_ok=True)
    tmp = tmpdir/dst.name
    nbformat.write(nb, tmp)
    t1 = time.time()
    problems = [p for p in (problem, nbdev_process(tmp, src.parent)) if p]
    meta = dict(key=job['key'], errors=errors, problems=problems, seconds=round(time.time()-t0, 1),
                exec_seconds=round(t1-t0, 1), nbdev_seconds=round(time.time()-t1, 1),
                skipped=sum('docs_skipped' in c.metadata for c in nb.cells))
    d = json.loads(tmp.read_text(encoding='utf-8'))
    d['metadata']['docs_build'] = meta
    tmp.write_text(json.dumps(d, indent=1, ensure_ascii=False, sort_keys=True) + '\n', encoding='utf-8')
    os.replace(tmp, dst)
    tmpdir.rmdir()
    return dict(meta, src=str(src), cached=False)

def run_worker(job:dict, wall:int) -> dict:
    "`build_notebook(job)` in a fresh interpreter, killed after `wall` seconds: a hung or crashed notebook can't stop the site."
    import subprocess
    with tempfile.TemporaryDirectory() as d:
        jf, rf = Path(d)/'job.json', Path(d)/'result.json'
        jf.write_text(json.dumps(job))
        try:
            p = subprocess.run([sys.executable, __file__, '--worker', str(jf), str(rf)], capture_output=True, text=True,
                               timeout=wall, env=_kernel_env(Path(job['root'])))
            if rf.exists(): return json.loads(rf.read_text())
            why = f"the build process exited with {p.returncode}:\n{(p.stderr or '')[-3000:]}"
        except subprocess.TimeoutExpired: why = f"the notebook took over {wall} s (--notebook-timeout) and was stopped"
    return placeholder(job, why)

def placeholder(job:dict, why:str) -> dict:
    "A page for a notebook that could not be built at all (it says why); the next build tries again."
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_raw_cell(f"---\ntitle: {json.dumps(Path(job['src']).stem)}\n---")]
    nb.metadata['docs_build'] = meta = dict(key=None, errors=[], problems=[why])
    Path(job['dst']).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, job['dst'])
    return dict(meta, src=job['src'], cached=False)

def _worker_main(job_file:str, result_file:str) -> int:
    job = json.loads(Path(job_file).read_text())
    try: res = build_notebook(job)
    except Exception: res = placeholder(job, traceback.format_exc())
    Path(result_file).write_text(json.dumps(res))
    return 0

# ---------------------------------------------------------------- rendering

def frontmatter(nb:dict) -> dict:
    "The YAML frontmatter nbdev puts in a raw first cell (title, description, output-file)."
    import yaml
    c = nb['cells'][0] if nb['cells'] else None
    if not c or c['cell_type'] != 'raw': return {}
    src = ''.join(c['source']).strip()
    if not src.startswith('---'): return {}
    try: return yaml.safe_load(src.strip('-\n')) or {}
    except yaml.YAMLError: return {}

_re_quarto_dir = re.compile(r'^\s*#\|\s*([\w-]+)\s*:\s*(.*?)\s*$')

def apply_cell_options(nb) -> None:
    "Quarto cell options left by nbdev (echo, output, include, code-fold) become tags nbconvert understands."
    keep = []
    for cell in nb.cells:
        if cell.cell_type == 'raw': continue  # frontmatter: shown as the page header
        if cell.cell_type != 'code': keep.append(cell); continue
        lines, opts = cell.source.splitlines(), {}
        while lines and re.match(r'^\s*#\|', lines[0]):  # directives are never shown
            m = _re_quarto_dir.match(lines.pop(0))
            if m: opts[m.group(1)] = m.group(2).strip('"\'')
        cell.source = '\n'.join(lines).strip('\n')
        tags = cell.metadata.setdefault('tags', [])
        if opts.get('include') == 'false': continue
        if opts.get('echo') == 'false' or not cell.source: tags.append('remove_input')
        if opts.get('output') == 'false': tags.append('remove_output')
        if 'code-fold' in opts: cell.metadata['docs_fold'] = dict(open=opts['code-fold'] == 'show',
                                                                 summary=opts.get('code-summary', 'Code'))
        if cell.metadata.get('docs_skipped'):
            cell.outputs = [dict(output_type='display_data', metadata={}, data={'text/html':
                f'<p class="docs-skipped">Not run in the docs build (<code>#| {html.escape(cell.metadata["docs_skipped"])}</code>).</p>'})]
        keep.append(cell)
    nb.cells = keep

def have_mathml() -> bool:
    "Math is rendered to MathML at build time when latex2mathml is installed (fully offline), else left to MathJax."
    try: import latex2mathml.converter
    except ImportError: return False
    return True

def heading_id(text_html:str) -> str:
    "Pandoc's automatic identifier (lower case, spaces to `-`, only alphanumerics and `_-.`), keeping a leading `_`."
    t = html.unescape(re.sub(r'<[^>]+>', '', text_html)).strip().lower()
    t = re.sub(r'\s+', '-', re.sub(r'[^\w\s.-]', '', t))
    return re.sub(r'^[\W\d]+', '', t) or 'section'  # nbdev links `_private` names as `#_private`

def docs_renderer(mathml:bool):
    "nbconvert's markdown renderer, with math as MathML and with inline HTML other than images left as written."
    from nbconvert.filters.markdown_mistune import IPythonRenderer
    class DocsRenderer(IPythonRenderer):
        def heading(self, text, level, **attrs):  # ids as Quarto makes them, which nbdev's doc links point to
            hid = heading_id(text)
            return (f'<h{level} id="{hid}">{text}<a class="anchor-link" href="#{hid}">{self.anchor_link_text}</a>'
                    f'</h{level}>\n')
        def inline_html(self, html):  # embedding images re-parses each tag alone, which would empty `<a ...>text</a>`
            return super().inline_html(html) if html.lstrip().lower().startswith('<img') else html
        def _mml(self, body, display):
            from latex2mathml.converter import convert
            try: return convert(body, display='block' if display else 'inline')
            except Exception: return html.escape(f"$${body}$$" if display else f"${body}$")
        if mathml:
            def block_math(self, body): return self._mml(body, True)
            def latex_environment(self, name, body): return self._mml(f"\\begin{{{name}}}{body}\\end{{{name}}}", True)
            def inline_math(self, body): return self._mml(body, False)
    return DocsRenderer

PAGE_TEMPLATE = r"""
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- if "widgets" in nb.metadata -%}{{ super() }}{%- endif -%}{%- endblock -%}
{%- block notebook_css -%}
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{ resources.docs.root }}static/jupyterlab.css">
<link rel="stylesheet" href="{{ resources.docs.root }}static/styles.css">
{%- endblock notebook_css -%}
{%- block html_head_js_mathjax -%}{%- if not resources.docs.mathml -%}{{ super() }}{%- endif -%}{%- endblock -%}
{%- block html_head_js_mermaidjs -%}{%- endblock -%}
{%- block body_header -%}
<body class="docs-body" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">
<div class="docs-layout">
<nav class="docs-sidebar" aria-label="Pages">
  <a class="docs-site-title" href="{{ resources.docs.root }}index.html">{{ resources.docs.site_title | e }}</a>
  <ul>
  {%- for p in resources.docs.pages %}
    <li{% if p.current %} class="docs-current"{% endif %}><a href="{{ p.href }}"{% if p.current %} aria-current="page"{% endif %}>{{ p.title | e }}</a></li>
  {%- endfor %}
  </ul>
</nav>
<main class="docs-main jp-Notebook">
<header class="docs-header">
  <h1 class="docs-title">{{ resources.docs.title | e }}</h1>
  {%- if resources.docs.description %}<p class="docs-description">{{ resources.docs.description | e }}</p>{% endif %}
  {%- if resources.docs.source %}<p class="docs-source">Source: <code>{{ resources.docs.source | e }}</code></p>{% endif %}
</header>
{%- for p in resources.docs.problems %}
<div class="docs-build-error" role="alert"><strong>This page's notebook did not run cleanly:</strong><pre>{{ p | e }}</pre></div>
{%- endfor %}
{%- endblock body_header -%}
{%- block input_group -%}
{%- if cell.metadata.docs_fold -%}
<details class="docs-fold"{% if cell.metadata.docs_fold.open %} open{% endif %}><summary>{{ cell.metadata.docs_fold.summary | e }}</summary>{{ super() }}</details>
{%- else -%}{{ super() }}{%- endif -%}
{%- endblock input_group -%}
{%- block body_footer -%}
<footer class="docs-footer">{{ resources.docs.footer | e }}</footer>
</main></div>
</body>
{%- endblock body_footer -%}
"""

_re_attr_link = re.compile(r'\[([^\]]*)\]\(([^)\s]*)\)\{([^}]*)\}')

def pandoc_links(md:str) -> str:
    "Pandoc's `[text](url){target=\"_blank\" style=...}` (nbdev's source links) as an HTML link mistune can keep."
    def sub(m):
        attrs = ' '.join(a for a in re.findall(r'[\w-]+="[^"]*"', m.group(3)) if not a.startswith('style='))
        return f'<a class="docs-source-link" href="{html.escape(m.group(2))}" {attrs}>{html.escape(m.group(1))}</a>'
    return _re_attr_link.sub(sub, md)

def make_exporter(mathml:bool):
    from jinja2 import DictLoader, pass_context
    from nbconvert import HTMLExporter
    from traitlets.config import Config
    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = ('remove_cell',)
    c.TagRemovePreprocessor.remove_input_tags = ('remove_input',)
    c.TagRemovePreprocessor.remove_all_outputs_tags = ('remove_output',)
    renderer = docs_renderer(mathml)
    class DocsExporter(HTMLExporter):
        @pass_context
        def markdown2html(self, context, source):
            from nbconvert.filters.markdown_mistune import MarkdownWithMath
            cell = context.get('cell', {})
            r = renderer(escape=False, attachments=cell.get('attachments', {}), embed_images=self.embed_images,
                         path=context.get('resources', {}).get('metadata', {}).get('path', ''),
                         anchor_link_text=self.anchor_link_text, exclude_anchor_links=self.exclude_anchor_links)
            source = pandoc_links(source)
            return MarkdownWithMath(renderer=r).render(source)
    return DocsExporter(config=c, template_name='lab', template_file='docs_page.html.j2',
                        extra_loaders=[DictLoader({'docs_page.html.j2': PAGE_TEMPLATE})],
                        exclude_input_prompt=True, exclude_output_prompt=True, embed_images=True)

def _rel(target:str, page:str) -> str:
    "Relative link from site page `page` to site file `target` (both relative to the site root)."
    return os.path.relpath(target, os.path.dirname(page) or '.').replace(os.sep, '/')

def fix_links(body:str, page:str, nb_pages:dict[str,str], site_url:str) -> str:
    """Links to notebooks and to the published site (nbdev's backtick links) become relative links into this site;
    in a partial build, links to pages it did not build keep pointing to the published site."""
    built = set(nb_pages.values())
    def sub(m):
        attr, url = m.group(1), html.unescape(m.group(2))
        path, frag = (url.split('#', 1) + [''])[:2]
        if site_url and path.startswith(site_url):
            path = path[len(site_url):].lstrip('/') or 'index.html'
            if path not in built: return m.group(0)
        elif re.match(r'^[a-z][\w+.-]*:|^/|^$', path): return m.group(0)
        else:
            path = os.path.normpath(os.path.join(os.path.dirname(page), path)).replace(os.sep, '/')
            if path.endswith('.ipynb'):
                from nbdev.doclinks import _nbpath2html
                path = nb_pages.get(path) or _nbpath2html(Path(path)).as_posix()
                if path not in built and site_url: return f'{attr}="{html.escape(site_url + path + (f"#{frag}" if frag else ""))}"'
        new = _rel(path, page) + (f'#{frag}' if frag else '')
        return f'{attr}="{html.escape(new)}"'
    return re.sub(r'\b(href)="([^"]*)"', sub, body)

def render_site(proc_pages:list[tuple[Path,Path]], nbs_path:Path, out:Path, cfg, mathml:bool) -> list[str]:
    "Write one HTML page per processed notebook, the sidebar, and the static files; returns the pages written."
    import nbformat
    from nbdev.doclinks import _nbpath2html
    pages = []
    for src, proc in proc_pages:
        d = json.loads(proc.read_text(encoding='utf-8'))
        fm, rel = frontmatter(d), src.relative_to(nbs_path)
        name = (rel.parent / (fm.get('output-file') or _nbpath2html(rel).name)).as_posix()  # nbdev's page names
        pages.append(dict(src=src, proc=proc, rel=rel.as_posix(), page=name, meta=d['metadata'].get('docs_build', {}),
                          title=str(fm.get('title') or rel.stem), description=str(fm.get('description') or '')))
    nb_pages = {p['rel']: p['page'] for p in pages}
    site_url = (cfg.doc_host.rstrip('/') + '/' + cfg.doc_baseurl.strip('/')).rstrip('/') + '/'
    exporter = make_exporter(mathml)
    (out/'static').mkdir(parents=True, exist_ok=True)
    lab_css = next(Path(p)/'lab'/'static'/'index.css' for p in exporter.template_paths if (Path(p)/'lab'/'static'/'index.css').exists())
    (out/'static'/'jupyterlab.css').write_text(lab_css.read_text() + '\n' + (lab_css.parent/'theme-light.css').read_text())
    shutil.copy(nbs_path/'styles.css', out/'static'/'styles.css')
    written = []
    for p in pages:
        nb = nbformat.read(p['proc'], as_version=4)
        apply_cell_options(nb)
        nb.metadata['title'] = f"{p['title']} – {cfg.title}" if p['page'] != 'index.html' else cfg.title
        problems = list(p['meta'].get('problems', [])) + [f"cell `{e['cell']}`: {e['ename']}: {e['evalue']}" for e in p['meta'].get('errors', [])]
        docs = dict(root='../' * p['page'].count('/'), site_title=cfg.title, title=p['title'],
                    description=p['description'], source=f"nbs/{p['rel']}", mathml=mathml, problems=problems,
                    footer=f"{cfg.title}: built from nbs/{p['rel']} by tools/build_docs.py",
                    pages=[dict(href=_rel(q['page'], p['page']), title=q['title'], current=q is p) for q in pages])
        body, _ = exporter.from_notebook_node(nb, resources=dict(docs=docs, metadata=dict(name=p['title'], path=str(p['src'].parent))))
        dest = out/p['page']
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f'.{dest.name}.tmp')
        tmp.write_text(fix_links(body, p['page'], nb_pages, site_url), encoding='utf-8')
        os.replace(tmp, dest)
        written.append(p['page'])
    return written

MARKER = '.build_docs'  # in every site this script writes, so it only ever replaces its own folders

def write_site(proc_pages, nbs_path:Path, out:Path, cfg, mathml:bool) -> list[str]:
    "Render into a fresh folder beside `out`, then swap it in: `out` is always a whole site, never half of one."
    if out.exists() and any(out.iterdir()) and not (out/MARKER).exists():
        raise SystemExit(f"build_docs: {out} is not empty and was not written by build_docs; choose a new folder with --out")
    tmp = out.with_name(f'.{out.name}.tmp-{os.getpid()}')
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        pages = render_site(proc_pages, nbs_path, tmp, cfg, mathml)
        (tmp/MARKER).write_text('written by tools/build_docs.py; the next build replaces this whole folder\n')
        old = out.with_name(f'.{out.name}.old-{os.getpid()}')
        if out.exists(): out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally: shutil.rmtree(tmp, ignore_errors=True)
    return pages

# ---------------------------------------------------------------- command line

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('notebooks', nargs='*', help='notebooks to build (e.g. 01_audio); index is always built; default: all')
    ap.add_argument('--out', default='_site', help='site folder (default: _site)')
    ap.add_argument('--proc', default='_proc', help='executed + processed notebooks, the resumable cache (default: _proc)')
    ap.add_argument('--jobs', '-j', type=int, default=1, help='notebooks built at once (default: 1)')
    ap.add_argument('--timeout', type=int, default=600, help='seconds one cell may run before it is stopped (default: 600)')
    ap.add_argument('--notebook-timeout', type=int, default=1800, help='seconds one notebook may take in all (default: 1800)')
    ap.add_argument('--force', action='store_true', help='re-execute every notebook, ignoring the cache')
    ap.add_argument('--no-mathml', action='store_true', help='leave math to MathJax (loaded from its CDN) even if latex2mathml is installed')
    a = ap.parse_args(argv)
    os.chdir(ROOT)
    from nbdev.config import get_config
    cfg = get_config()
    nbs_path, out, proc = Path(cfg.nbs_path), Path(a.out).resolve(), Path(a.proc).resolve()
    if not (nbs_path/'styles.css').exists(): raise SystemExit(f"build_docs: {nbs_path/'styles.css'} is missing; restore it from git")
    nbs = select_notebooks(find_notebooks(nbs_path), nbs_path, a.notebooks)
    if not nbs: raise SystemExit(f"build_docs: no notebooks found in {nbs_path}")
    flags = [f for f in re.split(r'[\s|,]+', cfg.get('tst_flags', '')) if f]
    jobs = []
    for nb in nbs:
        dst = proc/nb.relative_to(nbs_path)
        if a.force and dst.exists(): dst.unlink()
        jobs.append(dict(src=str(nb), dst=str(dst), root=str(ROOT), flags=flags, timeout=a.timeout,
                         key=cache_key(nb, ROOT, Path(cfg.lib_path))))
    t0, failed = time.time(), []
    print(f"build_docs: {len(jobs)} notebook(s) -> {proc} -> {out}", flush=True)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max(1, min(a.jobs, len(jobs)))) as pool:
        for r in pool.map(lambda j: cached(j) or run_worker(j, a.notebook_timeout), jobs):
            bad = r.get('errors') or r.get('problems')
            state = 'cached' if r.get('cached') else f"{r.get('seconds', '?')} s"
            print(f"  {'FAIL' if bad else 'ok  '} {Path(r['src']).relative_to(nbs_path)}"
                  f" ({state}{', %d cells skipped' % r['skipped'] if r.get('skipped') else ''})", flush=True)
            for e in r.get('errors', []): print(f"       cell `{e['cell']}`: {e['ename']}: {e['evalue']}", flush=True)
            for p in r.get('problems', []): print('       ' + p.strip().replace('\n', '\n       '), flush=True)
            if bad: failed.append(r['src'])
    done = [(Path(j['src']), Path(j['dst'])) for j in jobs if Path(j['dst']).exists()]
    mathml = not a.no_mathml and have_mathml()
    pages = write_site(done, nbs_path, out, cfg, mathml)
    print(f"build_docs: wrote {len(pages)} page(s) to {out} in {time.time()-t0:.0f} s"
          f"{'' if mathml else ' (math left to MathJax: pip install latex2mathml to render it offline)'}")
    if failed:
        print(f"build_docs: {len(failed)} notebook(s) did not run cleanly (their pages show the errors): "
              + ', '.join(Path(f).name for f in failed))
        return 1
    return 0

if __name__ == '__main__':
    if sys.argv[1:2] == ['--worker']: sys.exit(_worker_main(*sys.argv[2:4]))
    sys.exit(main())
