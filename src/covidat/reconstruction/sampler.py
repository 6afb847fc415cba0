"""Reconstructed patient-level datasets: a model of patients, conditioned on every published claim.

The model (ASSUMPTIONS, written to assumptions.csv beside the data) is a prior over datasets:
each patient independently draws a baseline PaO2/FiO2 and WHO score, whether and when they
die, the day oxygen would stop and the days from then to discharge; the day-7 WHO score
follows from those, and the day-7 PaO2/FiO2 from the day-7 support. A reconstruction is a
draw from this prior conditioned on every published claim, all at once.

Start states are built block by block by rejection from the prior, vectorised (_starts): oxygen
courses meeting their claims (_courses), then for each course the discharge days (_discharges)
and day-7 PaO2/FiO2 (_day7_pf) meeting theirs; a course is chosen in proportion to how likely it
makes those later claims hold, as the joint conditioning requires. Each dataset's chain then
takes BURN_IN Metropolis–Hastings steps that keep every claim (_walk), whose stationary
distribution is exactly the prior restricted to the claims. Same seed and assumptions, same datasets.
"""
import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from covidat.data.claims import holds, load_claims
from covidat.data import PATIENT_COLUMNS, typed_frame
from covidat.endpoints import hospital, improvement, oxygen, oxygenation, secondary
from covidat.endpoints import stats as st

DEFAULT_SEED = 2024
PROVENANCE = "reconstructed: synthetic patients, not trial records"

