"""Length of hospital stay: the published rank test, its variants, a shift estimate, and the same
days as time to discharge (in-hospital deaths censored at death)."""
import itertools
import math

import numpy as np
import pandas as pd
from scipy import stats

from covidat.endpoints.result import ARMS, EndpointResult, by_arm
from covidat.endpoints.stats import logrank_p, mann_whitney_p, mann_whitney_variant_p_batch
from covidat.endpoints.survival import km_table

PERMUTATIONS = 200_000  # enough to enumerate every split of 20 patients into 10 and 10 (184,756)


def mann_whitney_null(n1: int, n2: int) -> np.ndarray:
    """P(U = u), u = 0..n1*n2, for two samples without ties (the exact null distribution)."""
    # counts[i][j] holds the U distribution for i and j observations; add one observation at a time.
    counts = {(0, j): np.array([1.0]) for j in range(n2 + 1)}
    counts.update({(i, 0): np.array([1.0]) for i in range(n1 + 1)})
    for i in range(1, n1 + 1):
        for j in range(1, n2 + 1):
            # the largest value is from sample 1 (it beats all j of sample 2) or from sample 2
            a, b = np.r_[np.zeros(j), counts[(i - 1, j)]], counts[(i, j - 1)]
            size = max(len(a), len(b))
            counts[(i, j)] = np.pad(a, (0, size - len(a))) + np.pad(b, (0, size - len(b)))
    return counts[(n1, n2)] / counts[(n1, n2)].sum()


def hodges_lehmann(a, b) -> tuple[float, float, float]:
    """Median of all differences a_i - b_j, with the distribution-free 95% CI read off the sorted
    differences at the exact Mann–Whitney critical value (as R's wilcox.test without ties)."""
    diffs = np.sort(np.subtract.outer(np.asarray(a, float), np.asarray(b, float)).ravel())
    cdf = np.cumsum(mann_whitney_null(len(a), len(b)))
    k = max(int(np.searchsorted(cdf, 0.025 - 1e-12)), 1)  # qwilcox(0.025): 1-based rank of the lower limit
    return float(np.median(diffs)), float(diffs[k - 1]), float(diffs[len(diffs) - k])


def permutation_p(a, b) -> float:
    """Two-sided exact permutation test of the Wilcoxon rank sum with tied values kept (mid-ranks):
    the share of all splits of the pooled values into groups of the observed sizes whose rank sum
    lies at least as far from its mean as the observed one. Beyond PERMUTATIONS splits, a fixed-seed
    random sample of them."""
    ranks = stats.rankdata(np.r_[a, b])
    n, k = len(ranks), len(a)
    if math.comb(n, k) <= PERMUTATIONS:
        groups = np.array(list(itertools.combinations(range(n), k)))
    else:
        groups = np.argsort(np.random.default_rng(0).random((PERMUTATIONS, n)), axis=1)[:, :k]
    sums, mean = ranks[groups].sum(axis=1), k * (n + 1) / 2
    return float(np.mean(np.abs(sums - mean) >= abs(ranks[:k].sum() - mean) - 1e-9))


def discharge_curves(patients: pd.DataFrame) -> pd.DataFrame:
    """Kaplan–Meier table per arm of still being in hospital; in-hospital deaths censored."""
    return pd.concat([km_table(p["hospital_days"], p["discharged"]).assign(arm=arm)
                      for arm, p in by_arm(patients).items()], ignore_index=True)


def hospital_stay(patients: pd.DataFrame) -> EndpointResult:
    arms = by_arm(patients)
    days = {arm: p["hospital_days"].to_numpy(float) for arm, p in arms.items()}
    msc, placebo = days["MSC"], days["placebo"]
    values = {(arm, "median"): float(np.median(days[arm])) for arm in ARMS}
    values[("both", "p")] = mann_whitney_p(msc, placebo)
    values[("both", "p_exact")] = float(mann_whitney_variant_p_batch(msc, placebo, exact=True)[0])
    values[("both", "p_permutation")] = permutation_p(msc, placebo)
    values[("both", "p_normal")] = float(mann_whitney_variant_p_batch(msc, placebo, exact=False)[0])
    values[("both", "p_logrank")] = logrank_p(msc, arms["MSC"]["discharged"], placebo, arms["placebo"]["discharged"])
    shift, low, high = hodges_lehmann(msc, placebo)
    values[("both", "hodges_lehmann")] = shift
    methods = {
        ("both", "p_exact"): "Mann–Whitney U, exact null distribution for untied data (ties ignored)",
        ("both", "p_permutation"): "Mann–Whitney U, exact permutation distribution of the tied data",
        ("both", "p_normal"): "Mann–Whitney U, normal approximation with tie correction, no continuity correction",
        ("both", "p_logrank"): "log-rank test on time to discharge, in-hospital deaths censored",
        ("both", "hodges_lehmann"): "Hodges–Lehmann shift, MSC minus placebo (days); 95% CI from the exact "
                                    "Mann–Whitney critical value",
    }
    return EndpointResult("hospital_stay",
                          "sample median; Mann–Whitney U, normal approximation with tie and continuity correction",
                          values, {("both", "hodges_lehmann"): (low, high)}, methods)


ENDPOINTS = [hospital_stay]
