"""The reconstruction interval: the weighted summaries by hand, and the committed ranges file against the
committed dataset (a full regeneration takes minutes: `python -m covidat ranges`)."""
import shutil

import numpy as np
import pandas as pd
import pytest

from covidat import __main__ as cli
from covidat import endpoints
from covidat.data import DEFAULT_DATA, load_dataset
from covidat.reconstruction import ranges
from covidat.reconstruction.pinned import MIN_TAIL

RESULTS = endpoints.results(load_dataset(DEFAULT_DATA).patients)
COMMITTED = ranges.load()


def test_weighted_quantile_by_hand():
    x, w = [3, 1, 4, 2], [0.3, 0.1, 0.4, 0.2]  # sorted: 1 (.1), 2 (.3), 3 (.6), 4 (1.0)
    assert ranges.weighted_quantile(x, w, 0.025) == 1
    assert ranges.weighted_quantile(x, w, 0.3) == 2  # reaches 0.3 exactly at 2, not 3
    assert ranges.weighted_quantile(x, w, 0.975) == 4
    # weights matter: catches a quantile of the unweighted values (which would give 2 at 0.5)
    assert ranges.weighted_quantile(x, w, 0.5) == 3


def test_weighted_percentile_and_ess_by_hand():
    assert ranges.percentile_of([1, 2, 2, 3], [1, 1, 1, 1], 2)[0] == 0.5
    assert ranges.percentile_of([1, 2, 3], [0.5, 0.25, 0.25], 2.5)[0] == 0.75
    assert ranges.ess(np.full(40, 1 / 40)) == pytest.approx(40)
    assert ranges.ess([1, 1, 0, 0]) == pytest.approx(2)


@pytest.mark.parametrize("rid, low, high, value, ci, wide", [
    ("x.both.p", 0.03, 0.06, 0.04, (np.nan, np.nan), True),    # crosses 0.05
    ("x.both.p", 0.2, 0.5, 0.3, (np.nan, np.nan), True),       # more than a factor of two
    ("x.both.p", 0.2, 0.3, 0.25, (np.nan, np.nan), False),
    ("x.both.hazard_ratio", 4, 8, 5, (1.4, 17.5), False),      # narrower than half the CI
    ("x.both.hazard_ratio", 4, 8, 5, (3, 9), True),
    ("x.msc.median", 10, 12, 11, (np.nan, np.nan), True),       # more than a tenth of the value
    ("x.msc.median", 10, 10.5, 10, (np.nan, np.nan), False),
    ("x.both.hazard_ratio", 4, np.inf, 5, (1.4, 17.5), True),  # an infinite end
])
def test_is_wide(rid, low, high, value, ci, wide):
    assert ranges.is_wide(rid, low, high, value, *ci) is wide


def test_committed_file_covers_exactly_the_results_the_abstract_leaves_open():
    # Catches a stale file: a result added (or renamed) in covidat.endpoints without regenerating.
    open_ids = set(RESULTS["result_id"]) - ranges.pinned_ids()
    with_value = set(RESULTS.dropna(subset=["value"])["result_id"]) - ranges.pinned_ids()
    assert with_value <= set(COMMITTED["result_id"]) <= open_ids


def test_committed_values_are_the_committed_datasets_and_sit_at_their_percentile():
    # Catches an endpoint whose value changed since the ranges were computed, and a percentile that
    # disagrees with the range it is recorded beside.
    merged = COMMITTED.merge(RESULTS[["result_id", "value"]], on="result_id", suffixes=("", "_now"))
    assert np.allclose(merged["value"], merged["value_now"], rtol=1e-8, equal_nan=True)
    merged = merged.dropna(subset=["recon_low"])  # the ranges estimated (enough effective draws)
    inside = merged[(merged["percentile"] > 0.025) & (merged["percentile"] < 0.975)]
    assert ((inside["recon_low"] <= inside["value"]) & (inside["value"] <= inside["recon_high"])).all()
    below, above = merged[merged["percentile"] < 0.0125], merged[merged["percentile"] > 0.9875]
    assert (below["value"] <= below["recon_low"]).all() and (above["value"] >= above["recon_high"]).all()
    estimated = COMMITTED.dropna(subset=["recon_low"])
    assert (estimated["recon_low"] <= estimated["recon_high"]).all()
    # catches a range quoted from too few effective draws (chapter 12's rule, pinned.MIN_TAIL)
    assert (estimated["ess"] * 0.025 >= MIN_TAIL).all()
    assert COMMITTED.loc[COMMITTED["ess"] * 0.025 < MIN_TAIL, "recon_low"].isna().all()
    assert (COMMITTED["ess"] <= COMMITTED["n_datasets"] + 1e-9).all()


