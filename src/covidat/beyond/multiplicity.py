"""The published p-values adjusted for multiple testing (Holm, Hochberg, Benjamini–Hochberg), and the
confirmatory reading: a fixed sequence (gatekeeping) that tests the primary endpoint first.

Published p-values come only from data/published/claims.csv. A result published only as "not
significant" (relation '>') has no p-value; it enters twice, as a bracket: conservatively as p = 1,
and optimistically just above the published bound. Every adjusted p-value of these procedures
rises with each raw p-value, so the two runs bound what the unknown p-values could give.

Families: the four tests the abstract reports, and every outcome in data/design/endpoints.csv
(registered outcomes plus the reported, unregistered time to stopping oxygen), each paired with
the claim that reports it, if any; outcomes covered only by the blanket "no significant difference"
take that claim (other_secondary.both.p).
"""
import math

import pandas as pd
from statsmodels.stats.multitest import multipletests

from covidat import ROOT
from covidat.data.claims import load_claims

METHODS = {"holm": "Holm", "simes-hochberg": "Hochberg", "fdr_bh": "Benjamini–Hochberg"}
REPORTED = ("pf_change_day7.both.p", "who_improved_day7.both.p", "o2_discontinuation.both.p",
            "hospital_stay.both.p")
BLANKET = "other_secondary.both.p"
# Outcome in data/design/endpoints.csv -> the claim that reports its p-value.
OUTCOME_CLAIMS = {
    "change in PaO2/FiO2 from baseline": "pf_change_day7.both.p",
    "clinical status on the WHO 7-point ordinal scale": "who_improved_day7.both.p",
    "duration of hospital stay": "hospital_stay.both.p",
    "time to discontinuation of supplemental oxygen": "o2_discontinuation.both.p",
}


def adjust(pvalues: pd.Series, alpha: float = 0.05) -> pd.DataFrame:
    """Adjusted p-values by each method in METHODS (columns named by method key), one row per test."""
    adjusted = {key: multipletests(pvalues.to_numpy(float), alpha=alpha, method=key)[1] for key in METHODS}
    return pd.DataFrame(adjusted, index=pvalues.index).assign(p=pvalues)[["p", *METHODS]]


def entered_p(claim, bound: str) -> float:
    """The p-value a claim enters with: its value, or for 'p > x' either 1 ('conservative') or the
    next representable number above x ('optimistic')."""
    if claim.relation == "=":
        return float(claim.value)
    if claim.relation != ">":
        raise ValueError(f"cannot enter a p-value published as {claim.relation} {claim.value}")
    return 1.0 if bound == "conservative" else math.nextafter(float(claim.value), 1.0)


def family(claim_ids, bound: str, claims: pd.DataFrame | None = None, names=None) -> pd.Series:
    table = (load_claims() if claims is None else claims).set_index("claim_id")
    return pd.Series([entered_p(table.loc[c], bound) for c in claim_ids],
                     index=list(names) if names is not None else list(claim_ids), dtype=float)


def reported_family(bound: str, claims: pd.DataFrame | None = None) -> pd.Series:
    """The abstract's four tests, indexed by claim id."""
    return family(REPORTED, bound, claims)


def outcome_family(bound: str, claims: pd.DataFrame | None = None,
                   outcomes: pd.DataFrame | None = None) -> pd.Series:
    """Every outcome in endpoints.csv, indexed by outcome name."""
    outcomes = pd.read_csv(ROOT / "data" / "design" / "endpoints.csv") if outcomes is None else outcomes
    names = outcomes["endpoint"]
    return family([OUTCOME_CLAIMS.get(n, BLANKET) for n in names], bound, claims, names)


def survivors(adjusted: pd.DataFrame, alpha: float = 0.05) -> dict[str, list[str]]:
    """For each method, the tests still below alpha after adjustment."""
    return {key: [str(i) for i in adjusted.index[adjusted[key] < alpha]] for key in METHODS}


def fixed_sequence(pvalues: pd.Series, alpha: float = 0.05) -> pd.DataFrame:
    """Fixed-sequence (hierarchical) testing in the order of `pvalues`: each hypothesis is tested at the
    full `alpha` only if every one before it was rejected; the first not rejected closes the gate on all
    after it. The adjusted p of the k-th test is the largest raw p among the first k (it controls the
    familywise error rate in the strong sense when the order is fixed before the data are seen).
    Columns: p, adjusted, rejected, and `gate`: which earlier test stopped the sequence (empty if none)."""
    adjusted = pvalues.cummax()
    rejected = adjusted < alpha
    first_fail = pvalues.index[~rejected.to_numpy()][0] if (~rejected).any() else ""
    gate = ["" if r or i == first_fail else first_fail for i, r in zip(pvalues.index, rejected)]
    return pd.DataFrame({"p": pvalues, "adjusted": adjusted, "rejected": rejected, "gate": gate})
