"""What the abstract pins down: the statistics it leaves open, across many datasets that all satisfy it.

A batch (`covidat.reconstruct.sample`) holds datasets drawn from the reconstruction's model of
patients conditioned on every published claim. `values` runs the book's own endpoint functions
on each dataset and returns one row per dataset and one column per result id (with `.ci_low` and
`.ci_high` where the result has a CI), plus two descriptions of each dataset (`deaths`, `pf_change_sd`).
`spread` summarises the columns, `shares` and `verdicts` say which conclusions hold in every
dataset and which depend on the reconstruction.
"""
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from covidat import endpoints
from covidat.claims import load_claims
from covidat.consistency import min_sd_not_significant

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
# Endpoints whose results depend only on each arm's count of improved patients: they run once per
# distinct pair of counts (the claims fix the counts, so in practice once per batch).
COUNT_ONLY = {"who_improved_day7"}
DESCRIPTIONS = {
    "deaths": "Deaths during follow-up (both arms)",
    "pf_change_sd": "SD of the PaO2/FiO2 change within an arm (root mean square of the two arms, mmHg)",
}


@cache
def sd_bound() -> float:
    """The smallest common SD of the change for which the published means are not significant
    (`covidat.consistency.min_sd_not_significant`: equal SDs, complete arms of the published size)."""
    claims = load_claims().set_index("claim_id")["value"]
    difference = claims["pf_change_day7.msc.mean"] - claims["pf_change_day7.placebo.mean"]
    return min_sd_not_significant(difference, int(claims["randomised.msc.n"]),
                                  alpha=claims["pf_change_day7.both.p"])


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


def _improved_counts(frame: pd.DataFrame) -> tuple[int, int]:
    return tuple(int(frame.loc[frame["arm"] == arm, "improved_day7"].sum()) for arm in endpoints.ARMS)


def produced(result_ids, frame: pd.DataFrame) -> list[str]:
    """The ids among `result_ids` that the endpoint functions return for `frame` (the others are pending)."""
    found = []
    for rid in result_ids:
        f = endpoints.ENDPOINTS.get(endpoint_of(rid))
        if f is not None and _key(rid) in f(frame).values:
            found.append(rid)
    return found


def describe(batch) -> pd.DataFrame:
    """What each dataset assumed where the abstract is silent: deaths, and the spread of the change."""
    columns, msc = batch.columns, np.asarray(batch.arm) == "MSC"
    change = columns["pf_day7"].astype(float) - columns["pf_day0"].astype(float)
    variances = [np.nanvar(change[:, arm], axis=1, ddof=1) for arm in (msc, ~msc)]
    return pd.DataFrame({"deaths": np.nansum(columns["died"].astype(float), axis=1).astype(int),
                         "pf_change_sd": np.sqrt((variances[0] + variances[1]) / 2)})


def values(batch, result_ids=tuple(OPEN_RESULTS)) -> pd.DataFrame:
    """One row per dataset: each result id (NaN where no endpoint produces it yet), its CI bounds
    where it has a CI, and the `describe` columns."""
    frames = list(batch.frames())
    by_endpoint: dict[str, list[str]] = {}
    for rid in result_ids:
        by_endpoint.setdefault(endpoint_of(rid), []).append(rid)
    rows = [{} for _ in frames]
    for name, ids in by_endpoint.items():
        f = endpoints.ENDPOINTS.get(name)
        if f is None:
            continue
        if name in COUNT_ONLY:
            cache = {}
            for row, frame in zip(rows, frames):
                counts = _improved_counts(frame)
                if counts not in cache:
                    cache[counts] = _row(f(frame), ids)
                row.update(cache[counts])
        else:
            for row, frame in zip(rows, frames):
                row.update(_row(f(frame), ids))
    table = pd.DataFrame(rows, index=range(len(frames))).reindex(
        columns=_columns(result_ids, rows), fill_value=math.nan)
    return pd.concat([table, describe(batch)], axis=1)


def _columns(result_ids, rows) -> list[str]:
    present = set().union(*rows) if rows else set()
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
    """Per conclusion, the share of datasets in which it holds (NaN if a column it needs is missing)."""
    out = {}
    for cid, c in conclusions.items():
        if any(n not in table or table[n].isna().all() for n in c.needs):
            out[cid] = math.nan
        else:
            out[cid] = float(c.test(table).mean())
    return pd.Series(out, dtype=float)


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
