"""The built site in a real browser (Debian's chromium), with every request outside 127.0.0.1 blocked.

Every HTML page under _build/html: no request leaves the machine, no console error or warning,
every chart drew SVG marks and carries a text alternative, all math rendered, and axe-core finds
no serious or critical accessibility violation. Every chart fits its column at phone and desktop
widths. Also: internal links resolve, search works, the
print view hides the navigation, and screenshots at phone and desktop widths are saved for review.
"""
import functools
import re
import http.server
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from covidat import ROOT

HTML = ROOT / "_build" / "html"
SKIP = {"_static", "_sources", "_downloads", "_images"}
PAGES = sorted(str(p.relative_to(HTML)) for p in HTML.rglob("*.html")
               if not SKIP & set(p.relative_to(HTML).parts)) or ["index.html"]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / ".venv" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "_build" / "screenshots"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def visit(browser, url, viewport=None):
    """Open a page with outside requests blocked; return the page and what went wrong."""
    problems = []
    page = browser.new_page(viewport=dict(zip(("width", "height"), viewport)) if viewport else None)

    def route(r):
        if urlparse(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            problems.append(f"outside request: {r.request.url}")
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(f"console {m.type}: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")  # the root page redirects to the landing page
    return page, problems


@pytest.mark.parametrize("path", PAGES)
def test_page_works_offline(browser, server, path):
    page, problems = visit(browser, f"{server}/{path}")
    charts = page.locator(".covidat-chart")
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.locator("svg .role-mark, svg [class*='mark-']").first.wait_for(timeout=15000)
        label = (chart.get_attribute("aria-label") or "").strip()
        # Vega labels a chart without a description "Vega visualization": that describes nothing.
        assert label and label != "Vega visualization", f"chart {i} on {path} has no text alternative"
    maths = page.locator("div.math, span.math").count()
    if maths:
        page.wait_for_function(f"document.querySelectorAll('mjx-container').length >= {maths}", timeout=15000)
        # each formula also carries hidden MathML, which is what screen readers read
        assert page.locator("mjx-container mjx-assistive-mml").count() >= maths, f"math on {path} has no MathML"
    page.add_script_tag(content=AXE.read_text())
    # preload: false stops axe re-fetching stylesheets itself (it resolves @import against the page).
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ["violations"], preload: false}))
        .violations.filter(v => ["serious", "critical"].includes(v.impact))
        .map(v => `axe ${v.impact} ${v.id}: ${v.nodes.map(n => n.target.join(" ")).join(", ")}`)""")
    page.wait_for_timeout(200)  # let late console messages arrive
    page.close()
    assert not problems + violations, "\n".join(problems + violations)


CHART_PAGES = [p for p in PAGES if HTML.exists() and "covidat-chart" in (HTML / p).read_text(encoding="utf-8")]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", CHART_PAGES)
def test_every_chart_fits_its_column(browser, server, path, width):
    page, problems = visit(browser, f"{server}/{path}", viewport=WIDTHS[width])
    charts = page.locator(".covidat-chart")
    for i in range(charts.count()):
        charts.nth(i).locator("svg").first.wait_for(timeout=15000)
    # The drawn chart (its SVG) must not be wider than the chart's box, and the box not wider than
    # the column that holds it: otherwise part of the chart is cut off or scrolls out of sight.
    too_wide = page.evaluate("""() => [...document.querySelectorAll('.covidat-chart')].map((box, i) => {
        const svg = box.querySelector('svg').getBoundingClientRect().width;
        const column = box.closest('article, main, body').getBoundingClientRect().width;
        return {i, svg, box: box.clientWidth, column};
      }).filter(c => c.svg === 0 || c.svg > c.box + 1 || c.box > c.column + 1)""")
    page.close()
    assert not too_wide, f"{path} at {width} width: charts wider than their column: {too_wide}"
    assert not problems, problems


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


def test_search_finds_a_chapter_term(browser, server):
    page, problems = visit(browser, f"{server}/search.html?q=oxygenation")
    page.locator("#search-results ul.search li").first.wait_for(timeout=15000)
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


CHART_PAGE = next((p for p in PAGES if "covidat-chart" in (HTML / p).read_text(encoding="utf-8")), "index.html") \
    if HTML.exists() else "index.html"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", ["chapters/index.html", CHART_PAGE])
def test_screenshots_for_review(browser, server, path, width):
    page, problems = visit(browser, f"{server}/{path}")
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width])))
    charts = page.locator(".covidat-chart svg")
    if charts.count():
        charts.first.wait_for(timeout=15000)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{Path(path).stem}-{width}.png"), full_page=True)
    page.close()
    assert overflow <= 0, f"{path} is {overflow}px wider than a {width} screen"
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


def test_search_button_name_contains_its_visible_text(site):
    # WCAG 2.5.3 (axe's label-content-name-mismatch): the search field button shows "Search Ctrl+K",
    # so its accessible name must contain that text (the icon-only button has no visible text).
    page = (site / "chapters" / "index.html").read_text(encoding="utf-8")
    buttons = re.findall(r'<button class="btn search-button-field[^>]*>', page)
    assert buttons and all('aria-label="Search Ctrl+K"' in b for b in buttons), buttons
