"""The primary-endpoint, improvement and baseline estimates, each re-derived independently:
textbook formulas, numpy least squares, brute-force enumeration, a hand-written likelihood and
Newcombe's (1998) worked examples."""
from itertools import combinations
from math import comb

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from scipy.special import expit

from covidat.data import DEFAULT_DATA, load_dataset
from covidat.endpoints import ARMS, baseline, improvement, oxygenation

PATIENTS = load_dataset(DEFAULT_DATA).patients
CHANGE = {arm: (g["pf_day7"] - g["pf_day0"]).dropna().to_numpy(float)
          for arm, g in PATIENTS.groupby("arm")}
PRIMARY = oxygenation.pf_change_day7(PATIENTS)


@pytest.mark.parametrize("arm", ARMS)
def test_mean_change_ci_is_the_t_interval(arm):
    x = CHANGE[arm]
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    assert PRIMARY.ci(arm, "mean") == pytest.approx((x.mean() - half, x.mean() + half), rel=1e-9)


def test_mean_difference_ci_is_welch_satterthwaite():
    a, b = CHANGE["MSC"], CHANGE["placebo"]
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    half = stats.t.ppf(0.975, df) * np.sqrt(va + vb)
    d = a.mean() - b.mean()
    assert PRIMARY.get("both", "mean_difference") == pytest.approx(d)
    assert PRIMARY.ci("both", "mean_difference") == pytest.approx((d - half, d + half), rel=1e-9)


def test_ancova_difference_matches_numpy_least_squares():
    measured = PATIENTS.dropna(subset=["pf_day7"])
    X = np.column_stack([np.ones(len(measured)), (measured["arm"] == "MSC").to_numpy(float),
                         measured["pf_day0"].to_numpy(float)])
    y = (measured["pf_day7"] - measured["pf_day0"]).to_numpy(float)
    beta, rss, *_ = np.linalg.lstsq(X, y, rcond=None)
    df = len(y) - X.shape[1]
    se = np.sqrt(rss[0] / df * np.linalg.inv(X.T @ X)[1, 1])
    half = stats.t.ppf(0.975, df) * se
    assert PRIMARY.get("both", "ancova_difference") == pytest.approx(beta[1], rel=1e-9)
    assert PRIMARY.ci("both", "ancova_difference") == pytest.approx((beta[1] - half, beta[1] + half), rel=1e-9)
    # Adjusting the day-7 value or the change for baseline gives the same arm effect.
    beta7, *_ = np.linalg.lstsq(X, measured["pf_day7"].to_numpy(float), rcond=None)
    assert beta7[1] == pytest.approx(beta[1])


def brute_force_rank_p(a, b) -> float:
    """Two-sided exact Mann–Whitney p by enumerating every split of the pooled values (mid-ranks)."""
    pooled = np.r_[a, b]
    ranks = stats.rankdata(pooled)
    splits = np.array(list(combinations(range(len(pooled)), len(a))))
    sums = ranks[splits].sum(axis=1)
    centre = len(a) * (len(pooled) + 1) / 2
    observed = abs(ranks[: len(a)].sum() - centre)
    return float(np.mean(np.abs(sums - centre) >= observed - 1e-9))


def test_rank_p_matches_enumeration():
    assert PRIMARY.get("both", "p_rank") == pytest.approx(
        brute_force_rank_p(CHANGE["MSC"], CHANGE["placebo"]), rel=1e-9)


@pytest.mark.parametrize("a, b", [
    ([10.0, 20, 20, 35, 50, 50, 80], [5.0, 20, 30, 35, 35, 40, 60]),
    # unequal arms with ties: U's null distribution is skewed, so doubling a one-sided p would differ
    ([10.0, 20, 20, 35, 50], [5.0, 20, 30, 35, 35, 40, 60, 70]),
])
def test_rank_p_with_ties_matches_enumeration(a, b):
    a, b = np.array(a), np.array(b)
    assert oxygenation.rank_p(a, b) == pytest.approx(brute_force_rank_p(a, b), rel=1e-9)


def test_difference_ci_by_sd_contains_zero_exactly_above_the_sd_bound():
    from covidat.endpoints.stats import min_sd_not_significant
    bound = min_sd_not_significant(25.7, 10)
    table = oxygenation.difference_ci_by_sd(25.7, 10, [bound * 0.99, bound, bound * 1.01])
    assert table["ci_low"].iloc[0] > 0 and table["ci_low"].iloc[1] == pytest.approx(0, abs=1e-9)
    assert table["ci_low"].iloc[2] < 0


