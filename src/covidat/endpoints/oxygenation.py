"""The primary endpoint: change in PaO2/FiO2 from baseline to day 7."""
import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW
from statsmodels.tools.tools import add_constant

from covidat.endpoints.result import ARMS, EndpointResult, by_arm
from covidat.endpoints.stats import welch_p



def rank_p(a, b) -> float:
    """Two-sided exact Mann–Whitney p: the share of all splits of the patients whose U lies at least
    as far from its null mean n_a·n_b/2 as the observed U (mid-ranks for ties).

    Without ties U's null distribution is symmetric and scipy's exact method gives this p. With
    ties and unequal arms it is not symmetric, and doubling the smaller one-sided p (scipy's
    permutation convention) would give another number, so the distance is enumerated instead.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(np.unique(np.r_[a, b])) == len(a) + len(b):
        return float(stats.mannwhitneyu(a, b, method="exact").pvalue)
    centre = len(a) * len(b) / 2

    def distance(x, y, axis):
        ranks = stats.rankdata(np.concatenate([x, y], axis=axis), axis=axis)
        u = np.take(ranks, range(x.shape[axis]), axis=axis).sum(axis=axis) - len(a) * (len(a) + 1) / 2
        return np.abs(u - centre)

    return float(stats.permutation_test((a, b), distance, permutation_type="independent", vectorized=True,
                                        n_resamples=np.inf, alternative="greater").pvalue)


def changes(patients: pd.DataFrame) -> dict[str, np.ndarray]:
    """Day-7 minus baseline PaO2/FiO2 per arm, complete cases (patients with a day-7 value)."""
    return {arm: (p["pf_day7"] - p["pf_day0"]).dropna().to_numpy(float) for arm, p in by_arm(patients).items()}


def welch_interval(a, b) -> tuple[float, float]:
    """95% CI of mean(a) - mean(b), Welch–Satterthwaite."""
    low, high = CompareMeans(DescrStatsW(a), DescrStatsW(b)).tconfint_diff(usevar="unequal")
    return float(low), float(high)


def ancova(patients: pd.DataFrame):
    """OLS of the change on arm (MSC = 1) and baseline PaO2/FiO2, complete cases."""
    measured = patients.dropna(subset=["pf_day7"])
    design = add_constant(pd.DataFrame({"MSC": (measured["arm"] == "MSC").astype(float),
                                        "pf_day0": measured["pf_day0"].astype(float)}))
    return OLS((measured["pf_day7"] - measured["pf_day0"]).astype(float), design).fit()


def pf_change_day7(patients: pd.DataFrame) -> EndpointResult:
    change = changes(patients)
    values = {(arm, "mean"): float(change[arm].mean()) for arm in ARMS}
    values.update({(arm, "median"): float(np.median(change[arm])) for arm in ARMS})
    values.update({(arm, "n"): float(len(change[arm])) for arm in ARMS})
    cis = {(arm, "mean"): tuple(map(float, DescrStatsW(change[arm]).tconfint_mean())) for arm in ARMS}
    values[("both", "p")] = welch_p(change["MSC"], change["placebo"])

    values[("both", "mean_difference")] = values[("MSC", "mean")] - values[("placebo", "mean")]
    cis[("both", "mean_difference")] = welch_interval(change["MSC"], change["placebo"])
    fit = ancova(patients)
    values[("both", "ancova_difference")] = float(fit.params["MSC"])
    cis[("both", "ancova_difference")] = tuple(map(float, fit.conf_int().loc["MSC"]))
    values[("both", "p_ancova")] = float(fit.pvalues["MSC"])
    values[("both", "p_rank")] = rank_p(change["MSC"], change["placebo"])
    methods = {
        **{(arm, "mean"): "mean change, complete cases; t interval" for arm in ARMS},
        **{(arm, "median"): "sample median of the change, complete cases" for arm in ARMS},
        ("both", "mean_difference"): "difference in mean change, MSC minus placebo; Welch t interval",
        ("both", "ancova_difference"): "ANCOVA: OLS of the change on arm and baseline PaO2/FiO2, complete cases",
        ("both", "p_ancova"): "ANCOVA: t-test of the arm coefficient",
        ("both", "p_rank"): "Mann–Whitney U, exact: share of splits with |U − n₁n₂/2| at least the observed",
    }
    return EndpointResult("pf_change_day7", "mean change, complete cases; Welch two-sample t-test",
                          values, cis, methods)


def missing_day7(patients: pd.DataFrame) -> pd.DataFrame:
    """Patients without a day-7 PaO2/FiO2, with the reason the data give (died or discharged by day 7)."""
    missing = patients[patients["pf_day7"].isna()].copy()
    died = (missing["died"] == 1) & (missing["death_day"].astype(float).fillna(np.inf) <= 7)
    home = (missing["discharged"] == 1) & (missing["hospital_days"] <= 7)
    missing["reason"] = np.select([died, home], ["died by day 7", "discharged by day 7"], "not measured")
    return missing[["patient_id", "arm", "reason"]]


def pf_change_sensitivity(patients: pd.DataFrame) -> pd.DataFrame:
    """The difference in mean change (Welch) under two estimands for patients without a day-7 value.

    'complete cases' leaves them out (the book's primary analysis); 'worst and best' gives each
    patient who died the smallest change observed in either arm and each patient discharged
    the largest, an explicit stress test rather than a plausible value.
    """
    observed = patients["pf_day7"] - patients["pf_day0"]
    reason = missing_day7(patients).set_index("patient_id")["reason"]
    fill = patients["patient_id"].map(reason).map({"died by day 7": observed.min(),
                                                   "discharged by day 7": observed.max()})
    rows = []
    for label, change in (("complete cases", observed), ("worst and best", observed.fillna(fill))):
        arms = {arm: change[patients["arm"] == arm].dropna().to_numpy(float) for arm in ARMS}
        low, high = welch_interval(arms["MSC"], arms["placebo"])
        rows.append({"analysis": label, "n_msc": len(arms["MSC"]), "n_placebo": len(arms["placebo"]),
                     "difference": float(arms["MSC"].mean() - arms["placebo"].mean()),
                     "ci_low": low, "ci_high": high, "p": welch_p(arms["MSC"], arms["placebo"])})
    return pd.DataFrame(rows)


def difference_ci_by_sd(difference: float, n_per_arm: int, sds, level: float = 0.95) -> pd.DataFrame:
    """The CI a two-sample t-test would give a `difference` in means if both arms had SD `sd`
    (equal arms): difference ± t_{(1+level)/2, 2n-2} · sd · sqrt(2/n), for each sd in `sds`."""
    sds = np.asarray(sds, float)
    half = stats.t.ppf((1 + level) / 2, 2 * n_per_arm - 2) * sds * np.sqrt(2 / n_per_arm)
    return pd.DataFrame({"sd": sds, "difference": float(difference),
                         "ci_low": difference - half, "ci_high": difference + half})


ENDPOINTS = [pf_change_day7]
