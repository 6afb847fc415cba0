"""The abstract's readings, compared: where the abstract leaves open how a published number was
computed, each way of computing it is a claim set of its own, scored by how probable the model
makes the abstract under it (its normalising constant) and sampled like the book's reading.

Hospital stay (STAY_READINGS): one sample (`score`) serves every reading. Its rounds draw oxygen
courses meeting their claims that some reading's median stays could fit (the union of the
readings' screens), then, for each course, one set of discharge-gap draws judged under every
reading (common random numbers) and the day-7 PaO2/FiO2 estimate of the book's sampler. A round's
estimate of a reading's constant is the probability of the oxygen claims and screen times the
mean, over the round's courses, of the probability of the later claims; rounds are independent,
so the ratio of two readings' constants has a delta-method standard error over rounds. Each course
a reading keeps gives one dataset, weighted as in the book's batch.

Day-7 PaO2/FiO2 (mean or median; whole numbers or not) needs no sample: see `median_can_print`
and `unrounded_mean_factor`.
"""
import functools
from pathlib import Path

import numpy as np
import pandas as pd

from covidat import ROOT
from covidat.data.claims import holds, load_claims
from covidat.endpoints import secondary, stats
from covidat.reconstruction import sampler
from covidat.reconstruction.sampler import StayReading

BOOK = "Deaths as stays ending on the day of death (the book's reading)"
STAY_READINGS = {
    BOOK: sampler.BOOK_STAY,
    "Deaths ranked worse than any stay": StayReading(deaths="ranked worst"),
    "Survivors only": StayReading(deaths="survivors only"),
    f"Stays cut off at day {secondary.HORIZON}": StayReading(cut=secondary.HORIZON),
    "Rank test without continuity correction": StayReading(test="normal"),
    "Exact rank test, ties ignored": StayReading(test="exact"),
}
ROUNDS = 2000  # rounds of the committed sample
KEEP = 300  # datasets kept per reading: its first, in round order (rounds are independent, so any first ones do)
DATASETS = ROOT / "data" / "reconstructed" / "readings.csv"
CONSTANTS = ROOT / "data" / "reconstructed" / "readings_rounds.csv"


def _round(model, k: int, seed: int) -> tuple[list, np.ndarray]:
    """Round k: the datasets each reading keeps (reading index, state, log weight) and, per reading,
    the log estimate of its normalising constant from this round alone."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, k)))  # apart from the book's rounds
    readings = tuple(STAY_READINGS.values())
    courses, log_p = sampler._courses(model, rng, functools.partial(model.stays_possible, readings=readings))
    found, total = [], np.zeros(len(readings))
    for row in range(len(courses["z"])):
        course = {key: v[row:row + 1] for key, v in courses.items()}
        gaps, kept, pf, log_weights = sampler._later_claims(model, course, rng, readings)
        if not np.isfinite(log_weights).any():
            continue
        pick = rng.integers(len(pf["pf7"]))
        drawn = {key: v[pick][None] for key, v in pf.items()}
        for r, ((msc, placebo), log_w) in enumerate(zip(kept, log_weights)):
            if np.isfinite(log_w):
                total[r] += np.exp(log_w)
                found.append((r, course | {"u_gap": sampler.paired(gaps, msc, placebo, rng, model.n)} | drawn, log_w))
    with np.errstate(divide="ignore"):
        return found, log_p + np.log(total) - np.log(max(len(courses["z"]), 1))


def score(rounds: int = ROUNDS, seed: int = sampler.DEFAULT_SEED, processes: int = 1,
          keep: int = KEEP) -> tuple[dict, pd.DataFrame]:
    """Every reading's first `keep` weighted datasets (label -> Batch; None where it kept none) and
    the per-round log estimates of its normalising constant (columns round, reading, log_z)."""
    params = {k: v[0] for k, v in sampler.ASSUMPTIONS.items()}
    model = sampler._Model(params, load_claims())
    labels = list(STAY_READINGS)
    kept = {label: ([], [], []) for label in labels}
    constants = []
    with sampler.mapper(processes) as run:
        for k, (found, log_z) in enumerate(run(functools.partial(_round, model, seed=seed), range(rounds))):
            constants += [(k, label, z) for label, z in zip(labels, log_z)]
            for r, state, log_w in found:
                if len(kept[labels[r]][0]) < keep:
                    for store, value in zip(kept[labels[r]], (state, log_w, k)):
                        store.append(value)
    batches = {label: sampler.to_batch(model, states, log_w, rounds_, seed) if states else None
               for label, (states, log_w, rounds_) in kept.items()}
    return batches, pd.DataFrame(constants, columns=["round", "reading", "log_z"])


def write(batches: dict, constants: pd.DataFrame, datasets: Path = DATASETS, rounds: Path = CONSTANTS) -> None:
    tables = [sampler.batch_table(batch).assign(reading=label) for label, batch in batches.items() if batch]
    table = pd.concat(tables, ignore_index=True)
    table[["reading"] + [c for c in table if c != "reading"]].to_csv(datasets, index=False, lineterminator="\n",
                                                                      float_format="%.10g")
    constants.to_csv(rounds, index=False, lineterminator="\n", float_format="%.10g")


def load(datasets: Path = DATASETS) -> dict:
    """Each reading's weighted datasets, as `score` returned them (readings that kept none left out)."""
    table = pd.read_csv(datasets)
    return {label: sampler.batch_from_table(part) for label, part in table.groupby("reading", sort=False)}


