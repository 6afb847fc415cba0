"""A hierarchical composite of death, time off oxygen and hospital stay: the win ratio.

Every MSC patient is compared with every placebo patient (Pocock's unmatched win ratio), one level
at a time, a later level deciding only pairs the earlier ones leave tied:
1. death: a survivor beats a patient who died; of two who died, the later death wins;
2. time to stopping oxygen: the earlier stop wins, if it is observed before the other patient's
   oxygen time ends (a patient censored earlier cannot be ranked);
3. hospital stay: the shorter stay wins (both survivors by now).
The win ratio is wins / losses; its 95% CI and p come from the asymptotic variance of log(wins / losses),
the two win proportions being two-sample U-statistics (structural components, delta method).
"""
import numpy as np
import pandas as pd
from scipy import stats

from covidat.endpoints.result import EndpointResult, by_arm

Z95 = float(stats.norm.ppf(0.975))


def _compare(a, b) -> np.ndarray:
    """+1 where a's smaller value wins, -1 where it loses, 0 for a tie, for every pair (rows a, columns b)."""
    return -np.sign(np.subtract.outer(a, b))


def outcomes(msc: pd.DataFrame, placebo: pd.DataFrame) -> np.ndarray:
    """+1 (MSC patient wins), -1 (loses) or 0 for every pair, MSC patients in rows."""
    def columns(p):
        died = p["died"].to_numpy(float) == 1
        death = np.where(died, p["death_day"].to_numpy(float, na_value=np.nan), np.inf)
        return died, death, p["o2_days"].to_numpy(float), p["o2_event"].to_numpy(float) == 1, \
            p["hospital_days"].to_numpy(float)
    (dead_a, death_a, o2_a, stop_a, stay_a), (dead_b, death_b, o2_b, stop_b, stay_b) = columns(msc), columns(placebo)
    with np.errstate(invalid="ignore"):  # two survivors (inf - inf): undecided at the first level
        result = np.nan_to_num(np.sign(np.subtract.outer(death_a, death_b)))
    earlier_a = stop_a[:, None] & (o2_a[:, None] < o2_b[None, :])
    earlier_b = stop_b[None, :] & (o2_b[None, :] < o2_a[:, None])
    oxygen = np.where(earlier_a, 1, np.where(earlier_b, -1, 0))
    alive = ~dead_a[:, None] & ~dead_b[None, :]
    result = np.where(result != 0, result, np.where(alive, oxygen, 0))
    return np.where(result != 0, result, np.where(alive & (oxygen == 0), _compare(stay_a, stay_b), 0))


def win_ratio(results: np.ndarray) -> dict[str, float]:
    """Win ratio, its 95% CI and two-sided p from a pairs matrix of +1/-1/0 (treated in rows)."""
    wins, losses = (results == 1).astype(float), (results == -1).astype(float)
    pw, pl = wins.mean(), losses.mean()
    n1, n2 = results.shape
    def covariance(x, y):  # of the two U-statistics, from their structural components
        return (np.cov(x.mean(1), y.mean(1))[0, 1] / n1 + np.cov(x.mean(0), y.mean(0))[0, 1] / n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = pw / pl
        variance = (covariance(wins, wins) / pw ** 2 + covariance(losses, losses) / pl ** 2
                    - 2 * covariance(wins, losses) / (pw * pl))
        se = np.sqrt(variance)
        z = np.log(ratio) / se
    return {"win_ratio": float(ratio), "ci_low": float(ratio * np.exp(-Z95 * se)),
            "ci_high": float(ratio * np.exp(Z95 * se)), "p": float(2 * stats.norm.sf(abs(z))),
            "wins": float(wins.sum()), "losses": float(losses.sum()), "ties": float((results == 0).sum())}


def composite(patients: pd.DataFrame) -> EndpointResult:
    arms = by_arm(patients)
    w = win_ratio(outcomes(arms["MSC"], arms["placebo"]))
    values = {("both", "win_ratio"): w["win_ratio"], ("both", "p_win_ratio"): w["p"],
              ("both", "wins"): w["wins"], ("both", "losses"): w["losses"], ("both", "ties"): w["ties"]}
    methods = {("both", "p_win_ratio"): "win ratio: Wald test of log(win ratio), U-statistic variance",
               **{("both", k): f"MSC–placebo pairs the MSC patient {v}" for k, v in
                  (("wins", "wins"), ("losses", "loses"), ("ties", "ties at every level"))}}
    return EndpointResult("composite", "win ratio (death, then time to stopping oxygen, then hospital stay), "
                          "MSC against placebo, all pairs; 95% CI from the U-statistic variance of log(win ratio)",
                          values, {("both", "win_ratio"): (w["ci_low"], w["ci_high"])}, methods)


ENDPOINTS = [composite]
