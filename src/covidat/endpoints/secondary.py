"""Mortality and the other registered secondary outcomes the patient-level data can address."""
import numpy as np
import pandas as pd

from covidat.endpoints.result import ARMS, EndpointResult, by_arm
from covidat.endpoints.stats import fisher_p, mann_whitney_p

HORIZON = 28  # days from randomisation
COLUMNS = ("o2_days", "o2_event", "died", "death_day")  # what oxygen-free days are computed from


def oxygen_free_days(o2_days, o2_event, died, death_day, horizon: int = HORIZON) -> np.ndarray:
    """Days alive and off supplemental oxygen from the day oxygen stopped to day `horizon`:
    `horizon - o2_days` when oxygen stopped by then, 0 for a patient who died by `horizon` or
    was still on oxygen at it, NaN (unknown) for a patient censored alive on oxygen before it.
    Works elementwise on arrays of any shape (one dataset, or a batch)."""
    o2_days, o2_event, died, death_day = (np.asarray(a, float) for a in (o2_days, o2_event, died, death_day))
    dead_by_horizon = (died == 1) & (death_day <= horizon)
    free = np.where((o2_event == 1) & (o2_days <= horizon), horizon - o2_days, 0.0)
    unknown = (o2_event == 0) & (o2_days < horizon) & ~dead_by_horizon
    return np.where(dead_by_horizon, 0.0, np.where(unknown, np.nan, free))


def free_days_deaths_worst(o2_days, o2_event, died, death_day, horizon: int = HORIZON) -> np.ndarray:
    """`oxygen_free_days` with every death by `horizon` set to -1, below every survivor (a composite
    strategy: dying ranks worse than surviving on oxygen to the horizon), elementwise."""
    days = oxygen_free_days(o2_days, o2_event, died, death_day, horizon)
    return np.where(deaths_by(died, death_day, horizon) == 1, -1.0, days)


def o2_free_days_28(patients: pd.DataFrame) -> EndpointResult:
    days = {arm: oxygen_free_days(*(p[c].to_numpy(float, na_value=np.nan) for c in COLUMNS))
            for arm, p in by_arm(patients).items()}
    days = {arm: d[~np.isnan(d)] for arm, d in days.items()}
    values = {(arm, "median"): float(np.median(days[arm])) for arm in ARMS}
    values[("both", "p")] = mann_whitney_p(days["MSC"], days["placebo"])
    worst = {arm: free_days_deaths_worst(*(p[c].to_numpy(float, na_value=np.nan) for c in COLUMNS))
             for arm, p in by_arm(patients).items()}
    values[("both", "p_deaths_worst")] = mann_whitney_p(*(w[~np.isnan(w)] for w in worst.values()))
    return EndpointResult("o2_free_days_28",
                          "oxygen-free days to day 28 (deaths count 0); sample median; Mann–Whitney U, "
                          "normal approximation with tie and continuity correction", values,
                          methods={("both", "p_deaths_worst"): "Mann–Whitney U as published, deaths by day 28 "
                                   "ranked below every survivor (below 0 free days)"})


def deaths_by(died, death_day, horizon: int = HORIZON) -> np.ndarray:
    """1 for a death on or before day `horizon`, elementwise."""
    died, death_day = np.asarray(died, float), np.asarray(death_day, float)
    return ((died == 1) & (death_day <= horizon)).astype(int)


def mortality_day28(patients: pd.DataFrame) -> EndpointResult:
    arms = by_arm(patients)
    deaths = {arm: int(deaths_by(p["died"].to_numpy(float), p["death_day"].to_numpy(float, na_value=np.nan)).sum())
              for arm, p in arms.items()}
    values = {(arm, "n"): float(deaths[arm]) for arm in ARMS}
    values[("both", "p")] = fisher_p(deaths["MSC"], len(arms["MSC"]), deaths["placebo"], len(arms["placebo"]))
    return EndpointResult("mortality_day28", "deaths by day 28; two-sided Fisher's exact test", values)


ENDPOINTS = [o2_free_days_28, mortality_day28]
