"""Oxygen-free days to day 28 and day-28 mortality, against hand-worked definitions."""
from math import comb

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

from covidat.data import DEFAULT_DATA, load_dataset
from covidat.endpoints import secondary

PATIENTS = load_dataset(DEFAULT_DATA).patients


def by_hand(p) -> float | None:
    """The definition, one patient at a time."""
    if p.died == 1 and p.death_day <= 28:
        return 0.0
    if p.o2_event == 1:
        return float(max(0, 28 - p.o2_days))
    return 0.0 if p.o2_days >= 28 else None


def test_oxygen_free_days_worked_cases():
    days = secondary.oxygen_free_days([10, 30, 12, 12, 20], [1, 1, 0, 0, 0], [0, 0, 1, 0, 0],
                                      [np.nan, np.nan, 12, np.nan, np.nan])
    assert np.array_equal(days[:3], [18, 0, 0]) and np.isnan(days[3]) and np.isnan(days[4])


def test_o2_free_days_28_matches_hand_computation():
    result = secondary.o2_free_days_28(PATIENTS)
    hand = {arm: [d for d in (by_hand(p) for p in g.itertuples()) if d is not None]
            for arm, g in PATIENTS.groupby("arm")}
    assert result.get("MSC", "median") == np.median(hand["MSC"])
    assert result.get("placebo", "median") == np.median(hand["placebo"])
    expected = mannwhitneyu(hand["MSC"], hand["placebo"], method="asymptotic", use_continuity=True).pvalue
    assert result.get("both", "p") == pytest.approx(expected, rel=1e-12)


def test_mortality_day28_counts_and_fisher():
    patients = PATIENTS.copy()
    patients["died"] = 0
    patients["death_day"] = pd.array([pd.NA] * len(patients), "Int64")
    msc = patients.index[patients["arm"] == "MSC"]
    patients.loc[msc[:3], "died"] = 1
    patients.loc[msc[:3], "death_day"] = [5, 20, 28]
    patients.loc[msc[3], ["died", "death_day"]] = [1, 40]  # after day 28: not counted
    result = secondary.mortality_day28(patients)
    assert (result.get("MSC", "n"), result.get("placebo", "n")) == (3, 0)
    # 3/10 against 0/10: two-sided Fisher sums the tables as extreme, 3-0 and 0-3.
    assert result.get("both", "p") == pytest.approx(2 * comb(10, 3) / comb(20, 3))
