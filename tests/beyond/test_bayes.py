"""Posterior summaries against closed forms and brute force computed independently here."""
import math

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import betaln

from covidat.beyond import bayes


def prob_b_beats_a(a_a, b_a, a_b, b_b):
    """Exact P(p_B > p_A) for independent Beta(a_A, b_A), Beta(a_B, b_B) with integer a_B (a finite sum)."""
    return sum(math.exp(betaln(a_a + i, b_a + b_b) - math.log(b_b + i) - betaln(1 + i, b_b) - betaln(a_a, b_a))
               for i in range(int(a_b)))


@pytest.mark.parametrize("msc, placebo", [((6, 6), (1, 11)), ((10, 10), (5, 15)), ((3, 8), (4, 7)), ((1, 1), (1, 1))])
def test_probability_of_benefit_matches_exact_sum(msc, placebo):
    posterior = bayes.BetaPosterior(msc, placebo)
    assert posterior.prob_difference_above(0.0) == pytest.approx(prob_b_beats_a(*placebo, *msc), abs=1e-8)


def test_beta_update_adds_events_and_non_events():
    posterior = bayes.beta_posterior(bayes.BetaPrior((6, 4), (4, 6)), {"MSC": 5, "placebo": 0},
                                     {"MSC": 10, "placebo": 10})
    assert posterior.means() == pytest.approx((11 / 20, 4 / 20))


COUNTS = ({"MSC": 5, "placebo": 0}, {"MSC": 10, "placebo": 10})


def test_flat_difference_prior_is_independent_uniform_priors():
    """Catches a wrong inner integral (range of placebo rates, quadrature) or normalisation."""
    grid = bayes.difference_posterior(bayes.neutral_difference(), *COUNTS)
    exact = bayes.beta_posterior(bayes.neutral_beta(), *COUNTS)
    for margin in (-0.1, 0.0, 0.2, 0.4):
        assert grid.prob_difference_above(margin) == pytest.approx(exact.prob_difference_above(margin), abs=1e-6)
    assert grid.means() == pytest.approx(exact.means(), abs=1e-9)


def test_interval_and_density_match_monte_carlo():
    posterior = bayes.difference_posterior(bayes.neutral_difference(), *COUNTS)
    rng = np.random.default_rng(7)
    draws = rng.beta(6, 6, 10 ** 6) - rng.beta(1, 11, 10 ** 6)
    assert posterior.difference_interval() == pytest.approx(tuple(np.quantile(draws, [0.025, 0.975])), abs=3e-3)
    grid = np.linspace(-1, 1, 2001)
    density = posterior.difference_density(grid)
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-4)
    assert np.trapezoid(grid * density, grid) == pytest.approx(0.5 - 1 / 12, abs=1e-4)


def prior_mass(prior, low, high):
    """Prior probability of low < d < high: the normal density times 1 - |d|, by adaptive quadrature."""
    f = lambda d: stats.norm.pdf(d, prior.mean, prior.sd) * (1 - abs(d))
    return integrate.quad(f, low, high, points=[0.0])[0] / integrate.quad(f, -1, 1, points=[0.0])[0]


@pytest.mark.parametrize("tail", [0.01, 0.05, 0.2])
def test_priors_on_the_difference_believe_what_they_are_calibrated_to(tail):
    """Catches a calibration that ignores the square's edges (the 1 - |d| weight) or the wrong side."""
    sceptic, enthusiast = bayes.sceptical_difference(0.2, tail), bayes.enthusiastic_difference(0.2, tail)
    assert sceptic.mean == 0 and enthusiast.mean == 0.2
    assert prior_mass(sceptic, 0.2, 1) == pytest.approx(tail, abs=1e-4)
    assert prior_mass(enthusiast, -1, 0) == pytest.approx(tail, abs=1e-4)


def test_difference_posterior_matches_brute_force_on_the_square():
    """An independent 2-D midpoint grid over (placebo, MSC) rates under the sceptical prior."""
    prior = bayes.sceptical_difference(0.2)
    u = (np.arange(1500) + 0.5) / 1500
    placebo, msc = np.meshgrid(u, u, indexing="ij")
    weight = stats.norm.pdf(msc - placebo, 0, prior.sd) * msc ** 5 * (1 - msc) ** 5 * (1 - placebo) ** 10
    weight /= weight.sum()
    posterior = bayes.difference_posterior(prior, *COUNTS)
    assert posterior.prob_difference_above(0.2) == pytest.approx(weight[msc - placebo > 0.2].sum(), abs=2e-3)
    assert posterior.means() == pytest.approx(((weight * msc).sum(), (weight * placebo).sum()), abs=1e-4)


def test_normal_posterior_matches_grid_bayes():
    prior, likelihood = bayes.Normal(0.0, 20.0), bayes.Normal(25.7, 15.0)
    theta = np.linspace(-200, 200, 400001)
    weights = stats.norm.pdf(theta, prior.mean, prior.sd) * stats.norm.pdf(likelihood.mean, theta, likelihood.sd)
    weights /= weights.sum()
    mean = (theta * weights).sum()
    posterior = bayes.normal_posterior(prior, likelihood)
    assert posterior.mean == pytest.approx(mean, abs=1e-6)
    assert posterior.sd == pytest.approx(math.sqrt(((theta - mean) ** 2 * weights).sum()), abs=1e-6)
    assert bayes.normal_posterior(bayes.neutral_normal(), likelihood) == likelihood


def test_sceptical_and_enthusiastic_priors_put_five_percent_beyond_their_line():
    assert bayes.sceptical_normal(30).prob_above(30) == pytest.approx(0.05)
    assert 1 - bayes.enthusiastic_normal(30).prob_above(0) == pytest.approx(0.05)


def test_likelihood_from_a_ratio_ci_is_on_the_log_scale():
    like = bayes.likelihood_from_ci(2.0, 1.0, 4.0, log=True)
    assert like.mean == pytest.approx(math.log(2))
    assert like.interval() == pytest.approx((0.0, math.log(4)))
