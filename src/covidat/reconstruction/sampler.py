"""Reconstructed patient-level datasets: a model of patients, conditioned on every published claim.

The model (ASSUMPTIONS, written to assumptions.csv beside the data) is a prior over datasets:
each patient independently draws a baseline PaO2/FiO2 and WHO score, whether and when they
die (more often with severe ARDS), the day oxygen would stop (later if ventilated or severely
hypoxaemic at baseline) and the days from then to discharge; the day-7 WHO score follows from
the course and the baseline support, and the day-7 PaO2/FiO2 from the day-7 support. The target
is this prior conditioned on every published claim, all at once.

`sample` draws from it by importance sampling, in rounds that each have their own random stream
(_round): oxygen courses meeting their claims by rejection (_courses); for each, discharge days
(_discharges) and day-7 PaO2/FiO2 (_day7_pf) meeting theirs, also by rejection, each giving an
unbiased estimate of how probable the course makes those claims. A course with both gives one
dataset, an exact draw given its course, weighted by the product of the two estimates
(Batch.weights). Nothing is resampled; the effective sample size of the weights says what a
batch is worth. Same seed and assumptions, same datasets; the first datasets of a seed do not
depend on how many are asked for.
"""
import contextlib
import csv
import functools
import multiprocessing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from covidat import ROOT
from covidat.data.claims import holds, load_claims
from covidat.data.coherence import SEVERE_PF
from covidat.data import PATIENT_COLUMNS
from covidat.endpoints import secondary
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
                            "not reported; the lower the PaO2/FiO2, the likelier intubation (the shares "
                            "are guesses, no source gives them at randomisation)", "none"),
    "mortality": (0.32, "chance of dying in hospital for a patient with moderate ARDS at baseline "
                  "(PaO2/FiO2 above 100), the same in both arms",
                  "the Berlin definition's validation reports 32% mortality in moderate ARDS (all causes, "
                  "not COVID-19); the trial reports no mortality figure, only that mortality did not differ "
                  "significantly", "ardsdefinition2012"),
    "mortality_severe": (0.45, "chance of dying in hospital for a patient with severe ARDS at baseline "
                         "(PaO2/FiO2 100 or less)", "45% in severe ARDS in the same validation",
                         "ardsdefinition2012"),
    "death_day_range": ("5-60", "day of death for a patient who dies: whole days, uniform over the range",
                        "not reported; deaths continue after day 28 (they count in hospital stay, not in "
                        "day-28 mortality)", "none"),
    "o2_days_median": ("published median of the arm", "median of the prior for the day oxygen stops, before "
                       "the severity factor", "centres the prior where the claims are, so that conditioning "
                       "is fast; the conditioning, not the prior, fixes the medians", "none"),
    "o2_days_severity": (1.3, "factor on the day oxygen stops for a patient ventilated at baseline or with "
                         "PaO2/FiO2 100 or less (others: its inverse)",
                         "not reported; sicker patients need support longer (the Berlin validation reports "
                         "longer ventilation in survivors of more severe ARDS)", "ardsdefinition2012"),
    "o2_days_spread": (0.5, "spread (SD of the logarithm) of the day oxygen stops: log-normal, whole days",
                       "not reported; right-skewed durations, as for times to recovery", "none"),
    "o2_min_days": (3, "earliest day oxygen can stop",
                    "not reported; patients with moderate to severe ARDS are not off oxygen on day 1 or 2",
                    "none"),
    "o2_min_days_severe": (10, "earliest day oxygen can stop for a patient ventilated at baseline or with "
                           "PaO2/FiO2 100 or less", "not reported; such a patient is weaned from the "
                           "ventilator and then from oxygen over more than a week", "none"),
    "death_on_oxygen": ("yes", "a patient who dies is on oxygen until death; oxygen time is censored at death "
                        "(o2_event 0, o2_days = death_day), hospital stay ends at death (discharged 0)",
                        "deaths are a competing event for oxygen discontinuation, handled as censoring",
                        "none"),
    "discharge_gap": ("1-10", "days from stopping oxygen to discharge: whole days, uniform over the range",
                      "not reported; nobody goes home on oxygen or on the day it stops", "none"),
    "discharge_gap_ventilated": ("3-14", "days from stopping oxygen to discharge for a patient ventilated at "
                                 "day 7: whole days, uniform over the range", "not reported; a patient ventilated "
                                 "a week into the illness needs days of recovery after oxygen", "none"),
    "discharge_min_day": (8, "earliest discharge day", "nobody is discharged in the first week", "none"),
    "who_day7": ("from the course", "WHO score at day 7: 7 if dead; 6 if dying later; 3 if oxygen stopped "
                 "by day 7; otherwise one step below the baseline score if oxygen stops within 7 more days, "
                 "else the baseline score",
                 "support at day 7 follows the patient's baseline support and how far recovery still is; "
                 "scale as registered", "nct04615429"),
    "pf_day7": ("means 380, 250, 170, 130", "day-7 PaO2/FiO2 (mmHg) by day-7 WHO score 3, 4, 5, 6: "
                "whole numbers, normal around the mean, within 301-500, 150-400, 60-300, 60-300",
                "the bounds at 300 follow the Berlin definition (PaO2/FiO2 above 300 is outside ARDS); "
                "the means and the other bounds are not reported", "ardsdefinition2012"),
    "pf_change_sd": (50, "SD (mmHg) of day-7 PaO2/FiO2 around the mean for the day-7 WHO score",
                     "not reported; wide enough that 'not significant' holds comfortably", "none"),
    "pf_measured_day7": ("alive at day 7", "patients with a day-7 PaO2/FiO2",
                         "no value can be measured after death; nobody is discharged before day 8", "none"),
    "method.pf_change_day7": ("pf_change_day7",
                              "mean change, complete cases; Welch two-sample t-test",
                              "the abstract names no test; a mean is the usual summary of a change", "none"),
    "method.who_improved_day7": ("who_improved_day7", "two-sided Fisher's exact test",
                                 "5/10 against 0/10 gives 0.0325, which prints as the published 0.033", "none"),
    "method.o2_discontinuation": ("o2_discontinuation", "Kaplan–Meier median; log-rank test",
                                  "a time-to-event endpoint; the usual pair of summary and test; medians "
                                  "by the midpoint convention of R's survival package", "none"),
    "method.hospital_stay": ("hospital_stay", "sample median; Mann–Whitney U, normal approximation "
                             "with tie and continuity correction",
                             "a median of 17.5 in ten patients is a plain median; without ties no rank test "
                             "gives 0.042", "none"),
    "method.o2_free_days_28": ("o2_free_days_28", "oxygen-free days to day 28 (deaths count 0)",
                               "days alive after oxygen stopped, up to day 28; a death counts 0, as for "
                               "ventilator-free days; compared as hospital stay is", "yehya2019vfd"),
    "method.mortality_day28": ("mortality_day28", "deaths by day 28; two-sided Fisher's exact test",
                               "the registry lists all-cause mortality at day 28", "nct04615429"),
}
OVERRIDABLE = ("improvement_min_drop", "mortality", "mortality_severe", "o2_days_spread", "pf_change_sd",
               "discharge_gap")
