"""Monte Carlo power of a two-arm 1:1 trial, many simulated trials at once, beside the closed forms.

Each simulator draws `sims` whole trials of `n` patients per arm in one numpy call and returns their
two-sided p-values; power is the share below alpha. Tests, one per kind of endpoint:
- continuous: Welch's t-test on normal outcomes, drawn as their means and variances (closed form:
  two-sample t, `covidat.planning.power.power`);
- binary, small arms: Fisher's exact test (exact power: every pair of counts enumerated);
- binary, large arms: the two-proportion z-test with pooled variance, i.e. the chi-square test
  without continuity correction (closed form: the normal approximation of the same test);
- time to event: the log-rank test on exponential times, everyone followed to the event
  (closed form: Schoenfeld's formula with 2n events).
"""
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from covidat.planning import power as t_power

PValues = Callable[[int, int, np.random.Generator], np.ndarray]


def welch_p(mean_x, var_x, mean_y, var_y, n):
    """Two-sided Welch t-test p-values from each arm's mean and variance (n per arm), elementwise."""
    vx, vy = var_x / n, var_y / n
    t = (mean_x - mean_y) / np.sqrt(vx + vy)
    df = (vx + vy) ** 2 / ((vx ** 2 + vy ** 2) / (n - 1))
    return 2 * special.stdtr(df, -np.abs(t))


def welch_pvalues(difference: float, sd: float) -> PValues:
    """Normal outcomes, drawn through their sufficient statistics: the sample mean is normal and
    (n - 1) s^2 / sd^2 is chi-square with n - 1 degrees of freedom, independently, so a trial costs
    four draws instead of 2n."""
    def simulate(n, sims, rng):
        means = rng.normal([difference, 0.0], sd / np.sqrt(n), size=(sims, 2))
        variances = sd ** 2 * rng.chisquare(n - 1, size=(sims, 2)) / (n - 1)
        return welch_p(means[:, 0], variances[:, 0], means[:, 1], variances[:, 1], n)
    return simulate


def two_proportion_pvalues(p_msc: float, p_placebo: float) -> PValues:
    def simulate(n, sims, rng):
        x, y = rng.binomial(n, p_msc, sims), rng.binomial(n, p_placebo, sims)
        pooled = (x + y) / (2 * n)
        se = np.sqrt(pooled * (1 - pooled) * 2 / n)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(se > 0, (x - y) / n / se, 0.0)
        return 2 * special.ndtr(-np.abs(z))
    return simulate


@functools.cache
def fisher_table(n: int) -> np.ndarray:
    """Two-sided Fisher exact p-value of x events of n against y of n, as an (n + 1, n + 1) array: given
    the total t = x + y, x is hypergeometric, and p sums the probabilities of the x no more likely than
    the one seen (with scipy's relative tolerance of 1e-7)."""
    table = np.ones((n + 1, n + 1))
    for total in range(2 * n + 1):
        x = np.arange(max(0, total - n), min(n, total) + 1)
        pmf = stats.hypergeom.pmf(x, 2 * n, total, n)
        table[x, total - x] = np.minimum((pmf[None, :] * (pmf[None, :] <= pmf[:, None] * (1 + 1e-7))).sum(1), 1.0)
    return table


def fisher_pvalues(p_msc: float, p_placebo: float) -> PValues:
    def simulate(n, sims, rng):
        return fisher_table(n)[rng.binomial(n, p_msc, sims), rng.binomial(n, p_placebo, sims)]
    return simulate


def logrank_pvalues(hazard_ratio: float) -> PValues:
    """Hazard of the event in the MSC arm is `hazard_ratio` times placebo's (exponential times)."""
    def simulate(n, sims, rng):
        times = np.concatenate([rng.exponential(1 / hazard_ratio, (sims, n)), rng.exponential(1.0, (sims, n))],
                               axis=1)
        msc = np.argsort(times, axis=1) < n  # in time order, is the event in the MSC arm (its first n columns)?
        at_risk = np.arange(2 * n, 0, -1)[None, :]
        msc_at_risk = n - np.cumsum(msc, axis=1) + msc
        share = msc_at_risk / at_risk
        z = (n - share.sum(axis=1)) / np.sqrt((share * (1 - share)).sum(axis=1))
        return 2 * special.ndtr(-np.abs(z))
    return simulate


def t_test_power(n: int, difference: float, sd: float, alpha: float = 0.05) -> float:
    return t_power.power(n, sd, difference, alpha)


def two_proportion_power(n: int, p_msc: float, p_placebo: float, alpha: float = 0.05) -> float:
    z = stats.norm.ppf(1 - alpha / 2)
    pooled = (p_msc + p_placebo) / 2
    null_sd = math.sqrt(2 * pooled * (1 - pooled) / n)
    sd = math.sqrt((p_msc * (1 - p_msc) + p_placebo * (1 - p_placebo)) / n)
    shift = abs(p_msc - p_placebo)
    return float(stats.norm.cdf((shift - z * null_sd) / sd) + stats.norm.cdf((-shift - z * null_sd) / sd))


def fisher_power(n: int, p_msc: float, p_placebo: float, alpha: float = 0.05) -> float:
    """Exact power of the two-sided Fisher test: the probability of every pair of counts whose p < alpha."""
    counts = np.arange(n + 1)
    both = np.outer(stats.binom.pmf(counts, n, p_msc), stats.binom.pmf(counts, n, p_placebo))
    return float(both[fisher_table(n) < alpha].sum())


def schoenfeld_power(events: float, hazard_ratio: float, alpha: float = 0.05) -> float:
    """Power of the log-rank test with `events` events, 1:1 allocation (Schoenfeld)."""
    z = stats.norm.ppf(1 - alpha / 2)
    return float(stats.norm.cdf(math.sqrt(events / 4) * abs(math.log(hazard_ratio)) - z))


def schoenfeld_hazard_ratio(p_value: float, events: float) -> float:
    """The hazard ratio (above 1) whose Schoenfeld statistic sqrt(D)/2 |log HR| gives the two-sided p-value."""
    return float(math.exp(2 * stats.norm.isf(p_value / 2) / math.sqrt(events)))


@dataclass(frozen=True)
class Scenario:
    endpoint: str
    effect: str  # which effect is assumed, e.g. "as estimated" or "halved"
    pvalues: PValues
    closed_form: Callable[[int], float]  # power at n patients per arm


def mc_power(scenario: Scenario, n_grid, sims: int, rng: np.random.Generator, alpha: float = 0.05) -> np.ndarray:
    return np.array([(scenario.pvalues(int(n), sims, rng) < alpha).mean() for n in n_grid])


def smallest_n(closed_form: Callable[[int], float], target: float = 0.8, start: int = 2, limit: int = 10 ** 6) -> int:
    """Smallest n per arm whose closed-form power reaches `target`, scanning upwards: the power of an exact
    test is not monotone in n (it saw-tooths), so a bisection could stop past the first n that reaches it."""
    n = start
    while closed_form(n) < target:
        n += 1
        if n > limit:
            raise ValueError("no sample size below the limit reaches the target power")
    return n


def n_grid(n80: int, points: int = 20) -> np.ndarray:
    """`points` distinct sample sizes per arm from about a fifth to twice `n80` (at least 3 each)."""
    low, high = max(3, n80 // 5), max(2 * n80, 3 + points)
    return np.unique(np.linspace(low, high, points).round().astype(int))
