"""The inputs of the next-trial plan: what they are derived from, and that no rate is planned as zero."""
import math

import pytest
from scipy import stats

from covidat.data import load_dataset
from covidat.data.claims import load_claims
from covidat.planning import next_trial


@pytest.fixture(scope="module")
def inputs():
    return next_trial.planning_inputs(load_dataset().patients).set_index("quantity")["value"]


def test_improvement_rates_follow_laplaces_rule_and_are_never_zero(inputs):
    """Catches planning on a placebo rate of exactly 0, which makes any exact test look cheap."""
    claims = load_claims().set_index("claim_id")["value"]
    placebo = inputs["proportion improved, placebo (Laplace's rule)"]
    assert placebo == pytest.approx((claims["who_improved_day7.placebo.n"] + 1) / (claims["randomised.placebo.n"] + 2))
    assert 0 < placebo < inputs["proportion improved, MSC (Laplace's rule)"] < 1


def test_both_readings_of_the_oxygen_hazard_ratio_are_planned(inputs):
    claims = load_claims().set_index("claim_id")["value"]
    z = stats.norm.isf(claims["o2_discontinuation.both.p"] / 2)
    assert inputs[next_trial.P_VALUE_HR] == pytest.approx(math.exp(2 * z / math.sqrt(claims["randomised.both.n"])))
    assert inputs[next_trial.MEDIAN_HR] == pytest.approx(claims["o2_discontinuation.placebo.median"]
                                                         / claims["o2_discontinuation.msc.median"])
    endpoints = {s.endpoint for s in next_trial.scenarios(inputs.reset_index().rename(columns={"index": "quantity"}))}
    assert {"o2_discontinuation", "o2_discontinuation_p"} <= endpoints
