"""The published claims (data/published/claims.csv), the rule that decides whether one holds, and their words.

Checking claims against a dataset needs the analyses: it lives above both, in `covidat.beyond.scorecard`."""
import pandas as pd

from covidat.data.contract import PUBLISHED, Column, read_table

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


def published_text(claim) -> str:
    """The number as the source printed it ("28", "17.5", "0.033", "> 0.05"), not padded to `decimals`."""
    number = f"{claim.value:g}"
    return number if claim.relation == "=" else f"{claim.relation} {number}"


ENDPOINT_WORDS = {
    "randomised": "Patients randomised", "pf_change_day7": "Rise in PaO2/FiO2 to day 7 (mmHg)",
    "who_improved_day7": "Improved on the WHO scale at day 7", "o2_discontinuation": "Days to stopping oxygen",
    "hospital_stay": "Days in hospital", "o2_free_days_28": "Oxygen-free days to day 28",
    "mortality_day28": "Deaths by day 28", "other_secondary": "Other secondary endpoints",
    "treatment_related_sae": "Treatment-related serious adverse events",
}
ARM_WORDS = {"msc": "MSC", "placebo": "placebo", "both": "both arms"}
STATISTIC_WORDS = {"n": "count", "pct": "percentage", "p": "p-value"}


def claim_label(claim_id: str) -> str:
    """A claim id in words: 'hospital_stay.placebo.median' -> 'Days in hospital: placebo, median'."""
    endpoint, arm, statistic = claim_id.split(".")
    return (f"{ENDPOINT_WORDS.get(endpoint, endpoint)}: {ARM_WORDS.get(arm, arm)}, "
            f"{STATISTIC_WORDS.get(statistic, statistic)}")
