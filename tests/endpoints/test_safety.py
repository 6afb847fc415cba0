"""Safety bounds from the published counts, against closed forms, binomial tails and brute force."""
import math

import pytest
from scipy import stats

from covidat.data.claims import load_claims
from covidat.endpoints import safety

CLAIMS = load_claims().set_index("claim_id")["value"]


@pytest.mark.parametrize("n", [10, 20])
def test_zero_events_bounds_have_closed_forms(n):
    assert safety.clopper_pearson(0, n) == pytest.approx((0.0, 1 - 0.025 ** (1 / n)))
    assert safety.one_sided_upper(0, n) == pytest.approx(1 - 0.05 ** (1 / n))
    # the rule of three approximates the one-sided bound (-ln 0.05 is close to 3), loosely for small n
    assert 3 / n == pytest.approx(safety.one_sided_upper(0, n), rel=0.2)


def test_clopper_pearson_limits_are_where_the_binomial_tails_reach_2_5_percent():
    low, high = safety.clopper_pearson(3, 20)
    assert stats.binom.sf(2, 20, low) == pytest.approx(0.025)
    assert stats.binom.cdf(3, 20, high) == pytest.approx(0.025)


@pytest.mark.parametrize("rate", [0.10, 0.05, 0.01])
def test_patients_needed_by_brute_force(rate):
    n = next(n for n in range(1, 10_000) if (1 - rate) ** n <= 0.05)
    assert safety.patients_to_exclude(rate) == n
    assert abs(n - 3 / rate) <= 2  # the rule of three, read backwards


def test_safety_uses_the_published_counts():
    result = safety.safety()
    n_msc, n_all = int(CLAIMS["randomised.msc.n"]), int(CLAIMS["randomised.both.n"])
    assert CLAIMS["treatment_related_sae.both.n"] == 0
    assert result.ci("MSC", "rate")[1] == pytest.approx(1 - 0.025 ** (1 / n_msc))
    assert result.get("both", "rule_of_three") == pytest.approx(3 / n_all)
    assert result.get("both", "n_to_exclude_5pct") == math.ceil(math.log(0.05) / math.log(0.95))


def test_safety_takes_other_counts():
    """Counts given as arguments replace the published ones (fails if they were ignored)."""
    result = safety.safety(counts={"both": (2, 40)})
    assert result.get("both", "rate") == pytest.approx(2 / 40)
    assert result.ci("both", "rate") == pytest.approx(safety.clopper_pearson(2, 40))
    assert math.isnan(result.get("both", "rule_of_three"))
