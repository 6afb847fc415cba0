"""Time-to-event and rank-test estimates of the oxygen and hospital chapters, each re-derived
independently: hand formulas, brute-force enumeration, a likelihood maximised by hand."""
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from statsmodels.duration.survfunc import SurvfuncRight

from covidat.data import DEFAULT_DATA, load_dataset
from covidat.endpoints import hospital, oxygen, survival
from covidat.endpoints import stats as stats_

PATIENTS = load_dataset(DEFAULT_DATA).patients
ARM = {arm: PATIENTS[PATIENTS["arm"] == arm] for arm in ("MSC", "placebo")}
TIMES = np.array([1, 2, 2, 3, 4, 5, 5, 7], float)
EVENTS = np.array([1, 1, 0, 1, 0, 1, 1, 0], float)
Z = stats.norm.ppf(0.975)


def hand_km():
    """Kaplan–Meier and Greenwood sum at the distinct times of TIMES, by the textbook recursion."""
    rows, s, g = [], 1.0, 0.0
    for t in sorted(set(TIMES)):
        n = (TIMES >= t).sum()
        d = ((TIMES == t) & (EVENTS == 1)).sum()
        s *= (n - d) / n
        g += d / (n * (n - d)) if n > d else math.inf
        rows.append((t, s, g))
    return rows


@pytest.mark.parametrize("transform", ["log", "log-log"])
def test_km_band_matches_greenwood_formula(transform):
    table = survival.km_table(TIMES, EVENTS, transform)
    for (t, s, g), row in zip(hand_km(), table.itertuples()):
        assert row.time == t and row.survival == pytest.approx(s)
        if s == 0:
            assert math.isnan(row.lower) and math.isnan(row.upper)
        elif transform == "log":
            assert row.lower == pytest.approx(s * math.exp(-Z * math.sqrt(g)))
            assert row.upper == pytest.approx(min(1, s * math.exp(Z * math.sqrt(g))))
        else:
            theta = math.exp(Z * math.sqrt(g) / abs(math.log(s))) if s < 1 else 1
            assert row.lower == pytest.approx(s ** theta) and row.upper == pytest.approx(s ** (1 / theta))


def test_crossing_time_takes_the_midpoint_where_the_curve_sits_at_the_level():
    times = np.arange(1, 11.0)  # ten uncensored times; the 5th and 6th are 5 and 6
    assert stats_.crossing_time(times, 1 - times / 10) == 5.5
    assert stats_.crossing_time(times, 1 - times / 10, 0.45) == 6  # first value below 0.45
    assert stats_.crossing_time([1, 2, 3], [0.8, 0.5, 0.5]) == 2  # sits at 0.5 and never drops again
    assert stats_.crossing_time([1, 2, 3, 4], [0.8, np.nan, 0.5, 0.2]) == 3.5  # NaN entries skipped
    assert math.isnan(stats_.crossing_time([1, 2], [0.9, 0.8]))  # never reaches 0.5


def test_median_ci_is_where_the_band_contains_one_half():
    # Brookmeyer–Crowley: the CI holds the times at which S(t) = 0.5 is not rejected.
    for arm, p in ARM.items():
        table = survival.km_table(p["o2_days"], p["o2_event"])
        inside = table[(table["lower"] <= 0.5) & (0.5 <= table["upper"])]
        low, high = oxygen.o2_discontinuation(PATIENTS).ci(arm, "median")
        assert low == inside["time"].min()
        after = table[table["time"] > inside["time"].max()]
        assert math.isnan(high) if after["upper"].isna().all() else high == after["time"].min()


def test_aalen_johansen_without_competing_events_is_one_minus_km():
    causes = EVENTS.astype(int)
    km = SurvfuncRight(TIMES, EVENTS)
    cif = survival.aalen_johansen(TIMES, causes)
    one_minus_km = [1 - km.surv_prob[km.surv_times <= t][-1] if (km.surv_times <= t).any() else 0.0
                    for t in cif["time"]]
    assert cif["incidence"].to_numpy() == pytest.approx(one_minus_km)


def test_aalen_johansen_with_a_competing_death_by_hand():
    times, causes = [1, 2, 3, 4], [1, 2, 1, 0]
    # day 1: 1/4 discontinue; day 2: a death leaves 3/4 * 2/3 = 1/2 free; day 3: half of 1/2 discontinue
    assert survival.aalen_johansen(times, causes)["incidence"].tolist() == pytest.approx([0.25, 0.25, 0.5, 0.5])
    deaths = survival.aalen_johansen(times, causes, cause=2)["incidence"].iloc[-1]
    assert 0.5 + deaths == pytest.approx(1 - 0.75 * (2 / 3) * 0.5)  # both incidences add up to 1 - KM(any)


