"""Other randomised trials of MSC (data/literature/msc_trials.csv) and their pooled mortality.

Every row carries its DOI, a references.bib key and where in the source its numbers were
read; the loader refuses a row without them. Mortality is compared as odds ratios (MSC
against control), with 0.5 added to every cell of a trial that has a zero cell, and pooled
by inverse-variance random effects with a Paule–Mandel between-trial variance (statsmodels'
default; unlike its DerSimonian–Laird option it cannot fall below zero).
"""
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.meta_analysis import combine_effects, effectsize_2proportions

from covidat import ROOT
from covidat.data import Column, DataError, read_table

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


def mortality_effects(trials: pd.DataFrame) -> pd.DataFrame:
    """Odds ratio of death (MSC against control) with its 95% CI, one row per mortality row."""
    rows = trials[trials["outcome"] == "mortality"].reset_index(drop=True)
    counts = [rows[c].to_numpy(float) for c in ("msc_events", "msc_n", "control_events", "control_n")]
    # statsmodels 0.15 adds a float zero_correction to the events of every trial but enlarges the
    # denominators only of trials with a zero cell, so apply it only where a cell is zero.
    a, n1, c, n2 = counts
    zero = (a == 0) | (a == n1) | (c == 0) | (c == n2)
    log_or, variance = np.empty(len(rows)), np.empty(len(rows))
    for chosen, correction in ((~zero, None), (zero, 0.5)):
        if chosen.any():
            log_or[chosen], variance[chosen] = effectsize_2proportions(
                *(x[chosen] for x in counts), statistic="odds-ratio", zero_correction=correction)
    half_width = 1.959963984540054 * np.sqrt(variance)
    return rows.assign(log_or=log_or, variance=variance, odds_ratio=np.exp(log_or),
                       ci_low=np.exp(log_or - half_width), ci_high=np.exp(log_or + half_width))


@dataclass(frozen=True)
class Pooled:
    trials: int
    odds_ratio: float
    ci_low: float
    ci_high: float
    tau2: float
    i2: float  # percent, floored at 0
    q_p: float  # p-value of Cochran's Q test for heterogeneity


def pool(effects: pd.DataFrame, fixed: bool = False) -> Pooled:
    """Random-effects (or, with fixed=True, fixed-effect) pooled odds ratio of the rows marked pooled."""
    chosen = effects[effects["pooled"] == "yes"]
    result = combine_effects(chosen["log_or"].to_numpy(), chosen["variance"].to_numpy(), method_re="pm")
    row = 0 if fixed else 1  # conf_int rows: fixed effect, random effects
    low, high = result.conf_int(use_t=False)[row]
    mean = result.mean_effect_fe if fixed else result.mean_effect_re
    return Pooled(trials=len(chosen), odds_ratio=float(np.exp(mean)),
                  ci_low=float(np.exp(low)), ci_high=float(np.exp(high)), tau2=float(result.tau2),
                  i2=float(max(0.0, result.i2) * 100), q_p=float(result.test_homogeneity().pvalue))
