"""What a confirmatory trial would be planned for: the effects assumed on each key endpoint, and their source.

Each effect is taken as estimated and, for the winner's curse (a small trial that crossed p < 0.05
tends to overstate its effect), shrunk halfway to no effect: half the difference, or the square root
of a ratio (half its logarithm). `provenance` says where each input comes from.
"""
import math

import pandas as pd

from covidat.data import literature
from covidat.planning import power
from covidat.data.claims import load_claims
from covidat.endpoints import by_arm
from covidat.planning.simulation import (Scenario, logrank_pvalues, schoenfeld_power, t_test_power,
                                      two_proportion_power, two_proportion_pvalues, welch_pvalues)

SHRINKAGE = {"as estimated": 1.0, "halved": 0.5}


def pooled_change_sd(patients: pd.DataFrame) -> float:
    """Pooled within-arm SD of the PaO2/FiO2 change to day 7 (complete cases)."""
    changes = [(p["pf_day7"] - p["pf_day0"]).dropna() for p in by_arm(patients).values()]
    dof = sum(len(c) - 1 for c in changes)
    return math.sqrt(sum((len(c) - 1) * c.var(ddof=1) for c in changes) / dof)


def planning_inputs(patients: pd.DataFrame, claims: pd.DataFrame | None = None,
                    trials: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per input: endpoint, quantity, value, provenance."""
    claims = load_claims() if claims is None else claims
    published = claims.set_index("claim_id")["value"]
    trials = literature.load_trials() if trials is None else trials
    effects = literature.mortality_effects(trials)
    pooled_rows = effects[effects["pooled"] == "yes"]
    rows = [
        ("pf_change", "difference in mean change (mmHg)", power.observed_difference(claims),
         "derived from published numbers"),
        ("pf_change", "SD of the change (mmHg)", pooled_change_sd(patients), "reconstructed"),
        ("improvement", "proportion improved, MSC", published["who_improved_day7.msc.pct"] / 100, "published"),
        ("improvement", "proportion improved, placebo", published["who_improved_day7.placebo.pct"] / 100,
         "published"),
        ("o2_discontinuation", "hazard ratio of stopping oxygen (placebo median / MSC median)",
         published["o2_discontinuation.placebo.median"] / published["o2_discontinuation.msc.median"],
         "derived from published numbers"),
        ("mortality", "odds ratio of death (pooled trials)", literature.pool(effects).odds_ratio, "literature"),
        ("mortality", "risk of death, control (pooled trials)",
         pooled_rows["control_events"].sum() / pooled_rows["control_n"].sum(), "literature"),
    ]
    return pd.DataFrame(rows, columns=["endpoint", "quantity", "value", "provenance"])


def _with_odds_ratio(risk: float, odds_ratio: float) -> float:
    odds = odds_ratio * risk / (1 - risk)
    return odds / (1 + odds)


def scenarios(inputs: pd.DataFrame, alpha: float = 0.05) -> list[Scenario]:
    """A Scenario per endpoint and shrinkage in SHRINKAGE, from `planning_inputs`."""
    value = dict(zip(inputs["quantity"], inputs["value"]))
    difference, sd = value["difference in mean change (mmHg)"], value["SD of the change (mmHg)"]
    p_msc, p_placebo = value["proportion improved, MSC"], value["proportion improved, placebo"]
    hr = value["hazard ratio of stopping oxygen (placebo median / MSC median)"]
    odds_ratio, risk = value["odds ratio of death (pooled trials)"], value["risk of death, control (pooled trials)"]
    out = []
    for effect, k in SHRINKAGE.items():
        d, p1, h = k * difference, p_placebo + k * (p_msc - p_placebo), hr ** k
        death = _with_odds_ratio(risk, odds_ratio ** k)
        out += [
            Scenario("pf_change", effect, welch_pvalues(d, sd), lambda n, d=d: t_test_power(n, d, sd, alpha)),
            Scenario("improvement", effect, two_proportion_pvalues(p1, p_placebo),
                     lambda n, p1=p1: two_proportion_power(n, p1, p_placebo, alpha)),
            Scenario("o2_discontinuation", effect, logrank_pvalues(h),
                     lambda n, h=h: schoenfeld_power(2 * n, h, alpha)),
            Scenario("mortality", effect, two_proportion_pvalues(death, risk),
                     lambda n, death=death: two_proportion_power(n, death, risk, alpha)),
        ]
    return out