PF_DAY7 = {3: (380, 301, 500), 4: (250, 150, 400), 5: (170, 60, 300), 6: (130, 60, 300)}  # mean, low, high
ARMS = ("msc", "placebo", "both")  # arms as claim ids name them
PF_MAX = 600  # day-7 PaO2/FiO2 values are clipped to 0..PF_MAX before their prior is looked up
MAX_DAY = 120
ARM_DRAWS = 20_000  # per round: arms of patients drawn from the prior, per arm
ARM_PAIRS = 20_000  # per round: random pairs of arms meeting their own claims, tried against the claims comparing arms
DISCHARGE_DRAWS = 5_000  # per oxygen course: discharge gaps drawn for each arm
PF_DRAWS = 2_000  # per oxygen course: day-7 PaO2/FiO2 candidates drawn
PF_TILTS = np.linspace(-0.3, 0.3, 601)  # tilts the day-7 draws may take (per mmHg)
MAX_ROUNDS = 5_000
BOOK_DATASETS = 3200  # datasets in the batch the book is built with (data/reconstructed/batch.csv)
DEFAULT_BATCH = ROOT / "data" / "reconstructed" / "batch.csv"


def assumptions_table() -> pd.DataFrame:
    return pd.DataFrame([(k, what, str(v), why, src) for k, (v, what, why, src) in ASSUMPTIONS.items()],
                        columns=["id", "what", "value", "why", "source"])


def _range(text: str) -> tuple[int, int]:
    low, high = text.split("-")
    return int(low), int(high)


@dataclass(frozen=True)
class StayReading:
    """How the abstract's hospital-stay claims (medians, rank-test p) were computed from the stays:
    a death enters "as stays" (a stay ending on the day of death, the book's reading), "ranked worst"
    (above every stay, deaths tied) or not at all ("survivors only"); stays above `cut` count as
    `cut`; `test` is the variant of the rank test (stats.mann_whitney_u_p)."""
    deaths: str = "as stays"
    cut: float = np.inf
    test: str = "published"

    def values(self, stays, died) -> np.ndarray:
        """The values the medians and the test are computed from (NaN: left out)."""
        values = np.minimum(np.asarray(stays, float), self.cut)
        return {"as stays": values, "ranked worst": np.where(died, np.inf, values),
                "survivors only": np.where(died, np.nan, values)}[self.deaths]


BOOK_STAY = StayReading()


