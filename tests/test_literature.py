"""The literature table's contract and the pooled mortality estimate, re-derived by hand."""
import re

import numpy as np
import pytest

from covidat import ROOT, literature
from covidat.data import DataError
from csvtools import with_cell

TRIALS = literature.load_trials()
EFFECTS = literature.mortality_effects(TRIALS)


def test_every_row_cites_a_source_in_the_bibliography():
    keys = set(re.findall(r"@\w+\{([^,]+),", (ROOT / "references.bib").read_text()))
    assert set(TRIALS["bibkey"]) <= keys
    assert TRIALS["location"].str.strip().all()


@pytest.mark.parametrize("column, value, message", [
    ("doi", "", "empty but required"),
    ("doi", "see website", "is not a DOI"),
    ("bibkey", "", "empty but required"),
    ("location", "", "empty but required"),
    ("msc_events", "99", "deaths among"),
    ("msc_events", "", "needs the number of deaths"),
])
def test_row_without_a_source_or_with_impossible_counts_is_refused(tmp_path, column, value, message):
    with pytest.raises(DataError, match=rf"row 2 \(line 3\), column '{column}': .*{message}"):
        literature.load_trials(with_cell(literature.TRIALS, tmp_path / "msc_trials.csv", 2, column, value))


def test_odds_ratios_by_hand():
    dilogo = EFFECTS.set_index("trial_id").loc["dilogo2021"]
    assert dilogo.odds_ratio == pytest.approx((10 / 10) / (16 / 4))
    shu = EFFECTS.set_index("trial_id").loc["shu2020"]  # zero cell: 0.5 added to every cell
    assert shu.odds_ratio == pytest.approx((0.5 / 12.5) / (3.5 / 26.5))


def test_pooled_estimate_by_hand():
    chosen = EFFECTS[EFFECTS["pooled"] == "yes"]
    y, v = chosen["log_or"].to_numpy(), chosen["variance"].to_numpy()
    fixed = np.average(y, weights=1 / v)
    assert literature.pool(EFFECTS, fixed=True).odds_ratio == pytest.approx(np.exp(fixed))
    result = literature.pool(EFFECTS)
    w = 1 / (v + result.tau2)
    mean = np.average(y, weights=w)
    assert result.odds_ratio == pytest.approx(np.exp(mean))
    # Paule–Mandel: the generalised Q equals its degrees of freedom, unless tau2 is truncated at 0.
    q = np.sum(w * (y - mean) ** 2)
    assert (q == pytest.approx(len(y) - 1, abs=1e-3)) if result.tau2 > 0 else q <= len(y) - 1
    assert result.trials == len(chosen) and result.ci_low < result.odds_ratio < result.ci_high


def test_shared_control_arms_are_never_pooled_twice():
    pooled = TRIALS[TRIALS["pooled"] == "yes"]
    assert pooled["bibkey"].is_unique
