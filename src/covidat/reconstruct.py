"""A reconstructed patient-level dataset consistent with every published claim.

Each patient is modelled by a few clinical facts: baseline WHO score and PaO2/FiO2, the day
oxygen was stopped, the day of discharge, the PaO2/FiO2 change by day 7. Unconstrained
parts are drawn at random from ASSUMPTIONS; constrained parts (oxygen and hospital days)
are found by a random walk that only moves towards, and then within, the set of datasets
whose statistics round to the published numbers. Same seed and assumptions, same dataset.
"""
import csv
from pathlib import Path

import numpy as np
import pandas as pd

from covidat import endpoints as ep
from covidat.claims import check, holds, load_claims
from covidat.data import PATIENT_COLUMNS

DEFAULT_SEED = 2024

# id -> (value, what, why, source). Written to assumptions.csv beside the data.
ASSUMPTIONS = {
    "arm_size": (10, "patients per arm", "20 patients randomised 1:1", "martinezmunoz2024"),
    "improvement_min_drop": (1, "fall in WHO points from day 0 to day 7 that counts as clinical improvement",
                             "the abstract does not define improvement; a fall of one point is the smallest "
                             "change the registered scale can show", "none"),
    "deaths": (0, "deaths during follow-up",
               "the abstract gives no mortality figure; the book reports mortality as not reported", "none"),
    "censoring": (0, "patients censored before oxygen discontinuation or discharge",
                  "with no deaths and complete follow-up every patient reaches both events", "none"),
    "who_day0": ("5 or 6", "baseline WHO score: 5 (non-invasive ventilation or high-flow oxygen) or "
                 "6 (invasive ventilation), equally likely",
                 "moderate to severe ARDS needs at least high-flow support; the share intubated is not "
                 "reported (a patient who must improve by two points without leaving oxygen starts at 6)",
                 "nct04615429"),
    "who_day7": ("from the oxygen day", "WHO score at day 7: 3 if oxygen was stopped by day 7; otherwise "
                 "the baseline score, lowered by the improvement threshold for improved patients",
                 "scores follow the registry definitions; no patient worsens", "nct04615429"),
    "pf_day0_range": ("60-200", "baseline PaO2/FiO2 in mmHg, whole numbers drawn uniformly",
                      "eligibility required PaO2/FiO2 of 200 or less; the lower bound is a plausible floor",
                      "nct04615429"),
    "pf_change_sd": (60, "standard deviation (mmHg) of the day-7 PaO2/FiO2 change within an arm",
                     "not reported; chosen so that the published difference is not significant", "none"),
    "pf_measured_day7": ("all", "patients with a day-7 PaO2/FiO2",
                         "no patient died or left hospital before day 7 in this reconstruction", "none"),
    "day_range": ("1-60", "range of whole days for oxygen discontinuation and discharge",
                  "not reported; wide enough for the published medians", "none"),
    "o2_median_tie": ("yes", "the 5th and 6th shortest oxygen times in each arm equal the published median",
                      "Kaplan–Meier medians differ by convention when the curve sits at 0.5 (statsmodels, "
                      "R and the sample median disagree); with a tie they all give the published value",
                      "none"),
    "discharge_after_o2": ("yes", "discharge on or after the day oxygen was stopped, and after day 7",
                           "patients are not sent home on oxygen in this reconstruction", "none"),
    "method.pf_change_day7": (ep.oxygenation.pf_change_day7.__name__, "mean change, complete cases; Welch two-sample t-test",
                              "the abstract names no test; a mean is the usual summary of a change", "none"),
    "method.who_improved_day7": (ep.improvement.who_improved_day7.__name__, "two-sided Fisher's exact test",
                                 "5/10 against 0/10 gives 0.0325, which prints as the published 0.033", "none"),
    "method.o2_discontinuation": (ep.oxygen.o2_discontinuation.__name__, "Kaplan–Meier median; log-rank test",
                                  "a time-to-event endpoint; the usual pair of summary and test", "none"),
    "method.hospital_stay": (ep.hospital.hospital_stay.__name__, "sample median; Mann–Whitney U, normal approximation "
                             "with tie and continuity correction",
                             "a median of 17.5 in ten patients is a plain median; without ties no rank test "
                             "gives 0.042", "none"),
}
MAX_DAY = 60


