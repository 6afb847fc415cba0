"""Clinical improvement on the WHO ordinal scale at day 7."""
import pandas as pd

from covidat.endpoints.result import ARMS, EndpointResult, by_arm
from covidat.endpoints.stats import fisher_p


def who_improved_day7(patients: pd.DataFrame) -> EndpointResult:
    arms = by_arm(patients)
    events = {arm: int(arms[arm]["improved_day7"].sum()) for arm in ARMS}
    sizes = {arm: len(arms[arm]) for arm in ARMS}
    values = {}
    for arm in ARMS:
        values[(arm, "n")] = float(events[arm])
        values[(arm, "pct")] = 100.0 * events[arm] / sizes[arm]
    values[("both", "p")] = fisher_p(events["MSC"], sizes["MSC"], events["placebo"], sizes["placebo"])
    return EndpointResult("who_improved_day7", "proportion improved; two-sided Fisher's exact test", values)


ENDPOINTS = [who_improved_day7]
