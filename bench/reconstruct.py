"""Time one reconstruction (default seed), one draw with another seed, and one check. Prints numbers."""
import time

from covidat.claims import check
from covidat.data import load_dataset
from covidat.reconstruct import DEFAULT_SEED, reconstruct


def timed(f, *args):
    start = time.perf_counter()
    result = f(*args)
    return result, time.perf_counter() - start


_, default = timed(reconstruct, DEFAULT_SEED)
seconds = [timed(reconstruct, seed)[1] for seed in range(DEFAULT_SEED + 1, DEFAULT_SEED + 6)]
_, checking = timed(lambda: check(load_dataset().patients))
print(f"reconstruction, default seed        {default:6.2f} s")
print(f"reconstruction, 5 other seeds       {min(seconds):6.2f} to {max(seconds):.2f} s (mean {sum(seconds) / 5:.2f})")
print(f"load + check of the committed data  {checking:6.3f} s")
