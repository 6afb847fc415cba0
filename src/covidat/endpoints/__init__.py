"""One function per analysis, grouped by endpoint family; `analyse` and `results` are the face.

Each analysis takes the patients table and returns an EndpointResult: the statistics the
published claims name (ids `endpoint.arm.statistic`, as in data/published/claims.csv) and
any further estimate the book shows, each with its 95% CI and method where one exists.
Shared statistics (tests, medians, CIs) live in `covidat.endpoints.stats`, so a convention is
fixed in one place. Which test the trial used is not published: each choice is recorded in
data/reconstructed/assumptions.csv (ids `method.<endpoint>`).

Families (one module each): baseline, oxygenation, improvement, oxygen, hospital,
secondary (mortality and other registered outcomes), composite (the win ratio), safety.
"""
import math

import pandas as pd

from covidat.endpoints import baseline, composite, hospital, improvement, oxygen, oxygenation, safety, secondary
from covidat.endpoints.result import ARMS, EndpointResult, by_arm
from covidat.endpoints.stats import fisher_p, km_median, logrank_p, mann_whitney_p, welch_p

FAMILIES = (baseline, oxygenation, improvement, oxygen, hospital, secondary, composite, safety)
ENDPOINTS = {f.__name__: f for family in FAMILIES for f in family.ENDPOINTS}
RESULT_COLUMNS = ["result_id", "endpoint", "statistic", "arm", "value", "ci_low", "ci_high", "method"]

__all__ = ["ARMS", "ENDPOINTS", "EndpointResult", "analyse", "by_arm", "fisher_p", "km_median",
           "logrank_p", "mann_whitney_p", "results", "welch_p"]


def analyse(patients: pd.DataFrame) -> dict[str, EndpointResult]:
    """Every endpoint the patient-level data can address."""
    return {name: f(patients) for name, f in ENDPOINTS.items()}


def results(patients: pd.DataFrame) -> pd.DataFrame:
    """Every estimate the book shows, one row each (`python -m covidat results` prints this)."""
    rows = []
    for result in analyse(patients).values():
        for (arm, statistic), value in result.values.items():
            low, high = result.cis.get((arm, statistic), (math.nan, math.nan))
            rows.append({"result_id": f"{result.endpoint}.{arm.lower()}.{statistic}",
                         "endpoint": result.endpoint, "statistic": statistic, "arm": arm,
                         "value": value, "ci_low": low, "ci_high": high,
                         "method": result.methods.get((arm, statistic), result.method)})
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)
