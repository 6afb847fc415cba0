"""Other randomised trials of MSC (data/literature/msc_trials.csv) and their pooled mortality.

Every row carries its DOI, a references.bib key and where in the source its numbers were
read; the loader refuses a row without them. Mortality is compared as odds ratios (MSC
against control). A trial with a zero cell gets a continuity correction: 0.5 in every cell
("constant") or, as a sensitivity analysis, a total of 1 per row split between the arms in
proportion to their sizes ("treatment_arm"). The odds ratios are pooled by inverse-variance
random effects with a Paule–Mandel between-trial variance (simulation studies favour it over
DerSimonian–Laird), with a normal or a Hartung–Knapp interval, and by Mantel–Haenszel.
"""
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.meta_analysis import combine_effects

from covidat import ROOT
from covidat.data.contract import Column, DataError, read_table

TRIALS = ROOT / "data" / "literature" / "msc_trials.csv"
COUNT = dict(low=0, high=100000)
TRIAL_COLUMNS = [
    Column("trial_id"), Column("trial"), Column("first_author"), Column("year", int, low=1990, high=2100),
    Column("population"), Column("covid", allowed=("yes", "no")), Column("product"),
    Column("outcome", allowed=("mortality", "pf_change", "oi_day7", "vfd28")),
    Column("timepoint_days", int, optional=True, low=1, high=400),
    Column("population_analysed"),
    Column("msc_events", int, optional=True, **COUNT), Column("msc_n", int, low=1, high=100000),
    Column("control_events", int, optional=True, **COUNT), Column("control_n", int, low=1, high=100000),
    Column("msc_value", float, optional=True), Column("control_value", float, optional=True),
    *(Column(f"{arm}_{q}", float, optional=True) for arm in ("msc", "control") for q in ("q1", "q3")),
    Column("statistic", allowed=("count", "median", "mean")),
    Column("p_value", float, optional=True, low=0, high=1),
    Column("doi"), Column("bibkey"), Column("location"),
    Column("pooled", allowed=("yes", "no")), Column("note", optional=True),
]


def load_trials(path=TRIALS) -> pd.DataFrame:
    trials = read_table(path, TRIAL_COLUMNS, key="trial_id")
    for row, t in enumerate(trials.itertuples(index=False), start=1):
        def fail(column, message):
            raise DataError(path, message, row=row, column=column)
        if not t.doi.startswith("10."):
            fail("doi", f"{t.doi!r} is not a DOI (10.xxxx/...)")
        if t.outcome == "mortality":
            for arm in ("msc", "control"):
                events, n = getattr(t, f"{arm}_events"), getattr(t, f"{arm}_n")
                if events is pd.NA:
                    fail(f"{arm}_events", "a mortality row needs the number of deaths")
                if events > n:
                    fail(f"{arm}_events", f"{events} deaths among {n} patients")
        elif pd.isna(t.msc_value) or pd.isna(t.control_value):
            fail("msc_value", "a continuous outcome needs a value for both arms")
        if t.pooled == "yes" and t.outcome != "mortality":
            fail("pooled", "only mortality rows are pooled")
    return trials


CORRECTIONS = ("constant", "treatment_arm")


def _correction(a, n1, c, n2, kind: str):
    """Amount added to each cell of the MSC and the control arm (zero where no cell is zero)."""
    zero = (a == 0) | (a == n1) | (c == 0) | (c == n2)
    if kind == "constant":
        msc, control = np.full(len(a), 0.5), np.full(len(a), 0.5)
    elif kind == "treatment_arm":
        msc, control = n1 / (n1 + n2), n2 / (n1 + n2)
    else:
        raise ValueError(f"correction must be one of {CORRECTIONS}, not {kind!r}")
    return np.where(zero, msc, 0.0), np.where(zero, control, 0.0)


def mortality_effects(trials: pd.DataFrame, correction: str = "constant") -> pd.DataFrame:
    """Odds ratio of death (MSC against control) with its 95% CI, one row per mortality row.

    `correction` says what a trial with a zero cell gets added to each of its four cells."""
    rows = trials[trials["outcome"] == "mortality"].reset_index(drop=True)
    a, n1, c, n2 = (rows[col].to_numpy(float) for col in ("msc_events", "msc_n", "control_events", "control_n"))
    k1, k2 = _correction(a, n1, c, n2, correction)
    a, b, c, d = a + k1, n1 - a + k1, c + k2, n2 - c + k2
    log_or, variance = np.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d
    half_width = stats.norm.isf(0.025) * np.sqrt(variance)
    return rows.assign(log_or=log_or, variance=variance, odds_ratio=np.exp(log_or),
                       ci_low=np.exp(log_or - half_width), ci_high=np.exp(log_or + half_width))


