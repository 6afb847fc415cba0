"""No MyST role may reach the reader unrendered: a role pasted inside a code literal, or written with a
typo, is printed as text (e.g. a literal {glue:text}`key`) without any build warning."""
import re
from html.parser import HTMLParser

import pytest

ROLE = re.compile(r"\{(?:glue(?::\w+)?|cite(?::\w+)?|term|ref|doc|numref|eq|download|math)\}`")


class VisibleText(HTMLParser):
    """The text a reader can see: everything outside <script>, <style> and the page's <head>."""
    HIDDEN = {"script", "style", "head"}

    def __init__(self):
        super().__init__()
        self.depth, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        self.depth += tag in self.HIDDEN

    def handle_endtag(self, tag):
        self.depth -= tag in self.HIDDEN

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def unrendered_roles(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    text = "".join(parser.parts)
    return [text[max(0, m.start() - 40):m.end() + 30] for m in ROLE.finditer(text)]


@pytest.mark.parametrize("fragment, found", [
    ("<p>Data in <code>{glue:text}`dataset_dir`</code> gives</p>", True),
    ("<p>As shown by {cite:p}`x2020`.</p>", True),
    ("<p>See the {term}`ARDS` entry</p>", True),
    ("<p>Data in <code>data/reconstructed</code>, 20 patients</p>", False),
    ("<script>var s = '{glue:text}`k`';</script><p>fine</p>", False),
])
def test_detector_finds_roles_only_in_visible_text(fragment, found):
    assert bool(unrendered_roles(fragment)) is found


def test_no_page_shows_an_unrendered_role(site):
    pages = sorted(site.glob("*.html")) + sorted((site / "chapters").glob("*.html"))
    assert len(pages) > 10
    leaks = {page.relative_to(site).as_posix(): roles for page in pages
             if (roles := unrendered_roles(page.read_text(encoding="utf-8")))}
    assert not leaks, leaks
