"""What the abstract pins down: the statistics it leaves open, across many datasets that all satisfy it.

A batch (`covidat.reconstruction.sampler.sample`) holds weighted datasets drawn from the reconstruction's
model of patients conditioned on every published claim. `values` runs the book's own endpoint functions
on each dataset and returns one row per dataset and one column per result id (with `.ci_low` and
`.ci_high` where the result has a CI), plus two descriptions of each dataset (`deaths`, `pf_change_sd`).
`spread` summarises the columns with weighted quantiles and their Monte Carlo errors, `shares` gives
the weighted share of datasets in which each conclusion holds (with its error), `verdict` words it,
and `typical` orders the datasets by how near the middle of the batch they sit.
"""
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from covidat import endpoints
from covidat.endpoints import hospital, improvement, secondary, stats
from covidat.data.claims import holds, load_claims
from covidat.endpoints.stats import min_sd_not_significant
from covidat.reconstruction import sampler

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
    "hospital_stay.both.p_permutation": lambda b: hospital.permutation_p_batch(*_column(b, "hospital_days")),
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


def values(batch, result_ids=tuple(OPEN_RESULTS)) -> pd.DataFrame:
    """One row per dataset: each result id (NaN where no endpoint produces it yet), its CI bounds
    where it has a CI, and the `describe` columns. Ids in BATCHED are computed for the whole batch
    at once, the others by running the endpoint on each dataset (built as frames only when needed).
    `attrs["seconds"]` holds the time each endpoint took, `attrs["runs"]` how many times it ran on
    a dataset, `attrs["batched"]` the ids computed batched."""
    n = len(batch)
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
        for i in range(n if rest else 0):
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


def ess(weights) -> float:
    """Kish's effective sample size of importance weights, (sum w)^2 / sum w^2."""
    w = np.asarray(weights, float)
    return float(w.sum() ** 2 / (w ** 2).sum()) if len(w) and w.sum() > 0 else 0.0


def _normalised(weights, n):
    w = np.full(n, 1.0) if weights is None else np.asarray(weights, float)
    return w / w.sum()


def weighted_quantile(x, weights, p) -> float:
    """The smallest value whose weighted share of values at or below it reaches p."""
    order = np.argsort(x, kind="stable")
    cumulative = np.cumsum(np.asarray(weights, float)[order]) / np.sum(weights)
    return float(np.asarray(x, float)[order][min(np.searchsorted(cumulative, p - 1e-12), len(x) - 1)])


MIN_TAIL = 5  # a quantile needs this many effective draws beyond it (ESS * min(p, 1 - p)) to be estimated


def quantile_mcse(x, weights, p) -> float:
    """Monte Carlo standard error of a weighted quantile: the standard error of the weighted share
    at or below it, sqrt(sum w^2 (1{x <= q} - p)^2) for normalised weights, carried to the
    value scale by the quantiles two standard errors either side (a quarter of their distance: a
    window one heavy dataset cannot fill, so it does not make the error look small; checked
    against independent blocks of the batch in `diagnostics`). NaN when fewer than MIN_TAIL
    effective draws lie beyond the quantile: then it is not estimated at all."""
    w = np.asarray(weights, float) / np.sum(weights)
    if ess(w) * min(p, 1 - p) < MIN_TAIL:
        return math.nan
    q = weighted_quantile(x, w, p)
    se = float(np.sqrt((w ** 2 * ((np.asarray(x) <= q) - p) ** 2).sum()))
    return (weighted_quantile(x, w, min(p + 2 * se, 1)) - weighted_quantile(x, w, max(p - 2 * se, 0))) / 4


