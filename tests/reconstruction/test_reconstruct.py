"""The committed dataset is exactly what the generator writes; every draw meets every claim,
is clinically coherent and meets the contract; the Batch is what load_dataset would read."""
import filecmp

import numpy as np
import pandas as pd
import pytest

from covidat import __main__ as cli
from covidat.data import coherence
from covidat.beyond.scorecard import check
from covidat.data import DEFAULT_DATA, PATIENT_COLUMNS, load_dataset
from covidat.reconstruction.sampler import DEFAULT_SEED, PROVENANCE, sample, write

BATCH = sample(3, seed=DEFAULT_SEED + 1)


def test_committed_files_are_the_default_seed(tmp_path):
    assert cli.main(["reconstruct", "--seed", str(DEFAULT_SEED), "--out", str(tmp_path)]) == 0
    for name in ("patients.csv", "assumptions.csv"):
        assert filecmp.cmp(tmp_path / name, DEFAULT_DATA / name, shallow=False), name


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


def test_stricter_improvement_definition():
    batch = sample(1, seed=DEFAULT_SEED + 2, improvement_min_drop=2)
    patients = batch.frame(0)
    drop = patients["who_day0"] - patients["who_day7"]
    assert ((drop >= 2).astype(int) == patients["improved_day7"]).all()
    assert not [c.claim_id for c in check(patients) if c.status == "fails"]


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
    early = died & (BATCH.columns["death_day"] < 7)
    assert np.isnan(BATCH.columns["pf_day7"][early]).all()


def test_reconstruction_draws_only_documented_quantities():
    # Variables no source constrains (age, sex, comorbidities) are not invented.
    committed = load_dataset(DEFAULT_DATA).patients
    assert not {"age", "sex", "comorbidities"} & set(committed.columns)


def test_day7_construction_is_the_prior_conditioned_on_the_claims():
    # The tilted construction must give the prior's own conditional distribution and an unbiased
    # estimate of its probability. Compared with plain rejection from the prior, under claims
    # loosened (means to whole mmHg, so each arm has several admissible sums) for plain rejection
    # to accept often enough.
    from covidat.reconstruction import sampler
    from covidat.data.claims import load_claims
    claims = load_claims()
    claims.loc[claims["claim_id"].str.startswith("pf_change_day7.") & (claims["statistic"] == "mean"),
               ["value", "decimals"]] = [[83, 0], [58, 0]]
    params = {k: v[0] for k, v in sampler.ASSUMPTIONS.items()}
    model = sampler._Model(params, claims)
    rng = np.random.default_rng(0)
    courses = sampler._courses(model, rng)
    candidates = [{k: v[i:i + 1] for k, v in courses.items()} for i in range(len(courses["t"]))]
    course = max(candidates, key=lambda c: sampler._day7_pf(model, c, rng)[1])  # the likeliest, for speed
    runs = [sampler._day7_pf(model, course, rng) for _ in range(20)]
    kept = np.concatenate([r[0] for r in runs])
    estimate = np.mean([np.exp(r[1]) for r in runs])

    who7 = model.course(course)["who7"][0]
    cdf = np.exp(model.pf_log_prior[who7]).cumsum(1)
    plain, tried = [], 3_000_000
    for _ in range(tried // 500_000):
        draws = np.stack([np.searchsorted(cdf[j], rng.random(500_000) * cdf[j, -1], side="right")
                          for j in range(len(who7))], 1).astype(float)
        plain.append(draws[model.meets(model.statistics(model.course(course | {"pf7": draws}), "pf"))])
    plain = np.concatenate(plain)
    assert len(plain) > 500 and len(kept) > 500
    assert estimate == pytest.approx(len(plain) / tried, rel=0.15)
    measured = who7 < 7
    sd = plain[:, measured].std(0) / np.sqrt(len(plain)) + kept[:, measured].std(0) / np.sqrt(len(kept))
    assert (np.abs(plain[:, measured].mean(0) - kept[:, measured].mean(0)) < 4 * sd).all()


def test_discharge_gaps_stay_inside_the_assumed_range():
    # The walk's moves that keep a patient's stay must not push the gap outside the prior.
    from covidat.reconstruction.sampler import ASSUMPTIONS
    low, high = map(int, ASSUMPTIONS["discharge_gap"][0].split("-"))
    alive = BATCH.columns["died"] == 0
    gap = (BATCH.columns["hospital_days"] - BATCH.columns["o2_days"])[alive]
    assert gap.min() >= low and gap.max() <= high