# id -> (value, what, why, source). Written to assumptions.csv beside the data.
ASSUMPTIONS = {
    "arm_size": (10, "patients per arm", "20 patients randomised 1:1", "martinezmunoz2024"),
    "improvement_min_drop": (1, "fall in WHO points from day 0 to day 7 that counts as clinical improvement",
                             "the abstract does not define improvement; a fall of one point is the smallest "
                             "change the registered scale can show", "none"),
    "pf_day0_range": ("60-200", "baseline PaO2/FiO2 (mmHg): whole numbers, uniform over the range",
                      "eligibility required PaO2/FiO2 of 200 or less; the lower bound is a plausible floor",
                      "nct04615429"),
    "who_day0_ventilated": ("70% if PaO2/FiO2 <= 100, else 30%",
                            "chance that a patient starts on invasive ventilation (WHO 6) rather than "
                            "non-invasive support (WHO 5)",
                            "severe ARDS (PaO2/FiO2 100 or less) is more often intubated; the shares are "
                            "not reported", "ardsdefinition2012"),
    "mortality": (0.28, "chance that a patient dies by day 28, the same in both arms",
                  "pooled ICU mortality of COVID-19 was 28%; the trial reports no mortality figure, only "
                  "that mortality did not differ significantly", "chang2021icu"),
    "death_day_range": ("3-28", "day of death for a patient who dies: whole days, uniform over the range",
                        "not reported; deaths after day 28 would not count in the day-28 mortality", "none"),
    "o2_days_median": ("published median of the arm", "median of the prior for the day oxygen stops",
                       "centres the prior where the claims are, so that conditioning is fast; the "
                       "conditioning, not the prior, fixes the medians", "none"),
    "o2_days_spread": (0.5, "spread (SD of the logarithm) of the day oxygen stops: log-normal, whole days",
                       "not reported; right-skewed durations, as for times to recovery", "none"),
    "o2_min_days": (3, "earliest day oxygen can stop",
                    "patients with moderate to severe ARDS are not off oxygen on day 1 or 2", "none"),
    "death_on_oxygen": ("yes", "a patient who dies is on oxygen until death; oxygen time is censored at death "
                        "(o2_event 0, o2_days = death_day), hospital stay ends at death (discharged 0)",
                        "deaths are a competing event for oxygen discontinuation, handled as censoring",
                        "none"),
    "discharge_gap": ("1-10", "days from stopping oxygen to discharge: whole days, uniform over the range",
                      "not reported; nobody goes home on oxygen or on the day it stops", "none"),
    "discharge_min_day": (8, "earliest discharge day", "nobody is discharged in the first week", "none"),
    "who_day7": ("from the course", "WHO score at day 7: 7 if dead; 6 if dying later; 3 if oxygen stopped "
                 "by day 7; otherwise 4, 5 or 6 as oxygen stops within 7 more days, within 14, or later",
                 "support at day 7 follows how far the patient is from recovery; scale as registered",
                 "nct04615429"),
    "pf_day7": ("means 380, 250, 170, 130", "day-7 PaO2/FiO2 (mmHg) by day-7 WHO score 3, 4, 5, 6: "
                "whole numbers, normal around the mean, within 301-500, 150-400, 60-300, 60-300",
                "off oxygen means breathing room air with PaO2/FiO2 above 300 (no longer in the ARDS "
                "range); non-invasive or invasive ventilation at day 7 means still 300 or less",
                "ardsdefinition2012"),
    "pf_change_sd": (50, "SD (mmHg) of day-7 PaO2/FiO2 around the mean for the day-7 WHO score",
                     "not reported; wide enough that 'not significant' holds comfortably", "none"),
    "pf_measured_day7": ("alive at day 7", "patients with a day-7 PaO2/FiO2",
                         "no value can be measured after death; nobody is discharged before day 8", "none"),
    "method.pf_change_day7": (oxygenation.pf_change_day7.__name__,
                              "mean change, complete cases; Welch two-sample t-test",
                              "the abstract names no test; a mean is the usual summary of a change", "none"),
    "method.who_improved_day7": (improvement.who_improved_day7.__name__, "two-sided Fisher's exact test",
                                 "5/10 against 0/10 gives 0.0325, which prints as the published 0.033", "none"),
    "method.o2_discontinuation": (oxygen.o2_discontinuation.__name__, "Kaplan–Meier median; log-rank test",
                                  "a time-to-event endpoint; the usual pair of summary and test; medians "
                                  "by the midpoint convention of R's survival package", "none"),
    "method.hospital_stay": (hospital.hospital_stay.__name__, "sample median; Mann–Whitney U, normal approximation "
                             "with tie and continuity correction",
                             "a median of 17.5 in ten patients is a plain median; without ties no rank test "
                             "gives 0.042", "none"),
    "method.o2_free_days_28": (secondary.o2_free_days_28.__name__, "oxygen-free days to day 28 (deaths count 0)",
                               "days alive after oxygen stopped, up to day 28; a death counts 0, as for "
                               "ventilator-free days; compared as hospital stay is", "yehya2019vfd"),
    "method.mortality_day28": (secondary.mortality_day28.__name__, "deaths by day 28; two-sided Fisher's exact test",
                               "the registry lists all-cause mortality at day 28", "nct04615429"),
}
OVERRIDABLE = ("improvement_min_drop", "mortality", "o2_days_spread", "pf_change_sd", "discharge_gap")
PF_DAY7 = {3: (380, 301, 500), 4: (250, 150, 400), 5: (170, 60, 300), 6: (130, 60, 300)}  # mean, low, high
ARMS = ("msc", "placebo", "both")  # arms as claim ids name them
PF_MAX = 600  # day-7 PaO2/FiO2 values are clipped to 0..PF_MAX before their prior is looked up
BURN_IN = 200  # Metropolis–Hastings steps each chain takes from its start state before its state is kept
PF_STEP = 20  # a move of day-7 PaO2/FiO2 shifts two patients of an arm by up to this many mmHg, in opposite directions
MAX_DAY = 120
ARM_DRAWS = 20_000  # per round of building start states: arms of patients drawn from the prior, per arm
ARM_PAIRS = 20_000  # random pairs of arms meeting their own claims, tried against the claims comparing arms
DISCHARGE_DRAWS = 5_000  # per oxygen course: discharge gaps drawn for each arm
START_COURSES = 32  # start states come from this many oxygen courses (fewer if fewer datasets are asked for)
PF_DRAWS = 2_000  # per oxygen course: day-7 PaO2/FiO2 candidates drawn
PF_TILTS = np.linspace(-0.3, 0.3, 601)  # tilts the day-7 draws may take (per mmHg)
MAX_ROUNDS = 500


