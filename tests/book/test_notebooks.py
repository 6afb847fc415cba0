"""Every committed output of every chapter in _toc.yml is what a fresh run gives, as nbval judges it
(tests/notebook_outputs.py), without running the chapters a second time: the fresh run is the build's own
execution, cached under its key (the notebook's code, the dataset, data/, the library, the pinned
packages), and only notebooks missing from that cache are executed here (into it, for the next build).
One test per code cell, named `<chapter>:cell<N>` (code cells counted from 0, as the build names them).
"""
import functools

import nbformat
import pytest
import yaml

from covidat import ROOT
from covidat.book import build
from covidat.data import DEFAULT_DATA, load_dataset

from notebook_outputs import Judge, difference, options

NOTEBOOKS = build.notebooks()
TIMEOUT = yaml.safe_load((ROOT / "_config.yml").read_text())["execute"]["timeout"]


@functools.cache
def committed(path) -> list:
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


CELLS = [pytest.param(path, index, id=f"{path.stem}:cell{index}")
         for path in NOTEBOOKS for index in range(len(committed(path)))]


@pytest.fixture(scope="module")
def fresh():
    """Each notebook's fresh execution (from the build's cache, executing what is missing there):
    {path: (its code cells, the Failure that stopped it or None)}."""
    runs = build.execute(NOTEBOOKS, load_dataset(DEFAULT_DATA), timeout=TIMEOUT, report=lambda line: None)
    fresh = {}
    for path, run in runs.items():
        failure = run if isinstance(run, build.Failure) else None
        fresh[path] = ([c for c in (failure.executed if failure else run).cells if c.cell_type == "code"], failure)
    return fresh


@pytest.fixture(scope="module")
def judge(request):
    return Judge(request.config)


@pytest.mark.parametrize("path, index", CELLS)
def test_committed_output_is_a_fresh_runs(fresh, judge, path, index):
    cell = committed(path)[index]
    if options(cell)["skip"]:
        pytest.skip("nbval-skip")
    cells, failure = fresh[path]
    if failure and (failure.cell is None or index > failure.cell):
        pytest.fail(f"not run: the notebook stopped first at {failure}")
    problem = difference(cell, cells[index], judge)
    assert problem is None, f"{path.relative_to(ROOT)}::Cell {index}: {problem}"
