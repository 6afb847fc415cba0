"""The shared statistics: the Kaplan–Meier median convention on hand-worked cases, and each
batched statistic against an independent implementation on many random inputs."""
import numpy as np
import pytest
from scipy import stats as sp
from statsmodels.duration.survfunc import survdiff

from covidat.endpoints import stats


@pytest.mark.parametrize("times, events, median", [
    # No censoring, 5th and 6th of ten at 13 and 15: the curve sits at 0.5 from 13 to 15.
    ([1, 2, 3, 4, 13, 15, 16, 17, 18, 19], [1] * 10, 14.0),
    # Odd count: the curve jumps from above to below 0.5 at the middle value.
    ([2, 4, 6, 8, 10], [1] * 5, 6.0),
    # Ties across the middle: the curve drops from 0.6 to 0.2 at 5.
    ([3, 4, 5, 5, 5], [1] * 5, 5.0),
    # Censoring: S = 5/6, 4/6, 3/6 at 1, 2, 3; the censored 4 leaves two at risk; S = 1/4 at 13.
    ([1, 2, 3, 4, 13, 15], [1, 1, 1, 0, 1, 0], 8.0),
    # Censoring moves the median: S = 4/5 at 1; censored 2; S = 4/5*2/3 = 0.533 at 3; 0.267 at 4.
    ([1, 2, 3, 4, 5], [1, 0, 1, 1, 0], 4.0),
    # The curve sits at 0.5 and never drops again: the time it reached 0.5.
    ([1, 2, 3, 4], [1, 1, 0, 0], 2.0),
])
def test_km_median_hand_worked(times, events, median):
    assert stats.km_median(times, events) == median


def test_km_median_never_reaching_half_is_nan():
    assert np.isnan(stats.km_median([1, 2, 3, 4, 5], [1, 0, 0, 0, 0]))


def test_km_median_without_censoring_is_the_sample_median():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 30, (500, 10))
    assert np.array_equal(stats.km_median_batch(x, np.ones_like(x)), np.median(x, 1))


def random_pairs(seed, count=200):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        yield rng.integers(1, 15, 10).astype(float), rng.integers(1, 15, 10).astype(float), rng


def test_batched_mann_whitney_is_scipys():
    for a, b, _ in random_pairs(1):
        expected = sp.mannwhitneyu(a, b, method="asymptotic", use_continuity=True).pvalue
        assert stats.mann_whitney_p(a, b) == pytest.approx(expected, rel=1e-9)


def test_mann_whitney_of_every_pair_is_scipys():
    rng = np.random.default_rng(5)
    a, b = rng.integers(1, 12, (30, 10)).astype(float), rng.integers(3, 15, (25, 7)).astype(float)
    pairs = stats.mann_whitney_p_pairs(a, b)
    assert pairs.shape == (30, 25)
    for i in range(30):
        expected = sp.mannwhitneyu(a[i], b, axis=1, method="asymptotic", use_continuity=True).pvalue
        assert pairs[i] == pytest.approx(expected, rel=1e-9)


def test_batched_logrank_is_statsmodels():
    for a, b, rng in random_pairs(2):
        ea, eb = rng.integers(0, 2, 10), rng.integers(0, 2, 10)
        ea[0] = 1
        expected = survdiff(np.r_[a, b], np.r_[ea, eb], np.r_[np.zeros(10), np.ones(10)])[1]
        assert stats.logrank_p(a, ea, b, eb) == pytest.approx(expected, rel=1e-9)


def test_batched_welch_is_scipys_and_drops_missing():
    rng = np.random.default_rng(3)
    for _ in range(100):
        a, b = rng.normal(size=8), rng.normal(1, 2, size=9)
        expected = sp.ttest_ind(a, b, equal_var=False).pvalue
        assert stats.welch_p(np.r_[a, np.nan], b) == pytest.approx(expected, rel=1e-9)


def test_a_batch_is_its_rows():
    rng = np.random.default_rng(4)
    a, b = rng.integers(1, 20, (50, 10)), rng.integers(1, 20, (50, 10))
    ea, eb = rng.integers(0, 2, (50, 10)), np.ones((50, 10))
    batched = stats.logrank_p_batch(a, ea, b, eb), stats.mann_whitney_p_batch(a, b), stats.km_median_batch(a, ea)
    for i in range(50):
        assert batched[0][i] == stats.logrank_p(a[i], ea[i], b[i], eb[i])
        assert batched[1][i] == stats.mann_whitney_p(a[i], b[i])
        assert batched[2][i] == stats.km_median(a[i], ea[i]) or np.isnan(batched[2][i])


def test_fisher_batch_is_fisher():
    assert np.array_equal(stats.fisher_p_batch([0, 3, 5], 10, [2, 3, 0], 10),
                          [stats.fisher_p(e, 10, f, 10) for e, f in ((0, 2), (3, 3), (5, 0))])


def test_logrank_of_pairs_is_the_batched_logrank():
    # logrank_p_pairs counts per arm and row; a pair mixed up (arm b's counts from the wrong row, a
    # tie counted in one arm only) would change p. Exactly the same values, half days and ties included.
    rng = np.random.default_rng(6)
    a, b = rng.integers(1, 25, (40, 10)) + rng.choice([0, 0.5], (40, 10)), rng.integers(1, 25, (30, 7)).astype(float)
    ea, eb = rng.integers(0, 2, (40, 10)), rng.integers(0, 2, (30, 7))
    i, j = rng.integers(0, 40, 500), rng.integers(0, 30, 500)
    np.testing.assert_array_equal(stats.logrank_p_pairs(a, ea, b, eb, i, j), stats.logrank_p_batch(a[i], ea[i], b[j], eb[j]))


@pytest.mark.parametrize("n_a, n_b", [(1, 1), (10, 10), (7, 13)])
def test_exact_fisher_table_is_scipys_fisher(n_a, n_b):
    # Catches a one-sided sum, or tables as probable as the observed one left out.
    expected = [[stats.fisher_p(i, n_a, j, n_b) for j in range(n_b + 1)] for i in range(n_a + 1)]
    assert stats.fisher_exact_table(n_a, n_b) == pytest.approx(np.array(expected), rel=1e-12)


def test_logrank_with_a_missing_time_is_nan():
    # Counting from sorted times would rank a NaN last and give a p; a missing time leaves none.
    a, b = np.array([[3.0, np.nan, 5, 7], [3, 4, 5, 7]]), np.array([[4.0, 6, 8], [4, 6, 9]])
    ea, eb = np.ones((2, 4)), np.ones((2, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        batched, pairs = stats.logrank_p_batch(a, ea, b, eb), stats.logrank_p_pairs(a, ea, b, eb, [0, 1], [0, 1])
    assert np.isnan(batched[0]) and np.isnan(pairs[0]) and not np.isnan(batched[1]) and batched[1] == pairs[1]
