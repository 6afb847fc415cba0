"""What the abstract pins down: the statistics it leaves open, across many datasets that all satisfy it.

A batch (`covidat.reconstruction.sampler.sample`) holds datasets drawn from the reconstruction's model of
patients conditioned on every published claim. `values` runs the book's own endpoint functions
on each dataset and returns one row per dataset and one column per result id (with `.ci_low` and
`.ci_high` where the result has a CI), plus two descriptions of each dataset (`deaths`, `pf_change_sd`).
`spread` summarises the columns, `shares` and `verdicts` say which conclusions hold in every
dataset and which depend on the reconstruction.
"""
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from covidat import endpoints
from covidat.endpoints import secondary, stats
from covidat.data.claims import load_claims
from covidat.endpoints.stats import min_sd_not_significant

# Result id -> reader label: what the abstract leaves open (tests it does not name, estimates it omits).
OPEN_RESULTS = {
    "o2_discontinuation.both.hazard_ratio": "Hazard ratio of oxygen discontinuation, MSC against placebo (Cox)",
    "hospital_stay.both.p_exact": "Hospital stay: exact Mann–Whitney p, ties ignored",
    "hospital_stay.both.p_permutation": "Hospital stay: exact permutation p, with ties",
    "hospital_stay.both.p_normal": "Hospital stay: normal approximation p, no continuity correction",
    "hospital_stay.both.p_logrank": "Hospital stay: log-rank p on time to discharge",
    "who_improved_day7.both.p_boschloo": "Improvement: Boschloo's exact p",
    "who_improved_day7.both.p_barnard": "Improvement: Barnard's exact p",
    "who_improved_day7.both.risk_difference": "Improvement: risk difference, MSC minus placebo (Newcombe CI)",
    "pf_change_day7.both.p": "Primary endpoint: Welch p (published only as not significant)",
    "o2_free_days_28.both.p": "Oxygen-free days to day 28: Mann–Whitney p",
    "mortality_day28.both.p": "Mortality at day 28: Fisher's exact p",
}
# Endpoints too slow to run on each of 1,000 datasets when the book is built (a Cox model; an exact
# permutation test over every split of 20 patients) run on the first datasets of a batch only.
LIMITS = {"o2_discontinuation": 200, "hospital_stay": 20}
# The columns (besides arm) that an endpoint reads: datasets that agree on them patient for patient
# within each arm get the same result, so the endpoint runs once per distinct set. The claims fix
# each arm's count of improved patients, so the improvement tests run once per batch.
READS = {"who_improved_day7": ("improved_day7",)}


def _by_arm(batch, values) -> tuple[np.ndarray, np.ndarray]:
    msc = np.asarray(batch.arm) == "MSC"
    values = np.asarray(values, float)
    return values[:, msc], values[:, ~msc]


def _column(batch, name) -> tuple[np.ndarray, np.ndarray]:
    return _by_arm(batch, batch.columns[name])


def _o2_free_p(batch) -> np.ndarray:
    c = batch.columns
    days = secondary.oxygen_free_days(c["o2_days"], c["o2_event"], c["died"], c["death_day"])
    if np.isnan(days).any():
        raise ValueError("unknown oxygen-free days: the endpoint leaves such patients out")
    return stats.mann_whitney_p_batch(*_by_arm(batch, days))


def _mortality_p(batch) -> np.ndarray:
    dead = secondary.deaths_by(batch.columns["died"], batch.columns["death_day"])
    msc, placebo = _by_arm(batch, dead)
    return stats.fisher_p_batch(msc.sum(1), msc.shape[1], placebo.sum(1), placebo.shape[1])


def _discharge_logrank_p(batch) -> np.ndarray:
    (days_msc, days_placebo), (out_msc, out_placebo) = _column(batch, "hospital_days"), _column(batch, "discharged")
    return stats.logrank_p_batch(days_msc, out_msc, days_placebo, out_placebo)


def _mann_whitney(exact: bool):
    return lambda batch: stats.mann_whitney_variant_p_batch(*_column(batch, "hospital_days"), exact=exact)


# Result id -> the same statistic computed for a whole batch at once, from the batched versions in
# covidat.endpoints (tests check each against its endpoint, dataset by dataset). A function
# raises ValueError for a batch it cannot handle; the endpoint then runs dataset by dataset.
BATCHED = {
    "pf_change_day7.both.p": lambda b: stats.welch_p_batch(
        *_by_arm(b, np.asarray(b.columns["pf_day7"], float) - np.asarray(b.columns["pf_day0"], float))),
    "o2_free_days_28.both.p": _o2_free_p,
    "mortality_day28.both.p": _mortality_p,
    "hospital_stay.both.p_logrank": _discharge_logrank_p,
    "hospital_stay.both.p_exact": _mann_whitney(exact=True),
    "hospital_stay.both.p_normal": _mann_whitney(exact=False),
}


