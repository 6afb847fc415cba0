"""The built site in a real browser (Debian's chromium), with every request outside 127.0.0.1 blocked.

Every HTML page under _build/html: no request leaves the machine, no console error or warning,
every chart drew SVG marks and carries a text alternative, all math is drawn MathML, the footer shows the
build stamp, the desktop layout holds (test_site_layout.py), and axe-core finds no serious or critical accessibility violation. Also: internal links resolve, search works and the
print view hides the navigation. Layout at phone and desktop widths: test_site_layout.py.
"""
import functools
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from covidat import ROOT

from browser import AXE, LAID_OUT, PAGES, SCREENSHOTS, WIDTHS, layout_problems, visit, wait_for_charts


# Version, short commit, build date and the dataset in words (no path).
STAMP = r"Version \d+\.\d+\.\d+\S*, commit [0-9a-f]{7,}, built \d{4}-\d{2}-\d{2} from the (book's reconstructed|supplied) dataset[^/]*\."


@pytest.mark.parametrize("path", PAGES)
def test_page_works_offline(browser, server, path):
    page, problems = visit(browser, f"{server}/{path}", viewport=WIDTHS["desktop"])
    wait_for_charts(page)
    if path in LAID_OUT:  # the desktop half of test_site_layout.py, in the same visit
        problems += layout_problems(page, "desktop")
    charts = page.locator(".covidat-chart")
    for i in range(charts.count()):
        chart = charts.nth(i)
        assert chart.get_attribute("data-drawn") == "true", f"chart {i} on {path}: {chart.inner_text()}"
        chart.locator("svg .role-mark, svg [class*='mark-']").first.wait_for()
        label = (chart.get_attribute("aria-label") or "").strip()
        # Vega labels a chart without a description "Vega visualization": that describes nothing.
        assert label and label != "Vega visualization", f"chart {i} on {path} has no text alternative"
    # every formula is MathML, which the browser draws and screen readers read, and none is raw TeX
    maths = page.locator("div.math, span.math")
    assert maths.count() == page.locator("div.math > math, span.math > math").count(), f"math on {path} is not MathML"
    for i in range(maths.count()):
        box = maths.nth(i).locator("math").bounding_box()
        assert box and box["height"] > 5, f"formula {i} on {path} is not drawn: {maths.nth(i).inner_text()!r}"
    # a display formula narrower than the column sits in its middle (the theme's flex row, made for
    # MathJax, pushed MathML to the right)
    off_centre = path in LAID_OUT and page.evaluate("""() => [...document.querySelectorAll('div.math')].map(d => {
        const box = d.getBoundingClientRect(), parts = [...d.querySelector('math').children].map(c => c.getBoundingClientRect());
        const left = Math.min(...parts.map(r => r.left)) - box.left, right = box.right - Math.max(...parts.map(r => r.right));
        return left > 2 && Math.abs(left - right) > 8 ? `${d.textContent.trim().slice(0, 30)}: ${left} px left, ${right} px right` : null;
      }).filter(Boolean)""")
    assert not off_centre, f"display formulas off centre on {path}: {off_centre}"
    stamp = page.locator("footer .covidat-stamp")
    try:  # the root page redirects: let the landing page arrive
        stamp.first.wait_for(timeout=15_000)
    except PlaywrightTimeout:
        pass
    assert stamp.count() == 1 and stamp.is_visible(), f"{path} has no build stamp in its footer"
    assert re.fullmatch(STAMP, stamp.inner_text().strip()), f"{path}: build stamp reads {stamp.inner_text()!r}"
    page.add_script_tag(content=AXE.read_text())
    # preload: false stops axe re-fetching stylesheets itself (it resolves @import against the page).
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ["violations"], preload: false}))
        .violations.filter(v => ["serious", "critical"].includes(v.impact))
        .map(v => `axe ${v.impact} ${v.id}: ${v.nodes.map(n => n.target.join(" ")).join(", ")}`)""")
    page.wait_for_timeout(200)  # let late console messages arrive
    page.close()
    assert not problems + violations, "\n".join(problems + violations)


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


@functools.cache  # a page is linked to many times: parse it once
def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def test_internal_links_resolve(site):
    broken = []
    for path in PAGES:
        source = site / path
        for href in parse(source).hrefs:
            url = urlparse(href)
            if url.scheme or href.startswith(("mailto:", "javascript:")):
                continue
            target = (source.parent / unquote(url.path)).resolve() if url.path else source
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{path}: {href} (no such file)")
            elif url.fragment and target.suffix == ".html" and url.fragment not in parse(target).ids:
                broken.append(f"{path}: {href} (no such anchor)")
    assert not broken, "\n".join(broken)


def test_visit_reports_an_outside_request_and_nothing_answers_it(browser, server):
    # Bug caught: a browser that lets a page reach the network unnoticed (an offline test that proves nothing).
    page, problems = visit(browser, f"{server}/chapters/index.html")
    answered = page.evaluate("fetch('https://example.org/').then(() => true, () => false)")
    page.close()
    assert not answered
    assert "outside request: https://example.org/" in problems, problems


def test_search_finds_a_chapter_term(browser, server):
    page, problems = visit(browser, f"{server}/search.html?q=oxygenation")
    page.wait_for_function("/Search finished/.test(document.querySelector('#search-results')?.textContent)")
    hits = page.locator("#search-results ul.search li a").all_inner_texts()
    page.close()
    assert any("published results" in hit.lower() for hit in hits), hits
    assert not problems, problems


def test_print_view_hides_navigation(browser, server):
    page, problems = visit(browser, f"{server}/chapters/15_evidence.html")
    page.emulate_media(media="print")
    assert not page.locator(".bd-sidebar-primary").is_visible()
    assert page.locator(".covidat-chart svg").first.is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SCREENSHOTS / "15_evidence.pdf"))
    page.close()
    assert not problems, problems


def test_pages_were_found():
    assert len(PAGES) >= 4 and "index.html" in PAGES


def test_notebook_pages_offer_ipynb_and_markdown(site):
    notebooks = sorted((ROOT / "chapters").glob("*.ipynb"))
    assert notebooks
    for notebook in notebooks:
        hrefs = parse(site / "chapters" / f"{notebook.stem}.html").hrefs
        for suffix in (".ipynb", ".md"):
            assert f"../_sources/chapters/{notebook.stem}{suffix}" in hrefs, (notebook.name, suffix)


def test_chart_library_loads_deferred_and_only_where_charts_are(site):
    for path in PAGES:
        html = (site / path).read_text(encoding="utf-8")
        scripts = re.findall(r"<script[^>]*(?:vega-bundle|covidat-charts)\.js[^>]*>", html)
        has_chart = 'class="covidat-chart"' in html
        assert len(scripts) == (2 if has_chart else 0), (path, scripts)
        assert all("defer" in s for s in scripts), (path, scripts)


def test_search_button_name_contains_its_visible_text(site):
    # WCAG 2.5.3 (axe's label-content-name-mismatch): the search field button shows "Search Ctrl+K",
    # so its accessible name must contain that text (the icon-only button has no visible text).
    page = (site / "chapters" / "index.html").read_text(encoding="utf-8")
    buttons = re.findall(r'<button class="btn search-button-field[^>]*>', page)
    assert buttons and all('aria-label="Search Ctrl+K"' in b for b in buttons), buttons


def test_every_page_names_the_site_icon(site):
    # Bug caught: a page (the root redirect, say) without it, for which a browser asks /favicon.ico and gets a 404.
    for path in PAGES:
        icon = re.search(r'<link rel="icon" href="([^"]+)"', (site / path).read_text(encoding="utf-8"))
        assert icon and (site / path).parent.joinpath(icon[1]).resolve().is_file(), path