def spread(table: pd.DataFrame, columns, probabilities=(0.025, 0.5, 0.975), weights=None) -> pd.DataFrame:
    """Per column, over the datasets with a value (each with its importance weight; equal if none
    given): how many, their effective sample size (`ess`), the min, the weighted quantiles with
    their Monte Carlo standard errors (`mcse<p>`), the max, and whether the value is the same in
    every dataset (`constant`)."""
    rows = []
    weights = _normalised(weights, len(table))
    for column in columns:
        x = table[column].to_numpy(float)
        known = ~np.isnan(x)
        x, w = x[known], weights[known]
        row = {"column": column, "n": len(x), "ess": ess(w)}
        if len(x):
            row.update({"min": x.min(), **{f"q{p:g}": weighted_quantile(x, w, p) for p in probabilities},
                        **{f"mcse{p:g}": quantile_mcse(x, w, p) for p in probabilities},
                        "max": x.max(), "constant": bool(x.min() == x.max())})
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Conclusion:
    text: str  # the statement a reader might draw
    needs: tuple[str, ...]  # the columns it is computed from
    test: Callable[[pd.DataFrame], pd.Series]  # True for each dataset in which it holds
    conditioned: bool = False  # a published claim the sampler conditions on: it holds by construction
    # Derived from the claims alone, no sampling: True if it holds in every consistent dataset, False
    # if in none, None if the derivation cannot decide.
    proof: Callable[[], bool | None] | None = None


def _decided(low: float, high: float, alpha: float = 0.05) -> bool | None:
    """Whether p < alpha, from bounds on p: True or False when both bounds agree, else None."""
    return True if high < alpha else False if low >= alpha else None


@cache
def _from_published_counts() -> tuple[dict, dict]:
    """The improvement tests on the published counts: every consistent dataset has these counts."""
    claims = load_claims().set_index("claim_id")["value"]
    events = {"MSC": int(claims["who_improved_day7.msc.n"]), "placebo": int(claims["who_improved_day7.placebo.n"])}
    sizes = {"MSC": int(claims["randomised.msc.n"]), "placebo": int(claims["randomised.placebo.n"])}
    return improvement.improvement_tests(events, sizes)


def _partitions(n: int, largest: int | None = None):
    """Every partition of n into parts of at most `largest`, largest part first."""
    if n == 0:
        yield ()
    for k in range(min(n, largest or n), 0, -1):
        for rest in _partitions(n - k, k):
            yield (k, *rest)


