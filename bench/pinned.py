"""Cost of the results behind the chapter 'What the abstract pins down'; prints numbers, asserts nothing.

values: covidat.reconstruction.pinned.values on the book's batch (data/reconstructed/batch.csv), per
endpoint (batched results, then the endpoint on each dataset), as `python -m covidat reconstruct`
computes pinned.csv; per call: one run of each endpoint on one dataset.
"""
import time

from covidat import endpoints
from covidat.reconstruction import pinned, sampler

batch = sampler.load_batch()
frame = batch.frame(0)
for name in dict.fromkeys(pinned.endpoint_of(rid) for rid in pinned.OPEN_RESULTS):
    if name in endpoints.ENDPOINTS:
        endpoints.ENDPOINTS[name](frame)  # warm up
        start = time.perf_counter()
        endpoints.ENDPOINTS[name](frame)
        print(f"{name}: {1000 * (time.perf_counter() - start):.0f} ms per dataset")
start = time.perf_counter()
table = pinned.values(batch)
print(f"values({len(batch)} datasets): {time.perf_counter() - start:.1f} s; per endpoint (s): "
      + ", ".join(f"{k} {v:.1f}" for k, v in table.attrs["seconds"].items()))
print("batched:", ", ".join(table.attrs["batched"]))
