"""Sphinx extension: ship the JavaScript the book needs with the site, so it works offline.

- Vega, Vega-Lite and Vega-Embed as one bundle from vl-convert, defining globals that
  `covidat.charts` renders against (no CDN request from any chart).
- MathJax 3 from the npm package installed by `make` (a small subset: one component and
  its web fonts), used through Sphinx's `mathjax_path`.
"""
import os
import shutil
from pathlib import Path

import altair as alt
import vl_convert
from sphinx.errors import ExtensionError

from covidat import ROOT

VEGA_BUNDLE = "vega/vega-bundle.js"
MATHJAX_PATH = "mathjax/tex-chtml.js"
NODE_MODULES = Path(os.environ.get("COVIDAT_NODE_MODULES", ROOT / ".venv/npm/node_modules"))


def vega_bundle() -> str:
    """Vega + Vega-Lite (the version Altair writes) + Vega-Embed, as globals."""
    vl_version = alt.SCHEMA_VERSION.rsplit(".", 1)[0]  # "v6.4.1" -> "v6.4"
    # Wrapped in a function so the bundle's top-level consts stay out of the global scope.
    return "(function(){\n" + vl_convert.javascript_bundle(vl_version=vl_version) + "\n})();\n"


def mathjax_dir() -> Path:
    es5 = NODE_MODULES / "mathjax" / "es5"
    if not (es5 / "tex-chtml.js").exists():
        raise ExtensionError(f"MathJax not found in {es5}: run `make book` to install it.")
    return es5


def _write_assets(app, exception):
    if exception or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    (static / VEGA_BUNDLE).parent.mkdir(parents=True, exist_ok=True)
    (static / VEGA_BUNDLE).write_text(vega_bundle())
    es5, target = mathjax_dir(), static / "mathjax"
    shutil.copytree(es5 / "output/chtml/fonts/woff-v2", target / "output/chtml/fonts/woff-v2",
                    dirs_exist_ok=True)
    shutil.copy2(es5 / "tex-chtml.js", target / "tex-chtml.js")


def _use_local_mathjax(app, config):
    mathjax_dir()  # fail early, with a clear message, if MathJax is not installed
    config.mathjax_path = MATHJAX_PATH


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    """Jupyter Book 1.0.4 registers sphinx-thebe's inline script twice: a page error in the browser."""
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (script.filename or "", tuple(sorted(script.attributes.items())))  # not priority
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _fix_citation_roles(app, pagename, templatename, context, doctree):
    """docutils marks the bibliography as role="list" with role="doc-biblioentry" children, which
    axe-core reports as a critical ARIA error (a list without list items) and a deprecated role."""
    body = context.get("body", "")
    context["body"] = (body.replace('<div role="list" class="citation-list">', '<div class="citation-list">')
                       .replace(' role="doc-biblioentry"', ""))


def setup(app):
    app.add_js_file(VEGA_BUNDLE)
    app.connect("html-page-context", _drop_duplicate_scripts)
    app.connect("html-page-context", _fix_citation_roles)
    app.connect("config-inited", _use_local_mathjax)
    app.connect("build-finished", _write_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
