import functools
import http.server
import shutil
import sys
import threading
from pathlib import Path

import pytest

from covidat import ROOT
from covidat.data import DEFAULT_DATA

from browser import CHROMIUM, FLAGS


@pytest.fixture
def dataset_copy(tmp_path) -> Path:
    """A writable copy of the committed dataset directory (data/ itself is never modified)."""
    target = tmp_path / "dataset"
    shutil.copytree(DEFAULT_DATA, target)
    return target


@pytest.fixture(scope="session")
def site() -> Path:
    html = ROOT / "_build" / "html"
    if not (html / "index.html").exists():
        pytest.fail("_build/html is missing: run `make test` (it builds the book first)")
    return html


@pytest.fixture(scope="session")  # one server and one browser per test process, for every module
def server(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):  # chromium closing a connection early is no error
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    handler = functools.partial(Quiet, directory=str(site))
    httpd = Server(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()
