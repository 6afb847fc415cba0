"""What the abstract's numbers imply of each other, in the spirit of GRIM and statcheck.

Each function takes published numbers only (except `reproduced_together`, which asks whether one
dataset reproduces several claims at once) and uses the claims' own rounding rule (`claims.holds`).
"""
import math

import pandas as pd
from scipy import stats

from covidat.beyond.scorecard import check
from covidat.data.claims import holds, load_claims
from covidat.endpoints import fisher_p


def counts_for_percentage(pct: float, n: int, decimals: int = 0) -> list[int]:
    """Every count k of n whose percentage 100 k / n prints as `pct` (GRIM for a proportion)."""
    return [k for k in range(n + 1) if holds("=", pct, decimals, 100 * k / n)]


def grim_consistent(mean: float, n: int, decimals: int) -> bool:
    """Whether some whole-number total of n whole-number values has a mean that prints as `mean` (GRIM)."""
    centre = mean * n
    return any(holds("=", mean, decimals, total / n) for total in range(math.floor(centre) - 1, math.ceil(centre) + 2))


def two_by_two_p_values(events_a: int, n_a: int, events_b: int, n_b: int) -> dict[str, float]:
    """The p-values the usual tests give for a 2x2 table (events / patients per arm)."""
    table = [[events_a, n_a - events_a], [events_b, n_b - events_b]]
    return {
        "Fisher's exact test, two-sided": fisher_p(events_a, n_a, events_b, n_b),
        "Fisher's exact test, one-sided": float(stats.fisher_exact(table, alternative="greater").pvalue),
        "chi-squared test": float(stats.chi2_contingency(table, correction=False).pvalue),
        "chi-squared test with Yates' correction": float(stats.chi2_contingency(table, correction=True).pvalue),
    }


def median_middle_pairs(median: float, n: int, low: int, high: int) -> list[tuple[int, int]]:
    """For n whole-number values between low and high with this sample median, every possible pair
    of middle values (the (n/2)-th and (n/2 + 1)-th smallest; for odd n, the middle value twice)."""
    if n % 2:
        return [(int(median), int(median))] if median == int(median) and low <= median <= high else []
    return [(a, int(2 * median) - a) for a in range(low, high + 1)
            if 2 * median == int(2 * median) and a <= 2 * median - a <= high]


def reproduced_together(patients: pd.DataFrame, claim_ids: list[str],
                        claims: pd.DataFrame | None = None) -> bool | None:
    """Whether the dataset reproduces every one of these claims at once: True shows by example that
    they are compatible. None when one of them is not in claims.csv or not checkable from patient data."""
    claims = load_claims() if claims is None else claims
    status = {c.claim_id: c.status for c in check(patients, claims)}
    if any(status.get(claim_id, "not checkable") == "not checkable" for claim_id in claim_ids):
        return None
    return all(status[claim_id] == "holds" for claim_id in claim_ids)
