"""One function per analysis. Each takes the patients table and returns an EndpointResult.

The statistics are thin wrappers over scipy and statsmodels. The array-level helpers are
also what the reconstruction searches with, so both use exactly the same computation.
Which test the trial used is not published: each choice here is recorded, with its
reason, in data/reconstructed/assumptions.csv (ids `method.<endpoint>`).
"""
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

ARMS = ("MSC", "placebo")


@dataclass(frozen=True)
class EndpointResult:
    endpoint: str
    method: str
    values: dict = field(default_factory=dict)  # (arm, statistic) -> float

    def get(self, arm: str, statistic: str) -> float:
        return self.values[(arm, statistic)]


def welch_p(a, b) -> float:
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def fisher_p(events_a: int, n_a: int, events_b: int, n_b: int) -> float:
    return float(stats.fisher_exact([[events_a, n_a - events_a], [events_b, n_b - events_b]]).pvalue)


def km_median(times, events) -> float:
    return float(SurvfuncRight(np.asarray(times, float), np.asarray(events, float)).quantile(0.5))


def logrank_p(times_a, events_a, times_b, events_b) -> float:
    times = np.concatenate([times_a, times_b]).astype(float)
    events = np.concatenate([events_a, events_b]).astype(float)
    groups = np.r_[np.zeros(len(times_a)), np.ones(len(times_b))]
    return float(survdiff(times, events, groups)[1])


def mann_whitney_p(a, b) -> float:
    """Two-sided, normal approximation with tie and continuity correction (R's wilcox.test default with ties)."""
    return float(stats.mannwhitneyu(a, b, method="asymptotic", use_continuity=True).pvalue)


def _by_arm(patients: pd.DataFrame):
    return {arm: patients[patients["arm"] == arm] for arm in ARMS}


def randomised(patients: pd.DataFrame) -> EndpointResult:
    arms = _by_arm(patients)
    values = {(arm, "n"): float(len(arms[arm])) for arm in ARMS}
    values[("both", "n")] = float(len(patients))
    return EndpointResult("randomised", "count of randomised patients", values)


def pf_change_day7(patients: pd.DataFrame) -> EndpointResult:
    change = {arm: (p["pf_day7"] - p["pf_day0"]).dropna().to_numpy(float)
              for arm, p in _by_arm(patients).items()}
    values = {(arm, "mean"): float(change[arm].mean()) for arm in ARMS}
    values.update({(arm, "n"): float(len(change[arm])) for arm in ARMS})
    values[("both", "p")] = welch_p(change["MSC"], change["placebo"])
    return EndpointResult("pf_change_day7", "mean change, complete cases; Welch two-sample t-test", values)


def who_improved_day7(patients: pd.DataFrame) -> EndpointResult:
    arms = _by_arm(patients)
    events = {arm: int(arms[arm]["improved_day7"].sum()) for arm in ARMS}
    sizes = {arm: len(arms[arm]) for arm in ARMS}
    values = {}
    for arm in ARMS:
        values[(arm, "n")] = float(events[arm])
        values[(arm, "pct")] = 100.0 * events[arm] / sizes[arm]
    values[("both", "p")] = fisher_p(events["MSC"], sizes["MSC"], events["placebo"], sizes["placebo"])
    return EndpointResult("who_improved_day7", "proportion improved; two-sided Fisher's exact test", values)


def o2_discontinuation(patients: pd.DataFrame) -> EndpointResult:
    arms = _by_arm(patients)
    t = {arm: arms[arm]["o2_days"].to_numpy(float) for arm in ARMS}
    e = {arm: arms[arm]["o2_event"].to_numpy(float) for arm in ARMS}
    values = {(arm, "median"): km_median(t[arm], e[arm]) for arm in ARMS}
    values[("both", "p")] = logrank_p(t["MSC"], e["MSC"], t["placebo"], e["placebo"])
    return EndpointResult("o2_discontinuation", "Kaplan–Meier median; log-rank test", values)


def hospital_stay(patients: pd.DataFrame) -> EndpointResult:
    days = {arm: p["hospital_days"].to_numpy(float) for arm, p in _by_arm(patients).items()}
    values = {(arm, "median"): float(np.median(days[arm])) for arm in ARMS}
    values[("both", "p")] = mann_whitney_p(days["MSC"], days["placebo"])
    return EndpointResult("hospital_stay",
                          "sample median; Mann–Whitney U, normal approximation with tie and continuity correction",
                          values)


ENDPOINTS = {f.__name__: f for f in (randomised, pf_change_day7, who_improved_day7,
                                     o2_discontinuation, hospital_stay)}


def analyse(patients: pd.DataFrame) -> dict[str, EndpointResult]:
    """Every endpoint the patient-level data can reproduce."""
    return {name: f(patients) for name, f in ENDPOINTS.items()}
