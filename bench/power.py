"""Time the Monte Carlo power grid of the next-trial chapter against a plain per-trial loop. Prints numbers.

Vectorised: every scenario (5 endpoint readings x 2 effect sizes), 20 sample sizes x 2,000 simulated trials.
Loop: trials of the same sizes one at a time with the library tests (scipy's Welch t-test and Fisher
test, statsmodels' z-test, the book's log-rank test), timed on 50 trials per sample size and scaled to
2,000. The loop draws outcomes with a fixed effect: the effect size does not change the work.
"""
import time

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from covidat.data import load_dataset
from covidat.endpoints import logrank_p
from covidat.planning.next_trial import planning_inputs, scenarios
from covidat.planning.simulation import mc_power, n_grid, smallest_n

SIMS, LOOP_SIMS = 2000, 50


class OneTrial:
    """Per-trial version of each simulated test: draw one trial, run the library test."""
    def __init__(self, scenario, rng):
        self.scenario, self.rng = scenario, rng

    def pvalue(self, n):
        draw = self.rng
        if self.scenario.endpoint == "pf_change":
            x, y = (draw.normal(0.0, 1.0, n) for _ in range(2))
            return stats.ttest_ind(x, y, equal_var=False).pvalue
        if self.scenario.endpoint.startswith("o2_discontinuation"):
            a, b = draw.exponential(1.0, n), draw.exponential(1.0, n)
            return logrank_p(a, np.ones(n), b, np.ones(n))
        x, y = draw.binomial(n, 0.3), draw.binomial(n, 0.2)
        if self.scenario.endpoint == "improvement":
            return stats.fisher_exact([[x, n - x], [y, n - y]]).pvalue
        return proportions_ztest([x, y], [n, n])[1] if x + y not in (0, 2 * n) else 1.0


def main():
    all_scenarios = scenarios(planning_inputs(load_dataset().patients))
    grids = [n_grid(smallest_n(s.closed_form)) for s in all_scenarios]
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    for scenario, grid in zip(all_scenarios, grids):
        mc_power(scenario, grid, SIMS, rng)
    vectorised = time.perf_counter() - start

    start = time.perf_counter()
    for scenario, grid in zip(all_scenarios, grids):
        trial = OneTrial(scenario, rng)
        for n in grid:
            for _ in range(LOOP_SIMS):
                trial.pvalue(int(n))
    loop = (time.perf_counter() - start) * SIMS / LOOP_SIMS

    trials = sum(len(g) for g in grids) * SIMS
    print(f"power grid: {len(all_scenarios)} scenarios x 20 sizes x {SIMS} trials = {trials:,} simulated trials")
    print(f"vectorised (numpy)                  {vectorised:7.2f} s")
    print(f"per-trial loop, scaled from {LOOP_SIMS}/size {loop:7.1f} s")
    print(f"speed-up                            {loop / vectorised:7.0f} x")


if __name__ == "__main__":
    main()
