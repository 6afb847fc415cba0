"""What a confirmatory trial would be planned for: the effects assumed on each key endpoint, and their source.

Each effect is taken as estimated and, as a planning margin against an optimistic estimate from a
small trial, shrunk halfway to no effect: half the difference, or the square root of a ratio (half its
logarithm). `provenance` says where each input comes from.

Two readings of the oxygen result are planned for side by side: the hazard ratio as the ratio of the
published medians (exact only for exponential times) and the hazard ratio the published log-rank
p-value implies by Schoenfeld's formula, taking every randomised patient as an event (the fewest events
give the largest ratio, so this is the smallest ratio the p-value allows). The proportions improved are
estimated by Laplace's rule, (events + 1) / (patients + 2), so that no rate is planned as exactly zero.
"""

import pandas as pd

from covidat.data import literature
from covidat.planning import power
from covidat.data.claims import load_claims
from covidat.endpoints import oxygenation
from covidat.planning.simulation import (Scenario, fisher_power, fisher_pvalues, logrank_pvalues,
                                         schoenfeld_hazard_ratio, schoenfeld_power, t_test_power,
                                         two_proportion_power, two_proportion_pvalues, welch_pvalues)

SHRINKAGE = {"as estimated": 1.0, "halved": 0.5}
MEDIAN_HR = "hazard ratio of stopping oxygen (placebo median / MSC median)"
P_VALUE_HR = "hazard ratio of stopping oxygen implied by the log-rank p (Schoenfeld, every patient an event)"


def laplace(events: float, patients: float) -> float:
    """Laplace's rule of succession: (events + 1) / (patients + 2)."""
    return (events + 1) / (patients + 2)


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
        ("pf_change", "SD of the change (mmHg)", oxygenation.pf_change_day7(patients).get("both", "sd_pooled"), "reconstructed"),
        ("improvement", "proportion improved, MSC (Laplace's rule)",
         laplace(published["who_improved_day7.msc.n"], published["randomised.msc.n"]), "derived from published numbers"),
        ("improvement", "proportion improved, placebo (Laplace's rule)",
         laplace(published["who_improved_day7.placebo.n"], published["randomised.placebo.n"]),
         "derived from published numbers"),
        ("o2_discontinuation", MEDIAN_HR,
         published["o2_discontinuation.placebo.median"] / published["o2_discontinuation.msc.median"],
         "derived from published numbers"),
        ("o2_discontinuation_p", P_VALUE_HR,
         schoenfeld_hazard_ratio(published["o2_discontinuation.both.p"], published["randomised.both.n"]),
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
    p_msc = value["proportion improved, MSC (Laplace's rule)"]
    p_placebo = value["proportion improved, placebo (Laplace's rule)"]
    hr, hr_p = value[MEDIAN_HR], value[P_VALUE_HR]
    odds_ratio, risk = value["odds ratio of death (pooled trials)"], value["risk of death, control (pooled trials)"]
    out = []
    for effect, k in SHRINKAGE.items():
        d, p1, h, h_p = k * difference, p_placebo + k * (p_msc - p_placebo), hr ** k, hr_p ** k
        death = _with_odds_ratio(risk, odds_ratio ** k)
        out += [
            Scenario("pf_change", effect, welch_pvalues(d, sd), lambda n, d=d: t_test_power(n, d, sd, alpha)),
            Scenario("improvement", effect, fisher_pvalues(p1, p_placebo),
                     lambda n, p1=p1: fisher_power(n, p1, p_placebo, alpha)),
            Scenario("o2_discontinuation", effect, logrank_pvalues(h),
                     lambda n, h=h: schoenfeld_power(2 * n, h, alpha)),
            Scenario("o2_discontinuation_p", effect, logrank_pvalues(h_p),
                     lambda n, h_p=h_p: schoenfeld_power(2 * n, h_p, alpha)),
            Scenario("mortality", effect, two_proportion_pvalues(death, risk),
                     lambda n, death=death: two_proportion_power(n, death, risk, alpha)),
        ]
    return out
