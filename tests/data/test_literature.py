"""The literature table's contract and the pooled mortality estimate, re-derived by hand."""
import re

import numpy as np
import pytest
from scipy import stats

from covidat import ROOT
from covidat.data import literature
from covidat.data import DataError
from csvtools import with_cell

TRIALS = literature.load_trials()
EFFECTS = literature.mortality_effects(TRIALS)


def test_every_row_cites_a_source_in_the_bibliography():
    keys = set(re.findall(r"@\w+\{([^,]+),", (ROOT / "references.bib").read_text()))
    assert set(TRIALS["bibkey"]) <= keys
    assert TRIALS["location"].str.strip().all()


@pytest.mark.parametrize("column, value, message", [
    ("doi", "", "empty but required"),
    ("doi", "see website", "is not a DOI"),
    ("bibkey", "", "empty but required"),
    ("location", "", "empty but required"),
    ("msc_events", "99", "deaths among"),
    ("msc_events", "", "needs the number of deaths"),
])
def test_row_without_a_source_or_with_impossible_counts_is_refused(tmp_path, column, value, message):
    with pytest.raises(DataError, match=rf"row 2 \(line 3\), column '{column}': .*{message}"):
        literature.load_trials(with_cell(literature.TRIALS, tmp_path / "msc_trials.csv", 2, column, value))


def test_odds_ratios_by_hand():
    dilogo = EFFECTS.set_index("trial_id").loc["dilogo2021"]
    assert dilogo.odds_ratio == pytest.approx((10 / 10) / (16 / 4))
    shu = EFFECTS.set_index("trial_id").loc["shu2020"]  # zero cell: 0.5 added to every cell
    assert shu.odds_ratio == pytest.approx((0.5 / 12.5) / (3.5 / 26.5))


def test_pooled_estimate_by_hand():
    chosen = EFFECTS[EFFECTS["pooled"] == "yes"]
    y, v = chosen["log_or"].to_numpy(), chosen["variance"].to_numpy()
    fixed = np.average(y, weights=1 / v)
    assert literature.pool(EFFECTS, "fixed").odds_ratio == pytest.approx(np.exp(fixed))
    result = literature.pool(EFFECTS)
    w = 1 / (v + result.tau2)
    mean = np.average(y, weights=w)
    assert result.odds_ratio == pytest.approx(np.exp(mean))
    # Paule–Mandel: the generalised Q equals its degrees of freedom, unless tau2 is truncated at 0.
    q = np.sum(w * (y - mean) ** 2)
    assert (q == pytest.approx(len(y) - 1, abs=1e-3)) if result.tau2 > 0 else q <= len(y) - 1
    assert result.trials == len(chosen) and result.ci_low < result.odds_ratio < result.ci_high


def test_shared_control_arms_are_never_pooled_twice():
    pooled = TRIALS[TRIALS["pooled"] == "yes"]
    assert pooled["bibkey"].is_unique


def hartung_knapp_by_hand(effects, floor_at_one=False):
    """HK interval from its formula: weighted residual variance, t quantile on k - 1 df."""
    chosen = effects[effects["pooled"] == "yes"]
    y, v = chosen["log_or"].to_numpy(), chosen["variance"].to_numpy()
    w = 1 / (v + literature.pool(effects).tau2)
    mean, k = np.average(y, weights=w), len(y)
    scale = np.sum(w * (y - mean) ** 2) / (k - 1)
    variance = max(scale, 1.0) / w.sum() if floor_at_one else scale / w.sum()
    half = stats.t.ppf(0.975, k - 1) * np.sqrt(variance)
    return np.exp(mean - half), np.exp(mean + half)


@pytest.mark.parametrize("method, floor", [("hartung_knapp", False), ("hartung_knapp_modified", True)])
def test_hartung_knapp_interval_by_hand(method, floor):
    result = literature.pool(EFFECTS, method)
    assert (result.ci_low, result.ci_high) == pytest.approx(hartung_knapp_by_hand(EFFECTS, floor))
    assert result.odds_ratio == pytest.approx(literature.pool(EFFECTS).odds_ratio)


def test_mantel_haenszel_by_hand():
    # MH odds ratio: sum(a d / n) / sum(b c / n) over the uncorrected tables, zero cells and all.
    chosen = TRIALS[TRIALS["pooled"] == "yes"]
    a = chosen["msc_events"].to_numpy(float)
    b = chosen["msc_n"].to_numpy(float) - a
    c = chosen["control_events"].to_numpy(float)
    d = chosen["control_n"].to_numpy(float) - c
    n = a + b + c + d
    result = literature.pool(EFFECTS, "mantel_haenszel")
    assert result.odds_ratio == pytest.approx(np.sum(a * d / n) / np.sum(b * c / n))
    assert result.ci_low < result.odds_ratio < result.ci_high


def test_treatment_arm_correction_by_hand():
    # Shu 2020, 0/12 vs 3/29: the arms get 12/41 and 29/41 added to each cell (a total of 1 per table).
    effects = literature.mortality_effects(TRIALS, correction="treatment_arm").set_index("trial_id")
    k1, k2 = 12 / 41, 29 / 41
    expected = ((0 + k1) * (26 + k2)) / ((12 + k1) * (3 + k2))
    assert effects.loc["shu2020", "odds_ratio"] == pytest.approx(expected)
    # trials without a zero cell are not corrected
    assert effects.loc["dilogo2021", "odds_ratio"] == pytest.approx(EFFECTS.set_index("trial_id").loc["dilogo2021", "odds_ratio"])
    with pytest.raises(ValueError, match="correction"):
        literature.mortality_effects(TRIALS, correction="none")


def test_pooling_without_a_trial_drops_it():
    without = literature.pool(EFFECTS, without=("shu2020",))
    assert without.trials == literature.pool(EFFECTS).trials - 1
    rest = EFFECTS[(EFFECTS["pooled"] == "yes") & (EFFECTS["trial_id"] != "shu2020")]
    y, v = rest["log_or"].to_numpy(), rest["variance"].to_numpy()
    assert without.odds_ratio == pytest.approx(np.exp(np.average(y, weights=1 / (v + without.tau2))))


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method"):
        literature.pool(EFFECTS, "bayes")


def test_iqr_implied_sd_matches_simulated_normal_quartiles():
    sd = literature.iqr_sd(TRIALS)
    assert len(sd) == 2 * TRIALS[["msc_q1", "control_q1"]].notna().any(axis=1).sum()
    # A normal sample with SD s has an IQR of about 1.349 s: recover s from simulated quartiles.
    rng = np.random.default_rng(3)
    for row in sd.itertuples():
        sample = rng.normal(0, row.sd, 400_000)
        q1, q3 = np.percentile(sample, [25, 75])
        assert q3 - q1 == pytest.approx(row.q3 - row.q1, rel=0.01)


def test_weights_are_inverse_variance_with_tau2_by_hand():
    # Catches shares that are not 1 / (variance + tau²) (e.g. unweighted), or that do not add to 100.
    effects = literature.mortality_effects(literature.load_trials())
    chosen = literature.pooled_rows(effects)
    tau2 = literature.pool(effects).tau2
    by_hand = 1 / (chosen["variance"].to_numpy() + tau2)
    shares = literature.weights(effects)
    assert list(shares.index) == list(chosen["trial_id"])
    assert shares.to_numpy() == pytest.approx(100 * by_hand / by_hand.sum())
