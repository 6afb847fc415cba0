"""Vectorised simulated tests against per-trial library tests, and Monte Carlo power against closed forms."""
import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from covidat.planning import simulation as ts
from covidat.endpoints import fisher_p, logrank_p


SIMS = 20000
MC_TOLERANCE = 4 * np.sqrt(0.25 / SIMS)  # four Monte Carlo standard errors at worst


class Recorder:
    """A generator that remembers the draws, so a test can redo each trial with a library test."""
    def __init__(self, seed):
        self.rng, self.draws = np.random.default_rng(seed), []

    def __getattr__(self, name):
        def draw(*args, **kwargs):
            out = getattr(self.rng, name)(*args, **kwargs)
            self.draws.append(out)
            return out
        return draw


def test_welch_from_summaries_matches_scipy_on_raw_data():
    rng = np.random.default_rng(1)
    x, y = rng.normal(10, 30, (50, 8)), rng.normal(0, 30, (50, 8))
    p = ts.welch_p(x.mean(1), x.var(1, ddof=1), y.mean(1), y.var(1, ddof=1), 8)
    assert p == pytest.approx([stats.ttest_ind(a, b, equal_var=False).pvalue for a, b in zip(x, y)])


def test_sufficient_statistics_give_the_power_of_raw_normal_data():
    """Simulated the long way (raw outcomes, scipy's test) and the short way: same power within MC error."""
    rng = np.random.default_rng(5)
    x, y = rng.normal(20, 40, (20000, 12)), rng.normal(0, 40, (20000, 12))
    raw = (stats.ttest_ind(x, y, axis=1, equal_var=False).pvalue < 0.05).mean()
    short = (ts.welch_pvalues(20, 40)(12, 20000, rng) < 0.05).mean()
    assert short == pytest.approx(raw, abs=2 * MC_TOLERANCE)


def test_vectorised_two_proportion_test_matches_statsmodels():
    rec = Recorder(2)
    p = ts.two_proportion_pvalues(0.5, 0.2)(30, 50, rec)
    x, y = rec.draws
    assert p == pytest.approx([proportions_ztest([a, b], [30, 30])[1] for a, b in zip(x, y)])


def test_vectorised_logrank_matches_the_books_logrank():
    rec = Recorder(3)
    p = ts.logrank_pvalues(1.6)(12, 40, rec)
    msc, placebo = rec.draws
    ones = np.ones(12)
    assert p == pytest.approx([logrank_p(a, ones, b, ones) for a, b in zip(msc, placebo)], rel=1e-9)


@pytest.mark.parametrize("scenario, approximation", [
    (ts.Scenario("t", "", ts.welch_pvalues(25.7, 75.0), lambda n: ts.t_test_power(n, 25.7, 75.0)), 0.0),
    (ts.Scenario("binary", "", ts.two_proportion_pvalues(0.5, 0.2), lambda n: ts.two_proportion_power(n, 0.5, 0.2)),
     0.01),
    (ts.Scenario("log-rank", "", ts.logrank_pvalues(0.75), lambda n: ts.schoenfeld_power(2 * n, 0.75)), 0.01),
    (ts.Scenario("fisher", "", ts.fisher_pvalues(0.5, 0.1), lambda n: ts.fisher_power(n, 0.5, 0.1)), 0.0),
])
def test_monte_carlo_power_agrees_with_closed_form(scenario, approximation):
    n80 = ts.smallest_n(scenario.closed_form)
    grid = [n80, 2 * n80]  # the normal approximations behind the closed forms are worst at small n
    mc = ts.mc_power(scenario, grid, SIMS, np.random.default_rng(4))
    assert mc == pytest.approx([scenario.closed_form(n) for n in grid], abs=MC_TOLERANCE + approximation)


def test_smallest_n_is_the_first_to_reach_the_target():
    def closed(n):
        return ts.two_proportion_power(n, 0.4, 0.25)
    n = ts.smallest_n(closed)
    assert closed(n) >= 0.8 > closed(n - 1)
    assert n == next(k for k in range(2, 10 ** 4) if closed(k) >= 0.8)


def test_schoenfeld_inverts_the_required_events_formula():
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    events = 4 * z ** 2 / np.log(0.7) ** 2
    assert ts.schoenfeld_power(events, 0.7) == pytest.approx(0.8)


def test_grid_has_twenty_distinct_sizes():
    for n80 in (11, 64, 1842):
        grid = ts.n_grid(n80)
        assert len(grid) == 20 and len(set(grid)) == 20 and grid.min() >= 3


@pytest.mark.parametrize("n", [1, 10, 23])
def test_fisher_table_is_scipys_two_sided_fisher(n):
    """Catches a wrong hypergeometric parametrisation or tie tolerance in the vectorised table."""
    table = ts.fisher_table(n)
    assert table == pytest.approx(np.array([[fisher_p(x, n, y, n) for y in range(n + 1)] for x in range(n + 1)]),
                                  abs=1e-12)


def test_fisher_power_sums_the_significant_tables():
    """Exact power at 11 per arm, 50% against 0%: only the MSC counts significant against no placebo event count."""
    expected = sum(stats.binom.pmf(x, 11, 0.5) for x in range(12) if fisher_p(x, 11, 0, 11) < 0.05)
    assert ts.fisher_power(11, 0.5, 0.0) == pytest.approx(expected, abs=1e-12)
    assert ts.fisher_power(11, 0.5, 0.0) < ts.two_proportion_power(11, 0.5, 0.0)  # the z-test flatters small arms


def test_schoenfeld_hazard_ratio_gives_back_its_p_value():
    """At the implied ratio the Schoenfeld statistic sits exactly on the critical value of that p."""
    hr = ts.schoenfeld_hazard_ratio(0.007, 20)
    assert ts.schoenfeld_power(20, hr, alpha=0.007) == pytest.approx(0.5)
    assert ts.schoenfeld_hazard_ratio(0.007, 10) > hr  # fewer events need a larger ratio


def test_smallest_n_finds_the_first_crossing_of_a_saw_tooth():
    power = {n: p for n, p in enumerate([0, 0, 0.5, 0.81, 0.7, 0.79, 0.9, 0.95])}
    assert ts.smallest_n(lambda n: power.get(n, 1.0)) == 3
