"""Clinical improvement on the WHO ordinal scale at day 7, and the day-7 scale itself."""
import math

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.stats.proportion import confint_proportions_2indep

from covidat.endpoints.result import ARMS, EndpointResult, by_arm
from covidat.endpoints.stats import fisher_p


def improvement_tests(events: dict[str, int], sizes: dict[str, int]) -> tuple[dict, dict]:
    """Fisher, Boschloo and Barnard p-values and the Newcombe risk difference for a 2x2 table."""
    # scipy's unconditional tests take one column per binomial sample (arm): events, then non-events
    table = [[events[arm] for arm in ARMS], [sizes[arm] - events[arm] for arm in ARMS]]
    values = {
        ("both", "p_fisher"): fisher_p(events["MSC"], sizes["MSC"], events["placebo"], sizes["placebo"]),
        ("both", "p_boschloo"): float(stats.boschloo_exact(table).pvalue),
        ("both", "p_barnard"): float(stats.barnard_exact(table).pvalue),
        ("both", "risk_difference"): events["MSC"] / sizes["MSC"] - events["placebo"] / sizes["placebo"],
    }
    low, high = confint_proportions_2indep(events["MSC"], sizes["MSC"], events["placebo"], sizes["placebo"],
                                           method="newcomb", compare="diff")
    return values, {("both", "risk_difference"): (float(low), float(high))}


IMPROVEMENT_METHODS = {
    ("both", "p_fisher"): "two-sided Fisher's exact test (conditional on both margins)",
    ("both", "p_boschloo"): "two-sided Boschloo exact unconditional test (Fisher's p orders the tables)",
    ("both", "p_barnard"): "two-sided Barnard exact unconditional test (pooled score statistic orders the tables)",
    ("both", "risk_difference"): "difference in proportions improved, MSC minus placebo; Newcombe hybrid score CI",
}


def improved(patients: pd.DataFrame, min_drop: int) -> pd.Series:
    """1 where the WHO score fell by at least `min_drop` points from day 0 to day 7."""
    return ((patients["who_day0"] - patients["who_day7"]) >= min_drop).astype(int)


def improvement_by_threshold(patients: pd.DataFrame, min_drop: int) -> EndpointResult:
    """The improvement analysis under another definition of improvement (a fall of `min_drop` points)."""
    return _improvement(patients, improved(patients, min_drop), f"who_improved_day7 (fall of {min_drop} or more)")


def who_improved_day7(patients: pd.DataFrame) -> EndpointResult:
    return _improvement(patients, patients["improved_day7"], "who_improved_day7")


def _improvement(patients: pd.DataFrame, flags: pd.Series, endpoint: str) -> EndpointResult:
    events = {arm: int(flags[patients["arm"] == arm].sum()) for arm in ARMS}
    sizes = {arm: int((patients["arm"] == arm).sum()) for arm in ARMS}
    values = {}
    for arm in ARMS:
        values[(arm, "n")] = float(events[arm])
        values[(arm, "pct")] = 100.0 * events[arm] / sizes[arm]
    extra, cis = improvement_tests(events, sizes)
    values[("both", "p")] = extra[("both", "p_fisher")]  # the claim's statistic
    values.update(extra)
    return EndpointResult(endpoint, "proportion improved; two-sided Fisher's exact test", values, cis,
                          dict(IMPROVEMENT_METHODS))


def _covariates(patients: pd.DataFrame) -> pd.DataFrame:
    """Arm (MSC = 1) and baseline WHO score; a baseline that does not vary is left out (it would be a
    constant, which the thresholds already are)."""
    exog = pd.DataFrame({"MSC": (patients["arm"] == "MSC").astype(float),
                         "who_day0": patients["who_day0"].astype(float)})
    return exog if exog["who_day0"].nunique() > 1 else exog[["MSC"]]


def proportional_odds(patients: pd.DataFrame):
    """Cumulative-logit model of the day-7 WHO score on arm (MSC = 1) and baseline WHO score."""
    outcome = pd.Series(pd.Categorical(patients["who_day7"].astype(int), ordered=True))
    return OrderedModel(outcome, _covariates(patients), distr="logit").fit(method="bfgs", maxiter=1000, disp=False)


