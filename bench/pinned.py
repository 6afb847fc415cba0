"""Cost of the chapter 'What the abstract pins down'; prints numbers, asserts nothing.

sample: covidat.reconstruction.sampler.sample(1000); values: covidat.reconstruction.pinned.values on it, per endpoint
(batched results, then the endpoint on each dataset up to pinned.LIMITS); per call: one run
of each endpoint on one dataset, the unit cost behind those limits.
"""
import time

from covidat import endpoints
from covidat.reconstruction import pinned, sampler

start = time.perf_counter()
batch = sampler.sample(1000)
print(f"sample(1000): {time.perf_counter() - start:.1f} s")
frame = batch.frame(0)
for name in dict.fromkeys(pinned.endpoint_of(rid) for rid in pinned.OPEN_RESULTS):
    if name in endpoints.ENDPOINTS:
        endpoints.ENDPOINTS[name](frame)  # warm up
        start = time.perf_counter()
        endpoints.ENDPOINTS[name](frame)
        print(f"{name}: {1000 * (time.perf_counter() - start):.0f} ms per dataset")
start = time.perf_counter()
table = pinned.values(batch, limits=pinned.LIMITS)
print(f"values(1000 datasets): {time.perf_counter() - start:.1f} s; per endpoint (s): "
      + ", ".join(f"{k} {v:.1f}" for k, v in table.attrs["seconds"].items()))
print("batched:", ", ".join(table.attrs["batched"]))
