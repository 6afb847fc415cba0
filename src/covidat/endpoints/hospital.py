"""Length of hospital stay: the published rank test, its variants, a shift estimate, the same days as
time to discharge (in-hospital deaths censored at death), and the test under each handling of death.

Death ends a stay as surely as discharge does. Four strategies (ICH E9(R1)) for the patients who die:
- deaths as stays: the days to death count as a stay (what the published test appears to do);
- deaths worst: every death ranks after the longest stay (a composite: dying is worse than any stay);
- survivors only: deaths left out (compares survivors, who are no longer randomised groups);
- alive and discharged by day 28 / 60: the composite as a yes-or-no outcome.
"""
import math

import numpy as np
import pandas as pd
from scipy import stats

from covidat.endpoints.result import ARMS, EndpointResult, by_arm
from statsmodels.stats.proportion import confint_proportions_2indep

from covidat.endpoints.stats import (fisher_p, logrank_p, mann_whitney_null, mann_whitney_p, mann_whitney_p_batch,
                                     mann_whitney_variant_p_batch)
from covidat.endpoints.survival import km_table

HORIZONS = (28, 60)  # days by which "alive and discharged" is counted


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
    lies at least as far from its mean as the observed one, counted, not listed (permutation_p_batch),
    so it is exact at any size."""
    return float(permutation_p_batch(a, b)[0])


def permutation_p_batch(a, b) -> np.ndarray:
    """permutation_p per row, by counting instead of listing splits: the number of ways to put c of
    the first j patients in group a with a given sum of twice-mid-ranks (whole numbers) grows one
    patient at a time, as for a subset sum."""
    a, b = np.atleast_2d(np.asarray(a, float)), np.atleast_2d(np.asarray(b, float))
    ranks = np.rint(2 * stats.rankdata(np.c_[a, b], axis=1)).astype(int)
    rows, n = ranks.shape
    k, size = a.shape[1], n * (n + 1) + 1  # twice the largest possible rank sum, plus one
    ways = np.zeros((rows, k + 1, size))
    ways[:, 0, 0] = 1
    for r in ranks.T:
        shifted = np.arange(size)[None, None, :] - r[:, None, None]  # a sum s is reached from s - r
        reached = np.where(shifted >= 0, np.take_along_axis(ways[:, :k], np.maximum(shifted, 0), 2), 0)
        ways[:, 1:] += reached
    middle = k * (n + 1)  # twice the mean rank sum
    far = np.abs(np.arange(size)[None, :] - middle) >= np.abs(ranks[:, :k].sum(1) - middle)[:, None]
    return (ways[:, k] * far).sum(1) / math.comb(n, k)


def discharge_curves(patients: pd.DataFrame) -> pd.DataFrame:
    """Kaplan–Meier table per arm of still being in hospital; in-hospital deaths censored."""
    return pd.concat([km_table(p["hospital_days"], p["discharged"]).assign(arm=arm)
                      for arm, p in by_arm(patients).items()], ignore_index=True)


def deaths_worst_p_batch(days_msc, died_msc, days_placebo, died_placebo) -> np.ndarray:
    """Mann–Whitney p (published test's options) with deaths ranked worst, per row of a batch."""
    worst = np.nanmax(np.c_[np.atleast_2d(days_msc), np.atleast_2d(days_placebo)]) + 1
    msc = np.where(np.asarray(died_msc, float) == 1, worst, days_msc)
    placebo = np.where(np.asarray(died_placebo, float) == 1, worst, days_placebo)
    return mann_whitney_p_batch(msc, placebo)


def discharged_alive_by(patients: pd.DataFrame, horizon: int) -> pd.Series:
    """1 for a patient discharged alive on or before day `horizon`."""
    return ((patients["discharged"] == 1) & (patients["died"] == 0)
            & (patients["hospital_days"] <= horizon)).astype(int)


def death_strategies(patients: pd.DataFrame) -> pd.DataFrame:
    """The stay compared between arms under each handling of death: one row per strategy with what it
    compares, each arm's summary and the two-sided p (the `hospital_stay` statistics, in one table)."""
    result = hospital_stay(patients)
    sizes = {arm: len(p) for arm, p in by_arm(patients).items()}
    survivors = {arm: p[p["died"] == 0]["hospital_days"] for arm, p in by_arm(patients).items()}
    rows = [{"strategy": "deaths as stays", "statistic": "p", "compared": "days in hospital, death ending a stay",
             **{arm: f"median {result.get(arm, 'median'):g} days (n = {sizes[arm]})" for arm in ARMS}},
            {"strategy": "deaths worst", "statistic": "p_deaths_worst",
             "compared": "days in hospital, every death ranked after the longest stay",
             **{arm: f"{sizes[arm] - len(survivors[arm])} deaths ranked last (n = {sizes[arm]})" for arm in ARMS}},
            {"strategy": "survivors only", "statistic": "p_survivors", "compared": "days in hospital of survivors",
             **{arm: f"median {survivors[arm].median():g} days (n = {len(survivors[arm])})" for arm in ARMS}}]
    for h in HORIZONS:
        rows.append({"strategy": f"alive and discharged by day {h}", "statistic": f"p_discharged_alive_{h}",
                     "compared": f"share discharged alive by day {h}",
                     **{arm: f"{int(result.get(arm, f'discharged_alive_{h}'))}/{sizes[arm]}" for arm in ARMS}})
    table = pd.DataFrame(rows)
    table["p"] = [result.get("both", s) for s in table["statistic"]]
    table["result_id"] = "hospital_stay.both." + table["statistic"]
    return table


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
    cis = {("both", "hodges_lehmann"): (low, high)}
    died = {arm: p["died"].to_numpy(float) for arm, p in arms.items()}
    values[("both", "p_deaths_worst")] = float(deaths_worst_p_batch(msc, died["MSC"], placebo, died["placebo"])[0])
    values[("both", "p_survivors")] = mann_whitney_p(msc[died["MSC"] == 0], placebo[died["placebo"] == 0])
    for h in HORIZONS:
        home = {arm: int(discharged_alive_by(p, h).sum()) for arm, p in arms.items()}
        n = {arm: len(p) for arm, p in arms.items()}
        for arm in ARMS:
            values[(arm, f"discharged_alive_{h}")] = float(home[arm])
        values[("both", f"p_discharged_alive_{h}")] = fisher_p(home["MSC"], n["MSC"], home["placebo"], n["placebo"])
        values[("both", f"risk_difference_discharged_alive_{h}")] = home["MSC"] / n["MSC"] - home["placebo"] / n["placebo"]
        rd = confint_proportions_2indep(home["MSC"], n["MSC"], home["placebo"], n["placebo"], method="newcomb",
                                        compare="diff")
        cis[("both", f"risk_difference_discharged_alive_{h}")] = tuple(map(float, rd))
    methods = {
        ("both", "p_exact"): "Mann–Whitney U, exact null distribution for untied data (ties ignored)",
        ("both", "p_permutation"): "Mann–Whitney U, exact permutation distribution of the tied data",
        ("both", "p_normal"): "Mann–Whitney U, normal approximation with tie correction, no continuity correction",
        ("both", "p_logrank"): "log-rank test on time to discharge, in-hospital deaths censored",
        ("both", "hodges_lehmann"): "Hodges–Lehmann shift, MSC minus placebo (days); 95% CI from the exact "
                                    "Mann–Whitney critical value",
        ("both", "p_deaths_worst"): "Mann–Whitney U as published (normal, tie and continuity corrections), "
                                    "in-hospital deaths ranked after the longest stay (composite strategy)",
        ("both", "p_survivors"): "Mann–Whitney U as published, survivors only",
    }
    for h in HORIZONS:
        methods.update({(arm, f"discharged_alive_{h}"): f"patients discharged alive by day {h} (count)" for arm in ARMS})
        methods[("both", f"p_discharged_alive_{h}")] = f"alive and discharged by day {h}: two-sided Fisher's exact test"
        methods[("both", f"risk_difference_discharged_alive_{h}")] = (
            f"alive and discharged by day {h}: difference in proportions, MSC minus placebo; Newcombe hybrid score CI")
    return EndpointResult("hospital_stay",
                          "sample median; Mann–Whitney U, normal approximation with tie and continuity correction",
                          values, cis, methods)


ENDPOINTS = [hospital_stay]
