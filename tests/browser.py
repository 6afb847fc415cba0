"""What the browser tests share: the pages of the built site, chromium's flags, and `visit`."""
from urllib.parse import urljoin, urlparse

from covidat import ROOT

HTML = ROOT / "_build" / "html"
SKIP = {"_static", "_sources", "_downloads", "_images"}
PAGES = sorted(str(p.relative_to(HTML)) for p in HTML.rglob("*.html")
               if not SKIP & set(p.relative_to(HTML).parts)) or ["index.html"]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / ".venv" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "_build" / "screenshots"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
TIMEOUT_MS = 120_000  # generous: on a loaded 2-core machine a page and its charts can take long to settle
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


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

    page.set_default_timeout(TIMEOUT_MS)
    page.route("**/*", route)
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(f"console {m.type}: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.goto(url, wait_until="load")
    refresh = page.locator('meta[http-equiv="refresh" i]')
    if refresh.count():  # the root page redirects to the landing page: wait until that has loaded
        target = refresh.get_attribute("content").split("url=", 1)[1]
        page.wait_for_url(urljoin(url, target), wait_until="load")
    return page, problems
