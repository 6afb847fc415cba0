"""Sphinx extension and command: build the book from one dataset, execute each notebook once, and say so.

- The dataset is $COVIDAT_DATA (`make book DATA=DIR`) or the reconstruction. It is validated before
  anything runs: a contract violation stops the build with the loader's message.
- Executed notebooks are kept by jupyter-cache, which keys them on their code only. Every combination
  of dataset, data/, the covidat library and requirements.txt gets its own cache directory,
  `_build/.jupyter_cache/<fingerprint>`, so other data or changed analyses re-execute every page and
  an unchanged book executes nothing.
- Notebooks missing from their cache run in parallel, one kernel per core, before Sphinx reads the
  pages; one line per chapter says whether it ran (and how long) or came from the cache. A notebook
  that fails stops the build, naming it and its cell (`chapters/NN_x.ipynb::Cell N`, code cells
  counted from 0, as the tests name them).
- Chapters that sample the reconstruction's model and never read the build's dataset (MODEL_ONLY)
  are cached on data/ and the library alone and copied into each dataset's cache, so building from
  another dataset does not run them again.
- A book whose inputs (`inputs`: its files, the library, the dataset, the build stamp) are those of
  the last build that passed is not built again: that build passed -W, so it had no warnings.
- The tests compare every committed output with these executions (tests/book/test_notebooks.py),
  so `make test` after `make book` runs no notebook a second time.
- Kernels receive CurveZMQ keys from their manager, so they talk over an encrypted channel rather
  than warning, once per notebook, that they do not.
- `python -m covidat book` (`make book`) runs Sphinx as `jupyter-book build -W -n --keep-going`
  would, quietly (warnings still print), and ends with a summary: pages, warnings, where the site
  is and how to open it.
- Every page with patient-level numbers carries a banner naming the dataset, in words, and whether it
  is the book's reconstruction.
"""
import hashlib
import os
import re
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from html import escape
from pathlib import Path

import nbformat
import yaml
from jupyter_book.sphinx import build_sphinx
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution
from sphinx.errors import ConfigError, SphinxError
from traitlets.config import Config

from covidat import ROOT
from covidat.book import notice
from covidat.book.site import build_stamp
from covidat.data import DataError, Dataset, data_dir, load_dataset

CACHES = ROOT / "_build" / ".jupyter_cache"
CACHES_KEPT = 4  # fingerprinted caches kept side by side (say, the reconstruction and three others)
SCORECARD = "chapters/16_scorecard"
MODEL_ONLY = ("chapters/12_pinned_down",)  # pages that draw from the model, whatever the dataset
KERNELS = Config({"KernelManager": {"transport_encryption": "auto"}})  # CurveZMQ keys for every kernel
ANSI = re.compile(r"\x1b\[[0-9;]*m")
BUILT_FROM = ".covidat-inputs"  # in _build: the `inputs` hash of the last build, written when it passed


def say(line: str) -> None:
    print(line, flush=True)


def _shown(path: Path) -> str:
    """A path as the reader would type it: relative to the current directory when inside it."""
    path = Path(path).resolve()
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def _digest(digest, files, root: Path) -> None:
    for path in files:
        digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path.name).encode())
        digest.update(path.read_bytes())


def fingerprint(dataset: Dataset | None) -> str:
    """Hash of everything an executed page depends on besides its own code: the dataset (name and
    files; None for MODEL_ONLY pages), the project's data/, the covidat library and the pinned
    packages (requirements.txt)."""
    files = ([p for p in sorted((ROOT / "data").rglob("*")) if p.is_file()]
             + sorted((ROOT / "src" / "covidat").rglob("*.py")) + [ROOT / "requirements.txt"])
    digest = hashlib.sha256()
    if dataset is not None:
        files = sorted(dataset.directory.glob("*.csv")) + files
        digest.update(dataset.name.encode())
    _digest(digest, files, ROOT)
    return digest.hexdigest()[:16]