def test_sensitivity_imputes_worst_for_deaths_and_best_for_discharges():
    # Hand-built: changes 50, 30 (MSC) and 10, -10, 100 (placebo) observed; one MSC patient died on
    # day 5, one went home on day 6, one died on day 20 without a day-7 value (left out of both).
    nan = np.nan
    patients = pd.DataFrame({
        "patient_id": list("ABCDEFGH"), "arm": ["MSC"] * 5 + ["placebo"] * 3, "pf_day0": [100.0] * 8,
        "pf_day7": [150, 130, nan, nan, nan, 110, 90, 200],
        "died": [0, 0, 1, 0, 1, 0, 0, 0], "death_day": [nan, nan, 5, nan, 20, nan, nan, nan],
        "discharged": [1, 1, 0, 1, 0, 1, 1, 1], "hospital_days": [20, 20, 5, 6, 20, 20, 20, 20]})
    table = oxygenation.pf_change_sensitivity(patients).set_index("analysis")
    assert table.loc["complete cases", ["n_msc", "n_placebo"]].tolist() == [2, 3]
    assert table.loc["death worst, discharge best", ["n_msc", "n_placebo"]].tolist() == [4, 3]
    assert table.loc["complete cases", "difference"] == pytest.approx(40 - 100 / 3)
    assert table.loc["death worst, discharge best", "difference"] == pytest.approx((50 + 30 - 10 + 100) / 4 - 100 / 3)


# --- improvement on the WHO scale -------------------------------------------------------------

IMPROVEMENT = improvement.who_improved_day7(PATIENTS)


@pytest.mark.parametrize("counts, published", [((56, 70, 48, 80), (0.0524, 0.3339)),
                                               ((9, 10, 3, 10), (0.1705, 0.8090))])
def test_newcombe_interval_reproduces_newcombe_1998_examples(counts, published):
    e1, n1, e2, n2 = counts
    _, cis = improvement.improvement_tests({"MSC": e1, "placebo": e2}, {"MSC": n1, "placebo": n2})
    assert cis[("both", "risk_difference")] == pytest.approx(published, abs=5e-5)


def wilson(events, n, z=stats.norm.ppf(0.975)):
    p = events / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_risk_difference_ci_is_newcombe_hybrid_score_formula():
    e = {arm: int(IMPROVEMENT.get(arm, "n")) for arm in ARMS}
    p1, p2 = e["MSC"] / 10, e["placebo"] / 10
    (l1, u1), (l2, u2) = wilson(e["MSC"], 10), wilson(e["placebo"], 10)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    assert IMPROVEMENT.ci("both", "risk_difference") == pytest.approx((low, high), rel=1e-9)


def binomial_weights(n1, n2, pi):
    """P(x1, x2) for every table with arm sizes n1, n2 under a common probability pi."""
    return np.outer(stats.binom.pmf(np.arange(n1 + 1), n1, pi), stats.binom.pmf(np.arange(n2 + 1), n2, pi))


def sup_over_nuisance(extreme, n1, n2) -> float:
    grid = np.linspace(0, 1, 2001)
    return max(float(binomial_weights(n1, n2, pi)[extreme].sum()) for pi in grid)


def brute_force_barnard(x1, n1, x2, n2) -> float:
    a, b = np.meshgrid(np.arange(n1 + 1), np.arange(n2 + 1), indexing="ij")
    pooled = (a + b) / (n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.nan_to_num((a / n1 - b / n2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)))
    return sup_over_nuisance(np.abs(z) >= abs(z[x1, x2]) - 1e-12, n1, n2)


def brute_force_boschloo(x1, n1, x2, n2) -> float:
    """Twice the smaller one-sided p (scipy's convention); each orders tables by Fisher's one-sided p."""
    one_sided = []
    for alternative in ("greater", "less"):
        fisher = np.array([[stats.fisher_exact([[i, j], [n1 - i, n2 - j]], alternative=alternative).pvalue
                            for j in range(n2 + 1)] for i in range(n1 + 1)])
        one_sided.append(sup_over_nuisance(fisher <= fisher[x1, x2] * (1 + 1e-9), n1, n2))
    return min(1.0, 2 * min(one_sided))