def assumptions_table() -> pd.DataFrame:
    return pd.DataFrame([(k, what, str(v), why, src) for k, (v, what, why, src) in ASSUMPTIONS.items()],
                        columns=["id", "what", "value", "why", "source"])


def _range(text: str) -> tuple[int, int]:
    low, high = text.split("-")
    return int(low), int(high)


@dataclass
class Batch:
    """n reconstructed datasets: one (n, 20) array per patient column, NaN for empty values, and each
    dataset's weight in the target distribution (`weights`, summing to 1; equal unless given)."""
    columns: dict
    arm: np.ndarray
    assumptions: dict = field(default_factory=dict)
    weights: np.ndarray | None = None

    def __post_init__(self):
        if self.weights is None:
            self.weights = np.full(len(self), 1 / len(self))

    def __len__(self) -> int:
        return len(self.columns["pf_day0"])

    def frame(self, i: int) -> pd.DataFrame:
        """Dataset i, typed exactly as data.load_dataset returns patients."""
        def value(column, x):
            if column.kind is str:
                return x
            return None if np.isnan(x) else column.kind(x)
        records = [{c.name: value(c, self.columns[c.name][i, j]) for c in PATIENT_COLUMNS}
                   for j in range(self.columns["pf_day0"].shape[1])]
        return typed_frame(records, PATIENT_COLUMNS)

    def frames(self) -> list[pd.DataFrame]:
        return [self.frame(i) for i in range(len(self))]


