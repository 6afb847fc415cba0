"""Power calculations (covidat.planning.power) and the design tables in data/design/."""
import csv

import numpy as np
import pytest
from scipy import stats

from covidat import ROOT
from covidat.planning import power
from covidat.data.claims import load_claims

DESIGN = ROOT / "data" / "design"
CONSORT_ITEMS = ["1a", "1b", "2a", "2b", "3a", "3b", "4a", "4b", "5", "6a", "6b", "7a", "7b",
                 "8a", "8b", "9", "10", "11a", "11b", "12a", "12b", "13a", "13b", "14a", "14b",
                 "15", "16", "17a", "17b", "18", "19", "20", "21", "22", "23", "24", "25"]
LEVELS = {"yes", "partly", "no"}
# The registered outcomes of NCT04615429 (primary first), named as in endpoints.csv.
REGISTERED = ["change in PaO2/FiO2 from baseline", "all-cause mortality", "time to PaO2/FiO2 above 200 mmHg",
              "clinical status on the WHO 7-point ordinal scale", "PaO2/FiO2 ratio", "SOFA score",
              "oxygen-therapy-free days", "duration of hospital stay", "duration of ICU stay",
              "incidence and duration of non-invasive ventilation",
              "incidence and duration of invasive mechanical ventilation", "ventilator-free days", "survival",
              "serious adverse events", "grade 3-4 adverse events", "adverse drug reactions", "laboratory markers"]


def rows(name):
    with (DESIGN / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def simulated_power(n, sd, difference, alpha=0.05, runs=20000, seed=1):
    rng = np.random.default_rng(seed)
    a = rng.normal(difference, sd, (runs, n))
    b = rng.normal(0.0, sd, (runs, n))
    return float((stats.ttest_ind(a, b, axis=1).pvalue < alpha).mean())


@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.1])
def test_power_at_zero_difference_is_alpha(alpha):
    curve = power.power_curve(10, [50, 100], [0.0], alpha=alpha)
    assert curve["power"].to_numpy() == pytest.approx(alpha, abs=1e-9)


def test_power_curve_is_tidy():
    curve = power.power_curve(10, [50, 75], [0, 10, 20])
    assert list(curve.columns) == ["difference", "sd", "power"]
    assert len(curve) == 6 and curve.groupby("sd").size().tolist() == [3, 3]
    assert curve["power"].between(0, 1).all()


def test_power_increases_with_difference_smaller_sd_and_n():
    differences = np.arange(0, 201, 5.0)
    for sd, group in power.power_curve(10, [50, 100], differences).groupby("sd"):
        assert np.all(np.diff(group["power"].to_numpy()) > 0), sd
    assert power.power(10, 50, 40) > power.power(10, 100, 40)
    by_n = [power.power(n, 75, 40) for n in (5, 10, 20, 40, 80)]
    assert np.all(np.diff(by_n) > 0)


def test_power_is_symmetric_in_the_sign_of_the_difference():
    assert power.power(10, 60, -30) == pytest.approx(power.power(10, 60, 30))


def test_power_agrees_with_simulated_t_tests():
    # Student's t-test on normal data: the noncentral-t power should match a simulation.
    assert power.power(10, 60, 50) == pytest.approx(simulated_power(10, 60, 50), abs=0.015)


@pytest.mark.parametrize("sd", [40, 75, 120])
@pytest.mark.parametrize("target", [0.5, 0.8, 0.9])
def test_detectable_difference_inverts_the_power_curve(sd, target):
    difference = power.detectable_difference(10, sd, power=target)
    assert power.power(10, sd, difference) == pytest.approx(target, abs=1e-6)
    assert power.power_curve(10, [sd], [difference])["power"].iloc[0] == pytest.approx(target, abs=1e-6)
    assert difference > 0


