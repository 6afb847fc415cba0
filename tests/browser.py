"""What the browser tests share: the pages of the built site, chromium's flags, `visit`, and the
layout rules (test_site_layout.py says what they check)."""
from urllib.parse import urljoin, urlparse

from covidat import ROOT
from covidat.book import charts
from covidat.data import load_dataset

HTML = ROOT / "_build" / "html"
SKIP = {"_static", "_sources", "_downloads", "_images"}
PAGES = sorted(str(p.relative_to(HTML)) for p in HTML.rglob("*.html")
               if not SKIP & set(p.relative_to(HTML).parts)) or ["index.html"]
# Pages with a body to lay out: the root page only redirects (it navigates away while being measured).
LAID_OUT = [p for p in PAGES if not (HTML / p).exists()
            or 'http-equiv="Refresh"' not in (HTML / p).read_text(encoding="utf-8")]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / ".venv" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "_build" / "screenshots"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
TIMEOUT_MS = 120_000  # generous: on a loaded 2-core machine a page and its charts can take long to settle
# Every host name but 127.0.0.1 fails to resolve, so nothing outside the machine can answer a page;
# `visit` reports each such request (a listener, not a route: routing every request through Python
# costs about a quarter of a page load).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


def visit(browser, url, viewport=None):
    """Open a page (outside requests fail: FLAGS); return the page and what went wrong."""
    problems = []
    page = browser.new_page(viewport=dict(zip(("width", "height"), viewport)) if viewport else None)
    page.set_default_timeout(TIMEOUT_MS)
    page.on("request", lambda r: urlparse(r.url).hostname != "127.0.0.1"
            and problems.append(f"outside request: {r.url}"))
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(f"console {m.type}: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.goto(url, wait_until="load")
    refresh = page.locator('meta[http-equiv="refresh" i]')
    if refresh.count():  # the root page redirects to the landing page: wait until that has loaded
        target = refresh.get_attribute("content").split("url=", 1)[1]
        page.wait_for_url(urljoin(url, target), wait_until="load")
    return page, problems


SMALLEST_TEXT_PX = 11
LABEL_GAP_PX = 2  # tick labels closer than this read as one ("0.10.2")

# Words of a table broken inside, not after a hyphen, dash, slash, underscore or full stop ("Publi|shed");
# code (identifiers) may break anywhere.
TABLES = """() => {
  const broken = table => {
    const words = [];
    const walker = document.createTreeWalker(table, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode());) {
      if (node.parentElement.closest('code')) continue;
      for (const m of node.data.matchAll(/\\S+/g)) {
        const r = document.createRange();
        r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
        if (new Set([...r.getClientRects()].filter(x => x.width).map(x => Math.round(x.top))).size < 2) continue;
        let top = null;
        for (let k = 0; k < m[0].length; k++) {
          r.setStart(node, m.index + k); r.setEnd(node, m.index + k + 1);
          const rect = [...r.getClientRects()].find(x => x.width);
          if (!rect) continue;
          if (top !== null && Math.round(rect.top) !== top && !'-–/_.'.includes(m[0][k - 1])) { words.push(m[0]); break; }
          top = Math.round(rect.top);
        }
      }
    }
    return words;
  };
  const article = document.querySelector('article.bd-article');
  if (!article) return [];  // the root page only redirects
  const column = article.getBoundingClientRect();
  return [...article.querySelectorAll('table')].map((table, i) => {
    const box = table.closest('.covidat-table, .pst-scrollable-table-container');
    const room = box ? box.getBoundingClientRect() : column;
    const name = (table.querySelector('caption, th')?.textContent || '').trim().slice(0, 50);
    const cue = box ? getComputedStyle(box, '::before').content : 'none';
    return {i, name, width: Math.round(table.getBoundingClientRect().width), room: Math.round(room.width),
            fits: table.getBoundingClientRect().width <= room.width + 1,
            boxInColumn: room.right <= column.right + 1,
            scrolls: !!box && ['auto', 'scroll'].includes(getComputedStyle(box).overflowX),
            cue: cue.includes('Scroll'), broken: broken(table),
            captionInBox: !table.caption || table.caption.getBoundingClientRect().right <= room.right + 1,
            firstColumnSticky: [...table.rows].every(r => !r.cells.length || getComputedStyle(r.cells[0]).position === 'sticky')};
  });
}"""

CHARTS = """() => [...document.querySelectorAll('.covidat-chart')].map((box, i) => {
  const svg = box.querySelector('svg');
  const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim());
  const sizes = texts.map(t => { const m = t.getScreenCTM(); return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b); });
  return {i, svg: svg.getBoundingClientRect().width, box: box.clientWidth,
          column: box.closest('article, main, body').getBoundingClientRect().width,
          smallest: Math.min(...sizes), small: texts.filter((t, k) => sizes[k] < %d).slice(0, 3).map(t => t.textContent),
          patients: box.dataset.patients === 'true',
          labelled: texts.some(t => t.textContent.includes('%s')),
          collisions: [...svg.querySelectorAll('.role-axis-label')].flatMap(axis => {
            const boxes = [...axis.querySelectorAll('text')]
              .filter(t => t.textContent.trim() && getComputedStyle(t).opacity !== '0' && t.getAttribute('opacity') !== '0')
              .map(t => [t.textContent, t.getBoundingClientRect()]);
            return boxes.flatMap(([a, p], k) => boxes.slice(k + 1).filter(([b, q]) =>
              p.left < q.right + %d && q.left < p.right + %d && p.top < q.bottom && q.top < p.bottom).map(([b]) => a + b));
          })};
})""" % (SMALLEST_TEXT_PX, charts.RECONSTRUCTED_TITLE, LABEL_GAP_PX, LABEL_GAP_PX)


def wait_for_charts(page):
    count = page.locator(".covidat-chart").count()
    if count:
        page.wait_for_function(f"document.querySelectorAll('.covidat-chart[data-drawn]').length === {count}")
    return count


def table_problems(page, width):
    problems = []
    for t in page.evaluate(TABLES):
        if t["broken"]:
            problems.append(f"table {t['i']} ({t['name']!r}) breaks words inside: {t['broken'][:5]}")
        if not t["captionInBox"]:
            problems.append(f"table {t['i']} ({t['name']!r}): its caption runs out of its box (cut off)")
        if not t["boxInColumn"]:
            problems.append(f"table {t['i']} ({t['name']!r}): its box runs out of the column")
        elif t["fits"]:
            continue
        elif width == "desktop":
            problems.append(f"table {t['i']} ({t['name']!r}) is {t['width']} px in {t['room']} px: clipped at desktop")
        elif not (t["scrolls"] and t["cue"] and t["firstColumnSticky"]):
            problems.append(f"table {t['i']} ({t['name']!r}) is {t['width']} px in {t['room']} px without a "
                            f"scroll box, a visible cue and a sticky first column: {t}")
    return problems


def chart_problems(page, reconstruction):
    problems = []
    for c in page.evaluate(CHARTS):
        if c["svg"] == 0 or c["svg"] > c["box"] + 1 or c["box"] > c["column"] + 1:
            problems.append(f"chart {c['i']} is wider than its column: {c}")
        if c["smallest"] < SMALLEST_TEXT_PX:
            problems.append(f"chart {c['i']} draws text at {c['smallest']:.1f} px, e.g. {c['small']}")
        if c["collisions"]:
            problems.append(f"chart {c['i']} has tick labels that run together: {c['collisions'][:3]}")
        if reconstruction and c["patients"] and not c["labelled"]:
            problems.append(f"chart {c['i']} is drawn from reconstructed patients without saying so inside it")
    return problems


def layout_problems(page, width: str) -> list[str]:
    """Tables, charts and sideways scrolling of a page at `width` ("phone" or "desktop")."""
    problems = table_problems(page, width) + chart_problems(page, load_dataset().is_reconstruction)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        problems.append(f"the page is {overflow}px wider than the screen")
    return problems