def pooled_rows(effects: pd.DataFrame, without: tuple[str, ...] = ()) -> pd.DataFrame:
    """The rows marked pooled, less the trial_ids in `without`."""
    return effects[(effects["pooled"] == "yes") & ~effects["trial_id"].isin(without)]


def weights(effects: pd.DataFrame, without: tuple[str, ...] = ()) -> pd.Series:
    """Each pooled row's share of the random-effects weight (percent, by trial_id): 1 / (variance + tau²),
    with the Paule–Mandel tau² that `pool` uses."""
    chosen = pooled_rows(effects, without)
    result = combine_effects(chosen["log_or"].to_numpy(), chosen["variance"].to_numpy(), method_re="pm")
    share = np.asarray(result.weights_re, float)
    return pd.Series(100 * share / share.sum(), index=chosen["trial_id"].to_numpy(), name="weight")


@dataclass(frozen=True)
class Pooled:
    trials: int
    odds_ratio: float
    ci_low: float
    ci_high: float
    tau2: float
    i2: float  # percent, floored at 0
    q_p: float  # p-value of Cochran's Q test for heterogeneity


METHODS = ("random", "fixed", "hartung_knapp", "hartung_knapp_modified", "mantel_haenszel")


def pool(effects: pd.DataFrame, method: str = "random", without: tuple[str, ...] = ()) -> Pooled:
    """Pooled odds ratio of the rows marked pooled (less `without`).

    random: inverse variance, Paule–Mandel tau², normal 95% interval; fixed: inverse variance,
    tau² = 0; hartung_knapp: the random-effects estimate with the Hartung–Knapp variance and a
    t interval on k - 1 degrees of freedom; hartung_knapp_modified: the same, but never narrower
    than the random-effects variance (the Hartung–Knapp scale floored at 1); mantel_haenszel: the Mantel–Haenszel odds ratio of
    the uncorrected counts, with the Robins–Breslow–Greenland interval.
    """
    chosen = pooled_rows(effects, without)
    result = combine_effects(chosen["log_or"].to_numpy(), chosen["variance"].to_numpy(), method_re="pm")
    heterogeneity = dict(trials=len(chosen), tau2=float(result.tau2), i2=float(max(0.0, result.i2) * 100),
                         q_p=float(result.test_homogeneity().pvalue))
    if method == "mantel_haenszel":
        tables = [[[t.msc_events, t.msc_n - t.msc_events], [t.control_events, t.control_n - t.control_events]]
                  for t in chosen.itertuples()]
        table = StratifiedTable([np.asarray(t, dtype=float) for t in tables])
        low, high = table.oddsratio_pooled_confint()
        return Pooled(odds_ratio=float(table.oddsratio_pooled), ci_low=float(low), ci_high=float(high),
                      **heterogeneity)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    mean = result.mean_effect_fe if method == "fixed" else result.mean_effect_re
    sd = {"fixed": result.sd_eff_w_fe, "random": result.sd_eff_w_re, "hartung_knapp": result.sd_eff_w_re_hksj,
          "hartung_knapp_modified": max(result.sd_eff_w_re_hksj, result.sd_eff_w_re)}[method]
    crit = stats.t.isf(0.025, len(chosen) - 1) if method.startswith("hartung_knapp") else stats.norm.isf(0.025)
    low, high = mean - crit * sd, mean + crit * sd
    return Pooled(odds_ratio=float(np.exp(mean)), ci_low=float(np.exp(low)), ci_high=float(np.exp(high)),
                  **heterogeneity)


def iqr_sd(trials: pd.DataFrame) -> pd.DataFrame:
    """Standard deviation implied by each arm's interquartile range if the values were normal:
    (Q3 - Q1) / (z(0.75) - z(0.25)), about IQR / 1.35. One row per trial and arm with quartiles."""
    width = stats.norm.ppf(0.75) - stats.norm.ppf(0.25)
    rows = [{"trial_id": t["trial_id"], "trial": t["trial"], "outcome": t["outcome"], "arm": arm,
             "n": int(t[f"{arm}_n"]), "q1": t[f"{arm}_q1"], "q3": t[f"{arm}_q3"],
             "sd": (t[f"{arm}_q3"] - t[f"{arm}_q1"]) / width}
            for _, t in trials.iterrows() for arm in ("msc", "control")
            if pd.notna(t[f"{arm}_q1"]) and pd.notna(t[f"{arm}_q3"])]
    return pd.DataFrame(rows, columns=["trial_id", "trial", "outcome", "arm", "n", "q1", "q3", "sd"])
