import shutil
from pathlib import Path

import pytest

from covidat import ROOT
from covidat.data import DEFAULT_DATA


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
