"""The built site in a real browser (Debian's chromium), with every request outside 127.0.0.1 blocked.

Every HTML page under _build/html: no request leaves the machine, no console error or page
error, every chart drew SVG marks and carries a text alternative, and all math rendered.
"""
import functools
import http.server
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from covidat import ROOT

HTML = ROOT / "_build" / "html"
SKIP = {"_static", "_sources", "_downloads", "_images"}
PAGES = sorted(str(p.relative_to(HTML)) for p in HTML.rglob("*.html")
               if not SKIP & set(p.relative_to(HTML).parts)) or ["index.html"]
CHROMIUM = "/usr/bin/chromium"
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


def visit(browser, url):
    """Open a page with outside requests blocked; return the page and what went wrong."""
    problems = []
    page = browser.new_page()

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
    return page, problems


@pytest.mark.parametrize("path", PAGES)
def test_page_works_offline(browser, server, path):
    page, problems = visit(browser, f"{server}/{path}")
    charts = page.locator(".covidat-chart")
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.locator("svg .role-mark, svg [class*='mark-']").first.wait_for(timeout=15000)
        label = chart.get_attribute("aria-label") or ""
        assert label.strip(), f"chart {i} on {path} has no text alternative"
    maths = page.locator("div.math, span.math").count()
    if maths:
        page.wait_for_function(f"document.querySelectorAll('mjx-container').length >= {maths}", timeout=15000)
    page.wait_for_timeout(200)  # let late console messages arrive
    page.close()
    assert not problems, "\n".join(problems)


def test_pages_were_found():
    assert len(PAGES) >= 4 and "index.html" in PAGES