def test_summarise_on_a_tiny_batch():
    table = pd.DataFrame({"a.both.p": [0.1, 0.3, np.nan], "b.msc.mean": [1.0, 2.0, 3.0]})
    committed = pd.DataFrame({"result_id": ["a.both.p", "b.msc.mean"], "value": [0.2, 2.0],
                              "ci_low": [np.nan, 0.0], "ci_high": [np.nan, 10.0]})
    out = ranges.summarise(table, [0.5, 0.25, 0.25], committed).set_index("result_id")
    assert out.loc["a.both.p", "n_datasets"] == 2  # the NaN dataset is left out, weights renormalised
    assert out.loc["a.both.p", "ess"] == pytest.approx(0.75 ** 2 / (0.5 ** 2 + 0.25 ** 2))
    # three datasets cannot place a 2.5% quantile: not estimated, not quoted as the range 1 to 3
    assert np.isnan(out.loc["b.msc.mean", "recon_low"]) and not out.loc["b.msc.mean", "wide"]
    assert ranges.range_text("b.msc.mean", out.reset_index()).startswith("not estimable")


def test_summarise_on_a_batch_large_enough():
    x = np.arange(400.0)
    committed = pd.DataFrame({"result_id": ["b.msc.mean"], "value": [200.0], "ci_low": [0.0], "ci_high": [1000.0]})
    out = ranges.summarise(pd.DataFrame({"b.msc.mean": x}), np.ones(400), committed).iloc[0]
    assert (out["recon_low"], out["recon_high"]) == (9.0, 389.0)  # the 10th and 390th of 400 equal draws
    assert out["percentile"] == pytest.approx(200.5 / 400)


def test_range_text_adds_digits_until_the_ends_differ():
    # catches a cell reading '0.043 to 0.043': ends that round alike get a digit more, at most two,
    # and a range of one value reads as one value
    table = pd.DataFrame({"result_id": ["p", "same", "wide"], "n_datasets": [100] * 3, "ess": [80.0] * 3,
                          "recon_low": [0.04251, 0.0400001, 0.01], "recon_high": [0.04349, 0.0400002, 0.3],
                          "wide": [False, False, True]})
    assert ranges.range_text("p", table, digits=3) == "0.0425 to 0.0435"
    assert ranges.range_text("same", table, digits=3) == "0.040 (no spread)"
    assert ranges.range_text("wide", table, digits=2) == "0.01 to 0.30 (illustrative)"


def test_results_command_prints_ranges_on_the_reconstruction_only(tmp_path, capsys):
    assert cli.main(["results", "--data", str(DEFAULT_DATA)]) == 0
    table = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    assert {"recon_low", "recon_high"} <= set(table.columns)
    estimated = COMMITTED.dropna(subset=["recon_low"])["result_id"]
    assert table.set_index("result_id").loc[estimated, "recon_low"].notna().all()
    supplied = tmp_path / "supplied"
    shutil.copytree(DEFAULT_DATA, supplied)
    assert cli.main(["results", "--data", str(supplied)]) == 0
    assert "recon_low" not in capsys.readouterr().out


def test_range_column_only_on_the_reconstruction(tmp_path):
    frame = pd.DataFrame({"x": [1, 2]})
    rid = COMMITTED["result_id"].iloc[0]
    shown, labels, notes = ranges.add_column(frame, [rid, None], {"x": "X"}, load_dataset(DEFAULT_DATA))
    assert shown["recon"].iloc[0] != "" and shown["recon"].iloc[1] == "" and "recon" in labels and notes
    supplied = tmp_path / "supplied"
    shutil.copytree(DEFAULT_DATA, supplied)
    # catches a range column printed beside real data, which have no reconstruction range
    assert ranges.add_column(frame, [rid, None], {"x": "X"}, load_dataset(supplied)) == (frame, {"x": "X"}, ())