@pytest.mark.parametrize("table", [(5, 10, 0, 10), (7, 12, 2, 11)])
def test_unconditional_tests_match_enumeration(table):
    x1, n1, x2, n2 = table
    values, _ = improvement.improvement_tests({"MSC": x1, "placebo": x2}, {"MSC": n1, "placebo": n2})
    assert values[("both", "p_barnard")] == pytest.approx(brute_force_barnard(*table), rel=1e-3)
    assert values[("both", "p_boschloo")] == pytest.approx(brute_force_boschloo(*table), rel=1e-3)
    assert values[("both", "p_fisher")] == pytest.approx(
        sum(comb(n1, i) * comb(n2, x1 + x2 - i) for i in range(max(0, x1 + x2 - n2), min(n1, x1 + x2) + 1)
            if comb(n1, i) * comb(n2, x1 + x2 - i) <= comb(n1, x1) * comb(n2, x2))
        / comb(n1 + n2, x1 + x2), rel=1e-9)


def test_other_threshold_recomputes_improvement_from_the_scores():
    drop = PATIENTS["who_day0"] - PATIENTS["who_day7"]
    two = improvement.improvement_by_threshold(PATIENTS, 2)
    for arm in ARMS:
        assert two.get(arm, "n") == int((drop[PATIENTS["arm"] == arm] >= 2).sum())
    one = improvement.improvement_by_threshold(PATIENTS, 1)
    assert one.values == IMPROVEMENT.values  # the dataset's own flags use a fall of one point


# --- proportional odds ------------------------------------------------------------------------

def hand_fitted_log_odds_ratio(patients) -> float:
    """Maximise the cumulative-logit likelihood written out by hand; return beta_MSC."""
    y = patients["who_day7"].astype(int).to_numpy()
    levels = np.unique(y)
    index = np.searchsorted(levels, y)
    x = np.column_stack([(patients["arm"] == "MSC").to_numpy(float), patients["who_day0"].to_numpy(float)])

    def negative_log_likelihood(theta):
        beta, cuts = theta[:2], np.cumsum(np.r_[theta[2], np.exp(theta[3:])])
        eta = x @ beta
        upper = np.r_[cuts, np.inf][index] - eta
        lower = np.r_[-np.inf, cuts][index] - eta
        return -np.sum(np.log(expit(upper) - expit(lower) + 1e-300))

    start = np.r_[0.0, 0.0, 0.0, np.zeros(len(levels) - 2)]
    return optimize.minimize(negative_log_likelihood, start, method="Nelder-Mead",
                             options={"maxiter": 40000, "xatol": 1e-9, "fatol": 1e-12}).x[0]


def test_common_odds_ratio_matches_a_hand_written_likelihood():
    # The committed dataset may be separated (no placebo patient at MSC's best day-7 score, so no finite
    # estimate): give one placebo patient that score, so both fits have a finite maximum to agree on.
    patients = PATIENTS.copy()
    best = patients.loc[patients["arm"] == "MSC", "who_day7"].min()
    patients.loc[patients.index[patients["arm"] == "placebo"][0], "who_day7"] = best
    result = improvement.who_day7(patients)
    assert result.get("both", "common_odds_ratio") == pytest.approx(np.exp(-hand_fitted_log_odds_ratio(patients)),
                                                                     rel=1e-3)
    low, high = result.ci("both", "common_odds_ratio")
    assert low < result.get("both", "common_odds_ratio") < high


# Hand-built, 10 per arm: each arm has both outcomes at each baseline score (no separation).
TWO_CATEGORIES = pd.DataFrame({"arm": ["MSC"] * 10 + ["placebo"] * 10,
                               "who_day0": [5, 5, 5, 5, 5, 6, 6, 6, 5, 6, 5, 5, 5, 5, 6, 6, 6, 5, 6, 5],
                               "who_day7": [3, 3, 3, 5, 5, 3, 5, 5, 3, 3, 3, 5, 5, 5, 5, 3, 5, 3, 5, 5]})


