"""The built site's layout at phone and desktop widths, in a real browser. Every page, both widths:

- no table is clipped: at desktop every table fits its column; on a phone a table either fits or
  scrolls inside its own box, which then shows a cue, while its first column stays in view;
- every chart fits its column and no chart text is drawn under 11 px (rendered size: a chart that
  is scaled down to fit shrinks its text, which is what this catches); no two tick labels of an
  axis touch or overlap;
- every chart drawn from patients says "Reconstructed data" inside the chart when the site was
  built from the reconstruction;
- no page scrolls sideways. Screenshots of two pages are saved for review (in _build/screenshots).
"""
from pathlib import Path

import pytest

from covidat.book import charts
from covidat.data import load_dataset

from browser import HTML, PAGES, SCREENSHOTS, WIDTHS, visit

SMALLEST_TEXT_PX = 11
LABEL_GAP_PX = 2  # tick labels closer than this read as one ("0.10.2")

TABLES = """() => {
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
            cue: cue.includes('Scroll'),
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


# Pages with a body to lay out: the root page only redirects (it navigates away while being measured).
LAID_OUT = [p for p in PAGES if 'http-equiv="Refresh"' not in (HTML / p).read_text(encoding="utf-8")]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", LAID_OUT)
def test_tables_and_charts_fit(browser, server, path, width):
    page, problems = visit(browser, f"{server}/{path}", viewport=WIDTHS[width])
    wait_for_charts(page)
    problems += table_problems(page, width) + chart_problems(page, load_dataset().is_reconstruction)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.close()
    if overflow > 0:
        problems.append(f"the page is {overflow}px wider than the screen")
    assert not problems, f"{path} at {width} width:\n" + "\n".join(problems)


CHART_PAGE = next((p for p in PAGES if 'class="covidat-chart"' in (HTML / p).read_text(encoding="utf-8")),
                  "index.html") if HTML.exists() else "index.html"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", ["chapters/index.html", CHART_PAGE])
def test_screenshots_for_review(browser, server, path, width):
    page, problems = visit(browser, f"{server}/{path}", viewport=WIDTHS[width])
    wait_for_charts(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{Path(path).stem}-{width}.png"), full_page=True)
    page.close()
    assert not problems, problems
