"""Conjugate Bayesian summaries of a two-arm result: beta-binomial for proportions, normal for estimates.

Proportions: each arm's probability gets a beta prior, updated by its events; the difference
MSC minus placebo is summarised by numerical integration over the two posteriors (no sampling).
Estimates with a 95% CI (a mean difference, a log hazard ratio): the CI gives a normal likelihood,
combined with a normal prior in closed form (precision-weighted mean).

The three priors follow the usual scheme for clinical trials: a sceptical prior centred on no effect,
an enthusiastic prior centred on a clinically relevant effect, and a neutral (flat or uniform) prior.
Their strength and the relevant effect are choices, passed as arguments; nothing is fixed here.
"""
import math
from dataclasses import dataclass

import numpy as np
from scipy import integrate, optimize, stats

Z95 = stats.norm.ppf(0.975)
Z95_ONE_SIDED = stats.norm.ppf(0.95)


@dataclass(frozen=True)
class BetaPrior:
    """Beta(a, b) priors for the probability of the outcome in each arm."""
    msc: tuple[float, float]
    placebo: tuple[float, float]


def neutral_beta() -> BetaPrior:
    """Uniform on [0, 1] in each arm."""
    return BetaPrior((1.0, 1.0), (1.0, 1.0))


def sceptical_beta(strength: float) -> BetaPrior:
    """The same Beta centred on 1/2 in both arms, worth `strength` patients per arm: no difference expected."""
    return BetaPrior((strength / 2, strength / 2), (strength / 2, strength / 2))


def enthusiastic_beta(strength: float, relevant: float) -> BetaPrior:
    """Priors worth `strength` patients per arm whose means differ by `relevant` (MSC higher), around 1/2."""
    high, low = 0.5 + relevant / 2, 0.5 - relevant / 2
    return BetaPrior((strength * high, strength * low), (strength * low, strength * high))


@dataclass(frozen=True)
class BetaPosterior:
    msc: tuple[float, float]
    placebo: tuple[float, float]

    def means(self) -> tuple[float, float]:
        return tuple(a / (a + b) for a, b in (self.msc, self.placebo))

    def prob_difference_above(self, margin: float = 0.0) -> float:
        """P(p_MSC - p_placebo > margin) = integral of f_MSC(x) F_placebo(x - margin) dx."""
        msc, placebo = stats.beta(*self.msc), stats.beta(*self.placebo)
        value, _ = integrate.quad(lambda x: msc.pdf(x) * placebo.cdf(x - margin), max(margin, 0.0), 1.0,
                                  limit=200, epsabs=1e-11, epsrel=1e-10)
        return float(min(max(value, 0.0), 1.0))

    def difference_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Equal-tailed credible interval of p_MSC - p_placebo."""
        tail = (1 - level) / 2
        def quantile(q):
            return optimize.brentq(lambda m: (1 - self.prob_difference_above(m)) - q, -1 + 1e-12, 1 - 1e-12,
                                   xtol=1e-10)
        return float(quantile(tail)), float(quantile(1 - tail))

    def difference_density(self, grid: np.ndarray, points: int = 4001) -> np.ndarray:
        """Density of p_MSC - p_placebo on `grid`, by the trapezoid rule on f_MSC(x) f_placebo(x - d)."""
        x = np.linspace(0.0, 1.0, points)
        f_msc = stats.beta(*self.msc).pdf(x)
        f_placebo = stats.beta(*self.placebo).pdf(x[None, :] - np.asarray(grid)[:, None])
        with np.errstate(invalid="ignore"):  # inf x 0 where a density with a < 1 or b < 1 meets 0 at an end
            product = f_msc[None, :] * f_placebo
        return integrate.trapezoid(np.nan_to_num(product), x, axis=1)


def beta_posterior(prior: BetaPrior, events: dict[str, int], sizes: dict[str, int]) -> BetaPosterior:
    """Add each arm's events to a and its non-events to b."""
    def update(ab, arm):
        return (ab[0] + events[arm], ab[1] + sizes[arm] - events[arm])
    return BetaPosterior(update(prior.msc, "MSC"), update(prior.placebo, "placebo"))


@dataclass(frozen=True)
class Normal:
    mean: float
    sd: float  # math.inf for a flat prior

    def prob_above(self, threshold: float) -> float:
        return float(stats.norm.sf(threshold, self.mean, self.sd))

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        z = stats.norm.ppf(0.5 + level / 2)
        return self.mean - z * self.sd, self.mean + z * self.sd


def likelihood_from_ci(estimate: float, low: float, high: float, log: bool = False) -> Normal:
    """The normal likelihood a 95% CI implies (on the log scale for a ratio)."""
    if log:
        estimate, low, high = math.log(estimate), math.log(low), math.log(high)
    return Normal(estimate, (high - low) / (2 * Z95))


def neutral_normal() -> Normal:
    return Normal(0.0, math.inf)


def sceptical_normal(relevant: float) -> Normal:
    """Centred on no effect, with a 5% chance of an effect beyond `relevant` in its direction."""
    return Normal(0.0, abs(relevant) / Z95_ONE_SIDED)


def enthusiastic_normal(relevant: float) -> Normal:
    """Centred on `relevant`, with a 5% chance of no benefit at all (the sceptical prior's spread)."""
    return Normal(relevant, abs(relevant) / Z95_ONE_SIDED)


def normal_posterior(prior: Normal, likelihood: Normal) -> Normal:
    """Conjugate normal update: precisions add, the mean is their weighted average."""
    if math.isinf(prior.sd):
        return likelihood
    w_prior, w_data = prior.sd ** -2, likelihood.sd ** -2
    mean = (w_prior * prior.mean + w_data * likelihood.mean) / (w_prior + w_data)
    return Normal(float(mean), float((w_prior + w_data) ** -0.5))
