"""How fast the sampler could reach an ESS of 300 if its weights were exact; prints numbers, asserts nothing.

A dataset's weight is the probability that its oxygen course meets the later claims (hospital stay,
day-7 PaO2/FiO2), which the sampler estimates (_discharges, _day7_pf). Part of the weights' spread
is that estimate's noise, part is the courses' own. For every course of ROUNDS rounds of the book's
seed, two independent estimates W1, W2 of that probability: the ESS per course is mean(W)^2 /
mean(W^2) as the sampler weighs, and mean(W)^2 / mean(W1 W2) with exact weights (for independent
unbiased estimates, mean(W1 W2) estimates E[W^2] without the noise). The courses needed for an ESS
of 300, times the time _courses takes per course on two cores, is then a lower bound for any better
weight estimate: it counts drawing the courses and nothing else.
"""
import functools
import multiprocessing
import time

import numpy as np

from covidat.data.claims import load_claims
from covidat.reconstruction import sampler

ROUNDS = 400
TARGET_ESS = 300


def weights(model, k: int) -> tuple[np.ndarray, float]:
    """Round k's courses: two independent weight estimates each (rows), and the seconds _courses took."""
    rng = np.random.default_rng(np.random.SeedSequence(sampler.DEFAULT_SEED, spawn_key=(k,)))
    start = time.perf_counter()
    courses, _ = sampler._courses(model, rng)
    seconds = time.perf_counter() - start
    out = []
    for row in range(len(courses["z"])):
        course = {key: v[row:row + 1] for key, v in courses.items()}
        estimates = []
        for _ in range(2):
            _, [(msc, _)] = sampler._discharges(model, course, rng)
            _, log_pf = sampler._day7_pf(model, course, rng)
            estimates.append(len(msc) / sampler.DISCHARGE_DRAWS ** 2 * np.exp(log_pf))
        out.append(estimates)
    return np.array(out).reshape(-1, 2), seconds


model = sampler._Model({k: v[0] for k, v in sampler.ASSUMPTIONS.items()}, load_claims())
with multiprocessing.Pool(2) as pool:
    runs = pool.map(functools.partial(weights, model), range(ROUNDS))
w = np.concatenate([r[0] for r in runs])
per_course = sum(r[1] for r in runs) / len(w) / 2  # seconds of _courses per course, two cores
estimated = w[:, 0].mean() ** 2 / (w[:, 0] ** 2).mean()
exact = w.mean() ** 2 / (w[:, 0] * w[:, 1]).mean()
print(f"{len(w)} oxygen courses from {ROUNDS} rounds; a weight is 0 in {(w[:, 0] == 0).mean():.0%} of estimates")
print(f"ESS per course                      {estimated:.4f} as the sampler weighs, {exact:.4f} with exact weights")
print(f"courses for an ESS of {TARGET_ESS}            {TARGET_ESS / estimated:,.0f} and {TARGET_ESS / exact:,.0f}")
print(f"drawing them (_courses), two cores  {per_course * 1000:.1f} ms per course: at least "
      f"{TARGET_ESS / exact * per_course:.0f} s with exact weights that cost nothing (goal 60 s)")
