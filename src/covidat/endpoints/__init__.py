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
import functools
import importlib
import math

import pandas as pd

from covidat.endpoints.result import ARMS, EndpointResult, by_arm
from covidat.endpoints.stats import fisher_p, km_median, logrank_p, mann_whitney_p, welch_p

FAMILY_NAMES = ("baseline", "oxygenation", "improvement", "oxygen", "hospital", "secondary", "composite", "safety")
RESULT_COLUMNS = ["result_id", "endpoint", "statistic", "arm", "value", "ci_low", "ci_high", "method"]

__all__ = ["ARMS", "ENDPOINTS", "EndpointResult", "analyse", "by_arm", "fisher_p", "km_median",
           "logrank_p", "mann_whitney_p", "results", "welch_p"]


def __getattr__(name: str):
    """FAMILIES (the family modules), ENDPOINTS (name -> analysis) and the families themselves, imported
    on first use: they import scipy.stats and statsmodels, which the reconstruction's sampler does not
    need (its helpers in `secondary` do not)."""
    if name in FAMILY_NAMES:
        return importlib.import_module(f"{__name__}.{name}")
    if name == "FAMILIES":
        return _families()
    if name == "ENDPOINTS":
        return _endpoints()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _families() -> tuple:
    return tuple(importlib.import_module(f"{__name__}.{family}") for family in FAMILY_NAMES)


@functools.cache
def _endpoints() -> dict:
    return {f.__name__: f for family in _families() for f in family.ENDPOINTS}


def analyse(patients: pd.DataFrame) -> dict[str, EndpointResult]:
    """Every endpoint the patient-level data can address."""
    return {name: f(patients) for name, f in _endpoints().items()}


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