class _Model:
    """The prior over one arm pair of patients and the claims the course is conditioned on."""

    def __init__(self, params: dict, claims: pd.DataFrame):
        self.p = params
        self.claims = claims.set_index("claim_id")
        self.targets = {i: (c.relation, float(c.value), int(c.decimals)) for i, c in self.claims.iterrows()}
        n = int(params["arm_size"])
        self.n = n
        self.in_msc = np.r_[np.ones(n, bool), np.zeros(n, bool)]
        self.arms = {"msc": self.in_msc, "placebo": ~self.in_msc}  # arm as claim ids name it -> its columns
        medians = [self.claims.loc[f"o2_discontinuation.{a}.median", "value"] for a in ("msc", "placebo")]
        self.o2_median = np.where(self.in_msc, medians[0], medians[1])
        # log prior of day-7 PaO2/FiO2 x (row: day-7 WHO score, column: x), -inf outside the range. A
        # patient dead by day 7 has no value: they carry a latent one drawn as for WHO 6, which leaves
        # the distribution of everything else unchanged.
        sd = float(params["pf_change_sd"])
        x = np.arange(PF_MAX + 1)
        self.pf_log_prior = np.full((8, PF_MAX + 1), -np.inf)
        for who, (mean, low, high) in (PF_DAY7 | {7: PF_DAY7[6]}).items():
            bins = stats.norm.cdf((x + 0.5 - mean) / sd) - stats.norm.cdf((x - 0.5 - mean) / sd)
            inside = (x >= low) & (x <= high)
            self.pf_log_prior[who, inside] = np.log(bins[inside] / bins[inside].sum())
        # mean of day-7 PaO2/FiO2 under each WHO score's prior tilted by exp(tilt * x), for each of PF_TILTS
        tilted = self.pf_log_prior[:, None, :] + PF_TILTS[None, :, None] * x
        with np.errstate(invalid="ignore"):  # rows of WHO scores no patient has at day 7 are all -inf
            self.pf_tilted_means = (np.exp(tilted - np.logaddexp.reduce(tilted, 2, keepdims=True)) * x).sum(2)

    # --- the prior, one group of variables at a time; each returns arrays shaped like `shape`
    def baseline(self, rng, shape):
        low, high = _range(self.p["pf_day0_range"])
        pf0 = rng.integers(low, high + 1, shape)
        return {"pf0": pf0, "u_who": rng.random(shape)}

    def oxygen(self, rng, shape):
        t = np.rint(self.o2_median * np.exp(rng.normal(0, float(self.p["o2_days_spread"]), shape)))
        low, high = _range(self.p["death_day_range"])
        return {"t": np.clip(t, int(self.p["o2_min_days"]), MAX_DAY),
                "died": rng.random(shape) < float(self.p["mortality"]),
                "death_day": rng.integers(low, high + 1, shape)}

    def discharge(self, rng, shape):
        low, high = _range(self.p["discharge_gap"])
        return {"gap": rng.integers(low, high + 1, shape)}

    GROUPS = ("baseline", "oxygen", "discharge")

    def draw(self, rng, shape):
        """Every variable but day-7 PaO2/FiO2 (NaN here), which _day7_pf draws given the course."""
        s = {k: v for g in self.GROUPS for k, v in getattr(self, g)(rng, shape).items()}
        return s | {"pf7": np.full(shape, np.nan)}

    def log_prior_pf7(self, s) -> np.ndarray:
        """Log prior of every patient's day-7 PaO2/FiO2 given their day-7 WHO score, summed per chain."""
        x = np.clip(s["pf7"], 0, PF_MAX).astype(int)
        return self.pf_log_prior[self.course(s)["who7"], x].sum(1)

    # --- what follows from the drawn variables
    def course(self, s):
        died, dday, t = s["died"], s["death_day"], s["t"]
        who0 = np.where(s["u_who"] < np.where(s["pf0"] <= 100, 0.7, 0.3), 6, 5)
        later = t - 7
        who7 = np.select([died & (dday <= 7), died, t <= 7, later <= 7, later <= 14], [7, 6, 3, 4, 5], 6)
        return {
            "who0": who0, "who7": who7,
            "improved": who0 - who7 >= int(self.p["improvement_min_drop"]),
            "o2_days": np.where(died, dday, t), "o2_event": (~died).astype(float),
            "hospital_days": np.where(died, dday, t + s["gap"]),
            "died": died, "death_day": np.where(died, dday, np.nan), "pf0": s["pf0"], "pf7": s["pf7"],
        }

    def statistics(self, c, block: str, arms=ARMS) -> dict:
        """The claims of one block ("oxygen": the course but hospital stay; "stay": hospital stay;
        "pf": day-7 PaO2/FiO2) about any of `arms`, computed for a batch with the batched statistics."""
        m, p = self.in_msc, ~self.in_msc
        if block == "pf":
            change = np.where(c["who7"] < 7, c["pf7"] - c["pf0"], np.nan)
            claims = {
                "pf_change_day7.msc.mean": lambda: np.nanmean(change[:, m], 1),
                "pf_change_day7.placebo.mean": lambda: np.nanmean(change[:, p], 1),
                "pf_change_day7.both.p": lambda: st.welch_p_batch(change[:, m], change[:, p]),
            }
        elif block == "stay":
            stays = c["hospital_days"]
            claims = {
                "hospital_stay.msc.median": lambda: np.median(stays[:, m], 1),
                "hospital_stay.placebo.median": lambda: np.median(stays[:, p], 1),
                "hospital_stay.both.p": lambda: st.mann_whitney_p_batch(stays[:, m], stays[:, p]),
            }
        else:
            days, event = c["o2_days"], c["o2_event"]
            ofd = secondary.oxygen_free_days(days, event, c["died"], c["death_day"])
            dead = secondary.deaths_by(c["died"], c["death_day"])
            claims = {
                "who_improved_day7.msc.n": lambda: c["improved"][:, m].sum(1),
                "who_improved_day7.placebo.n": lambda: c["improved"][:, p].sum(1),
                "o2_discontinuation.msc.median": lambda: st.km_median_batch(days[:, m], event[:, m]),
                "o2_discontinuation.placebo.median": lambda: st.km_median_batch(days[:, p], event[:, p]),
                "o2_discontinuation.both.p": lambda: st.logrank_p_batch(days[:, m], event[:, m],
                                                                        days[:, p], event[:, p]),
                "o2_free_days_28.both.p": lambda: st.mann_whitney_p_batch(ofd[:, m], ofd[:, p]),
                "mortality_day28.both.p": lambda: st.fisher_p_batch(dead[:, m].sum(1), self.n,
                                                                    dead[:, p].sum(1), self.n),
            }
        return {claim_id: value() for claim_id, value in claims.items() if claim_id.split(".")[1] in arms}

    def meets(self, statistics: dict) -> np.ndarray:
        """Whether each row meets every claim in `statistics`."""
        ok = True
        for claim_id, values in statistics.items():
            relation, value, decimals = self.targets[claim_id]
            ok = ok & holds(relation, value, decimals, values)
        return np.asarray(ok)

    def early_discharge(self, c) -> np.ndarray:
        """Patients discharged alive before the earliest discharge day, per row and patient."""
        return ~c["died"] & (c["hospital_days"] < int(self.p["discharge_min_day"]))

    def valid(self, s) -> np.ndarray:
        """Whether each dataset meets every claim and has every value inside the model's ranges."""
        c = self.course(s)
        ok = ~self.early_discharge(c).any(1) & np.isfinite(self.log_prior_pf7(s))
        for block in ("oxygen", "stay", "pf"):
            ok &= self.meets(self.statistics(c, block))
        return ok

    def pf_sums(self, arm: str, measured):
        """For `measured` patients of an arm ("msc" or "placebo") with a day-7 value: the smallest
        and largest whole-number sums of PaO2/FiO2 changes whose mean prints as the published one."""
        _, value, decimals = self.targets[f"pf_change_day7.{arm}.mean"]
        half = 0.5 * 10.0 ** -decimals * (1 + 1e-9)
        return np.ceil(measured * (value - half)).astype(int), np.floor(measured * (value + half)).astype(int)


