"""Checking the published claims against a dataset: each claim recomputed (`check`), and the scorecard,
every claim against the number a dataset reproduces, with a status.

`python -m covidat check` prints it and chapters/16_scorecard shows it, both through `scorecard()`,
so the command and the page cannot disagree.
"""
from dataclasses import dataclass

import pandas as pd

from covidat import ROOT
from covidat.data.claims import ARM_WORDS, STATISTIC_WORDS, claim_label, holds, load_claims, published_text
from covidat.endpoints import EndpointResult, analyse


@dataclass(frozen=True)
class Check:
    claim_id: str
    published: str
    reproduced: float | None
    method: str
    status: str  # "holds", "fails" or "not checkable"


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
    """The checks as a table, each claim also in words (`claim`) and its status in the scorecard's words;
    `endpoints` keeps only the claims
    about those endpoints (a chapter's)."""
    table = pd.DataFrame([c.__dict__ for c in checks])
    table.insert(1, "claim", table["claim_id"].map(claim_label))
    table["status"] = table["status"].map(STATUS)  # the scorecard's words: reproduced, not reproduced, ...
    if endpoints is not None:
        table = table[table["claim_id"].str.split(".").str[0].isin(endpoints)].reset_index(drop=True)
    return table


CHECK_LABELS = {"claim": "Claim", "published": "Published", "reproduced": "Reproduced",
                "method": "How it was recomputed", "status": "Status"}
STATUS = {"holds": "reproduced", "fails": "not reproduced", "not checkable": "not reproducible from patient data"}
CHAPTERS = {  # the chapter that computes each endpoint's claims
    "randomised": "05_baseline", "pf_change_day7": "06_primary", "who_improved_day7": "07_improvement",
    "o2_discontinuation": "08_oxygen", "hospital_stay": "09_hospital", "o2_free_days_28": "10_secondary",
    "mortality_day28": "10_secondary", "other_secondary": "10_secondary", "treatment_related_sae": "11_safety",
}
NOT_ESTIMABLE = "not estimable"
COLUMNS = ["claim_id", "published", "reproduced", "difference", "status", "method", "chapter"]


def number(value: float | None, decimals: int, sign: bool = False) -> str:
    """A reproduced number with two more decimals than the published one, trailing zeros dropped;
    NaN (data that cannot give the statistic, e.g. a median no curve reaches) as "not estimable"."""
    if value is None:
        return ""
    if pd.isna(value):
        return NOT_ESTIMABLE
    text = f"{value:{'+' if sign else ''}.{decimals + 2}f}".rstrip("0").rstrip(".")
    return "0" if text in ("+0", "-0") else text


def scorecard(patients: pd.DataFrame, claims: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per claim: published and reproduced value (as text), their difference (for claims of
    equality), the status in words, the method and the chapter that computes it."""
    claims = load_claims() if claims is None else claims
    rows = []
    for claim, result in zip(claims.itertuples(index=False), check(patients, claims)):
        exact = claim.relation == "=" and not pd.isna(result.reproduced)  # None or NaN: no difference
        rows.append({
            "claim_id": claim.claim_id, "published": result.published,
            "reproduced": number(result.reproduced, claim.decimals),
            "difference": number(result.reproduced - claim.value, claim.decimals, sign=True) if exact else "",
            "status": STATUS[result.status], "method": result.method, "chapter": CHAPTERS.get(claim.endpoint, ""),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def counts(card: pd.DataFrame) -> dict[str, int]:
    """How many claims have each status (every status, zeros included)."""
    return {status: int((card["status"] == status).sum()) for status in STATUS.values()}


def summary(card: pd.DataFrame) -> str:
    return ", ".join(f"{n} {status}" for status, n in counts(card).items())


def chapter_exists(docname: str) -> bool:
    return any((ROOT / "chapters" / f"{docname}{suffix}").exists() for suffix in (".ipynb", ".md"))


def markdown(card: pd.DataFrame) -> str:
    """The scorecard as MyST tables, one per endpoint and method, each captioned with the method and
    a link to the chapter that computes it (where that chapter exists)."""
    def cell(text: str) -> str:
        return str(text).replace("|", "\\|")

    blocks = []
    for (endpoint, method, chapter), rows in card.groupby(
            [card["claim_id"].str.split(".").str[0], "method", "chapter"], sort=False):
        where = f" Computed in {{doc}}`{chapter}`." if chapter and chapter_exists(chapter) else ""
        lines = [f":::{{table}} `{endpoint}`: {cell(method)}.{where}", "",
                 "| Arm | Statistic | Published | Reproduced | Difference | Status |", "|---|---|---|---|---|---|"]
        for r in rows.itertuples(index=False):
            _, arm, statistic = r.claim_id.split(".")
            lines.append(f"| {ARM_WORDS.get(arm, arm)} | {STATISTIC_WORDS.get(statistic, statistic)} | "
                         f"{cell(r.published)} | {cell(r.reproduced)} | {cell(r.difference)} | **{r.status}** |")
        blocks.append("\n".join(lines + [":::"]))
    return "\n\n".join(blocks)


PATTERNS = [  # (what, rows it selects, why it matters)
    ("died during follow-up", lambda p: p["died"] == 1,
     "hospital stay is ranked on the day of death as on a discharge day; time to oxygen "
     "discontinuation is censored at death unless oxygen stopped before"),
    ("PaO2/FiO2 missing at day 7", lambda p: p["pf_day7"].isna(),
     "left out of the primary endpoint, which uses complete cases"),
    ("oxygen continued after discharge", lambda p: (p["discharged"] == 1) & (p["o2_days"] > p["hospital_days"]),
     "time to oxygen discontinuation runs past the hospital stay (home oxygen)"),
    ("oxygen not stopped during follow-up (censored)", lambda p: p["o2_event"] == 0,
     "censored in the Kaplan–Meier median and the log-rank test"),
    ("in hospital at the end of follow-up", lambda p: (p["discharged"] == 0) & (p["died"] == 0),
     "hospital stay is ranked on the censoring day as on a discharge day"),
]


def patterns(patients: pd.DataFrame) -> pd.DataFrame:
    """How many patients per arm show each pattern that real data may have and that changes an analysis."""
    rows = []
    for what, selects, why in PATTERNS:
        chosen = patients[selects(patients).fillna(False).astype(bool)]
        rows.append({"pattern": what, "msc": int((chosen["arm"] == "MSC").sum()),
                     "placebo": int((chosen["arm"] == "placebo").sum()), "why": why})
    return pd.DataFrame(rows)
