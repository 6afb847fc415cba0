"""The effect sizes the book reports side by side: their scale, unit and how much each owes to the reconstruction.

Each effect is a result id of `covidat.endpoints.results` (computed there, never here); this module
only says how to read it. `provenance` is one of PROVENANCE: an estimate is "derived from published
numbers" when the abstract's numbers alone fix it (and its interval), "reconstructed" when it needs
patient-level values that the abstract does not give.
"""
from dataclasses import dataclass

import pandas as pd

PROVENANCE = ("published", "derived from published numbers", "reconstructed")


@dataclass(frozen=True)
class Effect:
    label: str
    scale: str  # "ratio" (no effect = 1) or "difference" (no effect = 0)
    unit: str
    provenance: str
    note: str


EFFECTS = {
    "pf_change_day7.both.mean_difference": Effect(
        "PaO2/FiO2 change, mean difference", "difference", "mmHg", "reconstructed",
        "the estimate is the difference of the published means; its interval needs the spread, "
        "which is not published"),
    "pf_change_day7.both.ancova_difference": Effect(
        "PaO2/FiO2 change, adjusted for baseline", "difference", "mmHg", "reconstructed",
        "needs each patient's baseline and day-7 values"),
    "who_improved_day7.both.risk_difference": Effect(
        "Improved by day 7, risk difference", "difference", "proportion", "derived from published numbers",
        "the published counts fix the estimate and its interval"),
    "who_day7.both.common_odds_ratio": Effect(
        "WHO scale at day 7, common odds ratio", "ratio", "odds ratio", "reconstructed",
        "needs each patient's WHO category"),
    "o2_discontinuation.both.hazard_ratio": Effect(
        "Stopping oxygen, hazard ratio", "ratio", "hazard ratio", "reconstructed",
        "needs each patient's time to stopping oxygen"),
    "hospital_stay.both.hodges_lehmann": Effect(
        "Hospital stay, Hodges–Lehmann shift", "difference", "days", "reconstructed",
        "needs each patient's length of stay"),
}


def effect_table(results: pd.DataFrame) -> pd.DataFrame:
    """The rows of a `covidat.endpoints.results` table that are effect sizes, in EFFECTS order,
    with label, scale, unit, provenance and note (ids not in `results` are left out)."""
    present = results.set_index("result_id")
    rows = [{"result_id": rid, **vars(effect), **present.loc[rid, ["value", "ci_low", "ci_high", "method"]]}
            for rid, effect in EFFECTS.items() if rid in present.index]
    return pd.DataFrame(rows, columns=["result_id", "label", "scale", "unit", "provenance", "note",
                                       "value", "ci_low", "ci_high", "method"])
