"""The built site's layout at phone and desktop widths: every chart fits its column, no page
scrolls sideways, and screenshots are saved for review (in _build/screenshots)."""
from pathlib import Path

import pytest

from browser import HTML, PAGES, SCREENSHOTS, WIDTHS, visit


CHART_PAGES = [p for p in PAGES if HTML.exists() and "covidat-chart" in (HTML / p).read_text(encoding="utf-8")]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", CHART_PAGES)
def test_every_chart_fits_its_column(browser, server, path, width):
    page, problems = visit(browser, f"{server}/{path}", viewport=WIDTHS[width])
    charts = page.locator(".covidat-chart")
    for i in range(charts.count()):
        charts.nth(i).locator("svg").first.wait_for()
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


CHART_PAGE = next((p for p in PAGES if "covidat-chart" in (HTML / p).read_text(encoding="utf-8")), "index.html") \
    if HTML.exists() else "index.html"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", ["chapters/index.html", CHART_PAGE])
def test_screenshots_for_review(browser, server, path, width):
    page, problems = visit(browser, f"{server}/{path}")
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width])))
    charts = page.locator(".covidat-chart svg")
    if charts.count():
        charts.first.wait_for()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{Path(path).stem}-{width}.png"), full_page=True)
    page.close()
    assert overflow <= 0, f"{path} is {overflow}px wider than a {width} screen"
    assert not problems, problems
