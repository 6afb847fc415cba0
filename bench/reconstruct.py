"""Time the reconstruction: one dataset, 1,000 datasets, and the previous generator in the same run;
check every draw against the claims and the coherence rules; show how much the draws differ.
Prints numbers, asserts nothing."""
import subprocess
import time
import types

import numpy as np

from covidat import ROOT, coherence
from covidat.claims import check, load_claims
from covidat.data import PATIENT_COLUMNS
from covidat.endpoints import analyse
from covidat.reconstruct import DEFAULT_SEED, reconstruct, sample

PREVIOUS = "1b6716c"  # the Metropolis walk of e8b6f3d, with imports updated to the endpoints package


def timed(f, *args, **kwargs):
    start = time.perf_counter()
    result = f(*args, **kwargs)
    return result, time.perf_counter() - start


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
failing = sum(any(c.status == "fails" for c in check(f)) for f in frames)
incoherent = sum(not coherence.violations(f).empty for f in frames)

stays = {tuple(tuple(np.sort(row[batch.arm == arm]).tolist()) for arm in ("MSC", "placebo"))
         for row in batch.columns["hospital_days"]}
free = {"pf_change_day7": "both.p", "o2_free_days_28": "both.p", "mortality_day28": "msc.n"}
spread = {}
for f in frames:
    results = analyse(f)
    for endpoint, key in free.items():
        arm, statistic = key.split(".")
        arm = {"both": "both", "msc": "MSC"}[arm]
        spread.setdefault(f"{endpoint}.{key}", []).append(results[endpoint].get(arm, statistic))
deaths = np.nansum(batch.columns["died"], 1)

print(f"failing any claim                   {failing} of {len(frames)}")
print(f"with a coherence warning            {incoherent} of {len(frames)}")
print(f"distinct hospital-stay vectors      {len(stays)} of {len(frames)} (sorted within arm)")
print(f"deaths per dataset                  {int(deaths.min())} to {int(deaths.max())} (median {np.median(deaths):g})")
for name, values in spread.items():
    q = np.nanpercentile(values, [5, 50, 95])
    print(f"{name:35s} 5%/50%/95%: {q[0]:.3g} / {q[1]:.3g} / {q[2]:.3g}")
