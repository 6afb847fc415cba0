"""How far to trust the numbers of a weighted batch: each one re-estimated on independent blocks.

Every round of a sample draws from its own random stream (sampler._round), so datasets of different
rounds are independent, as if drawn with different seeds. Cut at round boundaries into BLOCKS
groups of about equal size, a batch is BLOCKS independent samples. Each number is estimated on
every block with its Monte Carlo standard error (MCSE); if the MCSEs are honest the block estimates
scatter as they predict. `agreement` gives the ratio of the observed scatter to the predicted one
(like R-hat across chains: near 1 when the errors are right, well above 1 when they understate the
error) and the chi-squared p-value of that scatter.
"""
import math

import numpy as np
import pandas as pd
from scipy import stats

from covidat.reconstruction import pinned, sampler

BLOCKS = 8


def blocks(rounds, k: int = BLOCKS) -> np.ndarray:
    """The block of each dataset (rounds in increasing order, as in a batch): consecutive rounds, cut
    at the rounds of the datasets at 1/k, 2/k, ... of the batch, so no round is split."""
    rounds = np.asarray(rounds)
    if (np.diff(rounds) < 0).any():
        raise ValueError("datasets must be in the order of their rounds")
    cuts = rounds[[len(rounds) * j // k for j in range(1, k)]]
    return np.searchsorted(cuts, rounds, side="right")


def median(x, w) -> tuple[float, float]:
    """Weighted median and its MCSE (NaN when not estimable)."""
    return pinned.weighted_quantile(x, w, 0.5), pinned.quantile_mcse(x, w, 0.5)


def agreement(x, weights, rounds, estimate=median, k: int = BLOCKS) -> dict:
    """`estimate(x, w) -> (value, mcse)` on the whole batch and on each of k blocks (datasets with a
    value only); `ratio`: the blocks' scatter over the scatter their MCSEs predict, sqrt(chi2 / (k - 1))
    with chi2 = sum over blocks of ((value_b - pooled) / mcse_b)^2 around the precision-weighted
    pooled value, and `p` its chi-squared p-value; NaN when a block has no estimate or an MCSE of 0."""
    x, weights = np.asarray(x, float), np.asarray(weights, float)
    known = ~np.isnan(x)
    block = blocks(rounds, k)[known]
    x, weights = x[known], weights[known]
    value, mcse = estimate(x, weights)
    per_block = [estimate(x[block == b], weights[block == b]) if (block == b).any() else (math.nan, math.nan)
                 for b in range(k)]
    values, errors = np.array(per_block).T
    row = {"value": value, "mcse": mcse, "ess": pinned.ess(weights), "blocks": values,
           "ratio": math.nan, "p": math.nan}
    if np.isfinite(errors).all() and (errors > 0).all():
        precision = errors ** -2
        pooled = (precision * values).sum() / precision.sum()
        chi2 = float((precision * (values - pooled) ** 2).sum())
        row.update(ratio=math.sqrt(chi2 / (k - 1)), p=float(stats.chi2.sf(chi2, k - 1)))
    return row


def table(results: pd.DataFrame, weights, rounds, medians: dict, shares: dict) -> pd.DataFrame:
    """One row per number: the weighted median of each column in `medians` (id -> label) and the share
    of datasets in which each conclusion of `shares` (id -> pinned.Conclusion) holds, with `agreement`."""
    rows = []
    for column, label in medians.items():
        rows.append({"id": column, "number": f"Median: {label}",
                     **agreement(results[column], weights, rounds)})
    for cid, conclusion in shares.items():
        known = results[list(conclusion.needs)].notna().all(axis=1).to_numpy()
        holds = np.where(known, conclusion.test(results).to_numpy(float), np.nan)
        rows.append({"id": cid, "number": f"Share: {conclusion.text}",
                     **agreement(holds, weights, rounds, sampler.weighted_mean)})
    return pd.DataFrame(rows)


def combined(checks: pd.DataFrame, k: int = BLOCKS) -> tuple[float, int, float]:
    """One test over every row of a `table` with a ratio: the sum of the chi-squared statistics, its
    degrees of freedom and p-value (rows are not independent, so read it as a summary)."""
    ratios = checks["ratio"].dropna().to_numpy(float)
    chi2, df = float((ratios ** 2 * (k - 1)).sum()), (k - 1) * len(ratios)
    return chi2, df, float(stats.chi2.sf(chi2, df)) if df else math.nan