def inputs(book: Path, dataset: Dataset) -> str:
    """Hash of everything a built site depends on: every file of the book (but _build, hidden folders
    such as .git, .venv or the tests' .hypothesis, bytecode and egg-info), the covidat library with
    its assets and templates, the executed pages' key (fingerprint) and the footer's build stamp
    (version, commit, date, dataset)."""
    library = ROOT / "src" / "covidat"
    files = []
    for base in [book] + ([] if library.is_relative_to(book) else [library]):
        for folder, folders, names in os.walk(base):
            folders[:] = sorted(f for f in folders if not f.startswith((".", "_build", "__pycache__"))
                                and not f.endswith(".egg-info"))
            files += [Path(folder) / name for name in sorted(names)]
    digest = hashlib.sha256((fingerprint(dataset) + build_stamp(dataset)).encode())
    _digest(digest, files, book)
    return digest.hexdigest()


def caches(dataset: Dataset, root: Path = CACHES) -> tuple[Path, Path]:
    """The dataset's cache directory and the MODEL_ONLY pages' one."""
    return root / fingerprint(dataset), root / f"model-{fingerprint(None)}"


def notebooks(book: Path = ROOT) -> list[Path]:
    """The notebooks in the book's table of contents, in reading order."""
    def files(node) -> list[str]:
        if isinstance(node, dict):
            return ([node["file"]] if "file" in node else []) + [f for child in node.values() for f in files(child)]
        return [f for child in node for f in files(child)] if isinstance(node, list) else []
    toc = yaml.safe_load((book / "_toc.yml").read_text())
    found = [book / f"{name}.ipynb" for name in [toc.get("root", "")] + files(toc)]
    return [path for path in dict.fromkeys(found) if path.exists()]


def _model_only(path: Path) -> bool:
    return any(Path(path).resolve() == (ROOT / f"{name}.ipynb").resolve() for name in MODEL_ONLY)


def _code_cells(notebook) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


@dataclass
class Failure:
    """A notebook that did not run to its end: where it stopped and why."""
    notebook: Path
    cell: int | None  # index among the code cells, as the tests number them; None if no cell started
    error: str  # one line
    details: str  # the cell's source and traceback, as nbclient reports them
    executed: nbformat.NotebookNode  # the notebook as far as it ran

    def __str__(self) -> str:
        where = "" if self.cell is None else f"::Cell {self.cell}"
        return f"{_shown(self.notebook)}{where}: {self.error}"


def _run(path: Path, dataset: Path | None, timeout: int):
    """Execute one notebook in its own folder (in a worker process) with the dataset in
    $COVIDAT_DATA; return it executed, the seconds it took, and a Failure or None."""
    if dataset is None:
        os.environ.pop("COVIDAT_DATA", None)
    else:
        os.environ["COVIDAT_DATA"] = str(dataset.resolve())
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    try:
        result = single_nb_execution(notebook, cwd=str(path.parent), timeout=timeout, allow_errors=False,
                                     config=KERNELS)
    except Exception as error:  # the kernel died or never started: no cell to blame
        return notebook, time.perf_counter() - start, Failure(path, None, f"{type(error).__name__}: {error}",
                                                              str(error), notebook)
    if result.err is None:
        return notebook, result.time, None
    cells = _code_cells(notebook)
    raised = [i for i, cell in enumerate(cells) if any(o.output_type == "error" for o in cell.outputs)]
    started = [i for i, cell in enumerate(cells) if cell.get("execution_count") is not None]
    cell = raised[0] if raised else (started[-1] if started else None)
    error = (f"{result.err.ename}: {result.err.evalue}" if hasattr(result.err, "ename")
             else str(result.err).strip().splitlines()[0])
    return notebook, result.time, Failure(path, cell, ANSI.sub("", error), ANSI.sub("", str(result.err)), notebook)


def _record(cache, notebook):
    """The cache's record of this notebook's current code, or None."""
    try:
        return cache.match_cache_notebook(notebook)
    except KeyError:
        return None


def _line(path: Path, what: str) -> str:
    return f"  {Path(path).stem:<28} {what}"