def _courses(model: _Model, rng) -> dict:
    """Oxygen courses (baseline, death, the day oxygen stops; a discharge gap drawn too) meeting
    every claim about them, by rejection from the prior: arms of patients are drawn independently
    and kept if they meet their own claims (median days to stopping oxygen, patients improved), then
    random pairs of kept arms are kept if they meet the claims comparing arms (log-rank, oxygen-free
    days, mortality) and leave a whole-number sum of PaO2/FiO2 changes that prints as each arm's mean."""
    n = model.n
    draws = model.draw(rng, (ARM_DRAWS, 2 * n))
    c = model.course(draws)
    msc, placebo = (np.flatnonzero(model.meets(model.statistics(c, "oxygen", (arm,)))) for arm in model.arms)
    if not len(msc) or not len(placebo):
        return {k: v[:0] for k, v in draws.items()}
    i, j = rng.choice(msc, ARM_PAIRS), rng.choice(placebo, ARM_PAIRS)
    pairs = {k: np.c_[v[i, :n], v[j, n:]] for k, v in draws.items()}
    c = model.course(pairs)
    keep = model.meets(model.statistics(c, "oxygen"))
    for arm, in_arm in model.arms.items():
        measured = (c["who7"][:, in_arm] < 7).sum(1)
        low, high = model.pf_sums(arm, measured)
        keep &= (measured > 0) & (low <= high)
    return {k: v[keep] for k, v in pairs.items()}


def _discharges(model: _Model, course: dict, rng) -> np.ndarray:
    """Discharge gaps for one oxygen course (arrays of one row) meeting the claims about hospital
    stay, by rejection from the prior: DISCHARGE_DRAWS gap vectors per arm, kept if the arm's median
    stay prints as published and nobody goes home too early; then every pair of kept vectors whose
    rank test prints as published. Returns the gaps of those pairs, one row each."""
    n, m = model.n, model.in_msc
    gaps = model.discharge(rng, (DISCHARGE_DRAWS, 2 * n))["gap"]
    c = model.course(course | {"gap": gaps})  # the course's row broadcast against every gap vector
    early = model.early_discharge(c)
    msc, placebo = (np.flatnonzero(model.meets(model.statistics(c, "stay", (arm,))) & ~early[:, in_arm].any(1))
                    for arm, in_arm in model.arms.items())
    stays = c["hospital_days"]
    p = st.mann_whitney_p_pairs(stays[msc][:, m], stays[placebo][:, ~m])
    i, j = np.nonzero(model.meets({"hospital_stay.both.p": p}))
    return np.c_[gaps[msc[i], :n], gaps[placebo[j], n:]]


