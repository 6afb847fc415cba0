"""Posterior summaries against closed forms and brute force computed independently here."""
import math

import numpy as np
import pytest
from scipy import stats
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
    posterior = bayes.beta_posterior(bayes.enthusiastic_beta(10, 0.2), {"MSC": 5, "placebo": 0},
                                     {"MSC": 10, "placebo": 10})
    # prior means 0.6 and 0.4 with 10 pseudo-patients: (6 + 5) / 20 and (4 + 0) / 20
    assert posterior.means() == pytest.approx((11 / 20, 4 / 20))


def test_relevant_benefit_and_interval_match_monte_carlo():
    posterior = bayes.BetaPosterior((6.0, 6.0), (1.5, 10.5))
    rng = np.random.default_rng(7)
    draws = rng.beta(6, 6, 10 ** 6) - rng.beta(1.5, 10.5, 10 ** 6)
    assert posterior.prob_difference_above(0.2) == pytest.approx((draws > 0.2).mean(), abs=3e-3)
    low, high = posterior.difference_interval()
    assert (low, high) == pytest.approx(tuple(np.quantile(draws, [0.025, 0.975])), abs=3e-3)


def test_difference_density_integrates_to_one_with_the_right_mean():
    posterior = bayes.BetaPosterior((6.0, 6.0), (1.0, 11.0))
    grid = np.linspace(-1, 1, 2001)
    density = posterior.difference_density(grid)
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-3)
    assert np.trapezoid(grid * density, grid) == pytest.approx(0.5 - 1 / 12, abs=1e-3)


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
