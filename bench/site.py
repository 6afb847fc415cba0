"""Weight and speed of the built site, measured in headless chromium. Prints numbers, asserts nothing.

- total size of _build/html;
- per page, its own weight: the HTML (charts and their data are inline) plus files only it
  references outside _static/; the heaviest page is printed (budget: 1 MB);
- shared assets: the bytes a reader's browser fetches from _static/ over all pages, each file
  counted once (budget: 3 MB);
- time until every chart on the heaviest chart page has drawn.
Run through `make bench` after `make book`.
"""
import functools
import http.server
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SKIP = {"_static", "_sources", "_downloads", "_images"}
PAGES = sorted(p for p in HTML.rglob("*.html") if not SKIP & set(p.relative_to(HTML).parts))


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(HTML)))
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_address[1]}"
own, shared = {}, {}
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
    for path in PAGES:
        page = browser.new_page()
        fetched = []
        page.on("response", lambda r: fetched.append(r.url))
        page.goto(f"{base}/{path.relative_to(HTML)}", wait_until="networkidle")
        page.close()
        name = str(path.relative_to(HTML))
        own[name] = path.stat().st_size
        for url in fetched:
            local = HTML / url.removeprefix(base + "/").split("?")[0]
            if local.is_file() and local != path:
                if "_static" in local.relative_to(HTML).parts:
                    shared[local] = local.stat().st_size
                else:
                    own[name] += local.stat().st_size
    chart_pages = [p for p in PAGES if "covidat-chart" in p.read_text(encoding="utf-8")]
    heaviest_chart = max(chart_pages, key=lambda p: own[str(p.relative_to(HTML))])
    page = browser.new_page()
    start = time.perf_counter()
    page.goto(f"{base}/{heaviest_chart.relative_to(HTML)}")
    page.wait_for_function("[...document.querySelectorAll('.covidat-chart')].every(c => c.querySelector('svg'))")
    drawn = time.perf_counter() - start
    browser.close()
server.shutdown()

total = sum(f.stat().st_size for f in HTML.rglob("*") if f.is_file())
heaviest = max(own, key=own.get)
print(f"_build/html total                    {total / 1e6:6.2f} MB")
print(f"heaviest page, own HTML and data     {own[heaviest] / 1e6:6.3f} MB  ({heaviest}; budget 1 MB)")
print(f"shared assets fetched, once each     {sum(shared.values()) / 1e6:6.2f} MB  ({len(shared)} files; budget 3 MB)")
for f, size in sorted(shared.items(), key=lambda kv: -kv[1])[:int(__import__("os").environ.get("LIST", 0))]:
    print(f"  {size:>9}  {f.relative_to(HTML)}")
print(f"charts drawn, {heaviest_chart.relative_to(HTML)}  {drawn:6.2f} s (cold browser cache)")
