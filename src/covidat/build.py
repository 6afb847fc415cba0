"""Sphinx extension: build the book from one dataset, fast, and say on every page which one.

- The dataset is $COVIDAT_DATA (`make book DATA=DIR`) or the reconstruction. It is validated
  before anything runs: a contract violation stops the build with the loader's message.
- Executed notebooks are cached by jupyter-cache, which keys them on their code only. This
  extension gives every (dataset, library, data/) combination its own cache directory,
  `_build/.jupyter_cache/<fingerprint>`, so other data or changed analyses re-execute every page
  and an unchanged book is not executed again.
- Notebooks missing from that cache are executed in parallel (jupyter-cache's local-parallel
  executor, one process per core) before Sphinx reads them; Sphinx then finds them all cached.
- Every page carries a banner naming the dataset and whether it is the book's reconstruction.
"""
import hashlib
import logging
import os
import shutil
from html import escape
from pathlib import Path

from jupyter_cache import get_cache
from jupyter_cache.executors import load_executor
from sphinx.errors import ConfigError

from covidat import ROOT
from covidat.data import DataError, Dataset, data_dir, load_dataset

CACHES_KEPT = 4  # fingerprinted caches kept side by side (say, the reconstruction and three others)
SCORECARD = "chapters/16_scorecard"


def fingerprint(dataset: Dataset) -> str:
    """Hash of everything an executed page depends on besides its own code: the dataset (name
    and files), the project's data/ and the covidat library."""
    files = sorted(dataset.directory.glob("*.csv")) + sorted((ROOT / "data").rglob("*.csv"))
    files += sorted((ROOT / "src" / "covidat").rglob("*.py"))
    digest = hashlib.sha256(dataset.name.encode())
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
    logger = logging.getLogger("covidat.build")
    logger.setLevel(logging.WARNING)
    result = load_executor("local-parallel", cache, logger=logger).run_and_cache(
        filter_uris=[str(n.resolve()) for n in notebooks], timeout=timeout)
    return result.excepted + result.errored


def banner(dataset: Dataset, scorecard_url: str | None) -> str:
    """One line of HTML for the top of every page."""
    name = f"<strong>{escape(dataset.name)}</strong>"
    if dataset.is_reconstruction:
        text = (f"Built from the book's reconstructed dataset, {name}: synthetic patients consistent "
                f"with the published abstract, not the trial's records.")
    else:
        text = f"Built from supplied data, {name} ({len(dataset.patients)} patients), not the book's reconstruction."
        if scorecard_url:
            text += (f' <a href="{scorecard_url}" style="color: inherit; text-decoration: underline">'
                     'Which published claims they reproduce.</a>')
    return text


def _prune(caches: Path, current: Path) -> None:
    others = sorted((p for p in caches.glob("*") if p.is_dir() and p != current),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in others[CACHES_KEPT - 1:]:
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
    current.mkdir(parents=True, exist_ok=True)
    os.utime(current)
    _prune(caches, current)
    config.nb_execution_cache_path = str(current)


def _execute_in_parallel(app, env, docnames):
    config = env.mystnb_config
    if config.execution_mode != "cache":
        return
    notebooks = [Path(env.doc2path(d)) for d in sorted(docnames) if env.doc2path(d).endswith(".ipynb")]
    if notebooks:
        execute_into_cache(notebooks, Path(config.execution_cache_path), config.execution_timeout)


def _announce_dataset(app, pagename, templatename, context, doctree):
    scorecard = context["pathto"](SCORECARD) if SCORECARD in app.env.found_docs else None
    context["theme_announcement"] = banner(app.covidat_dataset, scorecard)


def setup(app):
    app.connect("config-inited", _configure)
    app.connect("env-before-read-docs", _execute_in_parallel)
    app.connect("html-page-context", _announce_dataset)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