def test_detectable_difference_scales_with_sd_and_shrinks_with_n():
    assert power.detectable_difference(10, 100) == pytest.approx(2 * power.detectable_difference(10, 50))
    assert power.detectable_difference(40, 50) < power.detectable_difference(10, 50)


def test_required_n_is_the_smallest_that_reaches_the_target():
    n = power.required_n_per_arm(30, 75, power=0.8)
    assert power.power(n, 75, 30) >= 0.8 > power.power(n - 1, 75, 30)


@pytest.mark.parametrize("sd", [50, 80, 100])
def test_difference_ci_matches_scipy_on_samples_with_that_sd(sd):
    # Two samples of 10 with exactly the given SD and a difference of 25.7 in means.
    base = np.linspace(-1, 1, 10)
    base = (base - base.mean()) / base.std(ddof=1) * sd
    result = stats.ttest_ind(base + 25.7, base).confidence_interval(0.95)
    assert power.difference_ci(10, sd, 25.7) == pytest.approx((result.low, result.high))


def test_published_inputs_come_from_claims():
    claims = load_claims().set_index("claim_id")
    expected = claims.loc["pf_change_day7.msc.mean", "value"] - claims.loc["pf_change_day7.placebo.mean", "value"]
    assert power.observed_difference() == pytest.approx(expected, abs=1e-9)
    assert power.published_n_per_arm() == int(claims.loc["randomised.msc.n", "value"])


def test_unequal_published_arms_are_refused():
    claims = load_claims()
    claims.loc[claims["claim_id"] == "randomised.msc.n", "value"] = 11.0
    with pytest.raises(ValueError, match="1:1"):
        power.published_n_per_arm(claims)


def test_invalid_inputs_are_refused():
    with pytest.raises(ValueError):
        power.power(10, 0, 10)
    with pytest.raises(ValueError):
        power.power(1, 50, 10)
    with pytest.raises(ValueError):
        power.detectable_difference(10, -1)
    with pytest.raises(ValueError):
        power.required_n_per_arm(0, 50)
    with pytest.raises(ValueError):
        power.difference_ci(10, 0, 25)


def test_consort_has_every_item_once_with_valid_judgements():
    table = rows("consort.csv")
    assert list(table[0]) == ["item", "section", "topic", "abstract", "registration", "where", "note"]
    assert [r["item"] for r in table] == CONSORT_ITEMS
    for r in table:
        assert r["abstract"] in LEVELS and r["registration"] in LEVELS, r
        assert r["section"] in {"Title and abstract", "Introduction", "Methods", "Results", "Discussion",
                                "Other information"}, r
        assert r["topic"].strip() and r["where"].strip(), r
        if "yes" in (r["abstract"], r["registration"]) or "partly" in (r["abstract"], r["registration"]):
            assert r["where"] != "neither", r


def test_endpoints_lists_every_registered_outcome_once():
    table = rows("endpoints.csv")
    assert list(table[0]) == ["endpoint", "registered_as", "timepoint", "reported_in_abstract", "note"]
    registered = [r for r in table if r["registered_as"] in ("primary", "secondary")]
    assert all(r["registered_as"] in ("primary", "secondary", "not registered") for r in table)
    assert all(r["reported_in_abstract"] in LEVELS for r in table)
    assert [r["endpoint"] for r in registered if r["registered_as"] == "primary"] == [
        "change in PaO2/FiO2 from baseline"]
    names = [r["endpoint"] for r in registered]
    assert sorted(names) == sorted(REGISTERED), set(names) ^ set(REGISTERED)  # each once, none missing


def test_unregistered_oxygen_endpoint_is_flagged():
    table = {r["endpoint"]: r for r in rows("endpoints.csv")}
    oxygen = table["time to discontinuation of supplemental oxygen"]
    assert oxygen["registered_as"] == "not registered" and oxygen["reported_in_abstract"] == "yes"
    assert "oxygen-therapy-free days" in oxygen["note"]
    assert table["oxygen-therapy-free days"]["registered_as"] == "secondary"
