"""What the abstract's numbers imply of each other (in the spirit of GRIM and statcheck)."""
import math

from scipy import stats


def min_sd_not_significant(difference: float, n_per_arm: int, alpha: float = 0.05) -> float:
    """The smallest common within-arm SD for which a two-sided two-sample t-test of `difference`
    (equal arms, equal SDs: Student's and Welch's t coincide) gives p >= alpha.

    p >= alpha  <=>  |difference| / (SD * sqrt(2 / n)) <= t_{1 - alpha/2, 2n - 2}; any smaller SD
    would have made the difference significant, so "not significant" means SD >= this bound.
    """
    t_crit = stats.t.ppf(1 - alpha / 2, 2 * n_per_arm - 2)
    return abs(difference) / (t_crit * math.sqrt(2 / n_per_arm))
