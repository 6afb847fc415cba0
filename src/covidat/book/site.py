"""Sphinx extension: ship the JavaScript the book needs with the site, so it works offline.

- Vega, Vega-Lite and Vega-Embed as one bundle from vl-convert, defining globals that
  `covidat.book.charts` renders against (no CDN request from any chart), and assets/covidat-charts.js,
  which draws each chart narrowed to its column; both deferred, and only on pages with a chart.
  (A bundle without Vega-Embed would be 0.27 MB lighter, but vl-convert 1.9 then leaves the
  `vegaLite` global null.)
- Math as MathML written at build time (covidat.book.mathml): no script for it in the browser.
- Font Awesome icons as CSS and web fonts (npm), instead of the theme's 1.5 MB script that
  swaps every icon for an SVG (templates/static/webpack-macros.html leaves it out); the
  theme's icons are Font Awesome 6 classes either way.
- The stylesheets of Font Awesome, the theme, myst-nb, Sphinx and Pygments keep only the rules that
  can match the site's markup, and Font Awesome's fonts only the glyphs of the icons left.
- templates/layout.html leaves out the search index and Sphinx's search scripts (0.1 MB, loaded
  before the page could paint) on every page but the search page, as search-as-you-type is off.

- assets/covidat.css and covidat-tables.js: charts span their column; tables wrap to fit it, and a
  table still too wide (on a phone) scrolls in its own box with a cue and its first column in view.
- Chart specs too large to inline move to deferred scripts of their own in _static/charts/.
- A build stamp in every page's footer: version, commit, build date and the dataset, in words.
- templates/search-button-field.html: the theme's search button, named "Search Ctrl+K" as it reads.
- assets/favicon.svg: the site's icon (two bars, the trial's two arms), on every page and on the
  root page's redirect.

It also offers every notebook for download as MyST markdown (a text notebook that jupytext and
myst-nb open), beside the .ipynb, and mends two markup faults of the stack (see below).
"""
import datetime
import io
import json
import logging
import re
import shutil
import subprocess
import tomllib
from html import escape
from pathlib import Path

import altair as alt
import jupytext
import vl_convert
from fontTools import subset
from fontTools.ttLib import TTFont

from covidat import ROOT
from covidat.book import notice
from covidat.book.mathml import NODE_MODULES
from covidat.data import load_dataset

VEGA_BUNDLE = "vega/vega-bundle.js"
FONTAWESOME_CSS = "fontawesome/css/all.min.css"
ASSETS = Path(__file__).parent / "assets"
BOOK_CSS = "covidat.css"
FAVICON = "favicon.svg"  # two bars: the trial's two arms
CHART_JS = "covidat-charts.js"
TABLE_JS = "covidat-tables.js"
CHART_SCRIPTS = (VEGA_BUNDLE, CHART_JS)  # left out of pages without a chart


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


# Stylesheets that hold up the first paint of every page and are mostly rules for markup the site
# never has: Font Awesome's (a rule for each of 1,900 icons), the theme's (the same icons again, and
# every Bootstrap component), myst-nb's (widgets, every output type) and Sphinx's and Pygments'; all
# keep only the rules that can match.
PURGED_CSS = (FONTAWESOME_CSS, "styles/pydata-sphinx-theme.css", "styles/sphinx-book-theme.css", "mystnb.*.css",
              "basic.css", "pygments.css")
PRIVATE_USE = re.compile("[\ue000-\uf8ff]")  # where icon fonts keep their glyphs
INNERMOST_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def site_words(site: Path) -> set[str]:
    """Every word in the site's pages and scripts: the class names the site can ever use."""
    files = [*site.rglob("*.html"), *(site / "_static").rglob("*.js")]
    return {word for f in files if f.name != "fontawesome.js"  # the theme's icon script (not loaded) names every icon
            for word in re.findall(r"[\w-]+", f.read_text(encoding="utf-8"))}


