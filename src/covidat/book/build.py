"""Sphinx extension: build the book from one dataset, fast, and say on every page which one.

- The dataset is $COVIDAT_DATA (`make book DATA=DIR`) or the reconstruction. It is validated
  before anything runs: a contract violation stops the build with the loader's message.
- Executed notebooks are cached by jupyter-cache, which keys them on their code only. This
  extension gives every (dataset, library, data/) combination its own cache directory,
  `_build/.jupyter_cache/<fingerprint>`, so other data or changed analyses re-execute every page
  and an unchanged book is not executed again.
- Notebooks missing from that cache are executed in parallel (jupyter-cache's local-parallel
  executor, one process per core) before Sphinx reads them; Sphinx then finds them all cached.
- Chapters that sample the reconstruction's model and never read the build's dataset (MODEL_ONLY)
  are cached by library and data/ alone and copied into each dataset's cache, so building from
  another dataset does not run them again.
- Every page with patient-level numbers carries a banner naming the dataset, in words, and whether it
  is the book's reconstruction.
"""
import hashlib
import logging
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from html import escape
from pathlib import Path

import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors import load_executor
from sphinx.errors import ConfigError

from covidat import ROOT
from covidat.book import notice
from covidat.data import DataError, Dataset, data_dir, load_dataset

CACHES_KEPT = 4  # fingerprinted caches kept side by side (say, the reconstruction and three others)
SCORECARD = "chapters/16_scorecard"
MODEL_ONLY = ("chapters/12_pinned_down",)  # pages that draw from the model, whatever the dataset


def fingerprint(dataset: Dataset | None) -> str:
    """Hash of everything an executed page depends on besides its own code: the dataset (name
    and files; None for MODEL_ONLY pages), the project's data/ and the covidat library."""
    files = sorted((ROOT / "data").rglob("*.csv")) + sorted((ROOT / "src" / "covidat").rglob("*.py"))
    digest = hashlib.sha256()
    if dataset is not None:
        files = sorted(dataset.directory.glob("*.csv")) + files
        digest.update(dataset.name.encode())
    for path in files:
        digest.update(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def execute_into_cache(notebooks: list[Path], cache_path: Path, timeout: int) -> list[str]:
    """Execute, in parallel, the notebooks whose current code is not cached yet; return the
    ones that failed (the build then re-executes them and reports the error)."""
    cache = get_cache(str(cache_path))
    for notebook in notebooks:
        cache.add_nb_to_project(str(notebook))
    logger = logging.getLogger("covidat.book.build")
    logger.setLevel(logging.WARNING)
    result = load_executor("local-parallel", cache, logger=logger).run_and_cache(
        filter_uris=[str(n.resolve()) for n in notebooks], timeout=timeout)
    return result.excepted + result.errored


def _record(cache, notebook):
    """The cache's record of this notebook's current code, or None."""
    try:
        return cache.match_cache_notebook(notebook)
    except KeyError:
        return None


def copy_cached(notebooks: list[Path], source: Path, target: Path) -> None:
    """Copy the executed versions of `notebooks` cached in `source` into the cache `target`
    (a notebook that failed to execute is not there: the build runs it and reports why)."""
    source_cache, target_cache = get_cache(str(source)), get_cache(str(target))
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        record = _record(source_cache, notebook)
        if record is None or _record(target_cache, notebook) is not None:
            continue
        bundle = source_cache.get_cache_bundle(record.pk)
        target_cache.cache_notebook_bundle(CacheBundleIn(bundle.nb, bundle.record.uri, artifacts=bundle.artifacts),
                                           check_validity=False)


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


def _prune(caches: Path, kept: set[Path]) -> None:
    others = sorted((p for p in caches.glob("*") if p.is_dir() and p not in kept),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in others[max(CACHES_KEPT - len(kept), 0):]:
        shutil.rmtree(stale, ignore_errors=True)


def _configure(app, config):
    directory = data_dir().resolve()
    if "COVIDAT_DATA" in os.environ:
        os.environ["COVIDAT_DATA"] = str(directory)  # kernels run in chapters/: no relative path
    try:
        app.covidat_dataset = load_dataset(directory)
    except DataError as error:
        raise ConfigError(f"the dataset breaks the data contract: {error}") from None
    caches = Path(config.nb_execution_cache_path or Path(app.outdir).parent / ".jupyter_cache").resolve()
    current = caches / fingerprint(app.covidat_dataset)
    app.covidat_model_cache = caches / f"model-{fingerprint(None)}"
    for cache in (current, app.covidat_model_cache):
        cache.mkdir(parents=True, exist_ok=True)
        os.utime(cache)
    _prune(caches, {current, app.covidat_model_cache})
    config.nb_execution_cache_path = str(current)


def _execute_in_parallel(app, env, docnames):
    config = env.mystnb_config
    if config.execution_mode != "cache":
        return
    notebooks = {d: Path(env.doc2path(d)) for d in sorted(docnames) if env.doc2path(d).endswith(".ipynb")}
    model_only = [path for d, path in notebooks.items() if d in MODEL_ONLY]
    others = [path for d, path in notebooks.items() if d not in MODEL_ONLY]
    current = Path(config.execution_cache_path)
    with ThreadPoolExecutor() as pool:  # the two caches side by side, each executing in parallel
        runs = [pool.submit(execute_into_cache, group, cache, config.execution_timeout)
                for group, cache in ((model_only, app.covidat_model_cache), (others, current)) if group]
    for run in runs:
        run.result()  # an executor that crashed stops the build here; a failing notebook does not
    copy_cached(model_only, app.covidat_model_cache, current)


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
    return {"parallel_read_safe": True, "parallel_write_safe": True}