def separated(patients: pd.DataFrame) -> bool:
    """True when the cumulative-logit likelihood has no maximum: some direction of the coefficients
    and (non-decreasing) thresholds never makes any patient's observed score less likely.

    Each patient and cut j of the scale is a binary outcome 'score <= j' with linear predictor
    threshold_j - x'beta; the direction is sought by a linear programme (Konis's check for
    logistic regression, with ordered thresholds), bounded to the unit box.
    """
    x = _covariates(patients).to_numpy()
    y = patients["who_day7"].astype(int).to_numpy()
    cuts = np.unique(y)[:-1]
    rows, signs = [], []
    for j, cut in enumerate(cuts):
        for xi, yi in zip(x, y):
            rows.append(np.r_[np.eye(len(cuts))[j], -xi])
            signs.append(1.0 if yi <= cut else -1.0)
    margins = np.asarray(rows) * np.asarray(signs)[:, None]  # each must stay >= 0 along the direction
    ordered = np.hstack([np.eye(len(cuts)) - np.eye(len(cuts), k=1), np.zeros((len(cuts), x.shape[1]))])[:-1]
    solution = optimize.linprog(-margins.sum(axis=0), A_ub=np.vstack([-margins, ordered]),
                                b_ub=np.zeros(len(margins) + len(ordered)), bounds=(-1, 1))
    return bool(-solution.fun > 1e-7)


SINGLE_SCORE = "not estimable: every patient has the same day-7 WHO score, so there is no order to model"
COLLINEAR = ("not estimable: arm and baseline WHO score cannot be told apart (the baseline score follows "
             "from the arm)")
NOT_ESTIMABLE = ("not estimable: the data are separated (some scores are only seen in one arm or baseline "
                 "group), so the likelihood grows without bound and the odds ratio has no finite estimate")


def who_day7(patients: pd.DataFrame) -> EndpointResult:
    """Common odds ratio of a better (lower) day-7 WHO score, MSC against placebo, adjusted for baseline.

    statsmodels models P(score <= j) = F(threshold_j - x'beta), so the odds of a score at or
    below any j are multiplied by exp(-beta_MSC) for MSC: that is the ratio reported (> 1 favours MSC).
    On separated data the ratio, its CI and p are NaN, with the reason as the method.
    """
    covariates = _covariates(patients)
    adjusted = ("adjusted for baseline WHO score" if "who_day0" in covariates
                else "not adjusted (every patient has the same baseline WHO score)")
    method = f"proportional-odds (cumulative logit) model of the day-7 WHO score, {adjusted}; Wald CI and test"
    with_thresholds = np.c_[np.ones(len(covariates)), covariates]  # a covariate the thresholds already give
    reason = (SINGLE_SCORE if patients["who_day7"].nunique() < 2
              else COLLINEAR if np.linalg.matrix_rank(with_thresholds) < with_thresholds.shape[1]
              else NOT_ESTIMABLE if separated(patients) else None)
    if reason:
        nan = float("nan")
        values = {("both", "common_odds_ratio"): nan, ("both", "p"): nan}
        return EndpointResult("who_day7", method, values, {("both", "common_odds_ratio"): (nan, nan)},
                              {key: reason for key in values})
    fit = proportional_odds(patients)
    low, high = fit.conf_int().loc["MSC"]
    values = {("both", "common_odds_ratio"): math.exp(-fit.params["MSC"]),
              ("both", "p"): float(fit.pvalues["MSC"])}
    cis = {("both", "common_odds_ratio"): (math.exp(-high), math.exp(-low))}
    return EndpointResult("who_day7", method, values, cis)


def who_counts(patients: pd.DataFrame) -> pd.DataFrame:
    """Patients per arm, day ('day 0', 'day 7') and WHO score: the days the dataset holds."""
    long = patients.melt(id_vars=["arm"], value_vars=["who_day0", "who_day7"], var_name="day", value_name="score")
    long["day"] = long["day"].map({"who_day0": "day 0", "who_day7": "day 7"})
    long["score"] = long["score"].astype(int)
    return long.groupby(["arm", "day", "score"]).size().rename("n").reset_index()


def cumulative_odds_ratios(patients: pd.DataFrame) -> pd.DataFrame:
    """For each cut of the day-7 WHO scale (score <= j against > j): the count per arm at or below j
    and the unadjusted odds ratio, MSC against placebo (inf or nan where a cell is empty).
    Under proportional odds these ratios estimate one common value."""
    arms = by_arm(patients)
    rows = []
    for cut in sorted(patients["who_day7"].astype(int).unique())[:-1]:
        row = {"cut": cut}
        for arm in ARMS:
            row[f"n_{arm}"] = int((arms[arm]["who_day7"] <= cut).sum())
            row[f"size_{arm}"] = len(arms[arm])
        a, b = row["n_MSC"], row["size_MSC"] - row["n_MSC"]
        c, d = row["n_placebo"], row["size_placebo"] - row["n_placebo"]
        with np.errstate(divide="ignore", invalid="ignore"):
            row["odds_ratio"] = float(np.float64(a * d) / np.float64(b * c))
        rows.append(row)
    return pd.DataFrame(rows)


ENDPOINTS = [who_improved_day7, who_day7]
