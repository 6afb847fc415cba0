"""Patients at baseline: who was randomised, how they flowed through the trial, what they were like."""
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from covidat import ROOT
from covidat.endpoints.result import ARMS, EndpointResult, by_arm

NOT_REPORTED = "not reported"
# Baseline characteristics a full report would give (CONSORT item 15) that neither the abstract
# nor the dataset contract holds: they stay "not reported", never invented.
UNREPORTED_CHARACTERISTICS = ("Age (years)", "Sex, women (n, %)", "Body-mass index (kg/m²)",
                              "Comorbidities (n, %)", "Days from symptom onset to randomisation",
                              "Hours from ARDS onset to randomisation", "SOFA score (points)",
                              "Corticosteroids or other COVID-19 treatment (n, %)")


def who_scale() -> pd.DataFrame:
    """The registered WHO 7-point ordinal scale: score and label (data/design/who_scale.csv)."""
    return pd.read_csv(ROOT / "data" / "design" / "who_scale.csv")


def randomised(patients: pd.DataFrame) -> EndpointResult:
    arms = by_arm(patients)
    values = {(arm, "n"): float(len(arms[arm])) for arm in ARMS}
    values[("both", "n")] = float(len(patients))
    return EndpointResult("randomised", "count of randomised patients", values)


def consort_flow(patients: pd.DataFrame) -> pd.DataFrame:
    """The CONSORT 2010 flow, one row per box: stage, arm ('both' before allocation) and text.

    Counts come from the data; boxes that neither the publication nor the data fill read
    'not reported'. 'Analysed' is the count with a day-7 PaO2/FiO2 (the primary endpoint).
    """
    arms = by_arm(patients)
    rows = [("Enrolment", "both", "Assessed for eligibility", NOT_REPORTED),
            ("Enrolment", "both", "Excluded", NOT_REPORTED),
            ("Enrolment", "both", "Randomised", f"n = {len(patients)}")]
    for arm in ARMS:
        group = arms[arm]
        analysed = int(group["pf_day7"].notna().sum())
        rows += [("Allocation", arm, f"Allocated to {arm}", f"n = {len(group)}"),
                 ("Allocation", arm, "Received the allocated infusion", NOT_REPORTED),
                 ("Follow-up", arm, "Lost to follow-up or discontinued", NOT_REPORTED),
                 ("Analysis", arm, "Analysed for the primary endpoint",
                  f"n = {analysed} in this dataset (not reported in the publication)"),
                 ("Analysis", arm, "Excluded from the primary analysis (no day-7 PaO2/FiO2)",
                  f"n = {len(group) - analysed} in this dataset")]
    return pd.DataFrame(rows, columns=["stage", "arm", "box", "text"])


def plain(x: float, decimals: int = 0) -> str:
    """x rounded half away from zero (154.5 -> 155, where format() rounds half to even: 154)."""
    return str(Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def _mean_sd(values: pd.Series) -> str:
    return f"{plain(values.mean())} ({plain(values.std(ddof=1))})"


def _median_iqr(values: pd.Series) -> str:
    """Median [IQR]; a median halfway between two whole values keeps its half (154.5, not 154 or 155)."""
    low, mid, high = values.quantile([0.25, 0.5, 0.75])
    return f"{plain(mid, 1 if mid % 1 == 0.5 else 0)} [{plain(low)}–{plain(high)}]"


def _count_pct(flags: pd.Series) -> str:
    return f"{int(flags.sum())} ({plain(100 * flags.mean())}%)"


def table_one(patients: pd.DataFrame) -> pd.DataFrame:
    """Baseline characteristics by arm (column per arm, one row per characteristic), formatted for
    reading; characteristics the data do not hold read 'not reported'."""
    arms = by_arm(patients)
    labels = who_scale().set_index("score")["label"]
    rows = [("Patients randomised (n)", {arm: str(len(arms[arm])) for arm in ARMS}),
            ("PaO2/FiO2 (mmHg), mean (SD)", {arm: _mean_sd(arms[arm]["pf_day0"]) for arm in ARMS}),
            ("PaO2/FiO2 (mmHg), median [IQR]", {arm: _median_iqr(arms[arm]["pf_day0"]) for arm in ARMS})]
    for score in sorted(patients["who_day0"].astype(int).unique()):
        rows.append((f"WHO score {score}: {labels[score]} (n, %)",
                     {arm: _count_pct(arms[arm]["who_day0"] == score) for arm in ARMS}))
    rows += [(name, {arm: NOT_REPORTED for arm in ARMS}) for name in UNREPORTED_CHARACTERISTICS]
    return pd.DataFrame([{"characteristic": name, **cells} for name, cells in rows])


ENDPOINTS = [randomised]
