"""Adjusted p-values against the three procedures written out by hand."""
import numpy as np
import pandas as pd
import pytest

from covidat.beyond import multiplicity


def by_hand(p):
    m, order = len(p), np.argsort(p)
    ranked = p[order]
    holm = np.minimum(1, np.maximum.accumulate((m - np.arange(m)) * ranked))
    hochberg = np.minimum(1, np.minimum.accumulate(((m - np.arange(m)) * ranked)[::-1])[::-1])
    bh = np.minimum(1, np.minimum.accumulate((m / np.arange(1, m + 1) * ranked)[::-1])[::-1])
    out = np.empty((3, m))
    out[:, order] = holm, hochberg, bh
    return out


@pytest.mark.parametrize("p", [[1.0, 0.033, 0.007, 0.042], [0.01, 0.02, 0.03, 0.04, 0.05, 0.9],
                               list(np.random.default_rng(3).uniform(0, 0.2, 12))])
def test_matches_hand_computation(p):
    adjusted = multiplicity.adjust(pd.Series(p))
    expected = by_hand(np.array(p))
    for row, key in enumerate(multiplicity.METHODS):
        assert adjusted[key].to_numpy() == pytest.approx(expected[row])


def test_reported_family_reads_claims_and_brackets_not_significant():
    conservative, optimistic = (multiplicity.reported_family(b) for b in ("conservative", "optimistic"))
    assert conservative["pf_change_day7.both.p"] == 1.0
    assert 0.05 < optimistic["pf_change_day7.both.p"] < 0.0500001
    assert conservative["o2_discontinuation.both.p"] == optimistic["o2_discontinuation.both.p"]
    # the conservative entry can only raise adjusted p-values
    assert (multiplicity.adjust(conservative)[list(multiplicity.METHODS)].to_numpy()
            >= multiplicity.adjust(optimistic)[list(multiplicity.METHODS)].to_numpy() - 1e-12).all()


def test_outcome_family_has_every_outcome_once():
    outcomes = pd.read_csv(multiplicity.ROOT / "data" / "design" / "endpoints.csv")
    family = multiplicity.outcome_family("conservative")
    assert list(family.index) == list(outcomes["endpoint"])
    assert set(multiplicity.OUTCOME_CLAIMS) <= set(outcomes["endpoint"])
