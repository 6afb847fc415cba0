"""Statistics shared by the endpoint analyses and the reconstruction: one convention each."""
import numpy as np
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight, survdiff


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
