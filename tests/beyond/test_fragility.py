"""The fragility index against a brute-force count with a Fisher test computed here from the hypergeometric law."""
from math import comb

import pytest

from covidat.beyond.fragility import fragility_index


def fisher_by_enumeration(a, n_a, b, n_b):
    """Two-sided Fisher p: total probability of the tables with the same margins no more likely than the observed."""
    events, total = a + b, n_a + n_b
    prob = {k: comb(n_a, k) * comb(n_b, events - k) / comb(total, events)
            for k in range(max(0, events - n_b), min(n_a, events) + 1)}
    return sum(p for p in prob.values() if p <= prob[a] * (1 + 1e-7))


def brute_force(a, n_a, b, n_b, alpha=0.05):
    (e, n), (o, n_o) = sorted([(a, n_a), (b, n_b)], key=lambda arm: arm[0]) if a != b else ((a, n_a), (b, n_b))
    return next(k for k in range(n - e + 1) if fisher_by_enumeration(e + k, n, o, n_o) >= alpha)


TABLES = [(a, 10, b, 10) for a in range(11) for b in range(11)] + [(2, 30, 12, 30), (30, 200, 12, 200)]


@pytest.mark.parametrize("a, n_a, b, n_b", [t for t in TABLES if fisher_by_enumeration(*t) < 0.05])
def test_matches_brute_force(a, n_a, b, n_b):
    assert fragility_index(a, n_a, b, n_b) == brute_force(a, n_a, b, n_b)


def test_refuses_a_non_significant_result():
    with pytest.raises(ValueError):
        fragility_index(2, 10, 1, 10)
