"""Bring your own data really rebuilds: every chapter, executed the way `make book` executes it (same
executor, same cache keying), on a copy of the data with one patient changed, shows the new numbers
and the scorecard marks exactly the claims that change. Nothing is hard-coded. The executions are
cached under the build's own key, in _build/tests/, so a second run with the same library, data/
and chapters reuses them, and any change to those runs every chapter again."""
import shutil

import nbformat
import pytest
from jupyter_cache import get_cache

from covidat import ROOT
from covidat.book import build
from covidat.beyond import scorecard
from covidat.data import DEFAULT_DATA, load_dataset
from csvtools import read_rows, write_rows

IMPROVEMENT = ["who_improved_day7.{arm}.n", "who_improved_day7.{arm}.pct", "who_improved_day7.both.p"]


# Chapters that draw their datasets from the reconstruction model never read the supplied data
# (their notice names the reconstruction whatever the book is built from): the build keeps them in
# a cache of their own, and they are left out here.
MODEL_ONLY = build.MODEL_ONLY


def book_notebooks() -> list:
    return [path for path in build.notebooks() if str(path.relative_to(ROOT).with_suffix("")) not in MODEL_ONLY]


def test_model_only_chapters_do_not_read_the_supplied_data():
    for name in MODEL_ONLY:
        source = (ROOT / f"{name}.ipynb").read_text()
        assert "load_dataset()" not in source and "data_notice()" not in source, name


def change_one_improvement(directory) -> list[str]:
    """Move one patient across the improvement line at day 7 while keeping the data contract: an
    improved MSC patient back to the baseline score, or else a placebo patient one point better.
    Returns the claims that change."""
    rows = read_rows(directory / "patients.csv")
    header = rows[0]
    col = {name: header.index(name) for name in header}
    for row in rows[1:]:
        before, after, improved = int(row[col["who_day0"]]), int(row[col["who_day7"]]), row[col["improved_day7"]]
        if row[col["arm"]] == "MSC" and improved == "1" and 4 <= after <= 6:
            row[col["who_day7"]], row[col["improved_day7"]], arm = str(before), "0", "msc"
        elif row[col["arm"]] == "placebo" and improved == "0" and after == before and before >= 5:
            row[col["who_day7"]], row[col["improved_day7"]], arm = str(before - 1), "1", "placebo"
        else:
            continue
        write_rows(directory / "patients.csv", rows)
        load_dataset(directory)  # still meets the contract
        return [c.format(arm=arm) for c in IMPROVEMENT]
    pytest.fail("no patient can cross the improvement line without breaking the contract")


def glued(notebook) -> dict[str, str]:
    """Every glued value of an executed notebook, as text."""
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                values[name] = output["data"].get("text/plain", "")
    return values


def outputs_text(notebook) -> str:
    return "\n".join(str(o.get("data", {}).get("text/markdown", "")) for c in notebook.cells for o in c.get("outputs", []))


CHANGED = ROOT / "_build" / "tests" / "changed"  # a fixed place, so the cache key stays the same between runs
CACHES = ROOT / "_build" / "tests" / ".jupyter_cache"


@pytest.fixture(scope="module")
def rebuilt():
    """Every chapter executed, as the build executes it, with COVIDAT_DATA pointing at the changed copy."""
    shutil.rmtree(CHANGED, ignore_errors=True)
    shutil.copytree(DEFAULT_DATA, CHANGED)
    changed = change_one_improvement(CHANGED)
    dataset = load_dataset(CHANGED)
    CACHES.mkdir(parents=True, exist_ok=True)
    build.prune(CACHES, set(build.caches(dataset, CACHES)))
    runs = build.execute(book_notebooks(), dataset, CACHES, report=lambda line: None)
    failed = [run for run in runs.values() if isinstance(run, build.Failure)]
    executed = {path.stem: (nbformat.read(path, as_version=4), run) for path, run in runs.items()}
    return CHANGED, changed, failed, executed


