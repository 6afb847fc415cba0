"""The trust checks of chapter 12: independent blocks of a batch, and the MCSEs they test."""
import math

import numpy as np
import pytest

from covidat import endpoints
from covidat.data import DEFAULT_DATA
from covidat.reconstruction import diagnostics, pinned, sampler

ROUNDS = np.repeat(np.arange(400), np.random.default_rng(1).integers(1, 4, 400))  # 1 to 3 datasets a round


def test_blocks_never_split_a_round_and_hold_about_equal_shares():
    # Bugs caught: a cut inside a round (blocks no longer independent), blocks of very unequal size.
    block = diagnostics.blocks(ROUNDS, 8)
    for r in np.unique(ROUNDS):
        assert len(set(block[ROUNDS == r])) == 1
    assert (np.diff(block) >= 0).all() and set(block) == set(range(8))
    sizes = np.bincount(block)
    assert sizes.min() >= len(ROUNDS) / 8 - 3 and sizes.max() <= len(ROUNDS) / 8 + 3


def test_blocks_refuse_datasets_out_of_round_order():
    with pytest.raises(ValueError, match="order of their rounds"):
        diagnostics.blocks([0, 2, 1, 3])


def test_agreement_is_near_one_for_independent_draws_and_large_when_blocks_differ():
    # Bug caught: a ratio that cannot tell honest errors from understated ones.
    rng = np.random.default_rng(2)
    x = rng.normal(size=len(ROUNDS))
    w = rng.uniform(0.5, 1.5, len(ROUNDS))
    honest = diagnostics.agreement(x, w, ROUNDS)
    assert 0.3 < honest["ratio"] < 2 and honest["p"] > 0.001
    shifted = x + 0.5 * diagnostics.blocks(ROUNDS)  # each block from its own distribution
    assert diagnostics.agreement(shifted, w, ROUNDS)["p"] < 1e-6
    same = diagnostics.agreement(np.zeros(len(ROUNDS)), w, ROUNDS)
    assert math.isnan(same["ratio"]) and same["value"] == 0


def test_share_estimate_and_its_error_by_hand():
    value, mcse = sampler.weighted_mean(np.array([1.0, 0.0, 1.0]), np.array([1.0, 2.0, 1.0]))
    assert value == pytest.approx(0.5)
    assert mcse == pytest.approx(math.sqrt(2 * 0.25 ** 2 * 0.5 ** 2 + 0.5 ** 2 * 0.5 ** 2))


def test_quantile_mcse_of_a_median_matches_the_normal_theory():
    # sd of a sample median of n standard normals: sqrt(pi / 2) / sqrt(n). Bug caught: the bracket
    # mis-scaled (half or twice the error), or weights ignored.
    n = 40_000
    x = np.random.default_rng(3).normal(size=n)
    assert pinned.quantile_mcse(x, np.ones(n), 0.5) == pytest.approx(math.sqrt(math.pi / 2 / n), rel=0.15)
    w = np.r_[np.ones(n // 2), np.full(n // 2, 1e-9)]  # half the draws count for nothing
    assert pinned.quantile_mcse(x, w, 0.5) == pytest.approx(math.sqrt(math.pi / n), rel=0.15)


COMMITTED = pinned.load_committed(DEFAULT_DATA / "pinned.csv")
BATCH_ROUNDS = sampler.load_batch().rounds
WEIGHTS = COMMITTED["weight.as assumed"].to_numpy()


def test_every_number_chapter_12_prints_rests_on_an_effective_sample_of_300():
    # Issue 18's target. Bug caught: a batch whose weights collapse onto a few datasets, or a result
    # computed on a subset of the batch only.
    computed = [rid for rid in pinned.OPEN_RESULTS if endpoints.ENDPOINTS.get(pinned.endpoint_of(rid))]
    spread = pinned.spread(COMMITTED, computed + ["pf_change_sd"], weights=WEIGHTS)
    assert (spread["ess"] >= 300).all(), spread.loc[spread["ess"] < 300, ["column", "ess"]]


def test_chapter_12_numbers_agree_across_independent_blocks_within_their_errors():
    # The committed batch cut into independent blocks (rounds have their own random streams, as seeds
    # do): the medians and shares chapter 12 prints scatter across blocks as their MCSEs predict.
    # Bug caught: MCSEs that understate the error (weights ignored, a heavy dataset filling the
    # quantile's bracket, datasets that share a start), which makes the combined test reject.
    varying = {rid: rid for rid in pinned.OPEN_RESULTS if COMMITTED[rid].nunique() > 1}
    checks = diagnostics.table(COMMITTED, WEIGHTS, BATCH_ROUNDS, {**varying, "pf_change_sd": "sd"},
                               {c: k for c, k in pinned.CONCLUSIONS.items() if not k.conditioned})
    assert checks["ratio"].notna().sum() >= 5
    _, _, p = diagnostics.combined(checks)
    assert p > 0.001, checks[["id", "value", "mcse", "ratio"]]
