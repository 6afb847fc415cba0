"""Each coherence rule flags the patient it describes, and only then."""
import pandas as pd
import pytest

from covidat.data import coherence
from covidat.data import DEFAULT_DATA, load_dataset

COHERENT = dict(patient_id="P01", arm="MSC", pf_day0=120.0, pf_day7=350.0, who_day0=5, who_day7=3,
                improved_day7=1, o2_days=6, o2_event=1, hospital_days=12, discharged=1, died=0,
                death_day=pd.NA)


def one(**changes) -> pd.DataFrame:
    row = COHERENT | changes
    frame = pd.DataFrame([row])
    frame["death_day"] = frame["death_day"].astype("Int64")
    return frame


def rules_broken(**changes) -> set:
    return set(coherence.violations(one(**changes))["rule"])


def test_a_coherent_patient_breaks_nothing():
    assert rules_broken() == set()


@pytest.mark.parametrize("changes, rule", [
    (dict(pf_day7=250.0), "off_oxygen_low_pf"),
    (dict(who_day7=6, o2_days=30, hospital_days=40, pf_day7=320.0), "ventilated_high_pf"),
    (dict(o2_days=1), "early_oxygen_stop"),
    (dict(who_day7=6, pf_day7=150.0, o2_days=10, hospital_days=12), "home_soon_after_ventilation"),
    (dict(hospital_days=6), "home_on_oxygen"),
    (dict(who_day0=4), "baseline_not_ards_support"),
    (dict(died=1, death_day=5, o2_days=5, o2_event=0, hospital_days=5, discharged=0, who_day7=7),
     "day7_value_after_leaving"),
    (dict(died=1, death_day=20, o2_days=6, o2_event=1, hospital_days=20, discharged=0), "death_not_censoring_oxygen"),
])
def test_each_rule_catches_its_case(changes, rule):
    assert rule in rules_broken(**changes)


def test_every_rule_is_listed():
    assert set(coherence.rules()["rule"]) == {
        "off_oxygen_low_pf", "ventilated_high_pf", "early_oxygen_stop", "home_soon_after_ventilation",
        "home_on_oxygen", "baseline_not_ards_support", "day7_value_after_leaving", "death_not_censoring_oxygen"}


def test_committed_reconstruction_is_coherent():
    assert coherence.violations(load_dataset(DEFAULT_DATA).patients).empty
