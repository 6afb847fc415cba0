"""Time the reconstruction and say what its batches are worth; prints numbers, asserts nothing.

one dataset: `sampler.sample(1)` in a fresh interpreter (imports included);
a small batch: sample(n) on one core, its effective sample size (ESS) and the time an ESS of 300
would take at that rate (ESS grows in proportion to the number of datasets);
the book's batch: data/reconstructed/batch.csv, its ESS, every dataset checked against the claims and
the coherence rules; chapter 12: executing it as the build does (it reads the committed results).
"""
import multiprocessing
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from covidat import ROOT
from covidat.beyond.scorecard import check
from covidat.data import coherence
from covidat.reconstruction import pinned, sampler

TARGET_ESS = 300


def timed(f, *args, **kwargs):
    start = time.perf_counter()
    result = f(*args, **kwargs)
    return result, time.perf_counter() - start


def fails_a_claim(patients) -> bool:
    return any(c.status == "fails" for c in check(patients))


start = time.perf_counter()
subprocess.run([sys.executable, "-c", "from covidat.reconstruction import sampler; sampler.sample(1)"], check=True)
print(f"one dataset, fresh interpreter      {time.perf_counter() - start:6.1f} s")
n = 60
batch, seconds = timed(sampler.sample, n, sampler.DEFAULT_SEED + 7)
ess = pinned.ess(batch.weights)
print(f"{n} datasets, one core               {seconds:6.1f} s, ESS {ess:.1f} "
      f"(time to ESS {TARGET_ESS} at this rate: {seconds * TARGET_ESS / ess / 60:.0f} min)")
book = sampler.load_batch()
frames = book.frames()
with multiprocessing.Pool() as pool:  # `covidat check` on each dataset, as a reader would run it
    failing = sum(pool.map(fails_a_claim, frames))
incoherent = sum(not coherence.violations(f).empty for f in frames)
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
