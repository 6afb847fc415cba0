"""Sphinx extension: ship the JavaScript the book needs with the site, so it works offline.

- Vega, Vega-Lite and Vega-Embed as one bundle from vl-convert, defining globals that
  `covidat.book.charts` renders against (no CDN request from any chart).
- MathJax 3 from the npm package installed by `make`: its loader, TeX input, HTML output and
  the hidden MathML that screen readers read (not the 0.4 MB context menu), with web fonts.

- Font Awesome icons as CSS and web fonts (npm), instead of the theme's 1.5 MB script that
  swaps every icon for an SVG (templates/static/webpack-macros.html leaves it out); the
  theme's icons are Font Awesome 6 classes either way.

- A small stylesheet that makes every chart span its column and shrink with it on a phone.
- templates/search-button-field.html: the theme's search button, named "Search Ctrl+K" as it reads.

It also offers every notebook for download as MyST markdown (a text notebook that jupytext and
myst-nb open), beside the .ipynb, and mends two markup faults of the stack (see below).
"""
import os
import shutil
from pathlib import Path

import altair as alt
import jupytext
import vl_convert
from sphinx.errors import ExtensionError

from covidat import ROOT

VEGA_BUNDLE = "vega/vega-bundle.js"
MATHJAX_PATH = "mathjax/startup.js"
MATHJAX_COMPONENTS = ["input/tex", "output/chtml", "a11y/assistive-mml"]
MATHJAX_FILES = ["startup.js", "core.js", "input/tex.js", "input/tex/extensions", "output/chtml.js",
                 "output/chtml/fonts/tex.js", "output/chtml/fonts/woff-v2", "a11y/assistive-mml.js"]
FONTAWESOME_CSS = "fontawesome/css/all.min.css"
BOOK_CSS = "covidat.css"
# A chart's box spans its column (vega-embed makes it an inline-block, which would give a chart
# with width "container" no width at all), and a chart drawn wider than the column (a fixed-width
# chart on a phone) scales down with it: Vega's SVG has a viewBox, so it shrinks instead of being cut.
# covidat.book.tables' cells get room between columns (pandas' HTML carries no theme table class).
BOOK_RULES = (".covidat-chart { display: block; width: 100%; }\n"
              ".covidat-chart svg { max-width: 100%; height: auto; }\n"
              ".covidat-table th, .covidat-table td { padding: 0.25em 0.6em; vertical-align: top; }\n"
              ".covidat-table thead th { border-bottom: 1px solid #999; text-align: left; }\n")
NODE_MODULES = Path(os.environ.get("COVIDAT_NODE_MODULES", ROOT / ".venv/npm/node_modules"))


def _parent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _copy(source: Path, target: Path) -> None:
    """Copy a file or a whole folder into the site."""
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copy2(source, _parent(target))


def vega_bundle() -> str:
    """Vega + Vega-Lite (the version Altair writes) + Vega-Embed, as globals."""
    vl_version = alt.SCHEMA_VERSION.rsplit(".", 1)[0]  # "v6.4.1" -> "v6.4"
    # Wrapped in a function so the bundle's top-level consts stay out of the global scope.
    return "(function(){\n" + vl_convert.javascript_bundle(vl_version=vl_version) + "\n})();\n"


def mathjax_dir() -> Path:
    es5 = NODE_MODULES / "mathjax" / "es5"
    if not (es5 / "startup.js").exists():
        raise ExtensionError(f"MathJax not found in {es5}: run `make book` to install it.")
    return es5


def _write_assets(app, exception):
    if exception or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    _parent(static / VEGA_BUNDLE).write_text(vega_bundle())
    (static / BOOK_CSS).write_text(BOOK_RULES)
    for name in ("css/all.min.css", "webfonts"):
        _copy(NODE_MODULES / "@fortawesome/fontawesome-free" / name, static / "fontawesome" / name)
    for name in MATHJAX_FILES:
        _copy(mathjax_dir() / name, static / "mathjax" / name)


def _write_markdown_notebooks(app, exception):
    if exception or app.builder.format != "html":
        return
    for docname in app.env.found_docs:
        source = Path(app.env.doc2path(docname))
        if source.suffix == ".ipynb":
            target = Path(app.outdir) / "_sources" / f"{docname}.md"
            target.parent.mkdir(parents=True, exist_ok=True)
            jupytext.write(jupytext.read(source), target, fmt="md:myst")


def _offer_markdown_download(app, pagename, templatename, context, doctree):
    if context.get("page_source_suffix") != ".ipynb":
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].insert(1, {
                "type": "link", "url": f"{context['pathto']('_sources', 1)}/{pagename}.md", "text": ".md",
                "tooltip": "Download as MyST markdown", "icon": "fas fa-file-lines",
                "label": "download-myst-button"})


def _configure(app, config):
    mathjax_dir()  # fail early, with a clear message, if MathJax is not installed
    config.mathjax_path = MATHJAX_PATH
    config.mathjax3_config = {**(config.mathjax3_config or {}), "loader": {"load": MATHJAX_COMPONENTS}}
    config.templates_path.insert(0, str(Path(__file__).parent / "templates"))


def _tidy_scripts(app, pagename, templatename, context, doctree):
    """Leave out what a page does not use: Thebe (live code cells, registered by Jupyter Book but
    not enabled here: its inline script, registered twice, is also a page error), sphinx-design
    on pages without its markup, and scripts registered more than once."""
    def thebe(asset):
        return "thebe" in str(asset.filename or "") or "THEBE_JS_URL" in asset.attributes.get("body", "")

    unused = [thebe]
    if 'class="sd-' not in context.get("body", ""):  # no sphinx-design tabs, cards or grids here
        design = ("sphinx-design.min.css", "design-tabs.js")
        unused.append(lambda asset: str(asset.filename or "").endswith(design))
    seen, kept = set(), []
    for script in context.get("script_files", []):
        key = (script.filename or "", tuple(sorted(script.attributes.items())))  # not priority
        if key not in seen and not any(test(script) for test in unused):
            kept.append(script)
        seen.add(key)
    context["script_files"] = kept
    context["css_files"] = [css for css in context.get("css_files", []) if not any(test(css) for test in unused)]


def _fix_aria(app, pagename, templatename, context, doctree):
    """docutils marks the bibliography as role="list" with role="doc-biblioentry" children, which
    axe-core reports as a critical ARIA error (a list without list items) and a deprecated role;
    myst-nb names a hidden code cell's toggle "Toggle hidden content" while it shows "Show code
    cell source" (axe: label-content-name-mismatch): let the visible text be its name; a code block
    wider than a phone scrolls, and a scrolling region must be reachable by keyboard
    (axe: scrollable-region-focusable)."""
    body = context.get("body", "")
    context["body"] = (body.replace('<div role="list" class="citation-list">', '<div class="citation-list">')
                       .replace(' role="doc-biblioentry"', "")
                       .replace('<summary aria-label="Toggle hidden content">', "<summary>")
                       .replace("<pre>", '<pre tabindex="0">'))


def setup(app):
    app.add_js_file(VEGA_BUNDLE)
    app.add_css_file(FONTAWESOME_CSS)
    app.add_css_file(BOOK_CSS)
    app.connect("html-page-context", _tidy_scripts)
    app.connect("html-page-context", _fix_aria)
    app.connect("config-inited", _configure)
    app.connect("build-finished", _write_assets)
    app.connect("build-finished", _write_markdown_notebooks)
    app.connect("html-page-context", _offer_markdown_download, priority=600)  # after the theme's buttons
    return {"parallel_read_safe": True, "parallel_write_safe": True}