@cache
def _rank_grid() -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Every U (in halves) and every tie sum of a pattern of ties among the patients (a partition of
    them into tied groups), and whether the published test prints as published there."""
    claims = load_claims().set_index("claim_id")
    n1, n2 = int(claims.loc["randomised.msc.n", "value"]), int(claims.loc["randomised.placebo.n", "value"])
    ties = np.unique([sum(t ** 3 - t for t in p) for p in _partitions(n1 + n2)])
    u, tie_sum = (a.ravel() for a in np.meshgrid(np.arange(2 * n1 * n2 + 1) / 2, ties, indexing="ij"))
    claim = claims.loc["hospital_stay.both.p"]
    with np.errstate(divide="ignore", invalid="ignore"):  # every value tied: no variance
        published = holds(claim["relation"], float(claim["value"]), int(claim["decimals"]),
                          stats.mann_whitney_u_p("published", u, tie_sum, n1, n2))
    return u, tie_sum, published, n1, n2


def rank_patterns() -> tuple[int, int]:
    """How many combinations of U and tie sum there are, and how many print the published p."""
    u, _, published, _, _ = _rank_grid()
    return len(u), int(published.sum())


@cache
def rank_test_can_print(variant: str) -> bool:
    """Whether a variant of the rank test (stats.mann_whitney_u_p) prints the published hospital-stay
    p for some U and tie sum two complete arms can have (`_rank_grid`): if not, no dataset read with
    that test, deaths as stays, can reproduce the published p."""
    u, tie_sum, _, n1, n2 = _rank_grid()
    claim = load_claims().set_index("claim_id").loc["hospital_stay.both.p"]
    with np.errstate(divide="ignore", invalid="ignore"):
        p = stats.mann_whitney_u_p(variant, u, tie_sum, n1, n2)
    return bool(holds(claim["relation"], float(claim["value"]), int(claim["decimals"]), p).any())


@cache
def rank_test_range(variant: str) -> tuple[float, float]:
    """The smallest and largest p of a variant of the hospital-stay rank test (see stats.mann_whitney_u_p)
    over every U and tie sum (`_rank_grid`) for which the published test prints as published: bounds
    over a superset of the consistent datasets, so a conclusion they decide holds in all of them."""
    u, tie_sum, published, n1, n2 = _rank_grid()
    p = stats.mann_whitney_u_p(variant, u[published], tie_sum[published], n1, n2)
    return float(p.min()), float(p.max())


CONCLUSIONS = {
    "primary_not_significant": Conclusion(
        "Primary endpoint not significant (Welch p above 0.05)",
        ("pf_change_day7.both.p",), lambda t: t["pf_change_day7.both.p"] > 0.05, conditioned=True),
    "sd_above_bound": Conclusion(
        "SD of the PaO2/FiO2 change at or above the lower bound for complete arms",
        ("pf_change_sd",), lambda t: t["pf_change_sd"] >= sd_bound()),
    "hr_ci_excludes_1": Conclusion(
        "Hazard ratio of oxygen discontinuation: 95% CI excludes 1",
        ("o2_discontinuation.both.hazard_ratio.ci_low", "o2_discontinuation.both.hazard_ratio.ci_high"),
        lambda t: (t["o2_discontinuation.both.hazard_ratio.ci_low"] > 1)
        | (t["o2_discontinuation.both.hazard_ratio.ci_high"] < 1)),
    **{f"hospital_{test}": Conclusion(
        f"Hospital stay significant at 5%: {label}", (f"hospital_stay.both.p_{test}",),
        lambda t, c=f"hospital_stay.both.p_{test}": t[c] < 0.05,
        proof=(lambda v=test: _decided(*rank_test_range(v))) if test in ("exact", "normal") else None)
       for test, label in (("exact", "exact Mann–Whitney"), ("permutation", "exact permutation"),
                           ("normal", "no continuity correction"), ("logrank", "log-rank on discharge"))},
    **{f"improvement_{test}": Conclusion(
        f"Improvement significant at 5%: {label}", (f"who_improved_day7.both.p_{test}",),
        lambda t, c=f"who_improved_day7.both.p_{test}": t[c] < 0.05,
        proof=lambda k=("both", f"p_{test}"): bool(_from_published_counts()[0][k] < 0.05))
       for test, label in (("boschloo", "Boschloo"), ("barnard", "Barnard"))},
    "risk_difference_excludes_0": Conclusion(
        "Improvement: 95% CI of the risk difference excludes 0",
        ("who_improved_day7.both.risk_difference.ci_low", "who_improved_day7.both.risk_difference.ci_high"),
        lambda t: (t["who_improved_day7.both.risk_difference.ci_low"] > 0)
        | (t["who_improved_day7.both.risk_difference.ci_high"] < 0),
        proof=lambda: not (_from_published_counts()[1][("both", "risk_difference")][0] <= 0
                           <= _from_published_counts()[1][("both", "risk_difference")][1])),
    "o2_free_not_significant": Conclusion(
        "Oxygen-free days to day 28 not significant (p above 0.05)",
        ("o2_free_days_28.both.p",), lambda t: t["o2_free_days_28.both.p"] > 0.05, conditioned=True),
    "mortality_not_significant": Conclusion(
        "Mortality at day 28 not significant (p above 0.05)",
        ("mortality_day28.both.p",), lambda t: t["mortality_day28.both.p"] > 0.05, conditioned=True),
    "some_death": Conclusion("At least one patient died", ("deaths",), lambda t: t["deaths"] > 0),
}


def shares(table: pd.DataFrame, conclusions=CONCLUSIONS, weights=None) -> pd.DataFrame:
    """Per conclusion, among the datasets in which every column it needs was computed: the weighted
    share in which it holds (`share`, NaN if there are none), its Monte Carlo standard error
    (`mcse`, sqrt(sum w^2 (x - share)^2) for normalised weights), the effective sample size behind
    it (`ess`), whether it holds by construction (`conditioned`) and what its proof gives (`proved`:
    True, False, or None where there is none or it cannot decide)."""
    weights = _normalised(weights, len(table))
    rows = {}
    for cid, c in conclusions.items():
        computed = table.dropna(subset=list(c.needs)).index if all(n in table for n in c.needs) else table.index[:0]
        row = {"share": math.nan, "mcse": math.nan, "ess": 0.0, "conditioned": c.conditioned,
               "proved": c.proof() if c.proof else None}
        if len(computed):
            position = table.index.get_indexer(computed)
            w = weights[position] / weights[position].sum()
            x = c.test(table.loc[computed]).to_numpy(float)
            share, mcse = sampler.weighted_mean(x, w)
            row.update(share=share, mcse=mcse, ess=ess(w))
        rows[cid] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def distinct(batch, column: str) -> int:
    """How many different datasets the batch holds as far as `column` goes (patients within an arm
    in any order; a missing value is one value, equal to every other missing value)."""
    msc, placebo = (np.sort(np.nan_to_num(a, nan=-np.inf), axis=1) for a in _column(batch, column))
    return len(np.unique(np.c_[msc, placebo], axis=0))


def verdict(share: float, mcse: float, conditioned: bool = False, proved: bool | None = None,
            counterexample: bool = False) -> str:
    """'by construction' (a claim the sampler conditions on), 'proved in every consistent dataset' or
    'proved in none' (derived from the claims), 'counterexample found' (a consistent dataset in which
    it fails, found by `counterexample.search`), 'not computed', 'in every dataset drawn' or 'in none
    drawn' (an estimate: the datasets not drawn may differ), else 'depends'."""
    if conditioned:
        return "by construction"
    if proved is not None and proved == proved:
        if proved and counterexample:
            raise ValueError("a conclusion proved in every consistent dataset cannot have a counterexample")
        return "proved in every consistent dataset" if proved else "proved in none"
    if counterexample:
        return "counterexample found"
    if share != share:
        return "not computed"
    if share == 1:
        return "in every dataset drawn"
    if share == 0:
        return "in none drawn"
    return "depends"


