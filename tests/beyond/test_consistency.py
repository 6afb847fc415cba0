"""The abstract's internal checks, each against an independent computation."""
import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from covidat.beyond.consistency import (counts_for_percentage, grim_consistent, median_middle_pairs,
                                        reproduced_together, two_by_two_p_values)
from covidat.endpoints.stats import min_sd_not_significant
from covidat.data import DEFAULT_DATA, load_dataset


@pytest.mark.parametrize("pct, n, decimals, expected", [
    (50, 10, 0, [5]), (0, 10, 0, [0]), (33, 10, 0, []), (33, 3, 0, [1]), (67, 3, 0, [2]),
    (12.5, 8, 1, [1]), (13, 8, 0, [1]),  # 12.5 % may print as 12 or 13: either rounding of a half counts
])
def test_counts_for_percentage_by_hand(pct, n, decimals, expected):
    assert counts_for_percentage(pct, n, decimals) == expected


def test_grim_worked_example():
    # The GRIM test's textbook case: 20 die rolls cannot average 3.48 (multiples of 0.05 only).
    assert not grim_consistent(3.48, 20, 2)
    assert grim_consistent(3.45, 20, 2) and grim_consistent(3.5, 20, 2)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), mean=st.integers(0, 999).map(lambda m: m / 100))
def test_grim_matches_brute_force(n, mean):
    # Every mean of a total from 0 to 10 n, in exact fractions, rounded to two decimals to the
    # nearest, or either way when it is exactly half way (2.725 may print as 2.72 or 2.73).
    printed = set()
    for t in range(0, 10 * n + 1):
        scaled = Fraction(t, n) * 100
        nearest = {math.floor(scaled), math.ceil(scaled)} if scaled - math.floor(scaled) == Fraction(1, 2) \
            else {round(scaled)}
        printed |= {f"{k / 100:.2f}" for k in nearest}
    assert grim_consistent(mean, n, 2) is (f"{mean:.2f}" in printed)


def hypergeometric_two_sided(a, n1, b, n2):
    """Fisher's two-sided p by enumerating every table with the observed margins."""
    events = a + b
    def prob(x):
        return math.comb(n1, x) * math.comb(n2, events - x) / math.comb(n1 + n2, events)
    observed = prob(a)
    return sum(prob(x) for x in range(max(0, events - n2), min(events, n1) + 1) if prob(x) <= observed * (1 + 1e-9))


def test_two_by_two_against_formulas():
    p = two_by_two_p_values(5, 10, 0, 10)
    assert p["Fisher's exact test, two-sided"] == pytest.approx(hypergeometric_two_sided(5, 10, 0, 10))
    assert p["Fisher's exact test, one-sided"] == pytest.approx(math.comb(10, 5) / math.comb(20, 5))
    # Pearson's X^2 = N (ad - bc)^2 / (row and column totals); Yates subtracts N/2 from |ad - bc|.
    a, b, c, d, n = 5, 5, 0, 10, 20
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    pearson = n * (a * d - b * c) ** 2 / margins
    yates = n * (abs(a * d - b * c) - n / 2) ** 2 / margins
    assert p["chi-squared test"] == pytest.approx(stats.chi2.sf(pearson, 1))
    assert p["chi-squared test with Yates' correction"] == pytest.approx(stats.chi2.sf(yates, 1))


def test_median_pairs_by_enumeration():
    # All multisets of 4 values from 0..6: the pairs that occur as middle values with median 2.5.
    seen = {tuple(sorted(x)[1:3]) for x in itertools.combinations_with_replacement(range(7), 4)
            if np.median(x) == 2.5}
    assert set(median_middle_pairs(2.5, 4, 0, 6)) == seen
    odd = {(sorted(x)[1],) * 2 for x in itertools.combinations_with_replacement(range(7), 3) if np.median(x) == 3}
    assert set(median_middle_pairs(3, 3, 0, 6)) == odd
    assert median_middle_pairs(2.5, 3, 0, 6) == []  # an odd group of whole numbers has a whole median


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=10, max_size=10))
def test_half_day_median_splits_the_group(stays):
    if np.median(stays) == 17.5:
        assert sum(s <= 17 for s in stays) == 5 == sum(s >= 18 for s in stays)
        assert tuple(sorted(stays)[4:6]) in median_middle_pairs(17.5, 10, 0, 60)


@pytest.mark.parametrize("difference, n", [(25.7, 10), (10.0, 30), (-40.0, 5)])
def test_bound_is_where_the_t_test_crosses_alpha(difference, n):
    sd = min_sd_not_significant(difference, n)
    # Two arms with exactly that SD and that difference: p is alpha at the bound, above it beyond.
    def p(s):
        return stats.ttest_ind_from_stats(difference, s, n, 0.0, s, n).pvalue
    assert p(sd) == pytest.approx(0.05, rel=1e-9)
    assert p(sd * 1.01) > 0.05 > p(sd * 0.99)


def test_reproduced_together():
    patients = load_dataset(DEFAULT_DATA).patients
    assert reproduced_together(patients, ["o2_discontinuation.both.p", "hospital_stay.both.p"]) is True
    swapped = patients.assign(arm=patients["arm"].map({"MSC": "placebo", "placebo": "MSC"}))
    assert reproduced_together(swapped, ["o2_discontinuation.both.p", "hospital_stay.msc.median"]) is False
    assert reproduced_together(patients, ["o2_discontinuation.both.p", "no_such.claim"]) is None
    assert reproduced_together(patients, ["treatment_related_sae.both.n"]) is None
