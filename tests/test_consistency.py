"""The SD bound behind "not significant", against the t-test it inverts."""
import numpy as np
import pytest
from scipy import stats

from covidat.consistency import min_sd_not_significant


@pytest.mark.parametrize("difference, n", [(25.7, 10), (10.0, 30), (-40.0, 5)])
def test_bound_is_where_the_t_test_crosses_alpha(difference, n):
    sd = min_sd_not_significant(difference, n)
    # Two arms with exactly that SD and that difference: p is alpha at the bound, above it beyond.
    def p(s):
        return stats.ttest_ind_from_stats(difference, s, n, 0.0, s, n).pvalue
    assert p(sd) == pytest.approx(0.05, rel=1e-9)
    assert p(sd * 1.01) > 0.05 > p(sd * 0.99)
