"""How fast the sampler could reach an ESS of 300 if its weights were exact; prints numbers, asserts nothing.

A dataset's weight is the probability that its oxygen course meets the later claims (hospital stay,
day-7 PaO2/FiO2), which the sampler estimates (_later_claims). Part of the weights' spread
is that estimate's noise, part is the courses' own. For every course of ROUNDS rounds of the book's
seed, two independent estimates W1, W2 of that probability: the ESS per course is mean(W)^2 /
mean(W^2) as the sampler weighs, and mean(W)^2 / mean(W1 W2) with exact weights (for independent
unbiased estimates, mean(W1 W2) estimates E[W^2] without the noise). The courses needed for an ESS
of 300, times the time _courses takes per course on two cores, is then a lower bound for any better
weight estimate: it counts drawing the courses and nothing else. Each ratio is shown with a 95%
bootstrap interval over rounds.
"""
import functools
import multiprocessing
import time

import numpy as np

from covidat.data.claims import load_claims
from covidat.reconstruction import sampler

ROUNDS = 1000
BOOTSTRAP = 2000
TARGET_ESS = 300


def weights(model, k: int) -> tuple[np.ndarray, float]:
    """Round k's courses: two independent weight estimates each (rows), and the seconds _courses took."""
    rng = np.random.default_rng(np.random.SeedSequence(sampler.DEFAULT_SEED, spawn_key=(k,)))
    start = time.perf_counter()
    courses, _ = sampler._courses(model, rng)
    seconds = time.perf_counter() - start
    rows = [{key: v[row:row + 1] for key, v in courses.items()} for row in range(len(courses["z"]))]
    estimates = [[np.exp(sampler._later_claims(model, course, rng)[-1][0]) for _ in range(2)] for course in rows]
    return np.array(estimates).reshape(-1, 2), seconds


model = sampler._Model({k: v[0] for k, v in sampler.ASSUMPTIONS.items()}, load_claims())
with multiprocessing.Pool(2) as pool:
    runs = pool.map(functools.partial(weights, model), range(ROUNDS))
w = np.concatenate([r[0] for r in runs])
per_course = sum(r[1] for r in runs) / len(w) / 2  # seconds of _courses per course, two cores
# Per round: courses, and the sums of W1, W1^2, W1 + W2 and W1 W2 the ratios below are made of.
sums = np.array([[len(r), r[:, 0].sum(), (r[:, 0] ** 2).sum(), r.sum(), (r[:, 0] * r[:, 1]).sum()] for r, _ in runs])


def ess_per_course(totals):
    """As the sampler weighs (one estimate), and with exact weights (the cross product of two)."""
    n, w1, w1_squared, both, cross = totals
    return (w1 / n) ** 2 / (w1_squared / n), (both / (2 * n)) ** 2 / (cross / n)


# The weights are heavy-tailed, so these ratios carry a large Monte Carlo error: a 95% interval from
# resampling whole rounds (each has its own random stream).
drawn = np.random.default_rng(0).multinomial(ROUNDS, np.full(ROUNDS, 1 / ROUNDS), size=BOOTSTRAP)
ratios = ess_per_course(sums.sum(0))  # as the sampler weighs, with exact weights
low, high = np.quantile(np.array(ess_per_course((drawn @ sums).T)), [0.025, 0.975], axis=1)


def shown(k: int) -> str:
    return f"{ratios[k]:.4f} (95% interval {low[k]:.4f} to {high[k]:.4f})"


courses = TARGET_ESS / np.array([ratios[1], high[1], low[1]])  # estimate, then the interval
print(f"{len(w)} oxygen courses from {ROUNDS} rounds; a weight is 0 in {(w[:, 0] == 0).mean():.0%} of estimates")
print(f"ESS per course, as the sampler weighs  {shown(0)}")
print(f"ESS per course, exact weights          {shown(1)}")
print(f"courses for an ESS of {TARGET_ESS}, exact weights {courses[0]:,.0f} ({courses[1]:,.0f} to {courses[2]:,.0f})")
print(f"drawing them (_courses), two cores     {per_course * 1000:.1f} ms per course: {courses[0] * per_course:.0f} s "
      f"({courses[1] * per_course:.0f} to {courses[2] * per_course:.0f} s) with exact weights that cost nothing (goal 60 s)")