def execute(paths: list[Path], dataset: Dataset, root: Path = CACHES, timeout: int = 600,
            report=say) -> dict[Path, nbformat.NotebookNode | Failure]:
    """Execute, in parallel, the notebooks whose current code is not in their cache yet, and cache
    them; `report` gets one line per notebook (cached, executed in how long, or failed where).
    Returns every notebook's execution, cached or fresh, or its Failure (which is not cached)."""
    dataset_cache, model_cache = caches(dataset, root)
    runs, jobs = {}, []
    for path in paths:
        cache = get_cache(str(model_cache if _model_only(path) else dataset_cache))
        record = _record(cache, nbformat.read(path, as_version=4))
        if record is None:
            jobs.append((path, cache))
        else:
            runs[path] = cache.get_cache_bundle(record.pk).nb
            ran = record.data.get("execution_seconds")
            report(_line(path, "cached" + (f" (ran {ran:.0f} s)" if ran is not None else "")))
    jobs.sort(key=lambda job: not _model_only(job[0]))  # the long model chapter starts first
    if jobs:
        workers = min(len(jobs), os.cpu_count() or 1)
        report(f"executing {len(jobs)} of {len(paths)} notebooks, {workers} at a time, on {dataset.name}")
        with ProcessPoolExecutor(workers) as pool:
            running = {pool.submit(_run, path, None if _model_only(path) else dataset.directory, timeout):
                       (path, cache) for path, cache in jobs}
            for done in as_completed(running):
                path, cache = running[done]
                notebook, seconds, failure = done.result()
                runs[path] = failure or notebook
                if failure is None:
                    cache.cache_notebook_bundle(CacheBundleIn(notebook, str(path), data={"execution_seconds": seconds}),
                                                check_validity=False, overwrite=True)
                    report(_line(path, f"executed in {seconds:.1f} s"))
                else:
                    report(_line(path, f"FAILED after {seconds:.0f} s: {failure}"))
    copy_cached([p for p in paths if _model_only(p)], model_cache, dataset_cache)
    return runs


def copy_cached(notebooks: list[Path], source: Path, target: Path) -> None:
    """Copy the executed versions of `notebooks` cached in `source` into the cache `target`
    (a notebook that failed to execute is not there)."""
    source_cache, target_cache = get_cache(str(source)), get_cache(str(target))
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        record = _record(source_cache, notebook)
        if record is None or _record(target_cache, notebook) is not None:
            continue
        bundle = source_cache.get_cache_bundle(record.pk)
        target_cache.cache_notebook_bundle(CacheBundleIn(bundle.nb, bundle.record.uri, data=bundle.record.data,
                                                         artifacts=bundle.artifacts), check_validity=False)


def banner(dataset: Dataset, scorecard_url: str | None) -> str:
    """One line of HTML naming the dataset in words, for the top of pages with patient-level data."""
    words = f"<strong>{escape(notice.dataset_in_words(dataset))}</strong>"
    if dataset.is_reconstruction:
        return f"Patient-level numbers on this page come from {words}: synthetic patients consistent " \
               "with the published abstract, not the trial's records."
    text = f"Patient-level numbers on this page come from {words}, not the book's reconstruction."
    if scorecard_url:
        text += (f' <a href="{scorecard_url}" style="color: inherit; text-decoration: underline">'
                 'Which published claims they reproduce.</a>')
    return text


class NotebookFailed(SphinxError):
    category = "Notebook execution failed"


