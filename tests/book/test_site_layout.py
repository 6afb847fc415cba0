"""The built site's layout at phone and desktop widths, in a real browser (the rules: browser.py;
desktop width is checked in test_site.py's visit of every page, phone width here). Every page, both widths:

- no table is clipped: at desktop every table fits its column; on a phone a table either fits or
  scrolls inside its own box, which then shows a cue, while its first column stays in view and its
  caption wraps inside the box; no word in a table is broken inside (code may be);
- every chart fits its column and no chart text is drawn under 11 px (rendered size: a chart that
  is scaled down to fit shrinks its text, which is what this catches); no two tick labels of an
  axis touch or overlap;
- every chart drawn from patients says "Reconstructed data" inside the chart when the site was
  built from the reconstruction;
- no page scrolls sideways. Screenshots of two pages are saved for review (in _build/screenshots).
"""
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser import HTML, LAID_OUT, PAGES, SCREENSHOTS, WIDTHS, layout_problems, visit, wait_for_charts


@pytest.mark.parametrize("path", LAID_OUT)
def test_tables_and_charts_fit_a_phone(browser, server, path):
    # (At desktop width, test_site.py checks the same in its visit of every page.)
    page, problems = visit(browser, f"{server}/{path}", viewport=WIDTHS["phone"])
    wait_for_charts(page)
    problems += layout_problems(page, "phone")
    page.close()
    assert not problems, f"{path} at phone width:\n" + "\n".join(problems)


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


REDRAW_MS = 60_000  # generous, for a loaded machine: a redraw waits for the width to be still for 200 ms, then draws one chart at a time


@pytest.mark.parametrize("start, end", [("desktop", "phone"), ("phone", "desktop")])
def test_charts_are_drawn_again_for_a_new_width(browser, server, start, end):
    # A phone turned or a window resized: every chart is drawn for its new column, so at the new width it
    # fits with its text at full size. Bug caught: charts drawn once, then scaled down by the stylesheet
    # (text too small) or left narrow.
    page, problems = visit(browser, f"{server}/{CHART_PAGE}", viewport=WIDTHS[start])
    count = wait_for_charts(page)
    assert count, f"{CHART_PAGE} has no chart"
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[end])))
    stale = """() => [...document.querySelectorAll('.covidat-chart')]
        .filter(c => +c.getAttribute('data-room') !== c.clientWidth).map(c => [c.id, c.getAttribute('data-room'), c.clientWidth])"""
    try:
        page.wait_for_function(f"() => ({stale})().length === 0", timeout=REDRAW_MS)
    except PlaywrightTimeout:
        pytest.fail(f"charts not drawn again for the new width within {REDRAW_MS / 1000:g} s "
                    f"(id, width drawn for, column width): {page.evaluate(stale)}")
    page.wait_for_timeout(300)  # the last drawing settles
    problems += [p for p in layout_problems(page, end) if p.startswith("chart")]
    rooms = page.evaluate("[...document.querySelectorAll('.covidat-chart svg')].map(s => s.getBoundingClientRect().width)")
    page.close()
    assert not problems, problems
    if end == "desktop":  # drawn anew, not left at phone width
        assert max(rooms) > WIDTHS["phone"][0], rooms
