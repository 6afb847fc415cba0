"""The chapter 'What the abstract pins down': each summary re-derived independently on small batches."""
import math
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from covidat import endpoints
from covidat.endpoints import stats as endpoint_stats
from covidat.reconstruction import pinned, sampler
from covidat.data.claims import load_claims
from covidat.data import DEFAULT_DATA, PATIENT_COLUMNS, load_dataset
from covidat.reconstruction.sampler import Batch


def batch_of(frames: list[pd.DataFrame]) -> Batch:
    """A batch of hand-made datasets, each with the arms in the order of the first."""
    frames = [f.sort_values("arm", kind="stable").reset_index(drop=True) for f in frames]
    columns = {c.name: np.stack([f[c.name].to_numpy(object if c.kind is str else float, na_value=np.nan)
                                 for f in frames]) for c in PATIENT_COLUMNS}
    return Batch(columns, frames[0]["arm"].to_numpy())


@pytest.fixture(scope="module")
def frames() -> list[pd.DataFrame]:
    """The committed dataset and two variants: other day-7 values, other stays, one death."""
    base = load_dataset().patients.sort_values("arm", kind="stable").reset_index(drop=True)
    rng = np.random.default_rng(1)
    wider = base.copy()
    wider["pf_day7"] = wider["pf_day7"] + rng.integers(-40, 41, len(base))
    wider.loc[0, "pf_day7"] = np.nan
    died = base.copy()
    died["hospital_days"] = rng.permutation(died["hospital_days"].to_numpy())
    last = died.index[-1]
    died.loc[last, ["died", "discharged", "death_day"]] = [1, 0, died.loc[last, "hospital_days"]]
    return [base, wider, died]


def welch_p_by_hand(a, b) -> float:
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    t = (np.mean(a) - np.mean(b)) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    return 2 * stats.t.sf(abs(t), df)


def test_values_match_an_independent_welch_test_per_dataset(frames):
    table = pinned.values(batch_of(frames))
    assert len(table) == len(frames)
    for i, f in enumerate(frames):
        change = (f["pf_day7"] - f["pf_day0"]).groupby(f["arm"]).apply(lambda s: s.dropna().to_numpy())
        assert table.loc[i, "pf_change_day7.both.p"] == pytest.approx(
            welch_p_by_hand(change["MSC"], change["placebo"]), rel=1e-9)


def test_every_produced_result_equals_the_endpoint_on_that_dataset(frames):
    """Including the count-only endpoints, which run once per distinct pair of counts."""
    batch = batch_of(frames)
    table = pinned.values(batch)
    ids = pinned.produced(pinned.OPEN_RESULTS, batch.frame(0))
    assert "pf_change_day7.both.p" in ids
    for i, f in enumerate(batch.frames()):
        for rid in ids:
            endpoint, arm, statistic = rid.split(".")
            expected = endpoints.ENDPOINTS[endpoint](f).values[(arm, statistic)]  # every open result is "both"
            assert table.loc[i, rid] == pytest.approx(expected, rel=1e-12)


def test_pending_results_are_missing_not_invented(frames):
    table = pinned.values(batch_of(frames), ["pf_change_day7.both.p", "no_such_endpoint.both.p",
                                             "pf_change_day7.both.no_such_statistic"])
    assert table["no_such_endpoint.both.p"].isna().all()
    assert table["pf_change_day7.both.no_such_statistic"].isna().all()
    assert pinned.produced(["no_such_endpoint.both.p"], frames[0]) == []


def test_describe_counts_deaths_and_pools_the_within_arm_sd_by_hand(frames):
    described = pinned.describe(batch_of(frames))
    assert described["deaths"].tolist() == [int(f["died"].sum()) for f in frames]
    for i, f in enumerate(frames):
        sds = (f["pf_day7"] - f["pf_day0"]).groupby(f["arm"]).std()  # pandas: ddof 1, skips NaN
        assert described.loc[i, "pf_change_sd"] == pytest.approx(math.sqrt((sds ** 2).mean()))


def test_spread_gives_quantiles_and_flags_constants():
    table = pd.DataFrame({"x": [3.0, 1.0, 2.0, np.nan, 10.0], "same": [0.5] * 5})
    s = pinned.spread(table, ["x", "same"]).set_index("column")
    assert s.loc["x", "n"] == 4 and s.loc["x", "ess"] == pytest.approx(4)
    assert s.loc["x", "min"] == 1 and s.loc["x", "max"] == 10
    assert s.loc["x", "q0.5"] == 2  # the smallest value with half the weight at or below it
    assert not s.loc["x", "constant"] and s.loc["same", "constant"]