@pytest.mark.parametrize("baseline_varies", [True, False])
def test_proportional_odds_with_two_categories_is_logistic_regression(baseline_varies):
    import statsmodels.api as sm
    patients = TWO_CATEGORIES.copy()
    if not baseline_varies:
        patients["who_day0"] = 5  # a constant baseline cannot be adjusted for; the model must still fit
    covariates = pd.DataFrame({"MSC": (patients["arm"] == "MSC").astype(float),
                               "who_day0": patients["who_day0"].astype(float)})
    logit = sm.Logit((patients["who_day7"] == 3).astype(float),
                     sm.add_constant(covariates if baseline_varies else covariates[["MSC"]])).fit(disp=False)
    result = improvement.who_day7(patients)
    assert result.get("both", "common_odds_ratio") == pytest.approx(np.exp(logit.params["MSC"]), rel=1e-4)
    assert result.get("both", "p") == pytest.approx(logit.pvalues["MSC"], rel=1e-3)
    assert ("adjusted for baseline" in result.method) == baseline_varies


@pytest.mark.parametrize("who_day7", [
    [3] * 10 + [5] * 10,                                        # every MSC patient better: complete separation
    [3, 3, 3, 4, 4, 4, 5, 5, 5, 5] + [5, 5, 5, 6, 6, 6, 6, 6, 6, 6],  # overlap only at 5: quasi-separation
])
def test_separated_data_give_no_odds_ratio_and_say_why(who_day7):
    patients = TWO_CATEGORIES.assign(who_day7=who_day7)
    result = improvement.who_day7(patients)
    assert np.isnan(result.get("both", "common_odds_ratio")) and np.isnan(result.get("both", "p"))
    assert np.isnan(result.ci("both", "common_odds_ratio")).all()
    assert result.methods[("both", "common_odds_ratio")].startswith("not estimable")


def test_overlapping_data_are_not_separated():
    assert not improvement.separated(TWO_CATEGORIES)


def test_cumulative_odds_ratios_count_each_cut():
    table = improvement.cumulative_odds_ratios(PATIENTS)
    for row in table.itertuples():
        at_or_below = PATIENTS[PATIENTS["who_day7"] <= row.cut]
        assert row.n_MSC == (at_or_below["arm"] == "MSC").sum()
        assert row.n_placebo == (at_or_below["arm"] == "placebo").sum()


def test_who_counts_cover_every_patient_on_each_day():
    counts = improvement.who_counts(PATIENTS)
    assert counts.groupby("day")["n"].sum().tolist() == [len(PATIENTS)] * 2
    day7_msc = counts.query("day == 'day 7' and arm == 'MSC'").set_index("score")["n"]
    msc = PATIENTS[PATIENTS["arm"] == "MSC"]
    assert day7_msc.to_dict() == msc["who_day7"].astype(int).value_counts().to_dict()


# --- baseline ---------------------------------------------------------------------------------

def test_table_one_counts_and_not_reported_rows():
    table = baseline.table_one(PATIENTS).set_index("characteristic")
    for arm in ARMS:
        group = PATIENTS[PATIENTS["arm"] == arm]
        assert table.loc["Patients randomised (n)", arm] == str(len(group))
        assert table.loc["PaO2/FiO2 (mmHg), mean (SD)", arm].startswith(f"{group['pf_day0'].mean():.0f} (")
    counted = table[table.index.str.startswith("WHO score")]
    assert sum(int(cell.split()[0]) for cell in counted["MSC"]) == (PATIENTS["arm"] == "MSC").sum()
    assert (table.loc["Age (years)"] == "not reported").all()


def test_consort_flow_counts_come_from_the_data():
    patients = PATIENTS.copy()
    patients.loc[patients.index[0], "pf_day7"] = np.nan
    flow = baseline.consort_flow(patients).set_index(["arm", "box"])["text"]
    assert flow[("both", "Randomised")] == f"n = {len(patients)}"
    for arm in ARMS:
        measured = sum(1 for a, v in zip(patients["arm"], patients["pf_day7"]) if a == arm and v == v)
        size = list(patients["arm"]).count(arm)
        assert flow[(arm, f"Allocated to {arm}")] == f"n = {size}"
        assert flow[(arm, "Analysed for the primary endpoint")].startswith(f"n = {measured} ")
        assert flow[(arm, "Excluded from the primary analysis (no day-7 PaO2/FiO2)")].startswith(
            f"n = {size - measured} ")
    assert flow[("both", "Assessed for eligibility")] == "not reported"


def test_who_scale_is_the_registered_seven_points():
    scale = baseline.who_scale()
    assert list(scale["score"]) == list(range(1, 8)) and scale["label"].str.len().gt(0).all()
