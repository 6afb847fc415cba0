"""Sphinx extension: math as MathML, written into the page when the book is built.

Browsers draw MathML themselves and screen readers read it, so a page with a formula loads no
script and no font for it (MathJax in the browser costs about 0.8 MB and ten requests per page).
MathJax's TeX input still does the conversion, at build time, in one node process per build
for every formula of the book (the `mathjax` npm package that `make` installs).
"""
import html
import json
import os
import re
import subprocess
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.locale import _
from sphinx.util.math import get_node_equation_number

from covidat import ROOT

NODE_MODULES = Path(os.environ.get("COVIDAT_NODE_MODULES", ROOT / ".venv/npm/node_modules"))

# Reads a JSON list of [tex, display] pairs on stdin, writes the list of MathML strings; an unknown
# macro is an error, not red text.
TEX_TO_MATHML = """
require(process.argv[1] + "/es5/node-main.js")
  .init({loader: {load: ["input/tex", "adaptors/liteDOM"]}, tex: {packages: {"[-]": ["noundefined"]}}})
  .then((MathJax) => {
    let input = "";
    process.stdin.on("data", (d) => input += d);
    process.stdin.on("end", () => process.stdout.write(JSON.stringify(
      JSON.parse(input).map(([tex, display]) => MathJax.tex2mml(tex, {display})))));
  })
  .catch((err) => { console.error(err.message); process.exit(1); });
"""

_cache: dict[tuple[str, bool], str] = {}


def mathjax_dir() -> Path:
    package = NODE_MODULES / "mathjax"
    if not (package / "es5" / "node-main.js").exists():
        raise ExtensionError(f"MathJax not found in {package}: run `make book` to install it.")
    return package


def to_mathml(formulas: list[tuple[str, bool]]) -> list[str]:
    """MathML for each (TeX, display) pair, converted in one node process and remembered."""
    todo = sorted({f for f in formulas if f not in _cache})
    if todo:
        done = subprocess.run(["node", "-e", TEX_TO_MATHML, str(mathjax_dir())], input=json.dumps(todo),
                              capture_output=True, text=True)
        if done.returncode:
            raise ExtensionError(f"MathJax could not convert the book's math: {done.stderr.strip()}")
        for formula, mathml in zip(todo, json.loads(done.stdout)):
            error = re.search(r'data-mjx-error="([^"]*)"', mathml)
            if error:
                raise ExtensionError(f"TeX error in {formula[0]!r}: {html.unescape(error.group(1))}")
            _cache[formula] = re.sub(r">\s+<", "><", mathml)  # its indentation is not content
    return [_cache[f] for f in formulas]


def _block_tex(node) -> str:
    """A display formula's TeX, its parts aligned and its lines split, as Sphinx's MathJax does."""
    parts = [r"\begin{split}" + part + r"\end{split}" if r"\\" in part else part
             for part in node.astext().split("\n\n") if part.strip()]
    if len(parts) > 1:
        return r"\begin{aligned}" + r"\\".join(parts) + r"\end{aligned}"
    return "".join(parts)


def _formula(node) -> tuple[str, bool]:
    return (node.astext(), False) if isinstance(node, nodes.math) else (_block_tex(node), True)


def _convert_all(app, env):
    """Convert every formula of the book in one go, once all pages are read."""
    to_mathml([_formula(node) for docname in sorted(env.found_docs)
               for node in env.get_doctree(docname).findall(lambda n: isinstance(n, (nodes.math, nodes.math_block)))])


def visit_math(self, node):
    self.body.append(self.starttag(node, "span", "", CLASS="math notranslate nohighlight"))
    self.body.append(to_mathml([_formula(node)])[0] + "</span>")
    raise nodes.SkipNode


def visit_math_block(self, node):
    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node["number"]:
        self.body.append(f'<span class="eqno">({get_node_equation_number(self, node)})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    self.body.append(to_mathml([_formula(node)])[0] + "</div>\n")
    raise nodes.SkipNode


def _configure(app, config):
    mathjax_dir()  # fail early, with a clear message, if MathJax is not installed
    config.html_math_renderer = "mathml"


def setup(app):
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_math_block, None))
    app.connect("config-inited", _configure)
    app.connect("env-updated", _convert_all)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