def test_weighted_quantiles_follow_the_weights():
    # A weight of 0.9 on the largest value moves the median to it; equal weights would not.
    table = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    s = pinned.spread(table, ["x"], weights=[0.05, 0.05, 0.9]).set_index("column")
    assert s.loc["x", "q0.5"] == 3
    assert s.loc["x", "ess"] == pytest.approx(1 / (0.05 ** 2 * 2 + 0.81))


def test_weighted_percentile_is_share_below_plus_half_the_share_equal():
    assert pinned.weighted_percentile([1, 2, 2, 3], [0.1, 0.2, 0.3, 0.4]).tolist() == pytest.approx(
        [0.05, 0.35, 0.35, 0.8])


def test_shares_are_weighted_with_their_monte_carlo_error():
    table = pd.DataFrame({"pf_change_day7.both.p": [0.2, 0.01, 0.9], "deaths": [0, 2, 0]})
    w = np.array([0.5, 0.25, 0.25])
    shares = pinned.shares(table, weights=w)
    assert shares.loc["some_death", "share"] == pytest.approx(0.25)
    assert shares.loc["some_death", "mcse"] == pytest.approx(np.sqrt((w ** 2 * (np.array([0, 1, 0]) - 0.25) ** 2).sum()))
    assert shares.loc["primary_not_significant", "conditioned"]
    assert not shares.loc["some_death", "conditioned"]
    assert pinned.verdict(*shares.loc["some_death", ["share", "mcse", "conditioned"]]) == "depends"
    assert pinned.verdict(1.0, 0.0) == "in every dataset drawn"
    assert pinned.verdict(0.2, 0.1, conditioned=True) == "by construction"
    assert pinned.verdict(float("nan"), float("nan")) == "not computed"


def test_hazard_ratio_conclusion_reads_both_sides_of_the_ci_and_skips_datasets_not_computed():
    table = pd.DataFrame({"o2_discontinuation.both.hazard_ratio.ci_low": [1.2, 0.1, 0.5, np.nan],
                          "o2_discontinuation.both.hazard_ratio.ci_high": [4.0, 0.8, 2.0, np.nan]})
    assert pinned.shares(table).loc["hr_ci_excludes_1", "share"] == pytest.approx(2 / 3)


def test_distinct_counts_datasets_that_differ_only_by_patient_order_once(frames):
    base = frames[0]
    reordered = base.copy()
    msc = reordered.index[reordered["arm"] == "MSC"]
    reordered.loc[msc, "hospital_days"] = reordered.loc[msc[::-1], "hospital_days"].to_numpy()
    other = base.copy()
    other.loc[0, "hospital_days"] = other.loc[0, "hospital_days"] + 1
    assert pinned.distinct(batch_of([base, reordered, other]), "hospital_days") == 2


def test_distinct_counts_missing_values_as_equal(frames):
    # Two copies of a dataset with a missing day-7 value are one dataset, not two.
    assert frames[1]["pf_day7"].isna().any()
    assert pinned.distinct(batch_of([frames[1], frames[1].copy()]), "pf_day7") == 1


def test_sd_bound_is_where_the_published_difference_stops_being_significant():
    claims = load_claims().set_index("claim_id")["value"]
    means = claims["pf_change_day7.msc.mean"], claims["pf_change_day7.placebo.mean"]
    n = int(claims["randomised.msc.n"])
    bound = pinned.sd_bound()

    def p(sd):
        return stats.ttest_ind_from_stats(means[0], sd, n, means[1], sd, n, equal_var=False).pvalue

    assert p(bound) == pytest.approx(claims["pf_change_day7.both.p"], rel=1e-6)
    assert p(bound * 0.99) < 0.05 < p(bound * 1.01)
    at_bound = pd.DataFrame({"pf_change_sd": [bound * 0.99, bound * 1.01]})
    assert pinned.shares(at_bound).loc["sd_above_bound", "share"] == 0.5


