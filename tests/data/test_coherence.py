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
    (dict(died=1, death_day=7, o2_days=7, o2_event=0, hospital_days=7, discharged=0, who_day7=7),
     "day7_value_after_leaving"),  # death on day 7 leaves no day-7 value (the contract's <= 7)
    (dict(died=1, death_day=20, o2_days=6, o2_event=1, hospital_days=20, discharged=0), "death_not_censoring_oxygen"),
    (dict(pf_day0=220.0), "baseline_pf_not_eligible"),
    (dict(who_day0=6, who_day7=4, o2_days=9, hospital_days=12, pf_day7=250.0), "severe_off_oxygen_fast"),
    (dict(pf_day0=90.0, o2_days=9), "severe_off_oxygen_fast"),
    (dict(who_day0=6, o2_days=12, hospital_days=15), "who_fall_too_fast"),
    (dict(who_day7=4, o2_days=12, hospital_days=15, pf_day7=420.0), "nasal_oxygen_pf"),
    (dict(who_day7=4, o2_days=12, hospital_days=15, pf_day7=140.0), "nasal_oxygen_pf"),
    (dict(who_day0=6, who_day7=6, o2_days=25, hospital_days=27, pf_day7=150.0), "ventilated_home_right_after_oxygen"),
])
def test_each_rule_catches_its_case(changes, rule):
    assert rule in rules_broken(**changes)


@pytest.mark.parametrize("changes", [
    dict(pf_day0=200.0),  # the eligibility bound itself is eligible
    dict(pf_day0=101.0, o2_days=9, hospital_days=12),  # moderate ARDS on non-invasive support may stop early
    dict(who_day0=6, who_day7=4, o2_days=10, hospital_days=13, pf_day7=250.0),  # a fall of 2, off on day 10
    dict(who_day7=4, o2_days=12, hospital_days=15, pf_day7=400.0),
    dict(who_day0=6, who_day7=6, o2_days=25, hospital_days=28, pf_day7=150.0),  # 3 days after oxygen
])
def test_each_rule_spares_its_boundary(changes):
    assert rules_broken(**changes) == set()


def test_every_rule_is_listed():
    assert set(coherence.rules()["rule"]) == {
        "off_oxygen_low_pf", "ventilated_high_pf", "early_oxygen_stop", "home_soon_after_ventilation",
        "home_on_oxygen", "baseline_not_ards_support", "day7_value_after_leaving", "death_not_censoring_oxygen",
        "baseline_pf_not_eligible", "severe_off_oxygen_fast", "who_fall_too_fast", "nasal_oxygen_pf",
        "ventilated_home_right_after_oxygen"}


def test_patterns_find_five_identical_stays_in_an_arm_and_not_four():
    stays = [20, 20, 20, 20, 20, 21, 22, 23, 24, 25]
    frame = pd.DataFrame({"arm": ["MSC"] * 10 + ["placebo"] * 10,
                          "hospital_days": stays + [30, 30, 30, 30, 31, 32, 33, 34, 35, 36]})
    found = coherence.patterns(frame)
    assert found[["arm", "stay", "patients"]].values.tolist() == [["MSC", 20, 5]]


def test_committed_reconstruction_is_coherent():
    assert coherence.violations(load_dataset(DEFAULT_DATA).patients).empty


def test_by_dataset_counts_what_each_dataset_alone_gives():
    # Bug caught: a rule or a stay group mixing patients of different datasets, or counts in the wrong order.
    twin = pd.concat([one(patient_id=f"P{k:02d}", arm=arm, hospital_days=20 + k // 10 * 5)
                      for k, arm in enumerate(["MSC"] * 10 + ["placebo"] * 10)], ignore_index=True)
    datasets = [twin, twin.assign(pf_day7=250.0), twin.assign(hospital_days=range(20, 40)),
                load_dataset(DEFAULT_DATA).patients]
    table = pd.concat([d.assign(dataset=i) for i, d in enumerate(datasets)], ignore_index=True)
    expected = [[len(coherence.violations(d)), len(coherence.patterns(d))] for d in datasets]
    assert expected[1][0] > 0 and expected[0][1] > 0 and expected[2] == [0, 0]
    assert coherence.by_dataset(table)[["violations", "patterns"]].values.tolist() == expected
