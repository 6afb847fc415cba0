"""The effect sizes the book reports side by side: their scale, unit and how much each owes to the reconstruction.

Each effect is a result id of `covidat.endpoints.results` (computed there, never here); this module
only says how to read it. `provenance` is one of PROVENANCE: an estimate is "derived from published
numbers" when the abstract's numbers alone fix it (and its interval), "reconstructed" when it needs
patient-level values that the abstract does not give.
"""
from dataclasses import dataclass

import altair as alt
import pandas as pd

PROVENANCE = ("published", "derived from published numbers", "reconstructed")
COLOURS = dict(zip(PROVENANCE, ("#000000", "#117733", "#882255")))
LOG_TICKS = [0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100]


@dataclass(frozen=True)
class Effect:
    label: str
    scale: str  # "ratio" (no effect = 1) or "difference" (no effect = 0)
    unit: str
    provenance: str
    note: str
    factor: float = 1.0  # shown as value x factor: a proportion difference in percentage points, as in the prose


EFFECTS = {
    "pf_change_day7.both.mean_difference": Effect(
        "PaO2/FiO2 change, mean difference", "difference", "mmHg", "reconstructed",
        "the estimate is the difference of the published means; its interval needs the spread, "
        "which is not published"),
    "pf_change_day7.both.ancova_difference": Effect(
        "PaO2/FiO2 change, adjusted for baseline", "difference", "mmHg", "reconstructed",
        "needs each patient's baseline and day-7 values"),
    "who_improved_day7.both.risk_difference": Effect(
        "Improved by day 7, risk difference", "difference", "percentage points", "derived from published numbers",
        "the published counts fix the estimate and its interval", factor=100.0),
    "who_day7.both.common_odds_ratio": Effect(
        "WHO scale at day 7, common odds ratio", "ratio", "ratio, MSC against placebo", "reconstructed",
        "needs each patient's WHO category"),
    "o2_discontinuation.both.hazard_ratio": Effect(
        "Stopping oxygen, hazard ratio", "ratio", "ratio, MSC against placebo", "reconstructed",
        "needs each patient's time to stopping oxygen"),
    "hospital_stay.both.hodges_lehmann": Effect(
        "Hospital stay, Hodges–Lehmann shift", "difference", "days", "reconstructed",
        "needs each patient's length of stay"),
}


def effect_table(results: pd.DataFrame) -> pd.DataFrame:
    """The rows of a `covidat.endpoints.results` table that are effect sizes, in EFFECTS order,
    with label, scale, unit, provenance and note (ids not in `results` are left out)."""
    present = results.set_index("result_id")
    rows = [{"result_id": rid, **{k: v for k, v in vars(effect).items() if k != "factor"},
             **{k: effect.factor * present.loc[rid, k] for k in ("value", "ci_low", "ci_high")},
             "method": present.loc[rid, "method"]}
            for rid, effect in EFFECTS.items() if rid in present.index]
    return pd.DataFrame(rows, columns=["result_id", "label", "scale", "unit", "provenance", "note",
                                       "value", "ci_low", "ci_high", "method"])


def effect_chart(table: pd.DataFrame, description: str) -> alt.VConcatChart:
    """One panel per unit (ratios on a log axis), a point and 95% CI per effect, coloured by provenance;
    a dashed line marks no effect (1 for a ratio, 0 for a difference)."""
    present = [p for p in PROVENANCE if p in set(table["provenance"])]  # no legend entry without a point
    colours = alt.Scale(domain=present, range=[COLOURS[p] for p in present])
    legend = alt.Legend(labelLimit=320)
    panels = []
    for unit, rows in table.groupby("unit", sort=False):
        ratio = rows["scale"].iloc[0] == "ratio"
        # the line of no effect is always shown; padding keeps an interval's end off the plot's edge
        scale = alt.Scale(type="log", padding=12) if ratio else alt.Scale(zero=True, padding=12)
        axis = alt.Axis(values=LOG_TICKS) if ratio else alt.Axis()
        x_title = f"{unit} (log scale)" if ratio else unit
        base = alt.Chart(rows).encode(y=alt.Y("label:N", sort=list(rows["label"]), title=None,
                                               axis=alt.Axis(labelLimit=260)))
        panels.append(alt.layer(
            alt.Chart(rows).mark_rule(strokeDash=[4, 4], color="#767676").encode(x=alt.datum(1 if ratio else 0)),
            base.mark_rule(strokeWidth=2).encode(x=alt.X("ci_low:Q", scale=scale, axis=axis, title=x_title), x2="ci_high:Q",
                                                 color=alt.Color("provenance:N", scale=colours, title=None, legend=legend)),
            base.mark_point(filled=True, size=80).encode(
                x=alt.X("value:Q", scale=scale), color=alt.Color("provenance:N", scale=colours, title=None),
                tooltip=["label:N", alt.Tooltip("value:Q", format=".3g"), alt.Tooltip("ci_low:Q", format=".3g"),
                         alt.Tooltip("ci_high:Q", format=".3g"), "provenance:N"]),
        ).properties(width=300, height=alt.Step(28)))
    if not panels:
        panels = [alt.Chart(alt.Data(values=[{"text": "No effect size is available in this build."}]))
                  .mark_text(fontStyle="italic").encode(text="text:N").properties(width=300, height=40)]
    return alt.vconcat(*panels, description=description).resolve_scale(x="independent")
