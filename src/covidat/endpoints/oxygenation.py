"""The primary endpoint: change in PaO2/FiO2 from baseline to day 7."""
import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW
from statsmodels.tools.tools import add_constant

from covidat.endpoints.result import ARMS, EndpointResult, by_arm
from covidat.endpoints.stats import welch_p, welch_p_batch



def rank_p(a, b) -> float:
    """Two-sided exact Mann–Whitney p: the share of all splits of the patients whose U lies at least
    as far from its null mean n_a·n_b/2 as the observed U (mid-ranks for ties).

    Without ties U's null distribution is symmetric and scipy's exact method gives this p. With
    ties and unequal arms it is not symmetric, and doubling the smaller one-sided p (scipy's
    permutation convention) would give another number, so the distance is enumerated instead.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if min(len(a), len(b)) < 2:  # too few to rank (scipy's permutation test needs two per arm)
        return float("nan")
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


def pooled_sd(a, b) -> float:
    """Pooled within-arm SD (the spread a two-sample t-test and a sample-size calculation assume)."""
    return float(np.sqrt(((len(a) - 1) * np.var(a, ddof=1) + (len(b) - 1) * np.var(b, ddof=1)) / (len(a) + len(b) - 2)))


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

    values[("both", "sd_pooled")] = pooled_sd(change["MSC"], change["placebo"])
    values[("both", "mean_difference")] = values[("MSC", "mean")] - values[("placebo", "mean")]
    cis[("both", "mean_difference")] = welch_interval(change["MSC"], change["placebo"])
    if min(map(len, change.values())) > 0 and sum(map(len, change.values())) > 3:  # more patients than terms
        fit = ancova(patients)
        values[("both", "ancova_difference")] = float(fit.params["MSC"])
        cis[("both", "ancova_difference")] = tuple(map(float, fit.conf_int().loc["MSC"]))
        values[("both", "p_ancova")] = float(fit.pvalues["MSC"])
    else:
        values[("both", "ancova_difference")] = values[("both", "p_ancova")] = float("nan")
        cis[("both", "ancova_difference")] = (float("nan"), float("nan"))
    values[("both", "p_rank")] = rank_p(change["MSC"], change["placebo"])
    sensitivity = pf_change_sensitivity(patients).set_index("analysis")
    for key, label in (("worst_best", "death worst, discharge best"), ("adverse", "adverse to MSC")):
        row = sensitivity.loc[label]
        values[("both", f"difference_{key}")] = float(row["difference"])
        cis[("both", f"difference_{key}")] = (float(row["ci_low"]), float(row["ci_high"]))
        values[("both", f"p_{key}")] = float(row["p"])
    values[("both", "tipping_delta")] = tipping_point(patients)
    values[("both", "p_tipping_min")] = float(np.nanmin(delta_adjusted_p(patients, TIPPING_GRID)))
    methods = {
        **{(arm, "mean"): "mean change, complete cases; t interval" for arm in ARMS},
        **{(arm, "median"): "sample median of the change, complete cases" for arm in ARMS},
        ("both", "mean_difference"): "difference in mean change, MSC minus placebo; Welch t interval",
        ("both", "sd_pooled"): "pooled within-arm SD of the change, complete cases (mmHg)",
        ("both", "ancova_difference"): "ANCOVA: OLS of the change on arm and baseline PaO2/FiO2, complete cases",
        ("both", "p_ancova"): "ANCOVA: t-test of the arm coefficient",
        ("both", "p_rank"): "Mann–Whitney U, exact: share of splits with |U − n₁n₂/2| at least the observed",
        ("both", "difference_worst_best"): "difference in mean change, deaths by day 7 given the smallest change "
                                           "observed, discharges the largest (composite); Welch t interval",
        ("both", "p_worst_best"): "Welch t-test, deaths worst and discharges best (composite)",
        ("both", "difference_adverse"): "difference in mean change, missing MSC patients given the smallest "
                                        "change observed, missing placebo patients the largest; Welch t interval",
        ("both", "p_adverse"): "Welch t-test, missing values imputed against MSC",
        ("both", "tipping_delta"): "tipping point (mmHg): smallest shift from the arm's observed mean, in MSC's "
                                   "favour, of the patients without a day-7 value that makes Welch's p < 0.05 "
                                   "(none: no shift up to 1,000 mmHg does)",
        ("both", "p_tipping_min"): "smallest Welch p over shifts of 0 to 1,000 mmHg in MSC's favour of the "
                                   "patients without a day-7 value (delta-adjusted single imputation)",
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


# How each handling fills a missing day-7 change: by the reason it is missing and the patient's arm.
# "min" and "max" are the smallest and largest change observed in either arm.
HANDLINGS = {
    "complete cases": None,
    "death worst, discharge best": {("died by day 7", "MSC"): "min", ("died by day 7", "placebo"): "min",
                                    ("discharged by day 7", "MSC"): "max", ("discharged by day 7", "placebo"): "max"},
    "adverse to MSC": {("died by day 7", "MSC"): "min", ("discharged by day 7", "MSC"): "min",
                       ("died by day 7", "placebo"): "max", ("discharged by day 7", "placebo"): "max"},
}


TIPPING_GRID = np.arange(0.0, 1001.0)  # mmHg: the shifts of the missing patients a tipping analysis scans


def _compare(patients: pd.DataFrame, change: pd.Series) -> dict:
    arms = {arm: change[patients["arm"] == arm].dropna().to_numpy(float) for arm in ARMS}
    low, high = welch_interval(arms["MSC"], arms["placebo"])
    return {"n_msc": len(arms["MSC"]), "n_placebo": len(arms["placebo"]),
            "difference": float(arms["MSC"].mean() - arms["placebo"].mean()),
            "ci_low": low, "ci_high": high, "p": welch_p(arms["MSC"], arms["placebo"])}


def pf_change_sensitivity(patients: pd.DataFrame) -> pd.DataFrame:
    """The difference in mean change (Welch) under each handling in HANDLINGS of patients without a
    day-7 value: left out (the book's primary analysis); a composite that gives each patient who died
    the smallest change observed in either arm and each patient discharged the largest (it favours
    whichever arm lost more patients to death, so it is no stress test); and the adverse direction, a
    stress test: every missing MSC patient gets the smallest change, every missing placebo patient the
    largest. Patients missing for another reason ("not measured") stay out of every row."""
    observed = patients["pf_day7"] - patients["pf_day0"]
    reason = patients["patient_id"].map(missing_day7(patients).set_index("patient_id")["reason"])
    extremes = {"min": observed.min(), "max": observed.max()}
    rows = []
    for label, rule in HANDLINGS.items():
        fill = pd.Series([extremes.get((rule or {}).get((r, a))) for r, a in zip(reason, patients["arm"])],
                         index=patients.index, dtype=float)
        rows.append({"analysis": label, **_compare(patients, observed.fillna(fill))})
    return pd.DataFrame(rows)


def delta_adjusted_p(patients: pd.DataFrame, deltas) -> np.ndarray:
    """Welch's p for each delta (one row of a batch each), with every patient without a day-7 value given
    their own arm's mean observed change shifted by delta in MSC's favour (+delta in the MSC arm, -delta
    in the placebo arm): delta = 0 is the missing-at-random reading, a large delta an ever more
    favourable departure from it (single imputation: the p ignores the imputation's uncertainty)."""
    observed = (patients["pf_day7"] - patients["pf_day0"]).to_numpy(float)
    deltas = np.asarray(deltas, float)[:, None]
    arms = []
    for arm, sign in (("MSC", 1.0), ("placebo", -1.0)):
        x = observed[(patients["arm"] == arm).to_numpy()]
        arms.append(np.where(np.isnan(x), np.nanmean(x) + sign * deltas, x))
    return welch_p_batch(*arms)


def tipping_point(patients: pd.DataFrame, alpha: float = 0.05) -> float:
    """The smallest delta >= 0 (mmHg, `delta_adjusted_p`) at which the primary comparison gives p < alpha:
    how far the missing patients must depart from their arm's observed mean for the trial to turn
    positive. NaN when no patient is missing or no delta in TIPPING_GRID does it (one imputed value far
    out widens its arm's spread as fast as it moves its mean, so the p can stay above alpha for all)."""
    if patients["pf_day7"].notna().all():
        return float("nan")
    grid = TIPPING_GRID
    below = delta_adjusted_p(patients, grid) < alpha
    if not below.any():
        return float("nan")
    k = int(np.argmax(below))
    if k == 0:
        return 0.0
    return float(optimize.brentq(lambda d: delta_adjusted_p(patients, [d])[0] - alpha, grid[k - 1], grid[k]))


def difference_ci_by_sd(difference: float, n_per_arm: int, sds, level: float = 0.95) -> pd.DataFrame:
    """The CI a two-sample t-test would give a `difference` in means if both arms had SD `sd`
    (equal arms): difference ± t_{(1+level)/2, 2n-2} · sd · sqrt(2/n), for each sd in `sds`."""
    sds = np.asarray(sds, float)
    half = stats.t.ppf((1 + level) / 2, 2 * n_per_arm - 2) * sds * np.sqrt(2 / n_per_arm)
    return pd.DataFrame({"sd": sds, "difference": float(difference),
                         "ci_low": difference - half, "ci_high": difference + half})


ENDPOINTS = [pf_change_day7]
