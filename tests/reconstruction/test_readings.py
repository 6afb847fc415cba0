"""The abstract's readings: the committed sample is what `readings.score` draws; each reading's
datasets meet that reading's hospital-stay claims (recomputed with scipy, not the sampler's code)
and every other claim; the Bayes factors, the screen and the proofs are what they say."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from covidat.beyond.scorecard import check
from covidat.data import coherence
from covidat.data.claims import holds, load_claims
from covidat.endpoints import hospital
from covidat.reconstruction import pinned, readings, sampler

COMMITTED = readings.load()
CONSTANTS = readings.load_constants()
CLAIMS = load_claims().set_index("claim_id")


def test_committed_readings_begin_with_what_score_draws():
    # A stale readings.csv (other model, claims, readings or seed) fails here; 3 rounds take seconds.
    batches, constants = readings.score(rounds=3)
    pd.testing.assert_frame_equal(constants, CONSTANTS[CONSTANTS["round"] < 3].reset_index(drop=True),
                                  check_exact=False, rtol=1e-9)
    for label, batch in batches.items():
        if batch is None:
            assert label not in COMMITTED or (COMMITTED[label].rounds >= 3).all()
            continue
        committed = COMMITTED[label]
        assert (committed.rounds[:len(batch)] == batch.rounds).all(), label
        for name, got in batch.columns.items():
            want = committed.columns[name][:len(batch)]
            assert (got == want).all() if got.dtype == object else np.array_equal(got, want, equal_nan=True), name
        np.testing.assert_allclose(batch.log_weights, committed.log_weights[:len(batch)], rtol=1e-9)


def test_committed_sample_has_every_round_and_reading():
    assert sorted(CONSTANTS["round"].unique()) == list(range(readings.ROUNDS))
    assert set(CONSTANTS["reading"]) == set(readings.STAY_READINGS)
    assert all(len(batch) <= readings.KEEP for batch in COMMITTED.values())


def _independent_stay_values(patients: pd.DataFrame, reading: sampler.StayReading) -> dict:
    """Each arm's values under a reading, written out without the sampler's code."""
    out = {}
    for arm in ("MSC", "placebo"):
        rows = patients[patients["arm"] == arm]
        stays = [min(float(d), reading.cut) for d in rows["hospital_days"]]
        died = [bool(x) for x in rows["died"]]
        if reading.deaths == "survivors only":
            stays = [s for s, d in zip(stays, died) if not d]
        elif reading.deaths == "ranked worst":
            stays = [1e9 if d else s for s, d in zip(stays, died)]
        out[arm] = np.array(stays)
    return out


def _claim_holds(claim_id, value) -> bool:
    c = CLAIMS.loc[claim_id]
    return bool(holds(c["relation"], float(c["value"]), int(c["decimals"]), value))


@pytest.mark.parametrize("label", [label for label in readings.STAY_READINGS if label in COMMITTED])
def test_heaviest_datasets_of_each_reading_meet_its_stay_claims_and_every_other_claim(label):
    # A dataset the scoring kept under the wrong reading, or one breaking a claim outside hospital stay,
    # fails here. The published test is scipy's asymptotic test with continuity correction.
    reading, batch = readings.STAY_READINGS[label], COMMITTED[label]
    for i in np.argsort(-batch.weights)[:3]:
        patients = batch.frame(int(i))
        values = _independent_stay_values(patients, reading)
        assert _claim_holds("hospital_stay.msc.median", np.median(values["MSC"]))
        assert _claim_holds("hospital_stay.placebo.median", np.median(values["placebo"]))
        if reading.test == "published":
            p = sps.mannwhitneyu(values["MSC"], values["placebo"], method="asymptotic", use_continuity=True).pvalue
            assert _claim_holds("hospital_stay.both.p", p)
        failing = [c.claim_id for c in check(patients) if c.status == "fails"]
        assert not [c for c in failing if not c.startswith("hospital_stay.")], failing
        assert coherence.violations(patients).empty


@pytest.mark.parametrize("label", list(readings.STAY_READINGS))
def test_stay_p_is_the_rank_test_written_out(label):
    # stay_p computes U and ties for a batch at once; a wrong tie sum or a left-out patient counted
    # would change the p of some dataset of the book's batch.
    reading, batch = readings.STAY_READINGS[label], sampler.load_batch()
    got = readings.stay_p(batch, reading)[:40]
    for i in range(40):
        values = _independent_stay_values(batch.frame(i), reading)
        if reading.test == "exact":
            want = sps.mannwhitneyu(values["MSC"], values["placebo"], method="exact").pvalue
        else:
            want = sps.mannwhitneyu(values["MSC"], values["placebo"], method="asymptotic",
                                    use_continuity=reading.test == "published").pvalue
        assert got[i] == pytest.approx(want, rel=1e-9), i


def test_stay_p_of_the_book_reading_is_the_hospital_endpoint():
    batch = sampler.load_batch()
    for i in range(5):
        assert readings.stay_p(batch, sampler.BOOK_STAY)[i] == pytest.approx(
            hospital.hospital_stay(batch.frame(i)).get("both", "p"), rel=1e-12)


def test_bayes_factor_is_a_ratio_of_mean_constants_with_its_delta_method_error():
    # Averaging per-round ratios instead of the constants, or dropping rounds where a reading kept
    # nothing, gives other numbers.
    z = {"a": [2.0, 0.0, 4.0, 2.0], "b": [1.0, 3.0, 0.0, 0.0]}
    with np.errstate(divide="ignore"):
        constants = pd.DataFrame([(k, label, np.log(v)) for label, values in z.items() for k, v in enumerate(values)],
                                 columns=["round", "reading", "log_z"])
    table = readings.bayes_factors(constants, reference="a")
    x, y = np.array(z["b"]), np.array(z["a"])
    ratio = x.sum() / y.sum()
    assert table.loc["b", "factor"] == pytest.approx(0.5)
    assert table.loc["b", "mcse"] == pytest.approx(np.sqrt(((x - ratio * y) ** 2).sum()) / y.sum())
    assert table.loc["b", "rounds"] == 2 and table.loc["a", "factor"] == 1


def test_median_rows_is_numpys_median_without_the_missing():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 30, (200, 10)).astype(float)
    x[rng.random(x.shape) < 0.3] = np.nan
    x[rng.random(x.shape) < 0.1] = np.inf
    x[0] = np.nan  # a row with no value
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):  # numpy warns of the empty row
        want = np.nanmedian(x, 1)
    np.testing.assert_array_equal(sampler.median_rows(x), want)


def test_exact_rank_test_cannot_print_the_published_p():
    # The exact test takes one p per U; none of them prints as published, so that reading is impossible.
    claim = CLAIMS.loc["hospital_stay.both.p"]
    n1, n2 = int(CLAIMS.loc["randomised.msc.n", "value"]), int(CLAIMS.loc["randomised.placebo.n", "value"])
    printed = {round(sps.mannwhitneyu(np.arange(n1) + shift, np.arange(n2) + 0.5, method="exact").pvalue,
                     int(claim["decimals"])) for shift in np.arange(-n2, n1 + 1)}
    assert (float(claim["value"]) in printed) == pinned.rank_test_can_print("exact")
    assert not pinned.rank_test_can_print("exact")
    assert pinned.rank_test_can_print("published")


def test_a_median_of_whole_numbers_is_whole_or_half():
    for claim_id in ("pf_change_day7.msc.mean", "pf_change_day7.placebo.mean", "hospital_stay.msc.median"):
        c = CLAIMS.loc[claim_id]
        brute = any(holds("=", float(c["value"]), int(c["decimals"]), k / 2) for k in range(0, 2001))
        assert readings.median_can_print(claim_id) == brute, claim_id


def test_unrounded_factor_by_hand():
    # Per arm: measured patients times the printed precision, over the whole sums printing the mean.
    batch = sampler.load_batch()
    msc = np.asarray(batch.arm) == "MSC"
    measured = ~np.isnan(batch.columns["pf_day7"])
    factors = []
    for i in range(len(batch)):
        f = 1.0
        for arm, in_arm in (("msc", msc), ("placebo", ~msc)):
            n = int(measured[i, in_arm].sum())
            claim = CLAIMS.loc[f"pf_change_day7.{arm}.mean"]
            value, decimals = float(claim["value"]), int(claim["decimals"])
            sums = [s for s in range(int(n * value) - 5, int(n * value) + 6) if holds("=", value, decimals, s / n)]
            f *= n * 10.0 ** -decimals / len(sums)
        factors.append(f)
    assert readings.unrounded_mean_factor(batch)[0] == pytest.approx(np.average(factors, weights=batch.weights))