def prune(caches: Path, kept: set[Path]) -> None:
    others = sorted((p for p in caches.glob("*") if p.is_dir() and p not in kept),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in others[max(CACHES_KEPT - len(kept), 0):]:
        shutil.rmtree(stale, ignore_errors=True)


def _configure(app, config):
    app.covidat_started = time.perf_counter()
    directory = data_dir().resolve()
    if "COVIDAT_DATA" in os.environ:
        os.environ["COVIDAT_DATA"] = str(directory)  # kernels run in chapters/: no relative path
    try:
        app.covidat_dataset = load_dataset(directory)
    except DataError as error:
        raise ConfigError(f"the dataset breaks the data contract: {error}") from None
    app.covidat_caches = Path(config.nb_execution_cache_path or Path(app.outdir).parent / ".jupyter_cache").resolve()
    current, model = caches(app.covidat_dataset, app.covidat_caches)
    for cache in (current, model):
        cache.mkdir(parents=True, exist_ok=True)
        os.utime(cache)
    prune(app.covidat_caches, {current, model})
    config.nb_execution_cache_path = str(current)


def _execute_in_parallel(app, env, docnames):
    config = env.mystnb_config
    if config.execution_mode != "cache":
        return
    paths = [Path(env.doc2path(d)) for d in env.found_docs if d in docnames and env.doc2path(d).endswith(".ipynb")]
    order = {path: i for i, path in enumerate(notebooks(Path(app.srcdir)))}
    paths.sort(key=lambda p: order.get(p, len(order)))
    runs = execute(paths, app.covidat_dataset, app.covidat_caches, config.execution_timeout)
    failures = [run for run in runs.values() if isinstance(run, Failure)]
    if failures:
        raise NotebookFailed("\n\n".join(f"{failure}\n{failure.details}" for failure in failures))
    say(f"rendering {len(env.found_docs)} pages")


def _summarise(app, exception):
    if exception is not None:
        return
    warnings = getattr(app, "_warncount", 0)
    index = _shown(Path(app.outdir) / "index.html")
    pages = f"{len(app.env.found_docs)} pages in {time.perf_counter() - app.covidat_started:.0f} s"
    if warnings:
        say(f"{pages}: {warnings} warnings (above), and the book builds with -W: fix them")
    else:
        say(f"built {pages}, no warnings: {index}\n"
            f"open it: xdg-open {index}, or python3 -m http.server -d {_shown(app.outdir)} "
            "and browse to http://127.0.0.1:8000")


def _announce_dataset(app, pagename, templatename, context, doctree):
    """The banner, on the pages that show the dataset notice (pages of published numbers have none)."""
    if notice.NOTICE_CLASS not in context.get("body", ""):
        return
    scorecard = context["pathto"](SCORECARD) if SCORECARD in app.env.found_docs else None
    context["theme_announcement"] = banner(app.covidat_dataset, scorecard)


def setup(app):
    app.connect("config-inited", _configure)
    app.connect("env-before-read-docs", _execute_in_parallel)
    app.connect("html-page-context", _announce_dataset)
    app.connect("build-finished", _summarise)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def build(book: Path = ROOT, data: str | None = None) -> int:
    """Build the book into book/_build/html, strictly, and say what happened (`make book`). Returns
    the exit status: 0 built (or already up to date), 1 failed, 2 the data break the contract."""
    if data:
        os.environ["COVIDAT_DATA"] = str(Path(data).resolve())
    try:
        dataset = load_dataset()
    except DataError as error:
        print(f"error: {error}\nmake book: fix the dataset and run again", file=sys.stderr)
        return 2
    out = book / "_build"
    kind = "the reconstruction" if dataset.is_reconstruction else "supplied data"
    built, digest = out / BUILT_FROM, inputs(book, dataset)
    if (out / "html" / "index.html").is_file() and built.is_file() and built.read_text() == digest:
        say(f"{_shown(out / 'html' / 'index.html')} is up to date: built from {dataset.name} ({kind}), "
            "and nothing it depends on has changed since")
        return 0
    # Sphinx only re-reads changed pages, so a warm build would not repeat old warnings: start afresh
    # (the execution caches stay).
    built.unlink(missing_ok=True)
    for stale in (out / "html", out / ".doctrees"):
        shutil.rmtree(stale, ignore_errors=True)
    say(f"building {_shown(out / 'html')} from {dataset.name} ({kind})")
    status = build_sphinx(book, out / "html", noconfig=True, path_config=str(book / "_config.yml"),
                          confoverrides={"external_toc_path": str(book / "_toc.yml"), "nitpicky": True,
                                         "latex_individualpages": False},
                          warningiserror=True, keep_going=True, quiet=True)
    if status == 0:
        built.write_text(digest)
    return 0 if status == 0 else 1
