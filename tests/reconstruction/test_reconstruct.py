"""The committed batch begins with what the sampler draws and the committed dataset is its typical
one; every draw meets every claim, is clinically coherent and meets the contract; the Batch is
what load_dataset would read; weights and screens are what they claim to be."""
import filecmp
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from covidat import __main__ as cli
from covidat.data import coherence
from covidat.beyond.scorecard import check
from covidat.data import DEFAULT_DATA, PATIENT_COLUMNS, load_dataset
from covidat.endpoints import stats
from covidat.reconstruction import pinned, readings, sampler
from covidat.reconstruction.sampler import DEFAULT_SEED, PROVENANCE, sample, write

BATCH = sample(3, seed=DEFAULT_SEED + 1)
COMMITTED = sampler.load_batch()


def test_committed_batch_begins_with_what_the_sampler_draws(tmp_path):
    # The whole batch takes minutes; its first datasets are drawn by the first rounds alone (each
    # round has its own random stream), so a stale batch.csv (other model, claims or seed) fails here.
    first = sample(1, seed=DEFAULT_SEED)
    for name in first.columns:
        got, committed = first.columns[name], COMMITTED.columns[name][:1]
        if got.dtype == object:
            assert (got == committed).all(), name
        else:
            np.testing.assert_array_equal(got, committed, err_msg=name)
    np.testing.assert_allclose(first.log_weights, COMMITTED.log_weights[:1], rtol=1e-9)
    assert len(COMMITTED) == sampler.BOOK_DATASETS


def test_committed_results_are_what_the_endpoints_give_on_the_committed_batch():
    # pinned.csv: every variant's weights (cheap: all datasets) and the results of the first datasets
    # recomputed by the endpoint functions; a batch.csv regenerated without pinned.csv fails here.
    table = pd.read_csv(DEFAULT_DATA / "pinned.csv")
    assert len(table) == len(COMMITTED)
    for label, overrides in sampler.variants().items():
        expected = sampler.reweighted(COMMITTED, **overrides) if overrides else COMMITTED.weights
        np.testing.assert_allclose(table[f"weight.{label}"], expected, rtol=1e-6, atol=1e-12)
    head = sampler.Batch({k: v[:2] for k, v in COMMITTED.columns.items()}, COMMITTED.arm, COMMITTED.assumptions)
    fresh = pinned.values(head)
    for column in fresh:
        np.testing.assert_allclose(table[column][:2], fresh[column], rtol=1e-6, err_msg=column)


def test_committed_dataset_is_the_typical_one_of_the_committed_batch(tmp_path):
    chosen = pinned.typical(COMMITTED)["dataset"].iloc[0]
    write(COMMITTED.frame(chosen), tmp_path)
    for name in ("patients.csv", "assumptions.csv"):
        assert filecmp.cmp(tmp_path / name, DEFAULT_DATA / name, shallow=False), name


def test_evidence_ratio_of_a_mortality_variant_by_hand():
    # Halving mortality changes only the prior of who dies: each dataset's prior ratio is a product
    # over patients of (new / old) chance of their fate in their baseline band. Bugs caught: the ratio
    # inverted, a band's mortality swapped, the Bayes factor taken from normalised weights (always 1).
    m, severe = (sampler.ASSUMPTIONS[k][0] for k in ("mortality", "mortality_severe"))
    c = COMMITTED.columns
    old = np.where(c["pf_day0"] <= 100, severe, m)
    died = c["died"] == 1
    ratio = np.prod(np.where(died, 0.5, (1 - old / 2) / (1 - old)), axis=1)
    value, mcse = sampler.evidence_ratio(COMMITTED, mortality=m / 2, mortality_severe=severe / 2)
    assert value == pytest.approx((COMMITTED.weights * ratio).sum(), rel=1e-9)
    assert 0 < mcse < value
    assert sampler.evidence_ratio(COMMITTED, mortality=m) == pytest.approx((1.0, 0.0))


def test_weights_are_the_normalised_importance_weights():
    w = np.exp(BATCH.log_weights - BATCH.log_weights.max())
    np.testing.assert_allclose(BATCH.weights, w / w.sum())
    assert np.isfinite(BATCH.log_weights).all()


@pytest.mark.parametrize("screened", [(sampler.BOOK_STAY,), tuple(readings.STAY_READINGS.values())],
                         ids=["book's reading", "every reading"])
def test_screen_never_drops_an_arm_some_reading_could_give_its_median_stay(screened):
    # stays_possible drops arms whose median stay is out of reach (under every reading screened) before
    # pairing; a screen too strict for a reading would drop arms the target gives weight to and bias its
    # weights and its constant. Brute force: 20,000 discharge draws for each dropped arm.
    params = {k: v[0] for k, v in sampler.ASSUMPTIONS.items()}
    model = sampler._Model(params, sampler.load_claims())
    rng = np.random.default_rng(3)
    draws = model.draw(rng, (400, 2 * model.n))
    for arm in ("msc", "placebo"):
        dropped = np.flatnonzero(~model.stays_possible(draws, arm, screened))[:4]
        assert len(dropped)
        for i in dropped:
            row = {k: v[i:i + 1] for k, v in draws.items()}
            c = model.course(row | model.discharge(rng, (20_000, 2 * model.n)))
            for reading in screened:
                values = reading.values(c["hospital_days"], c["died"])[:, model.arms[arm]]
                with np.errstate(all="ignore"):
                    medians = np.nanmedian(np.where(np.isinf(values), 1e9, values), 1)
                assert not model.meets({f"hospital_stay.{arm}.median": medians}).any(), (arm, i, reading)