# The statistics the abstract leaves open that are cheap for a whole batch (BATCHED), and the two
# descriptions of a dataset: the committed dataset is the one nearest their weighted medians.
TYPICAL = ("deaths", "pf_change_sd", "pf_change_day7.both.p", "o2_free_days_28.both.p",
           "hospital_stay.both.p_exact", "hospital_stay.both.p_logrank")


def percentile_of(x, weights, values) -> np.ndarray:
    """The mid-percentile of each of `values` among the weighted x (share below plus half the share equal)."""
    x, w = np.asarray(x, float), np.asarray(weights, float) / np.sum(weights)
    v = np.atleast_1d(np.asarray(values, float))[:, None]
    return (w[None, :] * (x[None, :] < v)).sum(1) + (w[None, :] * (x[None, :] == v)).sum(1) / 2


def weighted_percentile(x, weights) -> np.ndarray:
    """Each value's mid-percentile among the weighted values."""
    return percentile_of(x, weights, x)


def typical(batch, columns=TYPICAL) -> pd.DataFrame:
    """Every dataset of the batch, nearest first: its weighted percentile on each of `columns` and the
    largest distance of those from the median (50%), by which they are ordered (ties: the heavier first)."""
    table = values(batch, [c for c in columns if c in BATCHED])
    out = pd.DataFrame({c: weighted_percentile(table[c], batch.weights) for c in columns})
    out["distance"] = (out[list(columns)] - 0.5).abs().max(axis=1)
    out["weight"] = batch.weights
    out["dataset"] = np.arange(len(batch))
    return out.sort_values(["distance", "weight"], ascending=[True, False], kind="stable").reset_index(drop=True)


def committed_table(batch, variants: dict, reweight) -> pd.DataFrame:
    """What data/reconstructed/pinned.csv holds: per dataset of the book's batch, its weight under each
    variant of the model (`weight.<label>`, from `reweight(batch, **overrides)`), then `values` of
    every open result."""
    weights = pd.DataFrame({f"weight.{label}": reweight(batch, **overrides) if overrides else batch.weights
                            for label, overrides in variants.items()})
    table = values(batch)
    table.attrs = {}
    return pd.concat([pd.DataFrame({"dataset": np.arange(len(batch))}), weights, table], axis=1)


def reconstruct(seed: int = sampler.DEFAULT_SEED, n: int | None = None,
                processes: int = 1) -> tuple[pd.DataFrame, sampler.Batch]:
    """The book's dataset: a batch of n datasets (sampler.BOOK_DATASETS by default) and, from it, the
    typical one (`typical`: nearest the weighted medians of the statistics the abstract leaves open)."""
    batch = sampler.sample(n or sampler.BOOK_DATASETS, seed, processes)
    return batch.frame(typical(batch)["dataset"].iloc[0]), batch


def load_committed(path) -> pd.DataFrame:
    return pd.read_csv(path)