def test_every_chapter_builds_on_data_that_fail_claims(rebuilt):
    _, _, failed, executed = rebuilt
    assert failed == [], "\n".join(f"{f}\n{f.details}" for f in failed)
    assert len(executed) == len(book_notebooks())


REPRODUCED = scorecard.counts(scorecard.scorecard(load_dataset(DEFAULT_DATA).patients))["reproduced"]


def test_scorecard_marks_exactly_the_changed_claims(rebuilt):
    _, changed, _, executed = rebuilt
    after = glued(executed["16_scorecard"][1])
    assert set(after["failing_claims"].strip("'").split(", ")) == set(changed)
    assert int(after["n_not_reproduced"]) == len(changed)
    assert int(after["n_reproduced"]) == REPRODUCED - len(changed)
    assert outputs_text(executed["16_scorecard"][1]).count("**not reproduced**") == len(changed)


def test_dependent_numbers_change_elsewhere(rebuilt):
    _, changed, _, executed = rebuilt
    after = glued(executed["04_data"][1])
    assert int(after["n_fails"]) == len(changed)
    assert int(after["n_holds"]) == REPRODUCED - len(changed)


def test_every_page_with_patient_data_names_the_supplied_dataset(rebuilt):
    data, _, _, executed = rebuilt
    with_notice = [name for name, (committed, _) in executed.items() if "Reconstructed data" in outputs_text(committed)]
    assert with_notice, "no chapter shows the dataset notice"
    for name in with_notice:
        text = outputs_text(executed[name][1])
        assert "Supplied data" in text and data.name in text and "Reconstructed data" not in text, name


def test_the_cache_is_keyed_on_the_data(rebuilt, tmp_path):
    data = rebuilt[0]
    changed, original = load_dataset(data), load_dataset(DEFAULT_DATA)
    assert build.fingerprint(changed) != build.fingerprint(original)
    same_content = tmp_path / "copy"
    shutil.copytree(DEFAULT_DATA, same_content)
    # The name is on every page, so the same files elsewhere are another build.
    assert build.fingerprint(load_dataset(same_content)) != build.fingerprint(original)
    assert build.fingerprint(load_dataset(DEFAULT_DATA)) == build.fingerprint(original)


def test_model_only_pages_are_cached_whatever_the_data(tmp_path):
    # Their cache key ignores the dataset; an executed page moves from their cache into a dataset's.
    assert build.fingerprint(None) != build.fingerprint(load_dataset(DEFAULT_DATA))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    path = tmp_path / "page.ipynb"
    nbformat.write(notebook, path)
    dataset = load_dataset(DEFAULT_DATA)
    run = build.execute([path], dataset, tmp_path / "caches", timeout=60, report=lambda line: None)[path]
    assert run.cells[0].outputs[0]["text"] == "42\n"
    build.copy_cached([path], build.caches(dataset, tmp_path / "caches")[0], tmp_path / "other")
    executed = get_cache(str(tmp_path / "other")).get_cache_bundle(
        get_cache(str(tmp_path / "other")).match_cache_notebook(notebook).pk).nb
    assert executed.cells[0].outputs[0]["text"] == "42\n"


def test_banner_names_the_dataset(rebuilt):
    supplied = build.banner(load_dataset(rebuilt[0]), "16_scorecard.html")
    assert "supplied dataset" in supplied and rebuilt[0].name in supplied and 'href="16_scorecard.html"' in supplied
    own = build.banner(load_dataset(DEFAULT_DATA), None)
    assert "reconstructed dataset" in own and "data/reconstructed" not in own  # words, not a path


def test_the_banner_is_on_the_pages_with_patient_data_only(site):
    # A page of published numbers only must not claim to be built from patient-level data.
    pages = sorted(site.glob("*.html")) + sorted(site.glob("chapters/*.html"))
    with_notice = [p for p in pages if "covidat-data-notice" in p.read_text()]
    assert len(pages) > 5 and with_notice
    for page in pages:
        html = page.read_text()
        banner = 'class="bd-header-announcement"' in html and "Patient-level numbers on this page" in html
        assert banner == (page in with_notice), page