def assumptions_table() -> pd.DataFrame:
    return pd.DataFrame([(k, what, str(v), why, src) for k, (v, what, why, src) in ASSUMPTIONS.items()],
                        columns=["id", "what", "value", "why", "source"])


def _claim(claims: pd.DataFrame, claim_id: str):
    return claims.set_index("claim_id").loc[claim_id]


def _miss(claim, reproduced: float) -> float:
    """0 when the claim holds, otherwise a distance to it (on the log scale for p-values)."""
    if holds(claim.relation, claim.value, int(claim.decimals), reproduced):
        return 0.0
    if claim.statistic == "p":
        return abs(np.log(max(reproduced, 1e-300)) - np.log(claim.value)) + 1.0
    return abs(reproduced - claim.value) + 1.0


def walk(start, propose, loss, rng, temperature: float = 0.1, patience: int = 3000,
         restarts: int = 20, thin: int = 200) -> np.ndarray:
    """From a state drawn by `start`, move until loss is 0: a Metropolis walk that accepts
    a worse state with probability exp(-increase / temperature), starting afresh after
    `patience` steps without a new best. Then take `thin` more steps that keep the loss
    at 0, so the result is not just the first valid state found."""
    for _ in range(restarts):
        state = start(rng)
        current = best = loss(state)
        stalled = 0
        while current > 0 and stalled < patience:
            candidate = propose(state, rng)
            value = loss(candidate)
            if value <= current or rng.random() < np.exp((current - value) / temperature):
                state, current = candidate, value
            stalled = 0 if current < best else stalled + 1
            best = min(best, current)
        if current == 0:
            for _ in range(thin):
                candidate = propose(state, rng)
                if loss(candidate) == 0:
                    state = candidate
            return state
    raise RuntimeError("reconstruction did not converge; try another seed")


def _hospital_days(claims, rng) -> np.ndarray:
    """Days from randomisation to discharge, arms in rows (MSC, placebo); all after day 7."""
    med = [_claim(claims, f"hospital_stay.{a}.median") for a in ("msc", "placebo")]
    p_claim = _claim(claims, "hospital_stay.both.p")

    def start(rng):
        return rng.integers(8, MAX_DAY + 1, size=(2, 10))

    def propose(s, rng):
        s = s.copy()
        arm, column = rng.integers(2), rng.integers(10)
        move = rng.integers(3)
        if move == 0:  # a small step
            s[arm, column] = np.clip(s[arm, column] + rng.choice([-2, -1, 1, 2]), 8, MAX_DAY)
        elif move == 1:  # a fresh value
            s[arm, column] = rng.integers(8, MAX_DAY + 1)
        else:  # the stay of another patient: the published p needs tied stays
            s[arm, column] = s.flat[rng.integers(s.size)]
        return s

    def loss(s):
        return (_miss(med[0], float(np.median(s[0]))) + _miss(med[1], float(np.median(s[1])))
                + _miss(p_claim, ep.mann_whitney_p(s[0], s[1])))

    return walk(start, propose, loss, rng)


def _oxygen_days(claims, hospital, rng) -> np.ndarray:
    """Days to oxygen discontinuation, no later than discharge. In each arm the patients with
    the longest stays get the four longest oxygen times and the two at the published median."""
    medians = [int(_claim(claims, f"o2_discontinuation.{a}.median").value) for a in ("msc", "placebo")]
    p_claim = _claim(claims, "o2_discontinuation.both.p")
    n_improved_msc = int(_claim(claims, "who_improved_day7.msc.n").value)
    order = np.argsort(hospital, axis=1, kind="stable")
    low = np.ones_like(hospital)
    high = np.minimum(hospital, np.array(medians)[:, None] - 1)  # below the median...
    for arm, m in enumerate(medians):
        tie, above = order[arm, 4:6], order[arm, 6:]
        low[arm, tie] = high[arm, tie] = m
        low[arm, above], high[arm, above] = m + 1, hospital[arm, above]  # ...or above it
    if (low > high).any():
        raise RuntimeError("stays too short for the published oxygen medians")
    free = [(a, c) for a in range(2) for c in range(10) if low[a, c] < high[a, c]]

    def start(rng):
        return rng.integers(low, high + 1)

    def propose(s, rng):
        s = s.copy()
        arm, column = free[rng.integers(len(free))]
        s[arm, column] = rng.integers(low[arm, column], high[arm, column] + 1)
        return s

    def loss(s):
        ones = np.ones(10)
        # Placebo: nobody improved, so nobody was off oxygen at day 7; MSC: at most the improved.
        who = max(0, (s[0] <= 7).sum() - n_improved_msc) + (s[1] <= 7).sum()
        return who + _miss(p_claim, ep.logrank_p(s[0], ones, s[1], ones))

    return walk(start, propose, loss, rng)


