"""The reconstruction interval: how far each estimate computed on the reconstruction moves across datasets
that all satisfy the abstract.

An estimate on the book's one reconstructed dataset (a CI, a hazard ratio, a p) is partly the trial and
partly that dataset. `compute` runs every result of `covidat.endpoints.results` on each dataset of a
weighted batch from the sampler and records, per result id, the weighted 2.5% and 97.5% quantiles
(`recon_low`, `recon_high`: the middle 95% of consistent datasets), the number of datasets with a value
and their effective sample size (Kish), the committed dataset's own value and its weighted percentile
in the batch. Results the abstract pins (a published '=' claim) are left out: they are the same in
every dataset. The table is computed once over the book's weighted batch (data/reconstructed/batch.csv;
`python -m covidat ranges`, about a second per dataset and core) and committed as data/reconstructed/ranges.csv;
the book and `python -m covidat results` read it. As in chapter 12 (`pinned.MIN_TAIL`), a quantile is
not estimated when too few effective draws lie beyond it: the range is then "not estimable". A range is
"wide" (`is_wide`) and its estimate called illustrative when the reconstruction, not the trial, decides
much of the number.
"""
import math

import numpy as np
import pandas as pd

from covidat import ROOT, endpoints
from covidat.data.claims import load_claims
from covidat.reconstruction import sampler
from covidat.reconstruction.pinned import MIN_TAIL, ess, percentile_of, weighted_quantile

PATH = ROOT / "data" / "reconstructed" / "ranges.csv"
COLUMNS = ["result_id", "recon_low", "recon_high", "n_datasets", "ess", "value", "percentile", "wide"]


def is_wide(result_id: str, low: float, high: float, value: float, ci_low: float, ci_high: float) -> bool:
    """The one definition of a wide reconstruction range. For a p-value: the range crosses 0.05 or spans
    more than a factor of two. For an estimate with a 95% CI: the range is at least half as wide as the
    CI. For any other estimate: the range is wider than a tenth of the value (or than 0 when it is 0)."""
    if any(map(math.isinf, (low, high))):
        return True
    if result_id.split(".")[-1].startswith("p"):
        return (low < 0.05 <= high) or high > 2 * low
    if np.isfinite(ci_low) and np.isfinite(ci_high):
        return high - low >= 0.5 * (ci_high - ci_low)
    return high - low > 0.1 * abs(value)


def pinned_ids() -> set[str]:
    claims = load_claims()
    return set(claims.loc[claims["relation"] == "=", "claim_id"])


def _values(frame: pd.DataFrame) -> pd.Series:
    return endpoints.results(frame).set_index("result_id")["value"]


def per_dataset(batch, processes: int = 1) -> pd.DataFrame:
    """One row per dataset of the batch, one column per result id (values of `endpoints.results`),
    computed in `processes` worker processes (same table)."""
    frames = (batch.frame(i) for i in range(len(batch)))
    with sampler.mapper(processes, chunksize=16) as run:
        rows = list(run(_values, frames))
    return pd.DataFrame(rows).reset_index(drop=True)


def summarise(table: pd.DataFrame, weights, committed: pd.DataFrame) -> pd.DataFrame:
    """The range of each result id of `committed` (a `results` table of the committed dataset) that the
    abstract does not pin, over the datasets in `table` with a value."""
    rows, pinned = [], pinned_ids()
    for row in committed.itertuples(index=False):
        if row.result_id in pinned or row.result_id not in table:
            continue
        x = table[row.result_id].to_numpy(float)
        ok = ~np.isnan(x)
        if not ok.any():
            continue
        x, w = x[ok], np.asarray(weights, float)[ok]
        estimable = ess(w) * 0.025 >= MIN_TAIL  # as chapter 12: enough effective draws beyond each end
        low, high = ((weighted_quantile(x, w, 0.025), weighted_quantile(x, w, 0.975)) if estimable
                     else (math.nan, math.nan))
        rows.append({"result_id": row.result_id, "recon_low": low, "recon_high": high,
                     "n_datasets": int(ok.sum()), "ess": ess(w), "value": row.value,
                     "percentile": math.nan if math.isnan(row.value) else float(percentile_of(x, w, row.value)[0]),
                     "wide": estimable and is_wide(row.result_id, low, high, row.value, row.ci_low, row.ci_high)})
    return pd.DataFrame(rows, columns=COLUMNS)


