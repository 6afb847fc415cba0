"""The statistics behind the estimands: each against a hand-computed example or an independent
implementation, and each batch version against its scalar one."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from statsmodels.duration.hazard_regression import PHReg

from covidat.beyond import multiplicity
from covidat.endpoints import composite, hospital, oxygen, oxygenation, secondary
from covidat.endpoints.stats import crossing_time, welch_p
from covidat.endpoints.survival import cox_hazard_ratio, fine_gray, rmst


def test_rmst_by_hand():
    # KM: 3/4 from day 1, 1/2 from day 2, 0 from day 4 (day 3 censored); area to 5 = 1 + .75 + 2 * .5 = 2.75.
    # Variance: day 1: A = 1.75, 1.75^2 / (4 * 3); day 2: A = 1, 1 / (3 * 2); day 4: A = 0.
    # Catches a wrong area (e.g. the curve's level after a step used before it) or a variance without A_j^2.
    mean, variance = rmst([1, 2, 3, 4], [1, 1, 0, 1], 5)
    assert mean == pytest.approx(2.75)
    assert variance == pytest.approx(1.75 ** 2 / 12 + 1 / 6)


def test_rmst_stops_at_the_horizon():
    # Horizon between events: area to 1.5 = 1 + 0.5 * 0.75; catches an area that runs past the horizon.
    assert rmst([1, 2, 3, 4], [1, 1, 0, 1], 1.5)[0] == pytest.approx(1.375)


def test_fine_gray_solves_its_hand_written_likelihood():
    # A event 1 (z=1), B event 2 (z=0), C event 3 (z=1), D competing 1.5 (z=0), E censored 2.5 (z=1).
    # G (no censoring yet) drops to 1/2 at 2.5, so D weighs 1 at day 2 and 1/2 at day 3:
    # L = x/(3x+2) * 1/(2x+2) * x/(x+1/2), x = e^beta. Catches D dropped from the risk set after
    # its competing event (cause-specific Cox) or an unweighted D.
    times, causes, z = [1, 2, 3, 1.5, 2.5], [1, 1, 1, 2, 0], [1, 0, 1, 0, 1]
    score = lambda x: 2 - 3 * x / (3 * x + 2) - 2 * x / (2 * x + 2) - x / (x + 0.5)
    assert fine_gray(times, causes, z)[0] == pytest.approx(optimize.brentq(score, 1e-3, 1e3), rel=1e-8)


def test_fine_gray_without_censoring_is_cox_with_competing_patients_kept_at_risk():
    # With no censoring every weight is 1: the model is a Cox model in which a patient with a competing
    # event never leaves the risk set (statsmodels' Cox, Efron ties, on times pushed past the end).
    rng = np.random.default_rng(1)
    times = rng.integers(1, 15, 30).astype(float)
    causes = rng.choice([1, 1, 2], 30)
    z = rng.integers(0, 2, 30).astype(float)
    kept = np.where(causes == 2, times.max() + 1, times)
    fit = PHReg(kept, z[:, None], status=(causes == 1).astype(float), ties="efron").fit()
    hr, low, high = fine_gray(times, causes, z)
    assert math.log(hr) == pytest.approx(float(fit.params[0]), abs=1e-7)
    assert math.log(high / hr) / stats.norm.ppf(0.975) == pytest.approx(float(fit.bse[0]), rel=1e-6)


def test_fine_gray_without_competing_events_is_the_cox_model():
    rng = np.random.default_rng(2)
    times, z = rng.integers(1, 20, 25).astype(float), rng.integers(0, 2, 25).astype(float)
    events = rng.choice([0, 1, 1], 25)
    assert fine_gray(times, events, z) == pytest.approx(cox_hazard_ratio(times, events, z), rel=1e-6)


def patients(rows):
    columns = ["arm", "died", "death_day", "o2_days", "o2_event", "hospital_days"]
    return pd.DataFrame(rows, columns=columns)


def test_win_ratio_pairs_by_hand():
    msc = patients([("MSC", 0, None, 5, 1, 10),    # survivor, stops oxygen day 5
                    ("MSC", 1, 9, 9, 0, 9)])       # dies day 9 on oxygen
    placebo = patients([("placebo", 0, None, 5, 1, 12),  # survivor, same oxygen day, longer stay
                        ("placebo", 1, 4, 4, 0, 4)])     # dies day 4
    # MSC1 v P1: oxygen tied, stay 10 < 12: win. MSC1 v P2: survivor beats death: win.
    # MSC2 v P1: death loses. MSC2 v P2: later death (9 > 4) wins.
    # Catches a reversed level (e.g. the shorter survival winning) or a level applied to dead pairs.
    assert composite.outcomes(msc, placebo).tolist() == [[1, 1], [-1, 1]]


def test_win_ratio_pairs_with_unequal_arms_by_hand():
    # Three survivors against two, all stopping oxygen on day 5, so the stay decides every pair:
    # MSC stays 10, 20, 30 against placebo 15, 25. Catches a pairs matrix transposed at the stay level
    # (which equal arms and a diagonal check would not see).
    msc = patients([("MSC", 0, None, 5, 1, d) for d in (10, 20, 30)])
    placebo = patients([("placebo", 0, None, 5, 1, d) for d in (15, 25)])
    assert composite.outcomes(msc, placebo).tolist() == [[1, 1], [-1, 1], [-1, -1]]


def test_win_ratio_variance_by_hand():
    # wins 3 of 4, losses 1: WR 3. Structural components (ddof 1, n = 2 per arm): var(p_w) = var(p_l) =
    # 0.125, cov = -0.125, so var(log WR) = .125/.75^2 + .125/.25^2 + 2 * .125/(.75 * .25) = 32/9.
    # Catches a dropped covariance term or a variance of the wrong arm's components.
    w = composite.win_ratio(np.array([[1, -1], [1, 1]]))
    assert w["win_ratio"] == 3
    assert math.log(w["ci_high"] / 3) == pytest.approx(stats.norm.ppf(0.975) * math.sqrt(32 / 9))
    assert w["p"] == pytest.approx(2 * stats.norm.sf(math.log(3) / math.sqrt(32 / 9)))


def test_stay_with_deaths_worst_is_scipys_test_on_stays_with_deaths_last():
    days_msc, died_msc = np.array([10., 12, 9, 20]), np.array([0, 0, 1, 0])
    days_pl, died_pl = np.array([15., 3, 30, 14]), np.array([0, 1, 0, 0])
    expected = stats.mannwhitneyu([10, 12, 99, 20], [15, 99, 30, 14], method="asymptotic",
                                  use_continuity=True).pvalue
    got = hospital.deaths_worst_p_batch(days_msc, died_msc, days_pl, died_pl)
    assert got[0] == pytest.approx(expected)


def test_batch_versions_agree_with_one_dataset_at_a_time():
    rng = np.random.default_rng(3)
    days = rng.integers(5, 40, (6, 20)).astype(float)
    died = (rng.random((6, 20)) < 0.2).astype(float)
    batch = hospital.deaths_worst_p_batch(days[:, :10], died[:, :10], days[:, 10:], died[:, 10:])
    one = [hospital.deaths_worst_p_batch(d[:10], x[:10], d[10:], x[10:])[0] for d, x in zip(days, died)]
    assert batch == pytest.approx(one)
    o2, event = days - 3, 1 - died
    death_day = np.where(died == 1, o2, np.nan)
    assert secondary.free_days_deaths_worst(o2, event, died, death_day)[2] == pytest.approx(
        secondary.free_days_deaths_worst(o2[2], event[2], died[2], death_day[2]), nan_ok=True)


def test_free_days_with_deaths_worst_rank_deaths_below_zero():
    # A death by day 28 is -1; a survivor still on oxygen at 28 is 0; one off oxygen on day 20 has 8.
    free = secondary.free_days_deaths_worst([10, 30, 20], [0, 0, 1], [1, 0, 0], [10, np.nan, np.nan])
    assert free.tolist() == [-1, 0, 8]


def test_discharged_alive_counts_only_live_discharges_by_the_day():
    p = pd.DataFrame({"discharged": [1, 1, 0, 1], "died": [0, 0, 1, 0], "hospital_days": [20, 40, 10, 28]})
    assert hospital.discharged_alive_by(p, 28).tolist() == [1, 0, 0, 1]


def test_competing_median_keeps_the_kaplan_meier_convention():
    # A cumulative incidence at exactly 0.5 from day 14 to 18 (chapter 08's case) has its median at 16, by the
    # convention of the Kaplan–Meier median; with no competing deaths the two medians must then coincide.
    # Catches one median taken as the first day at 50% and the other as the midpoint (14 against 16).
    assert crossing_time([10, 14, 18], [0.7, 0.5, 0.3]) == 16
    p = pd.DataFrame({"arm": ["MSC"] * 4 + ["placebo"] * 4, "o2_days": [5, 7, 9, 11, 4, 6, 8, 10],
                      "o2_event": 1, "died": 0, "death_day": np.nan, "hospital_days": 20, "discharged": 1})
    incidence = oxygen.incidence(p)
    for arm in ("MSC", "placebo"):
        rows = incidence[incidence["arm"] == arm]
        arm_rows = p[p["arm"] == arm]
        from covidat.endpoints.stats import km_median
        assert crossing_time(rows["time"], 1 - rows["incidence"]) == km_median(arm_rows["o2_days"], arm_rows["o2_event"])


def primary(changes_msc, changes_placebo, reasons):
    rows = [("MSC", c) for c in changes_msc] + [("placebo", c) for c in changes_placebo]
    p = pd.DataFrame({"patient_id": [f"P{i}" for i in range(len(rows))], "arm": [a for a, _ in rows],
                      "pf_day0": 100.0, "pf_day7": [100.0 + c for _, c in rows]})
    day7 = {"died": (1, 5), "home": (0, np.nan)}
    p["died"] = [day7[reasons[i]][0] if i in reasons else 0 for i in range(len(p))]
    p["death_day"] = [day7[reasons[i]][1] if i in reasons else np.nan for i in range(len(p))]
    p["discharged"] = [1 if reasons.get(i) == "home" else 0 for i in range(len(p))]
    p["hospital_days"] = [5 if reasons.get(i) == "home" else 30 for i in range(len(p))]
    return p


def test_sensitivity_rows_by_hand():
    # MSC: 10, 20, 30, missing (died); placebo: 0, 40, missing (discharged). Observed min 0, max 40.
    p = primary([10, 20, 30, np.nan], [0, 40, np.nan], {3: "died", 6: "home"})
    table = oxygenation.pf_change_sensitivity(p).set_index("analysis")
    welch = lambda a, b: stats.ttest_ind(a, b, equal_var=False).pvalue
    assert table.loc["complete cases", "p"] == pytest.approx(welch([10, 20, 30], [0, 40]))
    # composite: the MSC death gets 0, the placebo discharge 40
    assert table.loc["death worst, discharge best", "difference"] == pytest.approx(15 - 80 / 3)
    # adverse to MSC: the missing MSC patient gets 0, the missing placebo patient 40 (same here)
    assert table.loc["adverse to MSC", "p"] == pytest.approx(welch([10, 20, 30, 0], [0, 40, 40]))
    p2 = primary([10, 20, 30, np.nan], [0, 40, np.nan], {3: "home", 6: "died"})
    table2 = oxygenation.pf_change_sensitivity(p2).set_index("analysis")
    # the adverse direction ignores why: the discharged MSC patient still gets the smallest change
    assert table2.loc["adverse to MSC", "difference"] == pytest.approx(15 - 80 / 3)
    assert table2.loc["death worst, discharge best", "difference"] == pytest.approx(25 - 40 / 3)


def test_tipping_point_is_where_the_p_crosses_alpha():
    rng = np.random.default_rng(4)
    msc, placebo = list(rng.normal(15, 20, 15)), list(rng.normal(10, 20, 15))
    p = primary(msc + [np.nan] * 3, placebo + [np.nan] * 3, {15: "died", 16: "died", 17: "died"})
    assert oxygenation.delta_adjusted_p(p, [0])[0] == pytest.approx(
        welch_p(msc + [np.mean(msc)] * 3, placebo + [np.mean(placebo)] * 3))
    assert oxygenation.delta_adjusted_p(p, [0])[0] > 0.05  # the example starts not significant
    delta = oxygenation.tipping_point(p)
    assert 0 < delta < 1000
    assert oxygenation.delta_adjusted_p(p, [delta])[0] == pytest.approx(0.05, abs=1e-6)
    assert oxygenation.delta_adjusted_p(p, [delta - 1])[0] > 0.05


def test_fixed_sequence_stops_at_the_first_failure():
    p = pd.Series([0.01, 0.20, 0.001], index=["a", "b", "c"])
    table = multiplicity.fixed_sequence(p)
    # c's raw p is tiny, but b closed the gate: catches a procedure that tests each at alpha regardless
    assert table["rejected"].tolist() == [True, False, False]
    assert table["adjusted"].tolist() == [0.01, 0.20, 0.20]
    assert table["gate"].tolist() == ["", "", "b"]


def test_published_primary_closes_the_gate_whatever_its_unknown_p():
    for bound in ("conservative", "optimistic"):
        assert not multiplicity.fixed_sequence(multiplicity.reported_family(bound))["rejected"].any()


def test_oxygen_endpoint_reports_the_competing_summaries():
    from covidat import data
    result = oxygen.o2_discontinuation(data.load_dataset().patients)
    for statistic in ("rmst_difference", "fine_gray_hr"):
        low, high = result.ci("both", statistic)
        assert low < result.get("both", statistic) < high


def test_every_endpoint_has_its_estimand():
    # Catches an endpoint added to covidat.endpoints without saying what it estimates.
    from covidat import endpoints
    from covidat.endpoints import estimands
    assert set(estimands.ESTIMANDS["endpoint"]) == set(endpoints.ENDPOINTS)
    assert estimands.STRATEGIES["endpoint"].tolist() == estimands.ESTIMANDS["endpoint"].tolist()
    assert not estimands.ESTIMANDS.isna().any().any()


def test_baseline_table_keeps_a_half_median_and_rounds_halves_up():
    # Catches format()'s round-half-even, which printed the placebo median 154.5 as 154.
    from covidat.endpoints import baseline
    assert baseline._median_iqr(pd.Series([150.0, 154.0, 155.0, 160.0])) == "154.5 [153–156]"
    assert baseline.plain(2.5) == "3" and baseline.plain(0.125, 2) == "0.13"


def test_death_hazard_ratio_is_left_out_where_the_arms_are_separated():
    # One death, in the MSC arm only: the Cox fit diverges (statsmodels warns); the ratio must be absent, not a
    # warning printed into a chapter and an overflowed number. Catches the unguarded fit.
    times = np.array([3.0, 5, 7, 9, 4, 6, 8, 10])
    cause = np.array([2, 1, 1, 1, 1, 1, 1, 1])
    assert oxygen.death_hazard_ratio(times, cause, np.r_[np.ones(4), np.zeros(4)]) is None
    assert oxygen.death_hazard_ratio(times, np.ones(8), np.r_[np.ones(4), np.zeros(4)]) is None  # no death at all
    cause[4] = 2
    assert oxygen.death_hazard_ratio(times, cause, np.r_[np.ones(4), np.zeros(4)]) is not None