def test_sampling_imports_neither_scipy_stats_nor_statsmodels():
    # A second of imports that sampling does not need; `sample(1)` from the command line is what
    # a reader times (bench/reconstruct.py). Catches an import creeping back.
    code = ("import sys; from covidat.reconstruction import sampler; sampler.sample(1); "
            "print(sorted({'scipy.stats', 'statsmodels'} & set(sys.modules)))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


def test_mortality_claim_is_decided_as_with_scipys_fisher():
    # The sampler decides the mortality claim with the exact Fisher table, not scipy's p (the last bits
    # differ); were a decision to differ for any pair of death counts, the batch would not be the one
    # committed. Not vacuous: some pairs of counts fail the claim.
    model = sampler._Model({k: v[0] for k, v in sampler.ASSUMPTIONS.items()}, sampler.load_claims())
    deaths = np.arange(model.n + 1)
    i, j = np.repeat(deaths, len(deaths)), np.tile(deaths, len(deaths))
    exact = model.meets({"mortality_day28.both.p": stats.fisher_exact_table(model.n, model.n)[i, j]})
    np.testing.assert_array_equal(exact, model.meets({"mortality_day28.both.p": stats.fisher_p_batch(i, model.n, j, model.n)}))
    assert exact.any() and not exact.all()


def test_passing_is_meeting_every_statistic():
    # passing computes each claim's statistic only for the rows meeting the claims before it; a row
    # mixed up on the way (or a claim skipped) would keep courses the claims reject, or drop some.
    params = {k: v[0] for k, v in sampler.ASSUMPTIONS.items()}
    model = sampler._Model(params, sampler.load_claims())
    rng = np.random.default_rng(5)
    courses, _ = sampler._courses(model, rng)
    n = model.n
    swapped = {k: np.c_[v[:, :n], np.roll(v[:, n:], 1, 0)] for k, v in courses.items()}  # arms that meet their own claims
    mixed = {k: np.r_[courses[k], swapped[k], v] for k, v in model.draw(rng, (2000, 2 * n)).items()}
    c = model.course(mixed)
    for arms in (("msc",), ("placebo",), ("both",), sampler.ARMS):
        expected = model.meets(model.statistics(c, "oxygen", arms))
        assert expected.any() and not expected.all(), arms
        np.testing.assert_array_equal(model.passing(c, "oxygen", arms), expected, err_msg=str(arms))


@pytest.mark.parametrize("i", range(len(BATCH)))
def test_every_draw_meets_every_claim_and_is_coherent(i):
    patients = BATCH.frame(i)
    assert not [c.claim_id for c in check(patients) if c.status == "fails"]
    assert coherence.violations(patients).empty


def test_batch_frame_is_what_load_dataset_reads(tmp_path):
    write(BATCH.frame(0), tmp_path)
    loaded = load_dataset(tmp_path).patients
    pd.testing.assert_frame_equal(BATCH.frame(0), loaded)
    assert list(BATCH.columns) != [] and set(BATCH.columns) == {c.name for c in PATIENT_COLUMNS}
    assert all(v.shape == (3, 20) for v in BATCH.columns.values())
    assert (loaded["provenance"] == PROVENANCE).all()


def test_draws_differ():
    stays = {tuple(row) for row in BATCH.columns["hospital_days"]}
    assert len(stays) > 1
    committed = load_dataset(DEFAULT_DATA).patients
    assert not BATCH.frame(0).drop(columns="patient_id").equals(committed.drop(columns="patient_id"))


def test_overrides_reach_the_model():
    batch = sample(1, seed=DEFAULT_SEED + 2, mortality=0.1)
    assert batch.assumptions["mortality"] == 0.1
    assert not [c.claim_id for c in check(batch.frame(0)) if c.status == "fails"]


def test_unknown_override_is_refused():
    with pytest.raises(ValueError, match="cannot override"):
        sample(1, no_such_assumption=3)


def test_deaths_are_censored_events():
    # Deaths happen in the model (mortality is a listed assumption) and censor oxygen time.
    died = BATCH.columns["died"] == 1
    assert died.any()
    assert (BATCH.columns["o2_event"][died] == 0).all()
    assert (BATCH.columns["o2_days"][died] == BATCH.columns["death_day"][died]).all()
    assert (BATCH.columns["discharged"][died] == 0).all()
    early = died & (BATCH.columns["death_day"] <= 7)
    assert np.isnan(BATCH.columns["pf_day7"][early]).all()


def test_reconstruction_draws_only_documented_quantities():
    # Variables no source constrains (age, sex, comorbidities) are not invented.
    committed = load_dataset(DEFAULT_DATA).patients
    assert not {"age", "sex", "comorbidities"} & set(committed.columns)


def test_pf_construction_is_the_prior_conditioned_on_the_claims():
    # The tilted construction of baseline and day-7 PaO2/FiO2 must give the prior's own conditional
    # distribution and an unbiased estimate of its probability. Compared with plain rejection from the
    # prior (baseline uniform within the patient's band, day 7 from its WHO score), under claims
    # loosened (means to whole mmHg, so each arm has several admissible sums) for plain rejection to
    # accept often enough. Bugs caught: a wrong normaliser or tilt (biased estimate), a baseline value
    # drawn outside its band or from the wrong tilt (shifted means).
    from covidat.reconstruction import sampler
    from covidat.data.claims import load_claims
    claims = load_claims()
    claims.loc[claims["claim_id"].str.startswith("pf_change_day7.") & (claims["statistic"] == "mean"),
               ["value", "decimals"]] = [[83, 0], [58, 0]]
    params = {k: v[0] for k, v in sampler.ASSUMPTIONS.items()}
    model = sampler._Model(params, claims)
    rng = np.random.default_rng(0)
    courses, _ = sampler._courses(model, rng)
    candidates = [{k: v[i:i + 1] for k, v in courses.items()} for i in range(len(courses["z"]))]
    course = max(candidates, key=lambda c: sampler._day7_pf(model, c, rng)[1])  # the likeliest, for speed
    runs = [sampler._day7_pf(model, course, rng) for _ in range(20)]
    kept = {k: np.concatenate([r[0][k] for r in runs]) for k in ("pf0", "pf7")}
    estimate = np.mean([np.exp(r[1]) for r in runs])

    fixed = model.course(course)  # one row: the course's day-7 WHO scores, broadcast against every draw
    who7 = fixed["who7"][0]
    low, high = sampler._range(params["pf_day0_range"])
    severe = course["pf0"][0] <= sampler.SEVERE_PF
    band_low, band_high = np.where(severe, low, sampler.SEVERE_PF + 1), np.where(severe, sampler.SEVERE_PF, high)
    cdf = np.exp(model.pf_log_prior[who7]).cumsum(1)
    plain, tried, size = {"pf0": [], "pf7": []}, 4_000_000, 500_000
    rows = {k: np.broadcast_to(v, (size, len(who7))) for k, v in fixed.items()}  # the course, every draw
    for _ in range(tried // size):
        draws = {"pf0": rng.integers(band_low, band_high + 1, (size, len(who7))).astype(float),
                 "pf7": np.stack([np.searchsorted(cdf[j], rng.random(size) * cdf[j, -1], side="right")
                                  for j in range(len(who7))], 1).astype(float)}
        ok = model.passing(rows | draws, "pf")  # meets(statistics(...)), each claim on the rows left
        for k in plain:
            plain[k].append(draws[k][ok])
    plain = {k: np.concatenate(v) for k, v in plain.items()}
    assert len(plain["pf7"]) > 500 and len(kept["pf7"]) > 500
    assert estimate == pytest.approx(len(plain["pf7"]) / tried, rel=0.15)
    assert ((kept["pf0"] >= band_low) & (kept["pf0"] <= band_high)).all()
    measured = who7 < 7
    for k in plain:
        a, b = plain[k][:, measured], kept[k][:, measured]
        sd = a.std(0) / np.sqrt(len(a)) + b.std(0) / np.sqrt(len(b))
        assert (np.abs(a.mean(0) - b.mean(0)) < 4 * sd).all(), k


def test_discharge_gaps_stay_inside_the_assumed_range():
    # Ventilated at day 7: the longer range; everyone else: the usual one.
    alive = BATCH.columns["died"] == 0
    gap = BATCH.columns["hospital_days"] - BATCH.columns["o2_days"]
    ventilated = BATCH.columns["who_day7"] == 6
    for rows, key in ((alive & ~ventilated, "discharge_gap"), (alive & ventilated, "discharge_gap_ventilated")):
        low, high = sampler._range(sampler.ASSUMPTIONS[key][0])
        assert ((gap[rows] >= low) & (gap[rows] <= high)).all(), key


def test_severe_patients_stay_on_oxygen_at_least_the_assumed_days():
    c = BATCH.columns
    severe = ((c["who_day0"] == 6) | (c["pf_day0"] <= 100)) & (c["o2_event"] == 1)
    assert (c["o2_days"][severe] >= sampler.ASSUMPTIONS["o2_min_days_severe"][0]).all()


@pytest.mark.parametrize("rank", range(5))
def test_the_heaviest_committed_datasets_meet_every_claim_and_are_coherent(rank):
    # Chapter 12's figures lean on the heaviest datasets of the batch: each must pass the scorecard's
    # independent recomputation of every claim (a dataset the sampler wrongly kept would fail here).
    i = int(np.argsort(-COMMITTED.weights)[rank])
    patients = COMMITTED.frame(i)
    assert not [c.claim_id for c in check(patients) if c.status == "fails"]
    assert coherence.violations(patients).empty
