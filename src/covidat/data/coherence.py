"""Clinical coherence: what a clinician would not believe of a patient, rule by rule.

Unlike the contract in covidat.data (which rejects a file that contradicts itself), these
rules are judgements: supplied data get them as warnings, never a rejection. The
reconstruction is built so that it breaks none (its assumptions, ids in RULES' sources).
"""
import pandas as pd

ROOM_AIR_PF = 300  # above this PaO2/FiO2 a patient is outside the ARDS range (Berlin definition)
MIN_O2_DAYS = 3
VENTILATED_TO_HOME = 7  # days a patient ventilated at day 7 needs at least before discharge


def _rules(p: pd.DataFrame) -> dict:
    """rule -> (boolean Series of patients breaking it, message)."""
    off_o2 = p["who_day7"] == 3
    high_support = p["who_day7"].isin([5, 6])
    pf7 = p["pf_day7"]
    gone_before_day7 = ((p["died"] == 1) & (p["death_day"] < 7)) | ((p["discharged"] == 1) & (p["hospital_days"] < 7))
    return {
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
        "who_day0", "who_day7", "pf_day7", "died", "death_day", "discharged", "hospital_days",
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