def _pf_change(claims, rng, sd: float) -> np.ndarray:
    """Whole-mmHg changes whose arm means print as published and whose test is 'not significant'."""
    means = [_claim(claims, f"pf_change_day7.{a}.mean").value for a in ("msc", "placebo")]
    p_claim = _claim(claims, "pf_change_day7.both.p")
    while True:
        change = np.rint(rng.normal(means, sd, size=(10, 2)).T).astype(int)
        for arm in range(2):  # move the rounding residue onto random patients
            residue = int(round(means[arm] * 10)) - change[arm].sum()
            np.add.at(change[arm], rng.integers(0, 10, abs(residue)), np.sign(residue))
        if holds(p_claim.relation, p_claim.value, int(p_claim.decimals), ep.welch_p(change[0], change[1])):
            return change


def reconstruct(seed: int = DEFAULT_SEED, min_drop: int | None = None) -> pd.DataFrame:
    """One dataset satisfying every claim in data/published/claims.csv."""
    claims = load_claims()
    rng = np.random.default_rng(seed)
    min_drop = ASSUMPTIONS["improvement_min_drop"][0] if min_drop is None else min_drop
    hospital = _hospital_days(claims, rng)
    o2 = _oxygen_days(claims, hospital, rng)
    change = _pf_change(claims, rng, ASSUMPTIONS["pf_change_sd"][0])
    pf0 = rng.integers(60, 201, size=(2, 10))
    while ((pf0 + change) < 20).any():  # keep day 7 plausible
        pf0 = rng.integers(60, 201, size=(2, 10))
    who0 = rng.choice([5, 6], size=(2, 10))

    # Improved: everyone off oxygen by day 7, plus random MSC patients up to the published count.
    improved = o2 <= 7
    n_msc = int(_claim(claims, "who_improved_day7.msc.n").value)
    others = np.flatnonzero(~improved[0])
    improved[0, rng.choice(others, n_msc - improved[0].sum(), replace=False)] = True
    still_on_o2 = improved & (o2 > 7)
    who0[still_on_o2 & (who0 - min_drop < 4)] = 6  # only a start at 6 leaves room to improve on oxygen
    who7 = np.where(o2 <= 7, 3, np.where(improved, who0 - min_drop, who0))
    if (still_on_o2 & (who7 < 4)).any():
        raise ValueError(f"an improvement of {min_drop} points is impossible while still on oxygen")

    arm_names = np.array([["MSC"] * 10, ["placebo"] * 10])
    frame = pd.DataFrame({
        "arm": arm_names.ravel(), "pf_day0": pf0.ravel(), "pf_day7": (pf0 + change).ravel(),
        "who_day0": who0.ravel(), "who_day7": who7.ravel(), "improved_day7": improved.ravel().astype(int),
        "o2_days": o2.ravel(), "o2_event": 1, "hospital_days": hospital.ravel(), "discharged": 1,
        "died": 0, "death_day": pd.NA,
    })
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)  # allocation order
    frame.insert(0, "patient_id", [f"P{i:02d}" for i in range(1, len(frame) + 1)])
    frame = frame[[c.name for c in PATIENT_COLUMNS]]
    failing = [c.claim_id for c in check(frame, claims) if c.status == "fails"]
    if failing:
        raise RuntimeError(f"seed {seed}: reconstruction breaks claims {failing}")
    return frame


def sample(n: int, first_seed: int = DEFAULT_SEED + 1, **options) -> list[pd.DataFrame]:
    """n different datasets that all satisfy the claims (seeds first_seed, first_seed + 1, ...)."""
    return [reconstruct(seed, **options) for seed in range(first_seed, first_seed + n)]


def write(patients: pd.DataFrame, out: Path) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    patients.to_csv(out / "patients.csv", index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    assumptions_table().to_csv(out / "assumptions.csv", index=False, lineterminator="\n")
