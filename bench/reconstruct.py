"""Time the reconstruction and say what its batches are worth; prints numbers, asserts nothing.

one dataset: `sampler.sample(1)` in a fresh interpreter (imports included), the median of three runs;
a small batch: sample(n) on one core and its effective sample size (ESS);
ESS 300 on two cores: rounds of the book's seed run by two processes, timed, and the rounds the book's
batch needed for an ESS of 300 at that rate (an estimate: running them all takes minutes);
the book's batch: data/reconstructed/batch.csv, its ESS, every dataset checked against the claims and
the coherence rules; chapter 12: executing it as the build does (it reads the committed results).
"""
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from covidat import ROOT
from covidat.beyond.scorecard import check
from covidat.data import coherence
from covidat.reconstruction import pinned, sampler

TARGET_ESS = 300
GOAL_ONE, GOAL_ESS = 1.5, 60  # seconds on 2 cores (issue 18)


def timed(f, *args, **kwargs):
    start = time.perf_counter()
    result = f(*args, **kwargs)
    return result, time.perf_counter() - start


def fails_a_claim(patients) -> bool:
    return any(c.status == "fails" for c in check(patients))


def rounds_to_ess(batch: sampler.Batch, target: float) -> int | None:
    """Rounds until the batch's first datasets reach an ESS of `target` (None: they never do)."""
    w = np.exp(batch.log_weights - batch.log_weights.max())
    with np.errstate(invalid="ignore"):  # prefixes whose weights all underflow: NaN, not reached
        reached = np.flatnonzero(np.cumsum(w) ** 2 / np.cumsum(w ** 2) >= target)
    return int(batch.rounds[reached[0]]) + 1 if len(reached) else None


one = [timed(subprocess.run, [sys.executable, "-c", "from covidat.reconstruction import sampler; sampler.sample(1)"],
             check=True)[1] for _ in range(3)]
print(f"one dataset, fresh interpreter      {statistics.median(one):6.1f} s (median of "
      f"{', '.join(f'{t:.2f}' for t in one)}; goal {GOAL_ONE} s)")
n = 60
batch, seconds = timed(sampler.sample, n, sampler.DEFAULT_SEED + 7)
ess = pinned.ess(batch.weights)
print(f"{n} datasets, one core               {seconds:6.1f} s, ESS {ess:.1f}")
book = sampler.load_batch()
needed = rounds_to_ess(book, TARGET_ESS)
head, seconds = timed(sampler.sample, 200, sampler.DEFAULT_SEED, processes=2)
ran = int(head.rounds.max()) + 1
print(f"ESS {TARGET_ESS}, two cores                {seconds / ran * needed:6.1f} s estimated: {ran} rounds in "
      f"{seconds:.1f} s, and the book's batch reached ESS {TARGET_ESS} after {needed} rounds; goal {GOAL_ESS} s")
frames = book.frames()
with multiprocessing.Pool() as pool:  # `covidat check` on each dataset, as a reader would run it
    failing = sum(pool.map(fails_a_claim, frames))
incoherent = int((coherence.by_dataset(book.table())["violations"] > 0).sum())
print(f"book's batch                        {len(book)} datasets from {book.rounds.max() + 1} rounds, "
      f"ESS {pinned.ess(book.weights):.1f}, largest weight {book.weights.max():.2f}")
print(f"failing any claim                   {failing} of {len(frames)}")
print(f"with a coherence warning            {incoherent} of {len(frames)}")
with tempfile.TemporaryDirectory() as out:
    start = time.perf_counter()
    subprocess.run([Path(sys.executable).parent / "jupyter", "nbconvert", "--to", "notebook", "--execute",
                    "--output-dir", out, str(ROOT / "chapters" / "12_pinned_down.ipynb")],
                   check=True, capture_output=True)
    print(f"chapter 12, executed                {time.perf_counter() - start:6.1f} s")