def _day7_pf(model: _Model, course: dict, rng) -> tuple[np.ndarray, float]:
    """Day-7 PaO2/FiO2 for one course (arrays of one row) from the prior conditioned on the claims
    about it, by rejection: PF_DRAWS candidates, each patient's value drawn from the prior tilted by
    exp(tilt * value), each arm's tilt chosen so that the expected changes add up to the published
    mean (on the values meeting that mean the tilt is a constant factor, so the conditioned
    distribution is the prior's); the arm's last patient measured is then set so that the changes
    sum to a whole number printing as the mean (one such sum at random if several do) and kept with
    chance proportional to its tilted prior, times exp(-tilt * sum). A candidate is kept when both
    arms' are and the Welch test is not significant. Returns the kept candidates, one row each, and
    the log of an unbiased estimate of the prior probability that the course's day-7 values meet
    the claims (the kept fraction, undone for the tilt)."""
    who7, pf0 = model.course(course)["who7"][0], course["pf0"][0]
    x = np.arange(PF_MAX + 1)
    arms = []
    tilt = np.zeros(len(who7))
    for arm, in_arm in model.arms.items():
        measured = np.flatnonzero(in_arm & (who7 < 7))
        low, high = model.pf_sums(arm, len(measured))
        expected = model.pf_tilted_means[who7[measured]].sum(0) - pf0[measured].sum()
        tilt[measured] = PF_TILTS[np.abs(expected - (low + high) / 2).argmin()]
        arms.append((measured, low, high))
    log_q = model.pf_log_prior[who7] + tilt[:, None] * x  # (patient, value), before normalising
    log_norm = np.logaddexp.reduce(log_q, 1)
    log_q -= log_norm[:, None]
    cdf = np.exp(log_q).cumsum(1)
    u = rng.random((PF_DRAWS, len(who7)))
    pf7 = np.stack([np.searchsorted(cdf[j], u[:, j] * cdf[j, -1], side="right") for j in range(len(who7))], 1)
    keep, log_weight = np.ones(PF_DRAWS, bool), 0.0
    for measured, low, high in arms:
        *others, last = measured
        total = rng.integers(low, high + 1, PF_DRAWS)
        pf7[:, last] = pf0[last] + total - (pf7[:, others] - pf0[others]).sum(1)
        value = np.clip(pf7[:, last], 0, PF_MAX)
        lam = tilt[last]
        log_bound = log_q[last].max() - min(lam * low, lam * high)  # the largest q_last * exp(-tilt * sum)
        log_accept = log_q[last, value] - lam * total - log_bound
        keep &= (value == pf7[:, last]) & (np.log(rng.random(PF_DRAWS)) < log_accept)
        log_weight += log_norm[measured].sum() + np.log(high - low + 1) + log_bound - lam * pf0[measured].sum()
    keep &= model.meets(model.statistics(model.course(course | {"pf7": pf7}), "pf"))
    with np.errstate(divide="ignore"):  # nothing kept: weight 0
        return pf7[keep].astype(float), log_weight + np.log(keep.mean())