@cache
def sd_bound() -> float:
    """The smallest common SD of the change for which the published means are not significant
    (`covidat.endpoints.stats.min_sd_not_significant`: equal SDs, complete arms of the published size)."""
    claims = load_claims().set_index("claim_id")["value"]
    difference = claims["pf_change_day7.msc.mean"] - claims["pf_change_day7.placebo.mean"]
    return float(min_sd_not_significant(difference, int(claims["randomised.msc.n"]),
                                        alpha=claims["pf_change_day7.both.p"]))


def endpoint_of(result_id: str) -> str:
    return result_id.split(".")[0]


def _key(result_id: str) -> tuple[str, str]:
    _, arm, statistic = result_id.split(".")
    return ({"msc": "MSC", "placebo": "placebo"}.get(arm, arm), statistic)


def _row(result: endpoints.EndpointResult, result_ids: list[str]) -> dict:
    row = {}
    for rid in result_ids:
        key = _key(rid)
        row[rid] = result.values.get(key, math.nan)
        if key in result.cis:
            row[f"{rid}.ci_low"], row[f"{rid}.ci_high"] = result.cis[key]
    return row


def _reads_key(frame: pd.DataFrame, columns: tuple[str, ...]) -> tuple:
    """What the endpoint sees, ignoring the order of patients within an arm."""
    return tuple(tuple(sorted(map(tuple, frame.loc[frame["arm"] == arm, list(columns)].to_numpy().tolist())))
                 for arm in endpoints.ARMS)


_STATISTICS: dict = {}


def _statistics(name: str, frame: pd.DataFrame) -> frozenset:
    """The (arm, statistic) keys endpoint `name` returns, learnt once per session from one dataset
    (some endpoints take seconds per call)."""
    if name not in _STATISTICS:
        _STATISTICS[name] = frozenset(endpoints.ENDPOINTS[name](frame).values)
    return _STATISTICS[name]


def produced(result_ids, frame: pd.DataFrame) -> list[str]:
    """The ids among `result_ids` that the endpoint functions return (the others are pending)."""
    return [rid for rid in result_ids if endpoint_of(rid) in endpoints.ENDPOINTS
            and _key(rid) in _statistics(endpoint_of(rid), frame)]


def describe(batch) -> pd.DataFrame:
    """What each dataset assumed where the abstract is silent: deaths, and the spread of the change."""
    columns, msc = batch.columns, np.asarray(batch.arm) == "MSC"
    change = columns["pf_day7"].astype(float) - columns["pf_day0"].astype(float)
    variances = [np.nanvar(change[:, arm], axis=1, ddof=1) for arm in (msc, ~msc)]
    return pd.DataFrame({"deaths": np.nansum(columns["died"].astype(float), axis=1).astype(int),
                         "pf_change_sd": np.sqrt((variances[0] + variances[1]) / 2)})


def values(batch, result_ids=tuple(OPEN_RESULTS), limits: dict[str, int] | None = None) -> pd.DataFrame:
    """One row per dataset: each result id (NaN where no endpoint produces it yet), its CI bounds
    where it has a CI, and the `describe` columns. Ids in BATCHED are computed for the whole batch
    at once, the others by running the endpoint on each dataset, or on the first `limits[endpoint]`
    datasets only (the others get NaN; datasets are built as frames only when needed).
    `attrs["seconds"]` holds the time each endpoint took, `attrs["runs"]` how many times it ran on
    a dataset, `attrs["batched"]` the ids computed batched."""
    n, limits = len(batch), limits or {}
    frames = {}

    def frame(i):
        if i not in frames:
            frames[i] = batch.frame(i)
        return frames[i]

    by_endpoint: dict[str, list[str]] = {}
    for rid in result_ids:
        by_endpoint.setdefault(endpoint_of(rid), []).append(rid)
    columns, seconds, runs, batched = {}, {}, {}, []
    for name, ids in by_endpoint.items():
        f = endpoints.ENDPOINTS.get(name)
        if f is None or not n:
            continue
        start = time.perf_counter()
        ids = [rid for rid in ids if _key(rid) in _statistics(name, frame(0))]
        rest = []
        for rid in ids:
            try:
                if rid not in BATCHED:
                    raise ValueError(rid)
                columns[rid] = np.asarray(BATCHED[rid](batch), float)
                batched.append(rid)
            except ValueError:  # no batched version, or a batch it does not handle
                rest.append(rid)
        cache, rows = {}, []
        for i in range(min(n, limits.get(name, n)) if rest else 0):
            key = _reads_key(frame(i), READS[name]) if name in READS else i
            if key not in cache:
                cache[key] = _row(f(frame(i)), rest)
            rows.append(cache[key])
        for column in dict.fromkeys(c for row in rows for c in row):
            columns[column] = np.array([row.get(column, math.nan) for row in rows]
                                       + [math.nan] * (n - len(rows)), float)
        seconds[name], runs[name] = time.perf_counter() - start, len(cache)
    table = pd.DataFrame({c: columns.get(c, np.full(n, math.nan)) for c in _columns(result_ids, columns)})
    table = pd.concat([table, describe(batch)], axis=1)
    table.attrs.update(seconds=seconds, runs=runs, batched=batched)
    return table