def efron_loglik(beta, t, e, x):
    value = 0.0
    for time in np.unique(t[e == 1]):
        dead = (t == time) & (e == 1)
        risk = np.exp(beta * x[t >= time]).sum()
        tied = np.exp(beta * x[dead]).sum()
        d = dead.sum()
        value += beta * x[dead].sum() - sum(math.log(risk - k / d * tied) for k in range(d))
    return value


def test_cox_hazard_ratio_maximises_the_efron_likelihood():
    t, e = PATIENTS["o2_days"].to_numpy(float), PATIENTS["o2_event"].to_numpy(float)
    x = (PATIENTS["arm"] == "MSC").to_numpy(float)
    beta = optimize.minimize_scalar(lambda b: -efron_loglik(b, t, e, x), bounds=(-5, 5), method="bounded",
                                    options={"xatol": 1e-10}).x
    h = 1e-4
    information = -(efron_loglik(beta + h, t, e, x) - 2 * efron_loglik(beta, t, e, x)
                    + efron_loglik(beta - h, t, e, x)) / h ** 2
    se = 1 / math.sqrt(information)
    result = oxygen.o2_discontinuation(PATIENTS)
    assert result.get("both", "hazard_ratio") == pytest.approx(math.exp(beta), rel=1e-5)
    assert result.ci("both", "hazard_ratio") == pytest.approx((math.exp(beta - Z * se), math.exp(beta + Z * se)), rel=1e-4)


def test_ph_test_from_hand_schoenfeld_residuals():
    t, e = PATIENTS["o2_days"].to_numpy(float), PATIENTS["o2_event"].to_numpy(float)
    x = (PATIENTS["arm"] == "MSC").to_numpy(float)
    hr = oxygen.o2_discontinuation(PATIENTS).get("both", "hazard_ratio")
    beta = math.log(hr)
    residuals, g = [], []
    for i in np.flatnonzero(e == 1):
        risk = t >= t[i]
        weights = np.exp(beta * x[risk])
        residuals.append(x[i] - (x[risk] * weights).sum() / weights.sum())
        km_before = np.prod([1 - ((t == s) & (e == 1)).sum() / (t >= s).sum() for s in np.unique(t[t < t[i]])])
        g.append(1 - km_before)
    h = 1e-4
    information = -(efron_loglik(beta + h, t, e, x) - 2 * efron_loglik(beta, t, e, x) + efron_loglik(beta - h, t, e, x)) / h ** 2
    g, residuals = np.array(g) - np.mean(g), np.array(residuals)
    chi2 = e.sum() / information * (g @ residuals) ** 2 / (g @ g)
    assert survival.ph_test(t, e, x) == pytest.approx((chi2, stats.chi2.sf(chi2, 1)), rel=1e-3)


def null_rank_sums(n1, n2):
    """Rank sums of the first sample over every split of ranks 1..n1+n2 (brute force)."""
    return np.array([sum(c) for c in itertools.combinations(range(1, n1 + n2 + 1), n1)])


def test_mann_whitney_null_by_enumeration():
    for n1, n2 in [(3, 4), (10, 10)]:
        u = null_rank_sums(n1, n2) - n1 * (n1 + 1) // 2
        assert stats_.mann_whitney_null(n1, n2) == pytest.approx(np.bincount(u) / len(u))


MSC, PLACEBO = (ARM[a]["hospital_days"].to_numpy(float) for a in ("MSC", "placebo"))
HOSPITAL = hospital.hospital_stay(PATIENTS)


def test_exact_p_ignoring_ties_by_enumeration():
    u_null = null_rank_sums(10, 10) - 55
    u = sum((a > b) + 0.5 * (a == b) for a in MSC for b in PLACEBO)
    p = min(1.0, 2 * min((u_null <= u).mean(), (u_null >= u).mean()))
    assert HOSPITAL.get("both", "p_exact") == pytest.approx(p)


def test_permutation_p_with_ties_by_scipy_enumeration():
    ranks = stats.rankdata(np.r_[MSC, PLACEBO])
    result = stats.permutation_test((ranks[:10], ranks[10:]), lambda a, b, axis: a.sum(axis=axis),
                                    vectorized=True, n_resamples=np.inf, permutation_type="independent")
    assert HOSPITAL.get("both", "p_permutation") == pytest.approx(result.pvalue)


def test_normal_p_without_continuity_by_formula():
    u = sum((a > b) + 0.5 * (a == b) for a in MSC for b in PLACEBO)
    _, counts = np.unique(np.r_[MSC, PLACEBO], return_counts=True)
    variance = 100 / 12 * (21 - (counts ** 3 - counts).sum() / (20 * 19))
    assert HOSPITAL.get("both", "p_normal") == pytest.approx(2 * stats.norm.sf(abs(u - 50) / math.sqrt(variance)))