def _starts(model: _Model, chains: int, rng) -> dict:
    """Start states for `chains` chains, each meeting every claim: oxygen courses from _courses,
    in rounds, each with the discharge gaps (_discharges) and day-7 PaO2/FiO2 (_day7_pf) found for
    it, until min(chains, START_COURSES) courses have both. Each chain takes a course with chance
    proportional to its estimated probability of meeting the claims about stays and day 7 (gap
    pairs found, times _day7_pf's estimate), then one of its gaps and day-7 values at random."""
    found, needed = [], min(chains, START_COURSES)
    for _ in range(MAX_ROUNDS):
        courses = _courses(model, rng)
        for row in range(len(courses["t"])):
            course = {k: v[row:row + 1] for k, v in courses.items()}
            gaps = _discharges(model, course, rng)
            if not len(gaps):
                continue
            pf7, log_weight = _day7_pf(model, course, rng)
            if len(pf7):
                found.append((course, gaps, pf7, np.log(len(gaps)) + log_weight))
            if len(found) == needed:
                weight = np.exp(np.array([f[3] for f in found]) - max(f[3] for f in found))
                pick = rng.choice(len(found), chains, p=weight / weight.sum())
                state = {k: np.concatenate([f[0][k] for f in found])[pick] for k in course}
                state["gap"] = np.stack([found[i][1][rng.integers(len(found[i][1]))] for i in pick])
                state["pf7"] = np.stack([found[i][2][rng.integers(len(found[i][2]))] for i in pick])
                return state
    raise RuntimeError(f"no dataset meeting every claim in {MAX_ROUNDS} rounds")


def _discharge_move(model: _Model, state: dict, patient: np.ndarray, rng) -> tuple[dict, np.ndarray]:
    """A new discharge gap for one patient per chain: half the time a fresh draw from the prior,
    half the time the gap that gives the patient another patient's stay (the published rank
    test needs tied stays). Returns the proposal and log of its Metropolis–Hastings ratio."""
    rows = np.arange(len(patient))
    low, high = _range(model.p["discharge_gap"])
    stays = model.course(state)["hospital_days"]
    other = (patient + rng.integers(1, stays.shape[1], len(rows))) % stays.shape[1]
    t = state["t"][rows, patient]
    copy = rng.random(len(rows)) < 0.5
    gap = np.where(copy, stays[rows, other] - t, rng.integers(low, high + 1, len(rows)))
    others = np.ones_like(stays, bool)
    others[rows, patient] = False

    def chance(g):  # probability of proposing gap g (within the range) from this state
        tied = ((stays == (t + g)[:, None]) & others).sum(1)
        return 0.5 / (high - low + 1) + 0.5 * tied / (stays.shape[1] - 1)

    inside = (gap >= low) & (gap <= high)
    gap = np.where(inside, gap, state["gap"][rows, patient])
    proposal = {k: v.copy() for k, v in state.items()}
    proposal["gap"][rows, patient] = gap
    log_ratio = np.where(inside, np.log(chance(state["gap"][rows, patient])) - np.log(chance(gap)), -np.inf)
    return proposal, log_ratio


