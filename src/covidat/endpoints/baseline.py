"""Patients at baseline: who was randomised, and what they were like."""
import pandas as pd

from covidat.endpoints.result import ARMS, EndpointResult, by_arm


def randomised(patients: pd.DataFrame) -> EndpointResult:
    arms = by_arm(patients)
    values = {(arm, "n"): float(len(arms[arm])) for arm in ARMS}
    values[("both", "n")] = float(len(patients))
    return EndpointResult("randomised", "count of randomised patients", values)


ENDPOINTS = [randomised]