def compute(patients: pd.DataFrame, batch=None, processes: int = 1) -> pd.DataFrame:
    """The ranges over the book's weighted batch (data/reconstructed/batch.csv unless given), for the
    committed dataset `patients`."""
    batch = sampler.load_batch() if batch is None else batch
    return summarise(per_dataset(batch, processes), batch.weights, endpoints.results(patients))


def write(ranges: pd.DataFrame, path=PATH) -> None:
    ranges.to_csv(path, index=False, lineterminator="\n", float_format="%.10g")


def load(path=PATH) -> pd.DataFrame:
    return pd.read_csv(path)


def attach(results: pd.DataFrame, ranges: pd.DataFrame | None = None) -> pd.DataFrame:
    """`results` with the columns recon_low, recon_high and wide (NaN where the abstract pins the result)."""
    ranges = load() if ranges is None else ranges
    return results.merge(ranges[["result_id", "recon_low", "recon_high", "wide"]], on="result_id", how="left")


def range_text(result_id: str, ranges: pd.DataFrame | None = None, digits: int = 2) -> str:
    """'low to high' for a table cell, with '(illustrative)' where the range is wide; '' where there is none.
    Ends that print alike at `digits` get up to two digits more; if they still do, the one value, marked
    '(no spread)'."""
    ranges = load() if ranges is None else ranges
    row = ranges.set_index("result_id").reindex([result_id]).iloc[0]
    if pd.isna(row["n_datasets"]):
        return ""
    if pd.isna(row["recon_low"]):
        return f"not estimable (effective sample size {row['ess']:.0f})"
    text = f"{row['recon_low']:.{digits}f} (no spread)"  # unless the ends differ within two digits more
    for shown in range(digits, digits + 3):
        low, high = f"{row['recon_low']:.{shown}f}", f"{row['recon_high']:.{shown}f}"
        if low != high:
            text = f"{low} to {high}"
            break
    return f"{text} (illustrative)" if bool(row["wide"]) else text


LABEL = "Across consistent datasets (middle 95%)"


def note(ranges: pd.DataFrame | None = None) -> str:
    """The footnote every table with a range column carries."""
    ranges = load() if ranges is None else ranges
    return (f"Across consistent datasets: the middle 95% of the estimate over {int(ranges['n_datasets'].max())} "
            f"reconstructed datasets that all satisfy the abstract (effective sample size "
            f"{ranges['ess'].max():.0f}); blank where the abstract fixes the number. 'Illustrative' marks a wide "
            "range, where the reconstruction decides much of the number: for a p-value, a range that crosses 0.05 "
            "or spans a factor of two; for an estimate with a CI, a range at least half the CI's width; otherwise "
            "wider than a tenth of the value. 'No spread': the middle 95% is a single value.")


def add_column(frame: pd.DataFrame, result_ids, labels: dict, dataset, digits=2,
               notes: tuple = ()) -> tuple[pd.DataFrame, dict, tuple]:
    """A table's frame, labels and notes with the range column (`recon`) added, for the reconstruction only:
    on supplied data the three come back unchanged (real data have no reconstruction range).
    `result_ids`: one per row, None for a row without one; `digits`: one for all rows, or one per row."""
    if not dataset.is_reconstruction:
        return frame, labels, notes
    table = load()
    digits = [digits] * len(frame) if isinstance(digits, int) else list(digits)
    texts = [range_text(r, table, d) if r else "" for r, d in zip(result_ids, digits)]
    return frame.assign(recon=texts), {**labels, "recon": LABEL}, (*notes, note(table))
