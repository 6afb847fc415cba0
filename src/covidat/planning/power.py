"""What a two-arm trial of a given size could detect: power curves and minimum detectable differences.

The test behind every number here is the two-sided, two-sample t-test with equal group sizes
and a common standard deviation (Student's pooled-variance test, as computed by statsmodels'
`TTestIndPower`: a noncentral t distribution with 2n - 2 degrees of freedom). With equal arms
and equal true SDs the Welch-Satterthwaite degrees of freedom are also 2n - 2, so the same
numbers serve as the usual approximation for Welch's test, which `covidat.endpoints` uses.

No number is assumed here: the sample size, the SDs and the differences are arguments, and the
published numbers are read from data/published/claims.csv (`observed_difference`).
"""
import math
from collections.abc import Iterable

import pandas as pd
from scipy import stats
from statsmodels.stats.power import TTestIndPower

from covidat.data.claims import load_claims

_POWER = TTestIndPower()


def power(n_per_arm: int, sd: float, difference: float, alpha: float = 0.05) -> float:
    """Power of the two-sided two-sample t-test for a true difference in means `difference`."""
    if n_per_arm < 2:
        raise ValueError("need at least 2 patients per arm")
    if sd <= 0:
        raise ValueError("the standard deviation must be positive")
    effect_size = abs(difference) / sd
    return float(_POWER.power(effect_size=effect_size, nobs1=n_per_arm, alpha=alpha, ratio=1.0,
                              alternative="two-sided"))


def power_curve(n_per_arm: int, sds: Iterable[float], differences: Iterable[float],
                alpha: float = 0.05) -> pd.DataFrame:
    """Tidy table of power for every (true difference, assumed SD) pair.

    Columns: difference, sd, power (one row per pair, SDs in the order given, differences
    in the order given within each SD).
    """
    differences = [float(d) for d in differences]
    rows = [{"difference": d, "sd": float(sd), "power": power(n_per_arm, sd, d, alpha)}
            for sd in sds for d in differences]
    return pd.DataFrame(rows, columns=["difference", "sd", "power"])


def detectable_difference(n_per_arm: int, sd: float, power: float = 0.8, alpha: float = 0.05) -> float:
    """Smallest true difference in means that the trial detects with probability `power`."""
    if sd <= 0:
        raise ValueError("the standard deviation must be positive")
    effect_size = _POWER.solve_power(effect_size=None, nobs1=n_per_arm, alpha=alpha, power=power,
                                     ratio=1.0, alternative="two-sided")
    return float(effect_size) * sd


def required_n_per_arm(difference: float, sd: float, power: float = 0.8, alpha: float = 0.05) -> int:
    """Patients per arm needed to detect `difference` with probability `power` (rounded up)."""
    if difference == 0:
        raise ValueError("no sample size detects a zero difference")
    n = _POWER.solve_power(effect_size=abs(difference) / sd, nobs1=None, alpha=alpha, power=power,
                           ratio=1.0, alternative="two-sided")
    return int(math.ceil(float(n) - 1e-9))


def difference_ci(n_per_arm: int, sd: float, difference: float, alpha: float = 0.05) -> tuple[float, float]:
    """Confidence interval of a difference in means between two arms of `n_per_arm` patients with a
    common standard deviation `sd` (Student's pooled t interval, 2n - 2 degrees of freedom)."""
    if sd <= 0:
        raise ValueError("the standard deviation must be positive")
    half_width = stats.t.isf(alpha / 2, 2 * n_per_arm - 2) * sd * math.sqrt(2 / n_per_arm)
    return float(difference - half_width), float(difference + half_width)


def _claims_by_id(claims: pd.DataFrame | None) -> pd.DataFrame:
    return (load_claims() if claims is None else claims).set_index("claim_id")


def observed_difference(claims: pd.DataFrame | None = None,
                        endpoint: str = "pf_change_day7", statistic: str = "mean") -> float:
    """Published MSC value minus published placebo value of one endpoint, from claims.csv.

    Rounded to the finer of the two printed precisions, so 83.3 - 57.6 is 25.7, not 25.69999.
    """
    table = _claims_by_id(claims)
    msc, placebo = (table.loc[f"{endpoint}.{arm}.{statistic}"] for arm in ("msc", "placebo"))
    decimals = max(int(msc["decimals"]), int(placebo["decimals"]))
    return round(float(msc["value"]) - float(placebo["value"]), decimals)


def published_n_per_arm(claims: pd.DataFrame | None = None) -> int:
    """Patients randomised per arm, from claims.csv; refuses unequal arms (the curves assume 1:1)."""
    table = _claims_by_id(claims)
    msc, placebo = (int(table.loc[f"randomised.{arm}.n", "value"]) for arm in ("msc", "placebo"))
    if msc != placebo:
        raise ValueError(f"arms differ in size ({msc} vs {placebo}): these curves assume 1:1")
    return msc
