"""Safety: what a trial of this size can and cannot exclude.

Computed from the published counts (claims `treatment_related_sae.both.n`, `randomised.*.n`),
not from patient-level data: the abstract reports no adverse event in either arm.
"""
import math

import pandas as pd
from scipy import stats

from covidat.data.claims import load_claims
from covidat.endpoints.result import EndpointResult

LEVEL = 0.95
RATES_TO_EXCLUDE = {"10pct": 0.10, "5pct": 0.05, "1pct": 0.01}


def clopper_pearson(events: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Exact two-sided CI for a binomial proportion (beta quantiles)."""
    tail = (1 - level) / 2
    low = 0.0 if events == 0 else float(stats.beta.ppf(tail, events, n - events + 1))
    high = 1.0 if events == n else float(stats.beta.ppf(1 - tail, events + 1, n - events))
    return low, high


def one_sided_upper(events: int, n: int, level: float = LEVEL) -> float:
    """Exact one-sided upper confidence bound for a binomial proportion."""
    return 1.0 if events == n else float(stats.beta.ppf(level, events + 1, n - events))


def patients_to_exclude(rate: float, level: float = LEVEL) -> int:
    """Fewest patients who, all free of the event, give a one-sided upper bound below `rate`:
    the smallest n with (1 - rate)^n <= 1 - level."""
    return math.ceil(math.log(1 - level) / math.log(1 - rate))


def published_counts() -> dict[str, tuple[int, int]]:
    """Treatment-related serious adverse events and patients, per group the abstract covers."""
    claims = load_claims().set_index("claim_id")["value"]
    events = int(claims["treatment_related_sae.both.n"])  # none in either arm, so none among MSC either
    return {"MSC": (events, int(claims["randomised.msc.n"])), "both": (events, int(claims["randomised.both.n"]))}


def safety(patients: pd.DataFrame | None = None,
           counts: dict[str, tuple[int, int]] | None = None) -> EndpointResult:
    """Bounds on the rate of treatment-related serious adverse events from `counts` (group -> events,
    patients; the published counts unless given). The patients are not used."""
    values, cis, methods = {}, {}, {}
    for group, (events, n) in (published_counts() if counts is None else counts).items():
        values[(group, "rate")] = events / n
        cis[(group, "rate")] = clopper_pearson(events, n)
        values[(group, "upper_one_sided")] = one_sided_upper(events, n)
        values[(group, "rule_of_three")] = 3 / n if events == 0 else math.nan
        methods[(group, "upper_one_sided")] = "exact one-sided 95% upper bound (Clopper–Pearson)"
        methods[(group, "rule_of_three")] = "rule of three, 3/n (0 events)"
    for label, rate in RATES_TO_EXCLUDE.items():
        values[("both", f"n_to_exclude_{label}")] = float(patients_to_exclude(rate))
        methods[("both", f"n_to_exclude_{label}")] = (f"patients without an event needed for a one-sided 95% "
                                                       f"upper bound below {rate:.0%}")
    return EndpointResult("safety", "event rate from published counts; exact 95% CI (Clopper–Pearson)",
                          values, cis, methods)


ENDPOINTS = [safety]
