"""Clinical coherence: what a clinician would not believe of a patient, rule by rule.

Unlike the contract in covidat.data (which rejects a file that contradicts itself), these
rules are judgements: supplied data get them as warnings, never a rejection. The
reconstruction is built so that it breaks none (its assumptions, ids in RULES' sources).
"""
import pandas as pd

ROOM_AIR_PF = 300  # above this PaO2/FiO2 a patient is outside the ARDS range (Berlin definition)
ELIGIBLE_PF = 200  # the trial enrolled moderate to severe ARDS: PaO2/FiO2 200 or less
SEVERE_PF = 100  # severe ARDS (Berlin definition)
MIN_O2_DAYS = 3
SEVERE_MIN_O2_DAYS = 10  # a ventilated or severely hypoxaemic patient is not off oxygen sooner
VENTILATED_TO_HOME = 7  # days a patient ventilated at day 7 needs at least before discharge
VENTILATED_GAP = 2  # a patient ventilated at day 7 does not go home within this many days of stopping oxygen
MAX_WHO_FALL = 2  # a larger fall of the WHO score within 7 days is implausible in ARDS
NASAL_PF = (150, 400)  # PaO2/FiO2 plausible on conventional oxygen (WHO 4)
SAME_STAY = 5  # this many patients or more with the same stay is a pattern worth a look


def _rules(p: pd.DataFrame) -> dict:
    """rule -> (boolean Series of patients breaking it, message)."""
    off_o2 = p["who_day7"] == 3
    high_support = p["who_day7"].isin([5, 6])
    pf7 = p["pf_day7"]
    gone_before_day7 = ((p["died"] == 1) & (p["death_day"] <= 7)) | ((p["discharged"] == 1) & (p["hospital_days"] < 7))
    severe = (p["who_day0"] == 6) | (p["pf_day0"] <= SEVERE_PF)
    alive_day7 = p["who_day7"] < 7
    return {
        "baseline_pf_not_eligible": ((p["pf_day0"] > ELIGIBLE_PF).fillna(False),
                                     f"baseline PaO2/FiO2 above {ELIGIBLE_PF} (the trial enrolled moderate to "
                                     "severe ARDS)"),
        "severe_off_oxygen_fast": ((severe & (p["o2_event"] == 1) & (p["o2_days"] < SEVERE_MIN_O2_DAYS)).fillna(False),
                                   f"ventilated or PaO2/FiO2 {SEVERE_PF} or less at baseline, off oxygen before day "
                                   f"{SEVERE_MIN_O2_DAYS}"),
        "who_fall_too_fast": ((alive_day7 & (p["who_day0"] - p["who_day7"] > MAX_WHO_FALL)).fillna(False),
                              f"WHO score falls by more than {MAX_WHO_FALL} points in 7 days"),
        "nasal_oxygen_pf": (((p["who_day7"] == 4) & ((pf7 < NASAL_PF[0]) | (pf7 > NASAL_PF[1]))).fillna(False),
                            f"on conventional oxygen at day 7 with PaO2/FiO2 outside {NASAL_PF[0]}-{NASAL_PF[1]}"),
        "ventilated_home_right_after_oxygen": (((p["who_day7"] == 6) & (p["discharged"] == 1) & (p["o2_event"] == 1)
                                                & (p["hospital_days"] - p["o2_days"] <= VENTILATED_GAP)).fillna(False),
                                               f"ventilated at day 7, home within {VENTILATED_GAP} days of stopping "
                                               "oxygen"),
        "off_oxygen_low_pf": ((off_o2 & (pf7 <= ROOM_AIR_PF)).fillna(False),
                              f"off oxygen at day 7 but PaO2/FiO2 {ROOM_AIR_PF} or less (hypoxaemic on room air)"),
        "ventilated_high_pf": ((high_support & (pf7 > ROOM_AIR_PF)).fillna(False),
                               f"on ventilation or high-flow at day 7 with PaO2/FiO2 above {ROOM_AIR_PF}"),
        "early_oxygen_stop": (((p["o2_event"] == 1) & (p["o2_days"] < MIN_O2_DAYS)).fillna(False),
                              f"oxygen stopped before day {MIN_O2_DAYS} in ARDS"),
        "home_soon_after_ventilation": (((p["who_day7"] == 6) & (p["discharged"] == 1)
                                         & (p["hospital_days"] < 7 + VENTILATED_TO_HOME)).fillna(False),
                                        f"ventilated at day 7, home within {VENTILATED_TO_HOME} days"),
        "home_on_oxygen": (((p["discharged"] == 1) & (p["o2_event"] == 1)
                            & (p["hospital_days"] <= p["o2_days"])).fillna(False),
                           "discharged on or before the day oxygen stopped"),
        "baseline_not_ards_support": ((~p["who_day0"].isin([5, 6])).fillna(False),
                                      "baseline WHO score is not 5 or 6 (ARDS needs high-flow or ventilation)"),
        "day7_value_after_leaving": ((gone_before_day7 & pf7.notna()).fillna(False),
                                     "a day-7 PaO2/FiO2 for a patient who died or left before day 7"),
        "death_not_censoring_oxygen": (((p["died"] == 1) & ((p["o2_event"] == 1) | (p["o2_days"] != p["death_day"])))
                                       .fillna(False), "a death should censor oxygen time at the day of death"),
    }


def rules() -> pd.DataFrame:
    """Every rule with its message, for the book's tables."""
    empty = pd.DataFrame({c: pd.Series(dtype=float) for c in (
        "who_day0", "who_day7", "pf_day0", "pf_day7", "died", "death_day", "discharged", "hospital_days",
        "o2_event", "o2_days")})
    return pd.DataFrame([(rule, message) for rule, (_, message) in _rules(empty).items()],
                        columns=["rule", "message"])


def violations(patients: pd.DataFrame) -> pd.DataFrame:
    """One row per broken rule per patient: patient_id, rule, message (empty when coherent)."""
    rows = []
    for rule, (broken, message) in _rules(patients).items():
        for patient_id in patients.loc[broken.astype(bool), "patient_id"]:
            rows.append({"patient_id": patient_id, "rule": rule, "message": message})
    return pd.DataFrame(rows, columns=["patient_id", "rule", "message"])


def patterns(patients: pd.DataFrame, by: tuple = ()) -> pd.DataFrame:
    """Dataset-level patterns worth a look (not errors): groups of SAME_STAY or more patients of an arm
    with the same hospital stay. One row per group: arm, stay (days), patients (first, the columns
    `by`, for a table of many datasets)."""
    counts = patients.groupby([*by, "arm", "hospital_days"]).size().rename("patients").reset_index()
    return counts[counts["patients"] >= SAME_STAY].rename(columns={"hospital_days": "stay"}).reset_index(drop=True)


def by_dataset(table: pd.DataFrame) -> pd.DataFrame:
    """`violations` and `patterns` for many datasets at once (a `dataset` column says whose each patient
    is, as in sampler.Batch.table): one row per dataset, in its order, with the number of rows each
    would return for that dataset alone."""
    broken = sum(b.astype(int) for b, _ in _rules(table).values()).groupby(table["dataset"]).sum()
    found = patterns(table, by=("dataset",)).groupby("dataset").size()
    return pd.DataFrame({"violations": broken, "patterns": found.reindex(broken.index, fill_value=0)})
