"""Length of hospital stay."""
import numpy as np
import pandas as pd

from covidat.endpoints.result import ARMS, EndpointResult, by_arm
from covidat.endpoints.stats import mann_whitney_p


def hospital_stay(patients: pd.DataFrame) -> EndpointResult:
    days = {arm: p["hospital_days"].to_numpy(float) for arm, p in by_arm(patients).items()}
    values = {(arm, "median"): float(np.median(days[arm])) for arm in ARMS}
    values[("both", "p")] = mann_whitney_p(days["MSC"], days["placebo"])
    return EndpointResult("hospital_stay",
                          "sample median; Mann–Whitney U, normal approximation with tie and continuity correction",
                          values)


ENDPOINTS = [hospital_stay]
