"""The published claims (data/published/claims.csv) and the rule that decides whether one holds."""
from dataclasses import dataclass

import pandas as pd

from covidat.data import PUBLISHED, Column, read_table
from covidat.endpoints import EndpointResult, analyse

CLAIM_COLUMNS = [
    Column("claim_id"), Column("endpoint"), Column("statistic"),
    Column("arm", allowed=("MSC", "placebo", "both")),
    Column("relation", allowed=("=", ">", "<")),
    Column("value", float), Column("decimals", int, low=0, high=6),
    Column("source"), Column("location"), Column("note", optional=True),
]


def load_claims(path=PUBLISHED / "claims.csv") -> pd.DataFrame:
    return read_table(path, CLAIM_COLUMNS, key="claim_id")


def holds(relation: str, published: float, decimals: int, reproduced: float) -> bool:
    """'=': the reproduced value rounds to the published one at the printed precision
    (either rounding of an exact half counts); '>' and '<': a bound such as p > 0.05."""
    if relation == ">":
        return reproduced > published
    if relation == "<":
        return reproduced < published
    return abs(reproduced - published) <= 0.5 * 10.0 ** -decimals * (1 + 1e-9)


@dataclass(frozen=True)
class Check:
    claim_id: str
    published: str
    reproduced: float | None
    method: str
    status: str  # "holds", "fails" or "not checkable"


def published_text(claim) -> str:
    """The number as the source printed it ("28", "17.5", "0.033", "> 0.05"), not padded to `decimals`."""
    number = f"{claim.value:g}"
    return number if claim.relation == "=" else f"{claim.relation} {number}"


def check(patients: pd.DataFrame, claims: pd.DataFrame | None = None) -> list[Check]:
    """Recompute every claim the patient data can reproduce and compare it with the published value."""
    claims = load_claims() if claims is None else claims
    results: dict[str, EndpointResult] = analyse(patients)
    checks = []
    for claim in claims.itertuples(index=False):
        result = results.get(claim.endpoint)
        if result is None or (claim.arm, claim.statistic) not in result.values:
            checks.append(Check(claim.claim_id, published_text(claim), None,
                                "not in the patient-level data", "not checkable"))
            continue
        value = result.get(claim.arm, claim.statistic)
        ok = holds(claim.relation, claim.value, claim.decimals, value)
        method = result.methods.get((claim.arm, claim.statistic), result.method)
        checks.append(Check(claim.claim_id, published_text(claim), value, method, "holds" if ok else "fails"))
    return checks


def check_table(checks: list[Check], endpoints: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The checks as a table; `endpoints` keeps only the claims about those endpoints (a chapter's)."""
    table = pd.DataFrame([c.__dict__ for c in checks])
    if endpoints is not None:
        table = table[table["claim_id"].str.split(".").str[0].isin(endpoints)].reset_index(drop=True)
    return table


CHECK_LABELS = {"claim_id": "Claim", "published": "Published", "reproduced": "Reproduced",
                "method": "How it was recomputed", "status": "Status"}