def load_constants(rounds: Path = CONSTANTS) -> pd.DataFrame:
    return pd.read_csv(rounds)


def bayes_factors(constants: pd.DataFrame, reference: str = BOOK) -> pd.DataFrame:
    """Per reading: how much more probable it makes the abstract than `reference` (the ratio of their
    normalising constants, each the mean of its per-round estimates), with the delta-method Monte
    Carlo standard error of that ratio over independent rounds, and the rounds behind it (those whose
    estimate is not zero)."""
    z = constants.pivot(index="round", columns="reading", values="log_z")
    z = np.exp(z - z.max().max())
    y = z[reference]
    rows = {}
    for label in z:
        x = z[label]
        ratio = x.sum() / y.sum()
        rows[label] = {"factor": ratio, "mcse": float(np.sqrt(((x - ratio * y) ** 2).sum()) / y.sum()),
                       "rounds": int((x > 0).sum())}
    return pd.DataFrame.from_dict(rows, orient="index").loc[constants["reading"].unique()]


def stay_p(batch, reading: StayReading) -> np.ndarray:
    """Per dataset: the hospital-stay rank test's p under `reading` (NaN where an arm has no value)."""
    msc = np.asarray(batch.arm) == "MSC"
    values = reading.values(batch.columns["hospital_days"], batch.columns["died"] == 1)
    a, b = values[:, msc], values[:, ~msc]
    with np.errstate(invalid="ignore"):  # comparisons with NaN are false: left-out patients count nowhere
        u = ((a[:, :, None] > b[:, None, :]) + 0.5 * (a[:, :, None] == b[:, None, :])).sum((1, 2))
    both = np.c_[a, b]
    tied = (both[:, :, None] == both[:, None, :]).sum(2)  # each value's tie group size t (0 if left out)
    tie_sum = np.where(np.isnan(both), 0, tied ** 2 - 1).sum(1)  # sum of t^3 - t over tie groups
    n1, n2 = (~np.isnan(a)).sum(1), (~np.isnan(b)).sum(1)
    p = np.full(len(values), np.nan)
    for sizes in set(zip(n1, n2)):
        rows = (n1 == sizes[0]) & (n2 == sizes[1])
        if min(sizes) > 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                p[rows] = stats.mann_whitney_u_p(reading.test, u[rows], tie_sum[rows], *sizes)
    return p


def median_can_print(claim_id: str) -> bool:
    """Whether a median of whole numbers (a whole or half number) can print as the published value."""
    claim = load_claims().set_index("claim_id").loc[claim_id]
    value, decimals = float(claim["value"]), int(claim["decimals"])
    return any(holds("=", value, decimals, k / 2) for k in range(int(2 * value) - 1, int(2 * value) + 3))


def unrounded_mean_factor(batch) -> tuple[float, float]:
    """How much more probable the published mean changes are if PaO2/FiO2 is not rounded to whole
    numbers (each value anywhere within half a unit of a whole number) than if it is: per arm, the
    width of the band of sums whose mean prints as published (measured patients times the printed
    precision) over the number of whole sums in it, multiplied over arms and averaged over the
    batch's weighted datasets. Exact when the sum's probability is flat across a few units (its SD is
    hundreds), approximate otherwise; with the Monte Carlo standard error of the average."""
    model = sampler._Model(batch.assumptions, load_claims())
    msc = np.asarray(batch.arm) == "MSC"
    measured = ~np.isnan(batch.columns["pf_day7"])
    factor = np.ones(len(batch))
    for arm, in_arm in (("msc", msc), ("placebo", ~msc)):
        n = measured[:, in_arm].sum(1)
        low, high = model.pf_sums(arm, n)
        factor *= n * 10.0 ** -model.targets[f"pf_change_day7.{arm}.mean"][2] / (high - low + 1)
    return sampler.weighted_mean(factor, batch.weights)