def purged_css(css: str, words: set[str]) -> str:
    """`css` without the rules none of whose selectors can match: each names a class not in `words`.
    At-rules (media queries, fonts, keyframes) stay; rules inside them are judged alike."""
    def live(selector):
        selector = re.sub(r"/\*.*?\*/|\[[^\]]*\]|\"[^\"]*\"", "", selector, flags=re.S)  # comments and values hold dots
        return all(name in words for name in re.findall(r"\.(-?[_a-zA-Z][\w-]*)", selector))

    def keep(rule):
        selectors, depth, start = [], 0, 0
        text = rule.group(1)
        for i, char in enumerate(text + ","):  # commas inside :is(...) or :not(...) do not split
            depth += {"(": 1, ")": -1}.get(char, 0)
            if char == "," and depth == 0:
                selectors.append(text[start:i])
                start = i + 1
        if text.lstrip().startswith("@") or any(map(live, selectors)):
            return rule.group(0)
        return "".join(re.findall(r"/\*!.*?\*/", text, re.S))  # a dropped rule keeps the licence before it

    return INNERMOST_RULE.sub(keep, css)


def glyphs_only(woff2: bytes, codepoints: set[int]) -> bytes:
    """A WOFF2 font with only the glyphs of `codepoints` (Font Awesome's solid font: 158 kB for 1,400 icons)."""
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # not a line per table it prunes
    options = subset.Options(flavor="woff2")
    font = TTFont(io.BytesIO(woff2))
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return out.getvalue()


def _write_assets(app, exception):
    if exception or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    _parent(static / VEGA_BUNDLE).write_text(vega_bundle())
    for name in (BOOK_CSS, CHART_JS, TABLE_JS):
        _copy(ASSETS / name, static / name)
    for name in ("css/all.min.css", "webfonts"):
        _copy(NODE_MODULES / "@fortawesome/fontawesome-free" / name, static / "fontawesome" / name)
    words = site_words(Path(app.outdir))
    sheets = [sheet for pattern in PURGED_CSS for sheet in static.glob(pattern)]
    for sheet in sheets:
        sheet.write_text(purged_css(sheet.read_text(encoding="utf-8"), words), encoding="utf-8")
    # every icon the stylesheets left can draw, escaped (`--fa:"\f0c9"`) or not (the theme's `--pst-icon-…`)
    css = "".join(sheet.read_text(encoding="utf-8") for sheet in sheets)
    icons = ({int(code, 16) for code in re.findall(r'"\\([0-9a-f]{2,5})"', css)}
             | set(map(ord, re.findall(PRIVATE_USE, css))))
    for font in (static / "fontawesome/webfonts").glob("*.woff2"):
        font.write_bytes(glyphs_only(font.read_bytes(), icons))


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


# Where a public repository is set (`repository.url` in _config.yml), readers get a button to it
# and launch buttons that open a chapter as a live notebook.
LAUNCH_BUTTONS = {"notebook_interface": "jupyterlab", "binderhub_url": "https://mybinder.org"}


# Every chart spec is written without the spaces JSON allows (a tenth of its size); one still larger
# than this leaves the page's HTML for a deferred script of its own, so the page paints before the
# chart's data arrive (a script, not a fetch: it also works from file://).
INLINE_SPEC_LIMIT = 30_000
QUEUED_CHART = re.compile(r'\(window\.covidatCharts = window\.covidatCharts \|\| \[\]\)\.push\(\["(covidat-chart-[0-9a-f]+)", '
                          r'(.*?)\]\);\nif \(window\.covidatDraw\) window\.covidatDraw\(\);', re.S)


