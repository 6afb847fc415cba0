"""Time to discontinuation of supplemental oxygen."""
import pandas as pd

from covidat.endpoints.result import ARMS, EndpointResult, by_arm
from covidat.endpoints.stats import km_median, logrank_p


def o2_discontinuation(patients: pd.DataFrame) -> EndpointResult:
    arms = by_arm(patients)
    t = {arm: arms[arm]["o2_days"].to_numpy(float) for arm in ARMS}
    e = {arm: arms[arm]["o2_event"].to_numpy(float) for arm in ARMS}
    values = {(arm, "median"): km_median(t[arm], e[arm]) for arm in ARMS}
    values[("both", "p")] = logrank_p(t["MSC"], e["MSC"], t["placebo"], e["placebo"])
    return EndpointResult("o2_discontinuation", "Kaplan–Meier median; log-rank test", values)


ENDPOINTS = [o2_discontinuation]
