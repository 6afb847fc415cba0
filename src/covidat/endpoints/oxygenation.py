"""The primary endpoint: change in PaO2/FiO2 from baseline to day 7."""
import pandas as pd

from covidat.endpoints.result import ARMS, EndpointResult, by_arm
from covidat.endpoints.stats import welch_p


def pf_change_day7(patients: pd.DataFrame) -> EndpointResult:
    change = {arm: (p["pf_day7"] - p["pf_day0"]).dropna().to_numpy(float)
              for arm, p in by_arm(patients).items()}
    values = {(arm, "mean"): float(change[arm].mean()) for arm in ARMS}
    values.update({(arm, "n"): float(len(change[arm])) for arm in ARMS})
    values[("both", "p")] = welch_p(change["MSC"], change["placebo"])
    return EndpointResult("pf_change_day7", "mean change, complete cases; Welch two-sample t-test", values)


ENDPOINTS = [pf_change_day7]
