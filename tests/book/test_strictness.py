"""The safety nets themselves: a broken book must fail the build, naming what broke; a committed output
that a fresh run would not give must fail the tests, whether the output or the library changed."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output

from covidat import ROOT
from covidat.book import build
from covidat.data import load_dataset

from notebook_outputs import Judge, difference, options

CHAPTER = "chapters/03_published_results.ipynb"

VALID = "A valid page citing {cite:p}`martinezmunoz2024`."
BROKEN_PAGES = {
    "failing cell": None,  # a notebook whose second code cell raises
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
        cells = [nbformat.v4.new_markdown_cell("# Page"), new_code_cell("print('fine')"),
                 new_code_cell("raise ValueError('broken cell')")]
        notebook = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {
            "name": "python3", "display_name": "Python 3", "language": "python"}})
        nbformat.write(notebook, tmp_path / "page.ipynb")
    else:
        (tmp_path / "page.md").write_text(f"# Page\n\n{page}\n")
    return tmp_path


def make_book(book: Path) -> subprocess.CompletedProcess:
    """What `make book` runs (python -m covidat book), on another book."""
    return subprocess.run([sys.executable, "-c", "import sys, pathlib; from covidat.book.build import build; "
                           "sys.exit(build(pathlib.Path(sys.argv[1])))", str(book)], capture_output=True, text=True)


@pytest.mark.parametrize("case", BROKEN_PAGES)
def test_strict_build_fails_on_broken_book(tmp_path, case):
    # (The same book with a valid page builds: test_build_log_is_one_line_per_chapter.)
    run = make_book(small_book(tmp_path, BROKEN_PAGES[case]))
    log = run.stdout[-3000:] + run.stderr[-3000:]
    assert run.returncode == 1, log
    if case == "failing cell":  # named with its notebook and cell, and not run a second time by myst-nb
        assert "page.ipynb::Cell 1: ValueError: broken cell" in log and "raise ValueError('broken cell')" in log, log
        assert "Executing notebook failed" not in log, log


def test_build_log_is_one_line_per_chapter(tmp_path):
    # A valid book builds, and says so in a few lines; after a page changes, its notebook comes from the
    # cache; with nothing changed, nothing is built. Bugs caught: the kernel's "running over TCP without
    # encryption" warning, or Sphinx's own chatter, in the log; a changed page not built again.
    book = small_book(tmp_path, VALID)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Two"), new_code_cell("6 * 7")],
                                            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                     "language": "python"}}), book / "two.ipynb")
    (book / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n  - file: page\n  - file: two\n")
    first = make_book(book)
    (book / "page.md").write_text((book / "page.md").read_text() + "\nA sentence added.\n")
    second, third = make_book(book), make_book(book)
    for built, how in ((first, "executed in"), (second, "cached")):
        assert built.returncode == 0 and built.stderr == "", built.stdout + built.stderr
        lines = built.stdout.splitlines()
        assert [line.split()[0] for line in lines if line.startswith("  ")] == ["two"], lines
        assert how in next(line for line in lines if line.startswith("  two")), lines
        assert lines[-2].startswith("built 3 pages") and "_build/html/index.html" in lines[-2], lines
        assert len(lines) <= 6, lines
    assert "A sentence added." in (book / "_build" / "html" / "page.html").read_text()
    assert third.returncode == 0 and third.stderr == "", third.stdout + third.stderr
    assert third.stdout.splitlines() == [next(line for line in third.stdout.splitlines() if "is up to date" in line)]


# The comparison itself, on cells built by hand: each case is a rule of nbval's that the suite relies on.

def cell(*outputs, **metadata):
    return new_code_cell("x", execution_count=1, outputs=list(outputs), metadata=metadata)


def text(value, kind="display_data"):
    return new_output(kind, data={"text/plain": value}, **({"execution_count": 1} if kind == "execute_result" else {}))


@pytest.fixture
def judge(request):
    return Judge(request.config)


def test_a_changed_number_fails(judge):
    assert difference(cell(text("20")), cell(text("20")), judge) is None
    assert "21" in difference(cell(text("21")), cell(text("20")), judge)


def test_sanitised_text_passes_and_other_text_does_not(judge):
    # Bug caught: tests/nbval_sanitize.cfg not applied (false failures on a memory address or a temporary path).
    old, new = "<object at 0x7f3a2b1c9d80> in /tmp/abc/x.csv", "<object at 0x7f00000000aa> in /tmp/xyz/x.csv"
    assert difference(cell(text(old)), cell(text(new)), judge) is None
    assert difference(cell(text(old)), cell(text(new.replace("object", "thing"))), judge) is not None


def test_streams_are_merged_but_stdout_and_stderr_differ(judge):
    committed = cell(new_output("stream", name="stdout", text="a\nb\n"))
    split = cell(new_output("stream", name="stdout", text="a\n"), new_output("stream", name="stdout", text="b\n"))
    assert difference(committed, split, judge) is None
    moved = cell(new_output("stream", name="stdout", text="a\n"), new_output("stream", name="stderr", text="b\n"))
    assert difference(committed, moved, judge) is not None


def test_images_and_output_types_are_not_compared(judge):
    # As nbval: PNGs differ byte for byte between runs; an execute_result and a display_data show the same.
    png = lambda data: new_output("display_data", data={"image/png": data, "text/plain": "<Figure>"})  # noqa: E731
    assert difference(cell(png("AAAA")), cell(png("BBBB")), judge) is None
    assert difference(cell(text("1", "execute_result")), cell(text("1")), judge) is None


def test_markers_are_nbval_s(judge):
    ignored = cell(text("20"), tags=["nbval-ignore-output"])
    assert difference(ignored, cell(text("21")), judge) is None
    assert options(cell(tags=["nbval-skip"]))["skip"]
    commented = new_code_cell("# NBVAL_IGNORE_OUTPUT\nx", execution_count=1, outputs=[text("20")])
    assert difference(commented, cell(text("21")), judge) is None


def test_an_exception_fails_unless_the_cell_is_marked_to_raise(judge):
    error = new_output("error", ename="ValueError", evalue="bad", traceback=["ValueError: bad"])
    assert "exception" in difference(cell(), cell(error), judge)
    assert difference(cell(error, tags=["raises-exception"]), cell(error), judge) is None


def test_a_reference_cell_never_run_has_no_outputs(judge):
    unrun = new_code_cell("x", outputs=[text("20")])
    assert "Unrun reference cell" in difference(unrun, cell(text("20")), judge)


# The whole net, end to end, in a copy of the repository with one chapter: `pytest` as `make test` runs it.

def pytest_in(repo: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "tests/book/test_notebooks.py", "-p", "no:xdist",
                           "-o", "addopts=-p no:cacheprovider"], cwd=repo, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(repo / "src")})


def cached_notebooks(repo: Path) -> list[str]:
    return sorted(str(p.relative_to(repo)) for p in (repo / "_build" / ".jupyter_cache").rglob("*.ipynb"))


def test_tests_fail_on_a_changed_output_or_a_changed_library(tmp_path):
    repo = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for folder in ("src", "data", "tests"):
        shutil.copytree(ROOT / folder, repo / folder, ignore=ignore)
    for name in ("_config.yml", "pyproject.toml", "requirements.txt", CHAPTER):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, repo / name)
    (repo / "_toc.yml").write_text(f"format: jb-book\nroot: {CHAPTER.removesuffix('.ipynb')}\n")

    first = pytest_in(repo)  # an empty cache: the chapter runs once, and its committed outputs pass
    assert first.returncode == 0 and "passed" in first.stdout, first.stdout[-3000:] + first.stderr[-3000:]
    executed = cached_notebooks(repo)
    assert len(executed) == 1, executed

    # A committed output changed: served from the cache this time, and still caught.
    # Bug caught: a comparison of the cache with itself, or one that skips the glued numbers.
    original = (repo / CHAPTER).read_text()
    content = json.loads(original)
    outputs = [o for c in content["cells"] for o in c.get("outputs", [])
               if o.get("metadata", {}).get("scrapbook", {}).get("name") == "n_total"]
    assert len(outputs) == 1, "expected the glued patient count among the stored outputs"
    outputs[0]["data"]["text/plain"] = "21"
    (repo / CHAPTER).write_text(json.dumps(content))
    changed_output = pytest_in(repo)
    assert changed_output.returncode == 1 and "03_published_results:cell1" in changed_output.stdout, \
        changed_output.stdout[-3000:]
    assert "21" in changed_output.stdout and cached_notebooks(repo) == executed

    # The outputs as committed, but a library function changed: the cache key changes, the chapter runs again.
    # Bug caught: a cache keyed on the notebook alone, which would serve the old outputs and pass.
    (repo / CHAPTER).write_text(original)
    with open(repo / "src/covidat/endpoints/stats.py", "a") as stats:
        stats.write("\n\n_fisher_p = fisher_p\n\n\ndef fisher_p(*args, **kwargs):  # deliberately wrong\n"
                    "    return _fisher_p(*args, **kwargs) / 2\n")
    changed_library = pytest_in(repo)
    assert changed_library.returncode == 1 and "03_published_results:cell1" in changed_library.stdout, \
        changed_library.stdout[-3000:]
    assert len(cached_notebooks(repo)) == 2


def test_build_inputs_follow_the_book_and_not_what_tests_leave_behind(tmp_path):
    # Bugs caught: an edited page not built again (stale site); the tests' .hypothesis database or an
    # egg-info forcing a full build after every `make test`.
    book, dataset = small_book(tmp_path, VALID), load_dataset()
    before = build.inputs(book, dataset)
    for leftover in (".hypothesis/examples/x", "src/covidat.egg-info/PKG-INFO", "_build/html/x.html"):
        (book / leftover).parent.mkdir(parents=True, exist_ok=True)
        (book / leftover).write_text("1")
    assert build.inputs(book, dataset) == before
    (book / "page.md").write_text((book / "page.md").read_text() + "\nA sentence added.\n")
    assert build.inputs(book, dataset) != before
