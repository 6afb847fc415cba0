"""Time the reconstruction: one dataset, 1,000 datasets, and the previous generator in the same run;
check every draw against the claims and the coherence rules; show how much the draws differ.
Prints numbers, asserts nothing."""
import multiprocessing
import subprocess
import time
import types

import numpy as np

from covidat import ROOT
from covidat.data import coherence
from covidat.reconstruction import pinned
from covidat.beyond.scorecard import check
from covidat.data.claims import load_claims
from covidat.data import PATIENT_COLUMNS
from covidat.reconstruction.sampler import DEFAULT_SEED, reconstruct, sample

PREVIOUS = "1b6716c"  # the Metropolis walk of e8b6f3d, with imports updated to the endpoints package


def timed(f, *args, **kwargs):
    start = time.perf_counter()
    result = f(*args, **kwargs)
    return result, time.perf_counter() - start


def fails_a_claim(patients) -> bool:
    return any(c.status == "fails" for c in check(patients))


def previous_generator():
    """The previous generator's source, run against the claims and columns it was written for."""
    source = subprocess.run(["git", "show", f"{PREVIOUS}:src/covidat/reconstruct.py"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    module = types.ModuleType("previous_reconstruct")
    exec(compile(source, "previous_reconstruct.py", "exec"), module.__dict__)
    claims = load_claims()
    module.load_claims = lambda: claims[~claims["endpoint"].isin(["o2_free_days_28", "mortality_day28"])]
    module.PATIENT_COLUMNS = [c for c in PATIENT_COLUMNS if c.name != "provenance"]
    return module


old = previous_generator()
old_seconds = [timed(old.reconstruct, seed)[1] for seed in (DEFAULT_SEED, DEFAULT_SEED + 1)]
print(f"previous generator, 2 seeds         {old_seconds[0]:6.2f} s, {old_seconds[1]:.2f} s", flush=True)
one = [timed(reconstruct, seed)[1] for seed in (DEFAULT_SEED, DEFAULT_SEED + 1)]
print(f"one dataset, 2 seeds                {one[0]:6.2f} s, {one[1]:.2f} s "
      f"(previous / new: {np.mean(old_seconds) / np.mean(one):.1f})", flush=True)
batch, thousand = timed(sample, 1000, DEFAULT_SEED + 2)
print(f"1,000 datasets                      {thousand:6.2f} s "
      f"(previous generator, 1,000 at its mean: {np.mean(old_seconds) * 1000:.0f} s; "
      f"previous / new: {np.mean(old_seconds) * 1000 / thousand:.0f})", flush=True)
frames = batch.frames()
with multiprocessing.Pool() as pool:  # `covidat check` on each dataset, as a reader would run it
    failing = sum(pool.map(fails_a_claim, frames))
incoherent = sum(not coherence.violations(f).empty for f in frames)
print(f"failing any claim                   {failing} of {len(frames)}")
print(f"with a coherence warning            {incoherent} of {len(frames)}")
for column in ("hospital_days", "o2_days", "pf_day7"):
    print(f"distinct {column} vectors {pinned.distinct(batch, column):>14} of {len(frames)} (sorted within arm)")
for arm in ("MSC", "placebo"):
    deaths = np.nansum(batch.columns["died"][:, batch.arm == arm], 1)
    print(f"{arm + ' deaths per dataset':36s}{int(deaths.min())} to {int(deaths.max())} (median {np.median(deaths):g})")
table = pinned.values(batch, limits=pinned.LIMITS)
open_results = ["o2_discontinuation.both.hazard_ratio", "hospital_stay.both.p_exact", "hospital_stay.both.p_logrank",
                "pf_change_day7.both.p", "o2_free_days_28.both.p"]
for name in open_results:
    values = table[name].dropna() if name in table else []
    if len(values):
        q = np.percentile(values, [5, 50, 95])
        print(f"{name:35s} 5%/50%/95% of {len(values)}: {q[0]:.3g} / {q[1]:.3g} / {q[2]:.3g}")
