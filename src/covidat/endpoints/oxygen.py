"""Time to discontinuation of supplemental oxygen.

Primary handling of deaths: a patient who dies on oxygen is censored at death (the dataset
contract codes this as o2_event = 0, o2_days = death_day): a hypothetical strategy, the time on
oxygen had no one died. Its summaries: the Kaplan–Meier median, the log-rank test, the cause-specific
Cox hazard ratio and the restricted mean time on oxygen to day 28. Death as a competing event: the
Aalen–Johansen cumulative incidence of discontinuation, its median, the Fine–Gray subdistribution
hazard ratio, and the cause-specific hazard ratio of death on oxygen.
"""
import warnings

import numpy as np
import pandas as pd

from covidat.endpoints.result import ARMS, EndpointResult, by_arm
from covidat.endpoints.stats import crossing_time, km_median, logrank_p
from covidat.endpoints.survival import (TIES, Z95, aalen_johansen, cox_hazard_ratio, fine_gray, km_table, median_ci,
                                       ph_test, rmst)

MEDIAN_CI = "log"  # Brookmeyer–Crowley on the scale of R's survfit default (conf.type = "log")
DISCONTINUED, DIED = 1, 2
HORIZON = 28  # days: the restricted mean time on oxygen is taken to this day


def causes(patients: pd.DataFrame) -> pd.Series:
    """Why each patient's oxygen time ends: 1 discontinued, 2 died on oxygen, 0 censored otherwise."""
    died_on_oxygen = (patients["died"] == 1) & (patients["death_day"] == patients["o2_days"])
    return (patients["o2_event"] * DISCONTINUED).where(patients["o2_event"] == 1, died_on_oxygen * DIED).astype(int)


def curves(patients: pd.DataFrame) -> pd.DataFrame:
    """Kaplan–Meier table per arm (still on oxygen), deaths censored, with 95% log bands."""
    return pd.concat([km_table(p["o2_days"], p["o2_event"], MEDIAN_CI).assign(arm=arm)
                      for arm, p in by_arm(patients).items()], ignore_index=True)


def incidence(patients: pd.DataFrame) -> pd.DataFrame:
    """Cumulative incidence of discontinuation per arm with death as a competing event."""
    return pd.concat([aalen_johansen(p["o2_days"], causes(p)).assign(arm=arm)
                      for arm, p in by_arm(patients).items()], ignore_index=True)


def death_hazard_ratio(times, cause, in_msc):
    """Cause-specific Cox hazard ratio of dying on oxygen with its CI, or None where no finite estimate
    exists (a handful of deaths often separates the arms: the fit then fails to converge)."""
    died = np.asarray(cause) == DIED
    in_msc = np.asarray(in_msc, float)
    if not (died[in_msc == 1].any() and died[in_msc == 0].any()):  # an arm without a death: no finite ratio
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # statsmodels' ConvergenceWarning, numpy's overflow: no estimate
        try:
            ratio = cox_hazard_ratio(times, died.astype(float), in_msc)
        except Warning:
            return None
    return None if np.isnan(ratio[0]) else ratio  # NaN: a singular fit


def o2_discontinuation(patients: pd.DataFrame) -> EndpointResult:
    arms = by_arm(patients)
    t = {arm: arms[arm]["o2_days"].to_numpy(float) for arm in ARMS}
    e = {arm: arms[arm]["o2_event"].to_numpy(float) for arm in ARMS}
    values = {(arm, "median"): km_median(t[arm], e[arm]) for arm in ARMS}
    cis = {(arm, "median"): median_ci(t[arm], e[arm], MEDIAN_CI) for arm in ARMS}
    values[("both", "p")] = logrank_p(t["MSC"], e["MSC"], t["placebo"], e["placebo"])
    in_msc = (patients["arm"] == "MSC").astype(float)
    hr, low, high = cox_hazard_ratio(patients["o2_days"], patients["o2_event"], in_msc)
    values[("both", "hazard_ratio")], cis[("both", "hazard_ratio")] = hr, (low, high)
    values[("both", "p_ph")] = ph_test(patients["o2_days"], patients["o2_event"], in_msc)[1]
    competing = incidence(patients)
    for arm in ARMS:
        rows = competing[competing["arm"] == arm]
        values[(arm, "median_competing")] = crossing_time(rows["time"], 1 - rows["incidence"])
    means = {arm: rmst(t[arm], e[arm], HORIZON) for arm in ARMS}
    for arm in ARMS:
        mean, variance = means[arm]
        values[(arm, "rmst")] = mean
        cis[(arm, "rmst")] = (mean - Z95 * variance ** 0.5, mean + Z95 * variance ** 0.5)
    difference = means["MSC"][0] - means["placebo"][0]
    half = Z95 * (means["MSC"][1] + means["placebo"][1]) ** 0.5
    values[("both", "rmst_difference")], cis[("both", "rmst_difference")] = difference, (difference - half, difference + half)
    cause = causes(patients)
    hr, low, high = fine_gray(patients["o2_days"], cause, in_msc, DISCONTINUED)
    values[("both", "fine_gray_hr")], cis[("both", "fine_gray_hr")] = hr, (low, high)
    death_ratio = death_hazard_ratio(patients["o2_days"], cause, in_msc)
    if death_ratio is not None:
        values[("both", "hazard_ratio_death")], cis[("both", "hazard_ratio_death")] = death_ratio[0], death_ratio[1:]
    methods = {(arm, "median"): f"Kaplan–Meier median, deaths censored; 95% CI Brookmeyer–Crowley ({MEDIAN_CI} scale)"
               for arm in ARMS}
    methods[("both", "hazard_ratio")] = (f"cause-specific Cox proportional hazards of stopping oxygen (deaths censored), "
                                         f"MSC against placebo, {TIES.capitalize()} ties; 95% Wald CI")
    methods.update({(arm, "rmst"): f"restricted mean time on oxygen to day {HORIZON} (area under the Kaplan–Meier "
                    "curve, deaths censored); 95% CI from its Greenwood-type variance" for arm in ARMS})
    methods[("both", "rmst_difference")] = (f"difference in restricted mean time on oxygen to day {HORIZON}, MSC minus "
                                            "placebo (days); 95% normal CI")
    methods[("both", "fine_gray_hr")] = ("Fine–Gray subdistribution hazard ratio of stopping oxygen, death competing, "
                                         "MSC against placebo, Efron ties; 95% Wald CI (model-based variance)")
    methods[("both", "hazard_ratio_death")] = (f"cause-specific Cox hazard ratio of dying on oxygen, MSC against placebo, "
                                               f"{TIES.capitalize()} ties; 95% Wald CI")
    methods[("both", "p_ph")] = "Grambsch–Therneau test of proportional hazards (Kaplan–Meier time scale)"
    methods.update({(arm, "median_competing"): "median of the Aalen–Johansen cumulative incidence of discontinuation, "
                    "death a competing event, by the Kaplan–Meier median's convention: the day it reaches 50%, or the "
                    "midpoint of the days it sits at exactly 50%" for arm in ARMS})
    return EndpointResult("o2_discontinuation", "Kaplan–Meier median; log-rank test", values, cis, methods)


ENDPOINTS = [o2_discontinuation]