def median_rows(x) -> np.ndarray:
    """Each row's median, NaN left out (NaN for a row with none; inf counts as a value)."""
    x = np.asarray(x, float)
    ordered, k, rows = np.sort(x, 1), (~np.isnan(x)).sum(1), np.arange(len(x))
    middle = (ordered[rows, np.maximum(k - 1, 0) // 2] + ordered[rows, k // 2]) / 2
    return np.where(k > 0, middle, np.nan)


@dataclass
class Batch:
    """n reconstructed datasets: one (n, 20) array per patient column, NaN for empty values, and each
    dataset's importance weight in the target distribution (`weights`, summing to 1; equal unless
    given; `log_weights` unnormalised), with the round of the sample it came from (`rounds`)."""
    columns: dict
    arm: np.ndarray
    assumptions: dict = field(default_factory=dict)
    weights: np.ndarray | None = None
    log_weights: np.ndarray | None = None
    rounds: np.ndarray | None = None

    def __post_init__(self):
        if self.weights is None:
            self.weights = np.full(len(self), 1 / len(self))

    def __len__(self) -> int:
        return len(self.columns["pf_day0"])

    def frame(self, i: int) -> pd.DataFrame:
        """Dataset i, typed exactly as data.load_dataset returns patients."""
        return self._typed(slice(i, i + 1))

    def frames(self) -> list[pd.DataFrame]:
        return [self.frame(i) for i in range(len(self))]

    def table(self) -> pd.DataFrame:
        """Every dataset in one table, typed as `frame`: one row per patient per dataset, with its
        dataset's index (`dataset`) first."""
        table = self._typed(slice(None))
        table.insert(0, "dataset", np.repeat(np.arange(len(self)), self.arm.size))
        return table

    def _typed(self, rows: slice) -> pd.DataFrame:
        """The patients of datasets `rows`, one row each, typed by the contract (Int64, float or text)."""
        def typed(column):
            x = self.columns[column.name][rows].ravel()
            return x if column.kind is str else pd.array(x, dtype="Int64") if column.kind is int else x.astype(float)
        return pd.DataFrame({c.name: typed(c) for c in PATIENT_COLUMNS})


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
            bins = special.ndtr((x + 0.5 - mean) / sd) - special.ndtr((x - 0.5 - mean) / sd)  # normal cdf
            inside = (x >= low) & (x <= high)
            self.pf_log_prior[who, inside] = np.log(bins[inside] / bins[inside].sum())
        # mean of day-7 PaO2/FiO2 under each WHO score's prior tilted by exp(tilt * x), for each of PF_TILTS
        tilted = self.pf_log_prior[:, None, :] + PF_TILTS[None, :, None] * x
        with np.errstate(invalid="ignore"):  # rows of WHO scores no patient has at day 7 are all -inf
            self.pf_tilted_means = (np.exp(tilted - np.logaddexp.reduce(tilted, 2, keepdims=True)) * x).sum(2)
        # Baseline PaO2/FiO2 enters the course only through whether it is SEVERE_PF or less; given that
        # band it is uniform, so _day7_pf draws it with day 7's. Row: band (0 above SEVERE_PF, 1 at or
        # below), column: value; log prior, and the mean of each band tilted by exp(-tilt * value).
        low, high = _range(params["pf_day0_range"])
        band = np.c_[(x > SEVERE_PF) & (x >= low) & (x <= high), (x <= SEVERE_PF) & (x >= low)].T
        with np.errstate(divide="ignore"):
            self.pf0_log_prior = np.log(band / band.sum(1, keepdims=True))
        tilted = self.pf0_log_prior[:, None, :] - PF_TILTS[None, :, None] * x
        self.pf0_tilted_means = (np.exp(tilted - np.logaddexp.reduce(tilted, 2, keepdims=True)) * x).sum(2)

    # --- the prior, one group of variables at a time (latent draws; `course` turns them into a course)
    def baseline(self, rng, shape):
        low, high = _range(self.p["pf_day0_range"])
        return {"pf0": rng.integers(low, high + 1, shape), "u_who": rng.random(shape)}

    def oxygen(self, rng, shape):
        low, high = _range(self.p["death_day_range"])
        return {"z": rng.normal(0, 1, shape), "u_death": rng.random(shape),
                "death_day": rng.integers(low, high + 1, shape)}

    def discharge(self, rng, shape):
        return {"u_gap": rng.random(shape)}

    GROUPS = ("baseline", "oxygen", "discharge")

    def draw(self, rng, shape):
        """Every variable but day-7 PaO2/FiO2 (NaN here), which _day7_pf draws given the course."""
        s = {k: v for g in self.GROUPS for k, v in getattr(self, g)(rng, shape).items()}
        return s | {"pf7": np.full(shape, np.nan)}

    # --- what follows from the drawn variables
    def course(self, s):
        c = self.oxygen_course(s)
        (low, high), (vlow, vhigh) = _range(self.p["discharge_gap"]), _range(self.p["discharge_gap_ventilated"])
        low, high = np.where(c["who7"] == 6, vlow, low), np.where(c["who7"] == 6, vhigh, high)
        gap = low + np.floor(s["u_gap"] * (high - low + 1))
        return c | {"hospital_days": np.where(c["died"], s["death_day"], c["o2_days"] + gap)}

    def oxygen_course(self, s):
        """The course but hospital stay (and the discharge gap it needs)."""
        p, pf0 = self.p, s["pf0"]
        who0 = np.where(s["u_who"] < np.where(pf0 <= SEVERE_PF, 0.7, 0.3), 6, 5)
        severe = (who0 == 6) | (pf0 <= SEVERE_PF)
        factor = np.where(severe, float(p["o2_days_severity"]), 1 / float(p["o2_days_severity"]))
        t = np.rint(self.o2_median * factor * np.exp(float(p["o2_days_spread"]) * s["z"]))
        t = np.clip(t, np.where(severe, int(p["o2_min_days_severe"]), int(p["o2_min_days"])), MAX_DAY)
        died = s["u_death"] < np.where(pf0 <= SEVERE_PF, float(p["mortality_severe"]), float(p["mortality"]))
        dday = s["death_day"]
        later = t - 7
        who7 = np.select([died & (dday <= 7), died, t <= 7, later <= 7], [7, who0, 3, who0 - 1], who0)
        return {
            "who0": who0, "who7": who7,
            "improved": who0 - who7 >= int(p["improvement_min_drop"]),
            "o2_days": np.where(died, dday, t), "o2_event": (~died).astype(float),
            "died": died, "death_day": np.where(died, dday, np.nan), "pf0": pf0, "pf7": s["pf7"],
        }

    def claim_statistics(self, block: str, arms=ARMS) -> dict:
        """The claims of one block ("oxygen": the course but hospital stay and day-7 PaO2/FiO2;
        "pf": day-7 PaO2/FiO2; _discharges checks hospital stay) about any of `arms`: claim id ->
        its statistic as a function of a batch of courses, computed with the batched statistics."""
        m, p = self.in_msc, ~self.in_msc
        if block == "pf":
            def change(c):
                return np.where(c["who7"] < 7, c["pf7"] - c["pf0"], np.nan)
            claims = {
                "pf_change_day7.msc.mean": lambda c: np.nanmean(change(c)[:, m], 1),
                "pf_change_day7.placebo.mean": lambda c: np.nanmean(change(c)[:, p], 1),
                "pf_change_day7.both.p": lambda c: st.welch_p_batch(change(c)[:, m], change(c)[:, p]),
            }
        else:
            def free_days(c):
                return secondary.oxygen_free_days(c["o2_days"], c["o2_event"], c["died"], c["death_day"])
            def deaths(c):
                return secondary.deaths_by(c["died"], c["death_day"])
            claims = {
                "who_improved_day7.msc.n": lambda c: c["improved"][:, m].sum(1),
                "who_improved_day7.placebo.n": lambda c: c["improved"][:, p].sum(1),
                "o2_discontinuation.msc.median": lambda c: st.km_median_batch(c["o2_days"][:, m], c["o2_event"][:, m]),
                "o2_discontinuation.placebo.median": lambda c: st.km_median_batch(c["o2_days"][:, p],
                                                                                  c["o2_event"][:, p]),
                "o2_discontinuation.both.p": lambda c: st.logrank_p_batch(c["o2_days"][:, m], c["o2_event"][:, m],
                                                                          c["o2_days"][:, p], c["o2_event"][:, p]),
                "o2_free_days_28.both.p": lambda c: st.mann_whitney_p_batch(free_days(c)[:, m], free_days(c)[:, p]),
                # exact arithmetic, not scipy's: the same decisions (a test checks every count)
                "mortality_day28.both.p": lambda c: st.fisher_exact_table(self.n, self.n)[deaths(c)[:, m].sum(1),
                                                                                       deaths(c)[:, p].sum(1)],
            }
        return {claim_id: f for claim_id, f in claims.items() if claim_id.split(".")[1] in arms}

    def statistics(self, c, block: str, arms=ARMS) -> dict:
        """The statistics of the claims of a block (`claim_statistics`) for a batch of courses."""
        return {claim_id: f(c) for claim_id, f in self.claim_statistics(block, arms).items()}

    def logrank_pairs(self, c, msc, placebo, a, b) -> np.ndarray:
        """The log-rank claim's statistic (claim_statistics) for the MSC arm of row msc[a[k]] of courses
        `c` against the placebo arm of row placebo[b[k]], for each k: the same values, from counts per arm."""
        m, p = self.in_msc, ~self.in_msc
        days, event = c["o2_days"], c["o2_event"]
        return st.logrank_p_pairs(days[msc][:, m], event[msc][:, m], days[placebo][:, p], event[placebo][:, p], a, b)

    def passing(self, c, block: str, arms=ARMS) -> np.ndarray:
        """meets(statistics(c, block, arms)) for courses `c` (every array one row per course), each
        statistic computed only for the rows meeting the claims before it (the same values: every
        statistic is computed row by row)."""
        ok, rows = np.zeros(len(c["pf0"]), bool), np.arange(len(c["pf0"]))
        for claim_id, f in self.claim_statistics(block, arms).items():
            keep = self.meets({claim_id: f(c)})
            if not keep.all():
                rows, c = rows[keep], {k: v[keep] for k, v in c.items()}
        ok[rows] = True
        return ok

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

    def stays_possible(self, s, arm: str, readings=(BOOK_STAY,)) -> np.ndarray:
        """Per row of latent draws: whether some discharge gaps give the arm its published median
        stay under any of `readings`. The median rises with every gap, so the smallest and largest
        gaps bracket every median the course allows (a screen before _discharges, which most courses
        would fail)."""
        _, value, _ = self.targets[f"hospital_stay.{arm}.median"]
        ends = [self.course(s | {"u_gap": np.full(s["pf0"].shape, u)}) for u in (0.0, 1 - 1e-12)]
        possible = np.zeros(len(s["pf0"]), bool)
        for reading in readings:
            low, high = (median_rows(reading.values(c["hospital_days"], c["died"])[:, self.arms[arm]]) for c in ends)
            possible |= (low <= value) & (value <= high)
        return possible

    def pf_sums(self, arm: str, measured):
        """For `measured` patients of an arm ("msc" or "placebo") with a day-7 value: the smallest
        and largest whole-number sums of PaO2/FiO2 changes whose mean prints as the published one."""
        _, value, decimals = self.targets[f"pf_change_day7.{arm}.mean"]
        half = 0.5 * 10.0 ** -decimals * (1 + 1e-9)
        return np.ceil(measured * (value - half)).astype(int), np.floor(measured * (value + half)).astype(int)


def _courses(model: _Model, rng, screen=None) -> tuple[dict, float]:
    """Oxygen courses (baseline, death, the day oxygen stops; a discharge gap drawn too) meeting
    every claim about them, by rejection from the prior: arms of patients are drawn independently
    and kept if they meet their own claims (median days to stopping oxygen, patients improved) and
    pass `screen` (by default stays_possible: some discharge gaps could give them their median
    stay), then distinct random pairs of kept arms are kept if they meet the claims comparing arms
    (log-rank, oxygen-free days, mortality) and leave a whole-number sum of PaO2/FiO2 changes that
    prints as each arm's mean.
    Returns the courses and the log of the estimated prior probability of those claims and screens."""
    n = model.n
    draws = model.draw(rng, (ARM_DRAWS, 2 * n))
    c = model.oxygen_course(draws)
    msc, placebo = (np.flatnonzero(model.passing(c, "oxygen", (arm,))) for arm in model.arms)
    screen = screen or model.stays_possible
    msc, placebo = (rows[screen({k: v[rows] for k, v in draws.items()}, arm)]
                    for rows, arm in ((msc, "msc"), (placebo, "placebo")))
    if not len(msc) or not len(placebo):
        return {k: v[:0] for k, v in draws.items()}, -np.inf
    pair = np.unique(rng.integers(0, len(msc) * len(placebo), ARM_PAIRS))  # distinct pairs, in random order
    pair = rng.permutation(pair)
    a, b = pair // len(placebo), pair % len(placebo)
    i, j = msc[a], placebo[b]
    # Each arm meets its own claims (it was kept for them), so only the claims comparing arms are left
    # to check: the log-rank for every pair (about 1 in 300 meets it), then the rest for those that do.
    # A course is computed patient by patient, so a pair's is its arms'.
    keep = model.meets({"o2_discontinuation.both.p": model.logrank_pairs(c, msc, placebo, a, b)})
    rows = np.flatnonzero(keep)
    c = {k: np.c_[v[i[rows], :n], v[j[rows], n:]] for k, v in c.items()}
    kept = model.passing(c, "oxygen", ("both",))
    for arm, in_arm in model.arms.items():
        measured = (c["who7"][:, in_arm] < 7).sum(1)
        low, high = model.pf_sums(arm, measured)
        kept &= (measured > 0) & (low <= high)
    keep[rows] = kept
    with np.errstate(divide="ignore"):
        log_p = np.log(len(msc) / ARM_DRAWS) + np.log(len(placebo) / ARM_DRAWS) + np.log(keep.mean())
    return {k: np.c_[v[i[keep], :n], v[j[keep], n:]] for k, v in draws.items()}, log_p


def _discharges(model: _Model, course: dict, rng, readings=(BOOK_STAY,)) -> tuple[np.ndarray, list]:
    """Discharge gaps for one oxygen course (arrays of one row) meeting the claims about hospital
    stay under each of `readings`, by rejection from the prior: DISCHARGE_DRAWS gap vectors per arm,
    kept if the arm's median stay prints as published and nobody goes home too early; then every
    pair of kept vectors whose rank test prints as published. The same draws serve every reading.
    Returns the gap vectors (one row each, both arms; an MSC row pairs with any placebo row) and,
    per reading, the kept pairs (MSC rows, placebo rows)."""
    n, m = model.n, model.in_msc
    gaps = model.discharge(rng, (DISCHARGE_DRAWS, 2 * n))["u_gap"]
    c = model.course(course | {"u_gap": gaps})  # the course's row broadcast against every gap vector
    early = model.early_discharge(c)
    kept = []
    for reading in readings:
        values = reading.values(c["hospital_days"], c["died"])
        msc, placebo = (np.flatnonzero(model.meets({f"hospital_stay.{arm}.median": median_rows(values[:, in_arm])})
                                       & ~early[:, in_arm].any(1)) for arm, in_arm in model.arms.items())
        counted = ~np.isnan(values[0])  # the course fixes who died, so the same patients in every row
        if len(msc) and len(placebo) and counted[m].any() and counted[~m].any():
            p = st.mann_whitney_p_pairs(values[msc][:, m & counted], values[placebo][:, ~m & counted], reading.test)
            i, j = np.nonzero(model.meets({"hospital_stay.both.p": p}))
            kept.append((msc[i], placebo[j]))
        else:
            kept.append((msc[:0], placebo[:0]))
    return gaps, kept


def _draw(log_q: np.ndarray, rng, n: int) -> np.ndarray:
    """n draws of each row's distribution (log probabilities, one row per patient), one column each."""
    cdf = np.exp(log_q).cumsum(1)
    u = rng.random((n, len(log_q))) * cdf[:, -1]
    return np.stack([np.searchsorted(cdf[j], u[:, j], side="right") for j in range(len(log_q))], 1)


def _day7_pf(model: _Model, course: dict, rng) -> tuple[dict, float]:
    """Baseline and day-7 PaO2/FiO2 for one course (arrays of one row) from the prior conditioned on
    the claims about them, by rejection. The course fixes only each patient's baseline band (see
    SEVERE_PF), so baseline values are drawn here too, which keeps the weights of different courses
    close. PF_DRAWS candidates: each measured patient's day-7 value from the prior tilted by
    exp(tilt * value) and baseline value by exp(-tilt * value), each arm's tilt chosen so that the
    expected changes add up to the published mean (on the values meeting that mean the tilts
    cancel, so the conditioned distribution is the prior's); the arm's last patient measured is then
    set so that the changes sum to a whole number printing as the mean (one such sum at random if
    several do) and kept with chance proportional to its tilted prior, times exp(-tilt * sum). A
    candidate is kept when both arms' are and the Welch test is not significant. Returns the kept
    candidates ("pf0", "pf7": one row each) and the log of an unbiased estimate of the prior
    probability that the course's PaO2/FiO2 values meet the claims (the kept fraction, undone for
    the tilts)."""
    who7, band = model.course(course)["who7"][0], (course["pf0"][0] <= SEVERE_PF).astype(int)
    x = np.arange(PF_MAX + 1)
    arms = []
    tilt = np.zeros(len(who7))
    for arm, in_arm in model.arms.items():
        measured = np.flatnonzero(in_arm & (who7 < 7))
        low, high = model.pf_sums(arm, len(measured))
        expected = model.pf_tilted_means[who7[measured]].sum(0) - model.pf0_tilted_means[band[measured]].sum(0)
        tilt[measured] = PF_TILTS[np.abs(expected - (low + high) / 2).argmin()]
        arms.append((measured, low, high))
    log_q = model.pf_log_prior[who7] + tilt[:, None] * x  # (patient, value), before normalising
    log_norm = np.logaddexp.reduce(log_q, 1)
    log_q -= log_norm[:, None]
    log_q0 = model.pf0_log_prior[band] - tilt[:, None] * x
    log_norm0 = np.logaddexp.reduce(log_q0, 1)
    log_q0 -= log_norm0[:, None]
    pf0, pf7 = _draw(log_q0, rng, PF_DRAWS), _draw(log_q, rng, PF_DRAWS)
    keep, log_weight = np.ones(PF_DRAWS, bool), 0.0
    for measured, low, high in arms:
        *others, last = measured
        total = rng.integers(low, high + 1, PF_DRAWS)
        pf7[:, last] = total + pf0[:, measured].sum(1) - pf7[:, others].sum(1)
        value = np.clip(pf7[:, last], 0, PF_MAX)
        lam = tilt[last]
        log_bound = log_q[last].max() - min(lam * low, lam * high)  # the largest q_last * exp(-tilt * sum)
        log_accept = log_q[last, value] - lam * total - log_bound
        keep &= (value == pf7[:, last]) & (np.log(rng.random(PF_DRAWS)) < log_accept)
        log_weight += log_norm[measured].sum() + log_norm0[measured].sum() + np.log(high - low + 1) + log_bound
    drawn = {"pf0": pf0.astype(float), "pf7": pf7.astype(float)}
    keep &= model.meets(model.statistics(model.course(course | drawn), "pf"))
    with np.errstate(divide="ignore"):  # nothing kept: weight 0
        return {k: v[keep] for k, v in drawn.items()}, log_weight + np.log(keep.mean())


def paired(gaps, msc, placebo, rng, n: int) -> np.ndarray:
    """One of the kept pairs of gap vectors (_discharges) at random, as one row of gaps."""
    pick = rng.integers(len(msc))
    return np.r_[gaps[msc[pick], :n], gaps[placebo[pick], n:]][None]


def _later_claims(model: _Model, course: dict, rng, readings=(BOOK_STAY,)):
    """For one oxygen course (arrays of one row): the discharge gaps (_discharges) and, if some pair of
    them meets the hospital-stay claims under any of `readings`, the day-7 PaO2/FiO2 candidates
    (_day7_pf; None otherwise), with the log of the course's importance weight under each reading: an
    unbiased estimate of the probability that it meets the later claims (the share of gap pairs kept,
    times _day7_pf's estimate; -inf when nothing is kept). Returns the gaps, per reading the kept pairs
    (MSC rows, placebo rows), the candidates and per reading the log weight."""
    gaps, kept = _discharges(model, course, rng, readings)
    counts = np.array([len(msc) for msc, _ in kept])
    if not counts.any():
        return gaps, kept, None, np.full(len(readings), -np.inf)
    pf, log_pf = _day7_pf(model, course, rng)
    with np.errstate(divide="ignore"):  # a reading that kept no pair: weight 0
        return gaps, kept, pf, np.log(counts) - 2 * np.log(DISCHARGE_DRAWS) + log_pf


def _round(model: _Model, k: int, seed: int) -> tuple[list, float]:
    """Round k of a sample: oxygen courses (_courses) and, for each, the discharge gaps and day-7
    PaO2/FiO2 meeting the later claims (_later_claims). Each course with both gives one dataset: one
    of its gap pairs and one of its day-7 candidates at random (each an exact draw from the course's
    conditional distribution), with the log of its importance weight. Round k has its own random
    stream, so rounds can run apart.
    Returns the datasets (state, log weight) and the log probability of the oxygen claims."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k,)))
    courses, log_p = _courses(model, rng)
    found = []
    for row in range(len(courses["z"])):
        course = {key: v[row:row + 1] for key, v in courses.items()}
        gaps, [(msc, placebo)], pf, [log_weight] = _later_claims(model, course, rng)
        if np.isfinite(log_weight):  # some gap pair and some day-7 candidate kept
            pick = rng.integers(len(pf["pf7"]))
            state = (course | {"u_gap": paired(gaps, msc, placebo, rng, model.n)}
                     | {k: v[pick][None] for k, v in pf.items()})
            found.append((state, log_weight))
    return found, log_p


@dataclass
class Pool:
    """The weighted datasets of a sample, in the order of their rounds."""
    states: list
    log_weights: np.ndarray
    rounds: np.ndarray  # the round each dataset came from
    log_p_oxygen: np.ndarray  # per round run: log estimated probability of the oxygen claims



@contextlib.contextmanager
def mapper(processes: int, chunksize: int = 1):
    """`map` (results lazily, in order), run by `processes` worker processes when more than one."""
    with (multiprocessing.Pool(processes) if processes > 1 else contextlib.nullcontext()) as pool:
        yield functools.partial(pool.imap, chunksize=chunksize) if pool else map


def _pool(model: _Model, n: int, seed: int, processes: int = 1) -> Pool:
    """Rounds 0, 1, 2, ... until n datasets are found; the first n (in round order) are kept, so the
    same seed gives the same first datasets whatever n is."""
    states, log_weights, rounds, log_p = [], [], [], []
    with mapper(processes) as run:
        for k, (found, log_p_k) in enumerate(run(functools.partial(_round, model, seed=seed), range(MAX_ROUNDS))):
            log_p.append(log_p_k)
            for state, log_w in found:
                states.append(state)
                log_weights.append(log_w)
                rounds.append(k)
            if len(states) >= n:
                return Pool(states[:n], np.array(log_weights[:n]), np.array(rounds[:n]), np.array(log_p))
    raise RuntimeError(f"fewer than {n} datasets meeting every claim in {MAX_ROUNDS} rounds")


def sample(n: int, seed: int = DEFAULT_SEED, processes: int = 1, **overrides) -> Batch:
    """n datasets from the model conditioned on every claim, each with its importance weight
    (`Batch.weights`); `overrides` replace assumption values (any of OVERRIDABLE, e.g.
    improvement_min_drop=2, mortality=0.2, pf_change_sd=80). `processes` runs rounds in parallel
    (same datasets)."""
    unknown = set(overrides) - set(OVERRIDABLE)
    if unknown:
        raise ValueError(f"cannot override {sorted(unknown)}; choose from {OVERRIDABLE}")
    params = {k: v[0] for k, v in ASSUMPTIONS.items()} | overrides
    model = _Model(params, load_claims())
    pool = _pool(model, n, seed, processes)
    return to_batch(model, pool.states, pool.log_weights, pool.rounds, seed)


def to_batch(model: _Model, states: list, log_weights: np.ndarray, rounds: np.ndarray, seed: int) -> Batch:
    """Datasets (latent states, one row each, with their log weights and rounds) as a Batch, patients
    in the allocation order drawn from `seed` (the same for every dataset)."""
    n = len(states)
    state = {k: np.concatenate([s[k] for s in states]) for k in states[0]}
    course = model.course(state)
    pf7 = np.where(course["who7"] < 7, state["pf7"], np.nan)

    size = 2 * model.n
    order = np.random.default_rng(seed).permutation(size)  # allocation order, the same for every dataset
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
    log_weights = np.asarray(log_weights, float)
    weights = np.exp(log_weights - log_weights.max())
    return Batch(columns, arm, model.p, weights / weights.sum(), log_weights, np.asarray(rounds))


# Variants of the model the book compares (label -> overrides), each reached by reweighting the
# batch (`reweighted`), so no variant needs a batch of its own.
def variants() -> dict:
    mortality, severe, sd = (ASSUMPTIONS[k][0] for k in ("mortality", "mortality_severe", "pf_change_sd"))
    higher = 1.5  # the factor of the variants above the assumed value
    return {"as assumed": {},
            "mortality halved": {"mortality": mortality / 2, "mortality_severe": severe / 2},
            f"mortality {higher:g} times": {"mortality": mortality * higher, "mortality_severe": severe * higher},
            f"day-7 PaO2/FiO2 SD {sd / 2:g} mmHg": {"pf_change_sd": sd / 2},
            f"day-7 PaO2/FiO2 SD {sd * higher:g} mmHg": {"pf_change_sd": sd * higher}}


REWEIGHTABLE = ("mortality", "mortality_severe", "pf_change_sd")


def _prior_ratio(batch: Batch, overrides: dict) -> np.ndarray:
    """Per dataset: how much more probable the model with `overrides` (any of REWEIGHTABLE) makes it than
    the model as assumed. The claims are the same, so only the priors differ: deaths given baseline
    PaO2/FiO2, and day-7 PaO2/FiO2 given the day-7 WHO score (a patient dead by day 7 has no value, and
    their latent one integrates out)."""
    unknown = set(overrides) - set(REWEIGHTABLE)
    if unknown:
        raise ValueError(f"cannot reweight for {sorted(unknown)}; choose from {REWEIGHTABLE}")
    claims = load_claims()
    base, other = _Model(batch.assumptions, claims), _Model(batch.assumptions | overrides, claims)
    c = batch.columns
    pf0, died = c["pf_day0"], c["died"] == 1
    who7 = c["who_day7"].astype(int)
    x = np.clip(np.nan_to_num(c["pf_day7"]), 0, PF_MAX).astype(int)

    def log_prior(model):
        death = np.where(pf0 <= SEVERE_PF, float(model.p["mortality_severe"]), float(model.p["mortality"]))
        with np.errstate(divide="ignore"):
            deaths = np.where(died, np.log(death), np.log1p(-death)).sum(1)
            return deaths + np.where(who7 < 7, model.pf_log_prior[who7, x], 0.0).sum(1)

    with np.errstate(invalid="ignore"):
        return np.nan_to_num(np.exp(log_prior(other) - log_prior(base)))


def reweighted(batch: Batch, **overrides) -> np.ndarray:
    """The batch's importance weights for the model with `overrides`: each weight times the dataset's
    prior ratio (`_prior_ratio`), normalised to sum to 1."""
    w = batch.weights * _prior_ratio(batch, overrides)
    return w / w.sum()


def evidence_ratio(batch: Batch, **overrides) -> tuple[float, float]:
    """How much more probable the model with `overrides` makes the published claims than the model as
    assumed (a Bayes factor, the ratio of the two normalising constants): the mean prior ratio under
    the batch's weights, with its Monte Carlo standard error."""
    return weighted_mean(_prior_ratio(batch, overrides), batch.weights)


def weighted_mean(x, weights) -> tuple[float, float]:
    """The weighted mean of x (weights normalised to sum to 1) and its Monte Carlo standard error,
    sqrt(sum w^2 (x - mean)^2): the importance-sampling estimate of an expectation under the target."""
    w = np.asarray(weights, float) / np.sum(weights)
    x = np.asarray(x, float)
    value = float((w * x).sum())
    return value, float(np.sqrt((w ** 2 * (x - value) ** 2).sum()))


def batch_table(batch: Batch) -> pd.DataFrame:
    """A batch as one table: one row per patient per dataset, with the dataset's round and log weight."""
    table = batch.table()
    table.insert(1, "round", batch.rounds[table["dataset"]].astype(int))
    table.insert(2, "log_weight", batch.log_weights[table["dataset"]])
    return table


def load_batch(path: Path = DEFAULT_BATCH) -> Batch:
    """The batch written by `write` (batch.csv), as sample returned it."""
    return batch_from_table(pd.read_csv(path))


def batch_from_table(table: pd.DataFrame) -> Batch:
    """A batch from its table (batch_table)."""
    first = table.groupby("dataset", sort=True).first()
    size = len(table) // len(first)
    columns = {c.name: (table[c.name].to_numpy(object) if c.kind is str else table[c.name].to_numpy(float))
               .reshape(len(first), size) for c in PATIENT_COLUMNS}
    log_weights = first["log_weight"].to_numpy(float)
    weights = np.exp(log_weights - log_weights.max())
    params = {k: v[0] for k, v in ASSUMPTIONS.items()}
    return Batch(columns, columns["arm"][0], params, weights / weights.sum(), log_weights,
                 first["round"].to_numpy(int))


def write(patients: pd.DataFrame, out: Path, batch: Batch | None = None, table: pd.DataFrame | None = None) -> None:
    """patients.csv and assumptions.csv; with a batch, batch.csv; with its per-dataset results, pinned.csv."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    patients.to_csv(out / "patients.csv", index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    assumptions_table().to_csv(out / "assumptions.csv", index=False, lineterminator="\n")
    if batch is not None:
        batch_table(batch).to_csv(out / "batch.csv", index=False, lineterminator="\n", float_format="%.10g")
    if table is not None:
        table.to_csv(out / "pinned.csv", index=False, lineterminator="\n", float_format="%.10g")
