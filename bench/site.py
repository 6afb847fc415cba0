"""Weight and speed of the built site, measured in headless chromium. Prints numbers, asserts nothing.

For every page, loaded cold (empty cache) in its own browser context:
- its weight: every byte it fetches, uncompressed (the HTML, its charts' specs, the theme, fonts,
  scripts), and the number of requests (budget with charts: 1.5 MB);
- its first contentful paint under throttling: 150 ms latency, 1.6 Mbps down and 750 kbps up, the
  figures of Lighthouse's "slow 4G" preset, applied per request by Chrome's network emulation (goal:
  3 s; request-level throttling is somewhat optimistic against a real network);
- when every chart on it has drawn, unthrottled.
Also the total size of the site. Run through `make bench` after `make book`; `python bench/site.py DIR`
measures another built site (a copy of an earlier build, to compare).
"""
import functools
import http.server
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / "_build" / "html"
SKIP = {"_static", "_sources", "_downloads", "_images"}
PAGES = sorted(p for p in HTML.rglob("*.html") if not SKIP & set(p.relative_to(HTML).parts)
               and 'http-equiv="Refresh"' not in p.read_text(encoding="utf-8"))
SLOW_4G = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8}
DRAWN = "[...document.querySelectorAll('.covidat-chart')].every(c => c.hasAttribute('data-drawn'))"


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def load(browser, url, throttle):
    """Weight in bytes, number of requests, first contentful paint and charts-drawn times (s)."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    fetched = []
    page.on("requestfinished", lambda r: fetched.append(r.url))
    if throttle:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    page.goto(url, wait_until="load", timeout=180_000)
    page.wait_for_function(DRAWN, timeout=180_000)
    paint = page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN") / 1000
    drawn = page.evaluate("performance.now()") / 1000
    context.close()
    local = [HTML / u.split("://", 1)[1].split("/", 1)[1].split("?")[0].split("#")[0] for u in fetched]
    return sum(p.stat().st_size for p in local if p.is_file()), len(fetched), paint, drawn


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(HTML)))
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_address[1]}"
print(f"{'page':<40} {'charts':>6} {'MB':>6} {'requests':>8} {'paint, slow 4G':>15} {'drawn':>6}")
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
    for path in PAGES:
        url = f"{base}/{path.relative_to(HTML)}"
        charts = path.read_text(encoding="utf-8").count('class="covidat-chart"')
        weight, requests, _, drawn = load(browser, url, throttle=False)
        _, _, paint, _ = load(browser, url, throttle=True)
        print(f"{str(path.relative_to(HTML)):<40} {charts:>6} {weight / 1e6:>6.2f} {requests:>8} {paint:>13.1f} s {drawn:>5.1f}s")
    browser.close()
server.shutdown()
total = sum(f.stat().st_size for f in HTML.rglob("*") if f.is_file())
print(f"{HTML} total: {total / 1e6:.1f} MB")