def _propose(model: _Model, state: dict, rng) -> tuple[dict, np.ndarray]:
    """One move per chain: redraw a patient's baseline (move 0, their day-7 PaO2/FiO2 shifted with
    it so that their change stays) or oxygen course (1) from the model, or their discharge gap
    (2-3, see _discharge_move), or shift the day-7 PaO2/FiO2 of two patients of an arm in opposite
    directions (4: the arm's mean change stays), or redraw the day oxygen stops from the model
    with the gap that keeps their stay (5: the published stay claims need exact ties, which a
    new stay rarely keeps). Returns the proposal and the log Metropolis–Hastings ratio."""
    chains, size = state["t"].shape
    rows = np.arange(chains)
    patient = rng.integers(0, size, chains)
    proposal, log_ratio = _discharge_move(model, state, patient, rng)
    move = rng.integers(0, 6, chains)
    at = (rows, patient)
    fresh = {name: getattr(model, name)(rng, (chains, size)) for name in ("baseline", "oxygen")}
    for g, name in enumerate(fresh):
        chosen = (rows[move == g], patient[move == g])
        for k, v in fresh[name].items():
            proposal[k][chosen] = v[chosen]
    proposal["pf7"][at] += np.where(move == 0, proposal["pf0"][at] - state["pf0"][at], 0)
    n = model.n
    partner = (patient // n) * n + (patient % n + rng.integers(1, n, chains)) % n  # another patient, same arm
    shift = np.where(move == 4, rng.integers(1, PF_STEP + 1, chains) * rng.choice([-1, 1], chains), 0)
    proposal["pf7"][at] += shift
    proposal["pf7"][rows, partner] -= shift
    discharge = (move == 2) | (move == 3)
    proposal["gap"][~discharge] = state["gap"][~discharge]
    log_ratio = np.where(discharge, log_ratio, 0.0)
    # Move 5: proposing t from the model, the ratio is the gap's prior (uniform) after against before.
    same_stay = (rows[move == 5], patient[move == 5])
    proposal["t"][same_stay] = fresh["oxygen"]["t"][same_stay]
    proposal["gap"][same_stay] = state["t"][same_stay] + state["gap"][same_stay] - proposal["t"][same_stay]
    low, high = _range(model.p["discharge_gap"])
    gap = proposal["gap"][at]
    log_ratio = np.where((move == 5) & ((gap < low) | (gap > high)), -np.inf, log_ratio)
    with np.errstate(invalid="ignore"):  # a proposal outside the day-7 range has log prior -inf
        return proposal, log_ratio + model.log_prior_pf7(proposal) - model.log_prior_pf7(state)


def _walk(model: _Model, state: dict, steps: int, rng) -> dict:
    """`steps` Metropolis–Hastings steps of chains that meet every claim: a move is kept only if
    every claim still holds, so the model restricted to the claims is their stationary distribution."""
    chains = len(state["t"])
    for _ in range(steps):
        proposal, log_ratio = _propose(model, state, rng)
        accept = np.log(rng.random(chains)) < log_ratio
        rows = np.flatnonzero(accept)  # only moves the ratio accepts need their claims checked
        accept[rows] = model.valid({k: v[rows] for k, v in proposal.items()})
        for k in state:
            state[k][accept] = proposal[k][accept]
    return state


def _chains(model: _Model, chains: int, rng) -> dict:
    """Start states (_starts), each chain then walking BURN_IN steps."""
    return _walk(model, _starts(model, chains, rng), BURN_IN, rng)


def sample(n: int, seed: int = DEFAULT_SEED, **overrides) -> Batch:
    """n datasets from the model conditioned on every claim; `overrides` replace assumption values
    (any of OVERRIDABLE, e.g. improvement_min_drop=2, mortality=0.1, pf_change_sd=80)."""
    unknown = set(overrides) - set(OVERRIDABLE)
    if unknown:
        raise ValueError(f"cannot override {sorted(unknown)}; choose from {OVERRIDABLE}")
    params = {k: v[0] for k, v in ASSUMPTIONS.items()} | overrides
    model = _Model(params, load_claims())
    rng = np.random.default_rng(seed)
    state = _chains(model, n, rng)
    course = model.course(state)
    pf7 = np.where(course["who7"] < 7, state["pf7"], np.nan)

    size = 2 * model.n
    order = rng.permutation(size)  # allocation order, the same for every dataset of the batch
    columns = {
        "pf_day0": state["pf0"], "pf_day7": pf7, "who_day0": course["who0"], "who_day7": course["who7"],
        "improved_day7": course["improved"], "o2_days": course["o2_days"], "o2_event": course["o2_event"],
        "hospital_days": course["hospital_days"], "discharged": ~course["died"], "died": course["died"],
        "death_day": course["death_day"],
    }
    columns = {k: np.asarray(v, float)[:, order] for k, v in columns.items()}
    arm = np.where(model.in_msc, "MSC", "placebo")[order]
    columns["arm"] = np.tile(arm, (n, 1)).astype(object)
    columns["patient_id"] = np.tile([f"P{i:02d}" for i in range(1, size + 1)], (n, 1)).astype(object)
    if "provenance" in {c.name for c in PATIENT_COLUMNS}:
        columns["provenance"] = np.full((n, size), PROVENANCE, dtype=object)
    return Batch(columns, arm, params)


def reconstruct(seed: int = DEFAULT_SEED, **overrides) -> pd.DataFrame:
    """One dataset satisfying every claim in data/published/claims.csv."""
    return sample(1, seed, **overrides).frame(0)


def write(patients: pd.DataFrame, out: Path) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    patients.to_csv(out / "patients.csv", index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    assumptions_table().to_csv(out / "assumptions.csv", index=False, lineterminator="\n")
