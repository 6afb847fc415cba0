"""Bayesian summaries of a two-arm result: proportions on a grid, normal estimates in closed form.

Proportions: the prior is put on the difference MSC minus placebo (`DifferencePrior`), flat over the
placebo rate, and the posterior of the difference is computed by numerical integration (no sampling).
Independent uniform priors in the two arms are its flat special case, also available in closed beta form
(`beta_posterior`) as an independent check.
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
    """Beta(a, b) priors for the probability of the outcome in each arm, independent of each other."""
    msc: tuple[float, float]
    placebo: tuple[float, float]


def neutral_beta() -> BetaPrior:
    """Uniform on [0, 1] in each arm."""
    return BetaPrior((1.0, 1.0), (1.0, 1.0))


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


def beta_posterior(prior: BetaPrior, events: dict[str, int], sizes: dict[str, int]) -> BetaPosterior:
    """Add each arm's events to a and its non-events to b."""
    def update(ab, arm):
        return (ab[0] + events[arm], ab[1] + sizes[arm] - events[arm])
    return BetaPosterior(update(prior.msc, "MSC"), update(prior.placebo, "placebo"))


@dataclass(frozen=True)
class DifferencePrior:
    """A prior on the difference d = p_MSC - p_placebo, the quantity the question is about.

    The joint prior density of (p_placebo, p_MSC) on the unit square is proportional to the N(mean, sd)
    density of their difference (constant if sd is infinite): it says nothing about the placebo rate itself,
    and everything it believes is about the difference. Keeping both probabilities in [0, 1] weights each
    difference d by the length 1 - |d| of the placebo rates compatible with it, so the prior of d is the
    normal density times 1 - |d|; `summary` reports what it believes after that.
    """
    mean: float
    sd: float  # math.inf: flat, i.e. uniform on the square (independent uniform priors)

    def weight(self, d: np.ndarray) -> np.ndarray:
        return np.ones_like(d) if math.isinf(self.sd) else stats.norm.pdf(d, self.mean, self.sd)


@dataclass(frozen=True, eq=False)
class DifferencePosterior:
    """The distribution of d = p_MSC - p_placebo (and the placebo mean) on a fine grid of d."""
    grid: np.ndarray
    density: np.ndarray  # normalised on `grid`
    placebo_mean: float

    def _cdf(self) -> np.ndarray:
        return integrate.cumulative_trapezoid(self.density, self.grid, initial=0.0)

    def means(self) -> tuple[float, float]:
        """Mean probability of the outcome on MSC and on placebo."""
        mean_d = float(integrate.trapezoid(self.grid * self.density, self.grid))
        return self.placebo_mean + mean_d, self.placebo_mean

    def prob_difference_above(self, margin: float = 0.0) -> float:
        return float(min(max(1.0 - np.interp(margin, self.grid, self._cdf()), 0.0), 1.0))

    def difference_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Equal-tailed interval of d."""
        cdf, tail = self._cdf(), (1 - level) / 2
        keep = np.concatenate([[True], np.diff(cdf) > 0])  # a strictly increasing CDF for the inversion
        low, high = np.interp([tail, 1 - tail], cdf[keep], self.grid[keep])
        return float(low), float(high)

    def difference_density(self, grid: np.ndarray) -> np.ndarray:
        return np.interp(grid, self.grid, self.density, left=0.0, right=0.0)


def difference_posterior(prior: DifferencePrior, events: dict[str, int], sizes: dict[str, int],
                         points: int = 4001) -> DifferencePosterior:
    """Posterior of d under `prior` and binomial counts per arm ({} counts give the prior itself).

    For each d on a grid over [-1, 1], the placebo rate u runs over [max(0, -d), min(1, 1 - d)] and the
    likelihood u^x_P (1 - u)^(n_P - x_P) (u + d)^x_M (1 - u - d)^(n_M - x_M) is a polynomial in u, which
    Gauss-Legendre quadrature with enough nodes integrates exactly; the outer integral over d is a trapezoid.
    """
    x_m, n_m = events.get("MSC", 0), sizes.get("MSC", 0)
    x_p, n_p = events.get("placebo", 0), sizes.get("placebo", 0)
    nodes, weights = np.polynomial.legendre.leggauss((n_m + n_p) // 2 + 2)
    d = np.linspace(-1.0, 1.0, points)
    low, high = np.maximum(0.0, -d), np.minimum(1.0, 1.0 - d)
    u = low[:, None] + (high - low)[:, None] * (nodes[None, :] + 1) / 2
    v = u + d[:, None]
    likelihood = u ** x_p * (1 - u) ** (n_p - x_p) * np.clip(v, 0, 1) ** x_m * np.clip(1 - v, 0, 1) ** (n_m - x_m)
    half_width = ((high - low) / 2)[:, None]
    inner = (likelihood * weights * half_width).sum(axis=1)
    inner_u = (u * likelihood * weights * half_width).sum(axis=1)
    joint = prior.weight(d) * inner
    total = integrate.trapezoid(joint, d)
    placebo_mean = integrate.trapezoid(prior.weight(d) * inner_u, d) / total
    return DifferencePosterior(d, joint / total, float(placebo_mean))


def neutral_difference() -> DifferencePrior:
    """Flat: uniform on the unit square, the same as independent uniform priors in the two arms."""
    return DifferencePrior(0.0, math.inf)


def _spread(mean: float, belief, tail: float) -> DifferencePrior:
    """The prior centred on `mean` whose spread makes `belief(prior distribution)` equal `tail`."""
    def excess(sd):
        return belief(difference_posterior(DifferencePrior(mean, sd), {}, {}, points=2001)) - tail
    return DifferencePrior(mean, float(optimize.brentq(excess, 1e-3, 5.0, xtol=1e-9)))


def sceptical_difference(relevant: float, tail: float = 0.05) -> DifferencePrior:
    """Centred on no difference, giving probability `tail` to a difference beyond `relevant`."""
    return _spread(0.0, lambda prior: prior.prob_difference_above(relevant), tail)


def enthusiastic_difference(relevant: float, tail: float = 0.05) -> DifferencePrior:
    """Centred on the relevant difference, giving probability `tail` to no benefit at all (d < 0)."""
    return _spread(relevant, lambda prior: 1 - prior.prob_difference_above(0.0), tail)


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