def _columns(result_ids, present) -> list[str]:
    return [c for rid in result_ids for c in (rid, f"{rid}.ci_low", f"{rid}.ci_high")
            if c == rid or c in present]


def spread(table: pd.DataFrame, columns, probabilities=(0.025, 0.5, 0.975)) -> pd.DataFrame:
    """Per column: how many datasets have a value, the min, the given quantiles, the max, and
    whether it is the same in every dataset (`constant`)."""
    rows = []
    for column in columns:
        x = table[column].to_numpy(float)
        x = x[~np.isnan(x)]
        row = {"column": column, "n": len(x)}
        if len(x):
            row.update({"min": x.min(), **{f"q{p:g}": np.quantile(x, p) for p in probabilities},
                        "max": x.max(), "constant": bool(x.min() == x.max())})
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Conclusion:
    text: str  # the statement a reader might draw
    needs: tuple[str, ...]  # the columns it is computed from
    test: Callable[[pd.DataFrame], pd.Series]  # True for each dataset in which it holds


CONCLUSIONS = {
    "primary_not_significant": Conclusion(
        "Primary endpoint not significant (Welch p above 0.05)",
        ("pf_change_day7.both.p",), lambda t: t["pf_change_day7.both.p"] > 0.05),
    "sd_above_bound": Conclusion(
        "SD of the PaO2/FiO2 change at or above the analytic lower bound",
        ("pf_change_sd",), lambda t: t["pf_change_sd"] >= sd_bound()),
    "hr_ci_excludes_1": Conclusion(
        "Hazard ratio of oxygen discontinuation: 95% CI excludes 1",
        ("o2_discontinuation.both.hazard_ratio.ci_low", "o2_discontinuation.both.hazard_ratio.ci_high"),
        lambda t: (t["o2_discontinuation.both.hazard_ratio.ci_low"] > 1)
        | (t["o2_discontinuation.both.hazard_ratio.ci_high"] < 1)),
    **{f"hospital_{test}": Conclusion(
        f"Hospital stay significant at 5%: {label}", (f"hospital_stay.both.p_{test}",),
        lambda t, c=f"hospital_stay.both.p_{test}": t[c] < 0.05)
       for test, label in (("exact", "exact Mann–Whitney"), ("permutation", "exact permutation"),
                           ("normal", "no continuity correction"), ("logrank", "log-rank on discharge"))},
    **{f"improvement_{test}": Conclusion(
        f"Improvement significant at 5%: {label}", (f"who_improved_day7.both.p_{test}",),
        lambda t, c=f"who_improved_day7.both.p_{test}": t[c] < 0.05)
       for test, label in (("boschloo", "Boschloo"), ("barnard", "Barnard"))},
    "risk_difference_excludes_0": Conclusion(
        "Improvement: 95% CI of the risk difference excludes 0",
        ("who_improved_day7.both.risk_difference.ci_low", "who_improved_day7.both.risk_difference.ci_high"),
        lambda t: (t["who_improved_day7.both.risk_difference.ci_low"] > 0)
        | (t["who_improved_day7.both.risk_difference.ci_high"] < 0)),
    "o2_free_not_significant": Conclusion(
        "Oxygen-free days to day 28 not significant (p above 0.05)",
        ("o2_free_days_28.both.p",), lambda t: t["o2_free_days_28.both.p"] > 0.05),
    "mortality_not_significant": Conclusion(
        "Mortality at day 28 not significant (p above 0.05)",
        ("mortality_day28.both.p",), lambda t: t["mortality_day28.both.p"] > 0.05),
    "some_death": Conclusion("At least one patient died", ("deaths",), lambda t: t["deaths"] > 0),
}


def shares(table: pd.DataFrame, conclusions=CONCLUSIONS) -> pd.Series:
    """Per conclusion, the share of datasets in which it holds, among those in which every column it
    needs was computed (NaN if there are none)."""
    out = {}
    for cid, c in conclusions.items():
        computed = table.dropna(subset=list(c.needs)) if all(n in table for n in c.needs) else table.iloc[:0]
        out[cid] = float(c.test(computed).mean()) if len(computed) else math.nan
    return pd.Series(out, dtype=float)


def distinct(batch, column: str) -> int:
    """How many different datasets the batch holds as far as `column` goes (patients within an arm
    in any order)."""
    msc, placebo = (np.sort(a, axis=1) for a in _column(batch, column))
    return len(np.unique(np.c_[msc, placebo], axis=0))


def verdict(row: pd.Series) -> str:
    """'holds in all', 'holds in none', 'depends' (some scenario between) or 'pending' (not computed)."""
    known = row.dropna()
    if known.empty:
        return "pending"
    if (known == 1).all():
        return "holds in all"
    if (known == 0).all():
        return "holds in none"
    return "depends"


def verdicts(share_table: pd.DataFrame) -> pd.Series:
    """`share_table`: one row per conclusion, one column per scenario (as from `shares`)."""
    return share_table.apply(verdict, axis=1)