def test_hodges_lehmann_is_the_median_pairwise_difference_with_exact_limits():
    diffs = sorted(a - b for a in MSC for b in PLACEBO)
    assert HOSPITAL.get("both", "hodges_lehmann") == np.median(diffs)
    u_null = np.sort(null_rank_sums(10, 10) - 55)
    k = next(u for u in range(101) if (u_null <= u).mean() >= 0.025)  # R's qwilcox(0.025, 10, 10)
    assert HOSPITAL.ci("both", "hodges_lehmann") == (diffs[k - 1], diffs[100 - k])


def test_discharge_curves_censor_in_hospital_deaths():
    curves = hospital.discharge_curves(PATIENTS)
    for arm, p in ARM.items():
        rows = curves[curves["arm"] == arm]
        assert rows["events"].sum() == p["discharged"].sum()


def test_km_chart_fits_the_column_and_prints_numbers_at_risk():
    from covidat.book import charts

    spec = charts.km_chart(oxygen.curves(PATIENTS), "Curves", "Still on oxygen", at_risk_days=[0, 14]).to_dict()
    assert spec["description"] == "Curves"
    assert all(panel["width"] <= 600 for panel in spec["vconcat"])
    printed = next(v for v in spec["datasets"].values() if len(v) == 4 and "at_risk" in v[0])
    for row in printed:  # patients whose time is at or after the day are still at risk
        assert row["at_risk"] == (ARM[row["arm"]]["o2_days"] >= row["time"]).sum()


def hand_built(rows, nullable: bool) -> pd.DataFrame:
    """Patients from (arm, o2_days, o2_event, died, death_day, hospital_days, discharged) rows, typed as
    the loader types them (nullable integers, death_day missing for survivors) or as plain numpy."""
    columns = ["arm", "o2_days", "o2_event", "died", "death_day", "hospital_days", "discharged"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({c: "Int64" for c in columns[1:]}) if nullable else frame


@pytest.mark.parametrize("nullable", [True, False])
def test_oxygen_causes_code_deaths_on_oxygen_as_competing(nullable):
    patients = hand_built([
        ("MSC", 5, 1, 0, None, 9, 1),     # stopped oxygen: 1
        ("MSC", 6, 0, 1, 6, 6, 0),        # died on oxygen: 2
        ("MSC", 28, 0, 0, None, 28, 0),   # still on oxygen, alive, at the end of follow-up: 0
        ("MSC", 7, 1, 1, 12, 12, 0),      # stopped oxygen, died later: 1
        ("MSC", 9, 0, 1, 15, 15, 0),      # lost to follow-up on oxygen, died later: 0
    ], nullable)
    assert oxygen.causes(patients).tolist() == [1, 2, 0, 1, 0]


# MSC: a death on oxygen on day 3, discontinuations on days 5, 7, 9 (discharged two days later);
# placebo: discontinuations on days 4, 6, 8, 10. Worked by hand:
# MSC, death censored: S = 1 until 3 (censored, 4 at risk), 2/3 at 5, 1/3 at 7: median 7.
# MSC, death competing: free of both 3/4 after day 3; incidence 3/4 * 1/3 = 1/4 at 5, + 1/2 * 1/2 = 1/2
# at 7 (sits at 0.5), 3/4 at 9: median (7 + 9) / 2 = 8. Placebo: S = 0.5 from 6 to 8: median 7.
DEATH_ON_OXYGEN = [("MSC", 3, 0, 1, 3, 3, 0)] + [("MSC", d, 1, 0, None, d + 2, 1) for d in (5, 7, 9)] \
    + [("placebo", d, 1, 0, None, d + 2, 1) for d in (4, 6, 8, 10)]


def test_analyses_handle_a_death_on_oxygen():
    # Any dataset meeting the contract may hold deaths: censored in the primary analysis,
    # a competing event in the sensitivity analysis, which can only delay the median.
    patients = hand_built(DEATH_ON_OXYGEN, nullable=True)
    result = oxygen.o2_discontinuation(patients)
    assert (result.get("MSC", "median"), result.get("MSC", "median_competing")) == (7, 8)
    assert (result.get("placebo", "median"), result.get("placebo", "median_competing")) == (7, 7)
    assert 0 < result.get("both", "hazard_ratio") < math.inf
    curves = hospital.discharge_curves(patients)
    assert curves.groupby("arm")["events"].sum().to_dict() == {"MSC": 3, "placebo": 4}