def _move_large_specs(app, pagename, templatename, context, doctree):
    def move(match):
        chart_id, spec = match.groups()
        spec = json.dumps(json.loads(spec), separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
        queued = match.group(0).replace(match.group(2), spec)
        if len(spec) <= INLINE_SPEC_LIMIT:
            return queued
        target = Path(app.outdir) / "_static" / "charts" / f"{chart_id}.js"
        _parent(target).write_text(queued + "\n")
        return f'</script><script defer src="{context["pathto"](f"_static/charts/{chart_id}.js", 1)}">'
    context["body"] = QUEUED_CHART.sub(move, context.get("body", ""))


def _configure(app, config):
    options = config.html_theme_options
    if options.get("repository_url"):
        options.update(use_repository_button=True, use_issues_button=True,
                       launch_buttons={**options.get("launch_buttons", {}), **LAUNCH_BUTTONS})
    config.templates_path.insert(0, str(Path(__file__).parent / "templates"))
    config.html_favicon = str(ASSETS / FAVICON)  # else every browser asks for /favicon.ico and gets a 404
    # `{{ patients }}` in a caption of a chart drawn from patients says whose patients, in words.
    config.myst_substitutions = {**(config.myst_substitutions or {}),
                                 "patients": notice.caption_words(load_dataset())}


def _tidy_scripts(app, pagename, templatename, context, doctree):
    """Leave out what a page does not use: Thebe (live code cells, registered by Jupyter Book but
    not enabled here: its inline script, registered twice, is also a page error), sphinx-design
    on pages without its markup, and scripts registered more than once."""
    def thebe(asset):
        return "thebe" in str(asset.filename or "") or "THEBE_JS_URL" in asset.attributes.get("body", "")

    unused = [thebe]
    if 'class="covidat-chart"' not in context.get("body", ""):
        unused.append(lambda asset: str(asset.filename or "").endswith(CHART_SCRIPTS))
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


def build_stamp(dataset) -> str:
    """The footer line that says which build a reader is looking at: the book's version, the
    commit it was built from, the build date (UTC) and the dataset, in words."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "none (not built from a git checkout)"
    built = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    return (f'<p class="covidat-stamp">Version {escape(version)}, commit <code>{escape(commit)}</code>, '
            f"built {built} from {escape(notice.dataset_in_words(dataset))}.</p>")


def _stamp_footer(app, pagename, templatename, context, doctree):
    if not hasattr(app, "covidat_stamp"):
        app.covidat_stamp = build_stamp(getattr(app, "covidat_dataset", None) or load_dataset())
    context["theme_extra_footer"] = app.covidat_stamp


def _write_root_redirect(app, exception):
    """The site's root page: a redirect to the book's first page, as sphinx-external-toc would write
    it (it leaves an existing one alone), with a title and the site's icon, so that no browser asks for
    /favicon.ico there and gets a 404."""
    index = Path(app.outdir) / "index.html"
    if exception or app.builder.format != "html" or app.config.root_doc == "index" or index.exists():
        return
    target, title = app.builder.get_target_uri(app.config.root_doc), escape(app.config.html_title)
    index.write_text(f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8" />\n<title>{title}</title>\n'
                     f'<link rel="icon" href="_static/{FAVICON}" />\n'
                     f'<meta http-equiv="Refresh" content="0; url={target}" />\n</head>\n'
                     f'<body><p><a href="{target}">{title}</a></p></body>\n</html>\n', encoding="utf-8")


def setup(app):
    app.setup_extension("covidat.book.mathml")
    app.add_js_file(VEGA_BUNDLE, loading_method="defer")
    app.add_js_file(CHART_JS, loading_method="defer")
    app.add_js_file(TABLE_JS, loading_method="defer")
    app.add_css_file(FONTAWESOME_CSS)
    app.add_css_file(BOOK_CSS)
    app.connect("html-page-context", _tidy_scripts)
    app.connect("html-page-context", _fix_aria)
    app.connect("html-page-context", _stamp_footer)
    app.connect("html-page-context", _move_large_specs)
    app.connect("config-inited", _configure)
    app.connect("build-finished", _write_assets, priority=900)  # after the theme rewrites pygments.css
    app.connect("build-finished", _write_markdown_notebooks)
    app.connect("build-finished", _write_root_redirect, priority=400)  # before sphinx-external-toc's
    app.connect("html-page-context", _offer_markdown_download, priority=600)  # after the theme's buttons
    return {"parallel_read_safe": True, "parallel_write_safe": True}
