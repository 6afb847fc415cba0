"""Cost and outcome of the counterexample search (covidat.reconstruction.counterexample) on the
conclusions that hold in every dataset of the committed batch, on one core (`python -m covidat
counterexamples` runs them in parallel and commits what they find); prints numbers, asserts nothing.

python bench/counterexample.py   about 5 minutes on one core (the hazard ratio's Cox fits take most of it)
"""
import time

import pandas as pd

from covidat.data import DEFAULT_DATA
from covidat.reconstruction import counterexample, pinned

drawn = counterexample.to_search(pinned.load_committed(DEFAULT_DATA / "pinned.csv"))
start = time.perf_counter()
searches = counterexample.search_all(drawn)
with pd.option_context("display.width", 250, "display.max_columns", 20):
    print(counterexample.table(searches).to_string(index=False))
print(f"{time.perf_counter() - start:.0f} s in all, budget {counterexample.RUNS} runs x {counterexample.STEPS} steps "
      f"x {counterexample.PROPOSALS} proposals per conclusion")