def test_count_only_endpoints_run_once(frames):
    # Bug caught: the READS cache keyed on the wrong columns (run on every dataset, or once for all).
    table = pinned.values(batch_of(frames), ["pf_change_day7.msc.mean", "who_improved_day7.both.p"])
    assert table.notna().all().all()
    assert table.attrs["runs"] == {"pf_change_day7": 3, "who_improved_day7": 1}
    other = frames[0].copy()
    other.loc[other["arm"] == "placebo", "improved_day7"] = [1] + [0] * 9
    assert pinned.values(batch_of(frames + [other]), ["who_improved_day7.both.p"]).attrs["runs"] == {
        "who_improved_day7": 2}


def test_batched_results_equal_their_endpoint_dataset_by_dataset(frames):
    batch = batch_of(frames)
    produced = pinned.produced(pinned.BATCHED, frames[0])
    assert "pf_change_day7.both.p" in produced
    for rid in produced:
        batched = pinned.BATCHED[rid](batch)
        endpoint, arm, statistic = rid.split(".")
        for i, frame in enumerate(batch.frames()):
            assert batched[i] == pytest.approx(endpoints.ENDPOINTS[endpoint](frame).values[(arm, statistic)],
                                               rel=1e-9, abs=1e-12), (rid, i)


def test_partitions_of_n_are_all_there_once():
    assert sorted(pinned._partitions(5)) == sorted([(5,), (4, 1), (3, 2), (3, 1, 1), (2, 2, 1), (2, 1, 1, 1),
                                                    (1, 1, 1, 1, 1)])
    assert sum(1 for _ in pinned._partitions(20)) == 627  # p(20)


def test_mann_whitney_u_p_is_what_the_tests_give_on_committed_datasets():
    # Bug caught: a formula in mann_whitney_u_p that is not the test the endpoints run, which would make
    # the bounds of rank_test_range bound something else.
    batch = sampler.load_batch()
    msc, placebo = pinned._column(batch, "hospital_days")
    msc, placebo = msc[:40], placebo[:40]
    u = ((msc[:, :, None] > placebo[:, None, :]) + 0.5 * (msc[:, :, None] == placebo[:, None, :])).sum((1, 2))
    ties = np.array([sum(t ** 3 - t for t in np.unique(row, return_counts=True)[1]) for row in np.c_[msc, placebo]])
    n1, n2 = msc.shape[1], placebo.shape[1]
    np.testing.assert_allclose(endpoint_stats.mann_whitney_u_p("published", u, ties, n1, n2),
                               endpoint_stats.mann_whitney_p_batch(msc, placebo), rtol=1e-9)
    for variant, exact in (("exact", True), ("normal", False)):
        np.testing.assert_allclose(endpoint_stats.mann_whitney_u_p(variant, u, ties, n1, n2),
                                   endpoint_stats.mann_whitney_variant_p_batch(msc, placebo, exact=exact), rtol=1e-9)


def test_rank_test_ranges_bound_every_dataset_drawn():
    # The ranges are over a superset of the consistent datasets: every committed dataset lies inside.
    # Bug caught: a superset that misses tie patterns or U values (a 'proof' over too few datasets).
    table = pinned.load_committed(DEFAULT_DATA / "pinned.csv")
    for variant in ("exact", "normal"):
        low, high = pinned.rank_test_range(variant)
        p = table[f"hospital_stay.both.p_{variant}"]
        assert ((p >= low * (1 - 1e-9)) & (p <= high * (1 + 1e-9))).all(), variant  # pinned.csv keeps 10 digits
    published_low, published_high = pinned.rank_test_range("published")
    assert 0.0415 <= published_low <= published_high < 0.0425


def test_proofs_decide_only_what_the_claims_fix():
    # Improvement tests depend on the two published counts only; the normal-approximation rank test is
    # below 0.05 for every U and tie pattern that prints 0.042; the exact one is not decided.
    table = pinned.load_committed(DEFAULT_DATA / "pinned.csv")
    shares = pinned.shares(table, weights=table["weight.as assumed"])
    for cid in ("improvement_boschloo", "improvement_barnard", "risk_difference_excludes_0", "hospital_normal"):
        assert shares.loc[cid, "proved"] is True, cid
        assert shares.loc[cid, "share"] == 1
        assert pinned.verdict(*shares.loc[cid, ["share", "mcse", "conditioned", "proved"]]) == \
            "proved in every consistent dataset"
    assert shares.loc["hospital_exact", "proved"] is None
    assert pinned.verdict(1.0, 0.0, proved=False) == "proved in none"
