"""The safety nets themselves: a broken book must fail the build, a changed number must fail nbval."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from covidat import ROOT

BIN = Path(sys.executable).parent
CHAPTER = "chapters/03_published_results.ipynb"

BROKEN_PAGES = {
    "valid": "A valid page citing {cite:p}`martinezmunoz2024`.",
    "failing cell": None,  # a notebook whose cell raises
    "missing glue key": "A number: {glue:text}`no_such_key`.",
    "dangling reference": "See {ref}`no-such-label`.",
    "unknown citation": "As shown by {cite:p}`nobody2099`.",
}


def small_book(tmp_path: Path, page: str | None) -> Path:
    """A one-chapter book with the project's own _config.yml and bibliography."""
    for name in ("_config.yml", "references.bib"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n  - file: page\n")
    (tmp_path / "index.md").write_text("# Index\n\n```{bibliography}\n```\n")
    if page is None:
        cell = {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                "source": "raise ValueError('broken cell')"}
        notebook = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Page"}, cell],
                    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                "language": "python"}},
                    "nbformat": 4, "nbformat_minor": 5}
        (tmp_path / "page.ipynb").write_text(json.dumps(notebook))
    else:
        (tmp_path / "page.md").write_text(f"# Page\n\n{page}\n")
    return tmp_path


@pytest.mark.parametrize("case", BROKEN_PAGES)
def test_strict_build_fails_on_broken_book(tmp_path, case):
    book = small_book(tmp_path, BROKEN_PAGES[case])
    run = subprocess.run([BIN / "jupyter-book", "build", str(book), "-W", "-n", "--keep-going"],
                         capture_output=True, text=True)
    assert (run.returncode == 0) is (case == "valid"), run.stdout[-3000:] + run.stderr[-3000:]


def nbval(notebook: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", str(ROOT / "tests/nbval_sanitize.cfg"), str(notebook)],
        cwd=notebook.parent, capture_output=True, text=True)


def test_changed_output_fails_nbval(tmp_path):
    notebook = tmp_path / Path(CHAPTER).name
    shutil.copy(ROOT / CHAPTER, notebook)
    assert nbval(notebook).returncode == 0  # the untouched copy passes
    content = json.loads(notebook.read_text())
    outputs = [o for c in content["cells"] for o in c.get("outputs", [])
               if o.get("metadata", {}).get("scrapbook", {}).get("name") == "n_total"]
    assert len(outputs) == 1, "expected the glued patient count among the stored outputs"
    outputs[0]["data"]["text/plain"] = "21"
    notebook.write_text(json.dumps(content))
    run = nbval(notebook)
    assert run.returncode != 0 and "21" in run.stdout, run.stdout[-2000:]
