"""Reconstructed patient-level datasets: a model of patients, conditioned on every published claim.

The model (ASSUMPTIONS, written to assumptions.csv beside the data) is a prior over datasets:
each patient independently draws a baseline PaO2/FiO2 and WHO score, whether and when they
die, the day oxygen would stop and the days from then to discharge; the day-7 WHO score
follows from those, and the day-7 PaO2/FiO2 from the day-7 support. A reconstruction is a
draw from this prior conditioned on the published claims, in two blocks:

1. Course (everything but day-7 PaO2/FiO2), conditioned on every claim about oxygen, WHO
   improvement, hospital stay, oxygen-free days and mortality, by Markov chains in one array.
   A few chains search for datasets meeting every claim (_search); each dataset's chain starts
   from one of their states and takes BURN_IN Metropolis–Hastings steps that keep every claim
   (_walk), whose stationary distribution is exactly the prior restricted to the claims.
2. Day-7 PaO2/FiO2 given the course, conditioned on the primary endpoint's claims, exactly:
   the arm means fix the sum of the changes, so all but one patient draw from the prior and
   the last takes the value the sum needs, kept with probability proportional to its prior
   probability; then a Welch test above the threshold. Rejected draws are redrawn whole.
Same seed and assumptions, same datasets.
"""
import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from covidat.claims import holds, load_claims
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
BURN_IN = 200  # valid steps each chain takes, from a searched state, before its state is kept
RESTART_EVERY = 50  # every this many steps, chains still searching restart from valid chains, if any
MAX_SEARCH = 100_000
PF_TRIES = 200  # rounds of day-7 draws before a course is given up
SPARE = 16  # a batch walks at least this many chains, so a dropped course can be replaced
SEARCH_CHAINS = 64  # chains that search for valid datasets; the datasets start from their states
MAX_DAY = 120
TEMPERATURE = 0.1  # while searching, a move that adds 0.1 to the distance is kept with chance 1/e


def assumptions_table() -> pd.DataFrame:
    return pd.DataFrame([(k, what, str(v), why, src) for k, (v, what, why, src) in ASSUMPTIONS.items()],
                        columns=["id", "what", "value", "why", "source"])


def _range(text: str) -> tuple[int, int]:
    low, high = text.split("-")
    return int(low), int(high)


@dataclass
class Batch:
    """n reconstructed datasets: one (n, 20) array per patient column, NaN for empty values."""
    columns: dict
    arm: np.ndarray
    assumptions: dict = field(default_factory=dict)

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
        self.targets = None  # claim rows the course is conditioned on, filled on first use
        n = int(params["arm_size"])
        self.n = n
        self.in_msc = np.r_[np.ones(n, bool), np.zeros(n, bool)]
        medians = [self.claims.loc[f"o2_discontinuation.{a}.median", "value"] for a in ("msc", "placebo")]
        self.o2_median = np.where(self.in_msc, medians[0], medians[1])

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
        return {k: v for g in self.GROUPS for k, v in getattr(self, g)(rng, shape).items()}

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
            "died": died, "death_day": np.where(died, dday, np.nan),
        }

    def statistics(self, c) -> dict:
        """Every claim the course must meet, computed for a batch with the batched statistics."""
        m, p = self.in_msc, ~self.in_msc
        ofd = secondary.oxygen_free_days(c["o2_days"], c["o2_event"], c["died"], c["death_day"])
        dead = secondary.deaths_by(c["died"], c["death_day"])
        n = self.n
        return {
            "who_improved_day7.msc.n": c["improved"][:, m].sum(1),
            "who_improved_day7.placebo.n": c["improved"][:, p].sum(1),
            "o2_discontinuation.msc.median": st.km_median_batch(c["o2_days"][:, m], c["o2_event"][:, m]),
            "o2_discontinuation.placebo.median": st.km_median_batch(c["o2_days"][:, p], c["o2_event"][:, p]),
            "o2_discontinuation.both.p": st.logrank_p_batch(c["o2_days"][:, m], c["o2_event"][:, m],
                                                            c["o2_days"][:, p], c["o2_event"][:, p]),
            "hospital_stay.msc.median": np.median(c["hospital_days"][:, m], 1),
            "hospital_stay.placebo.median": np.median(c["hospital_days"][:, p], 1),
            "hospital_stay.both.p": st.mann_whitney_p_batch(c["hospital_days"][:, m], c["hospital_days"][:, p]),
            "o2_free_days_28.both.p": st.mann_whitney_p_batch(ofd[:, m], ofd[:, p]),
            "mortality_day28.both.p": st.fisher_p_batch(dead[:, m].sum(1), n, dead[:, p].sum(1), n),
        }

    def distance(self, s) -> np.ndarray:
        """0 for a course meeting every claim; otherwise how far its statistics are from them."""
        c = self.course(s)
        total = np.zeros(len(s["t"]))
        statistics = self.statistics(c)
        if self.targets is None:
            self.targets = {k: (c.relation, float(c.value), int(c.decimals), c.statistic == "p")
                            for k, c in self.claims.loc[list(statistics)].iterrows()}
        for claim_id, values in statistics.items():
            relation, value, decimals, is_p = self.targets[claim_id]
            ok = holds(relation, value, decimals, values)
            if is_p:
                gap = np.abs(np.log(np.maximum(values, 1e-300)) - np.log(value))
            else:
                gap = np.abs(values - value)
            total += np.where(ok, 0.0, 1.0 + np.nan_to_num(gap, nan=10.0))
        early = ~c["died"] & (c["hospital_days"] < int(self.p["discharge_min_day"]))
        return total + early.sum(1)


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


def _propose(model: _Model, state: dict, searching: np.ndarray, rng) -> tuple[dict, np.ndarray]:
    """One move per chain: redraw a patient's baseline (group 0) or oxygen course (1) from the
    model, or their discharge gap (2-3, see _discharge_move); searching chains may also take a
    small step in the oxygen day (4) or the gap (5), moves used only to find valid datasets.
    Returns the proposal and the log Metropolis–Hastings ratio of the moves of valid chains."""
    chains, size = state["t"].shape
    rows = np.arange(chains)
    patient = rng.integers(0, size, chains)
    proposal, log_ratio = _discharge_move(model, state, patient, rng)
    group = np.where(searching, rng.integers(0, 6, chains), rng.integers(0, 4, chains))
    for g, name in enumerate(("baseline", "oxygen")):
        chosen = group == g
        for k, v in getattr(model, name)(rng, (chains, size)).items():
            proposal[k][rows[chosen], patient[chosen]] = v[rows[chosen], patient[chosen]]
    for g, key, low, high in ((4, "t", int(model.p["o2_min_days"]), MAX_DAY),
                              (5, "gap", *_range(model.p["discharge_gap"]))):
        chosen = rows[group == g]
        nudge = rng.choice([-2, -1, 1, 2] if key == "t" else [-1, 1], len(chosen))
        proposal[key][chosen, patient[chosen]] = np.clip(state[key][chosen, patient[chosen]] + nudge, low, high)
    not_discharge = (group < 2) | (group == 4)
    proposal["gap"][not_discharge] = state["gap"][not_discharge]
    return proposal, np.where((group == 2) | (group == 3), log_ratio, 0.0)


def _search(model: _Model, chains: int, rng) -> dict:
    """States of `chains` chains that all meet every claim. A chain keeps a move that brings
    its statistics no further from the published ones (a worse one with chance
    exp(-increase / TEMPERATURE)); every RESTART_EVERY steps, chains still searching restart
    from chains that have found a valid dataset."""
    state = model.draw(rng, (chains, 2 * model.n))
    distance = model.distance(state)
    step = 0
    while (distance > 0).any():
        proposal, _ = _propose(model, state, distance > 0, rng)
        new = model.distance(proposal)
        accept = (distance > 0) & ((new <= distance) | (rng.random(chains) < np.exp((distance - new) / TEMPERATURE)))
        for k in state:
            state[k][accept] = proposal[k][accept]
        distance = np.where(accept, new, distance)
        step += 1
        if step % RESTART_EVERY == 0 and (distance == 0).any():
            stuck = np.flatnonzero(distance > 0)
            source = rng.choice(np.flatnonzero(distance == 0), len(stuck))
            for k in state:
                state[k][stuck] = state[k][source]
            distance[stuck] = 0
        if step >= MAX_SEARCH:
            raise RuntimeError("no chain found a dataset meeting every claim")
    return state


def _walk(model: _Model, state: dict, steps: int, rng) -> dict:
    """`steps` Metropolis–Hastings steps of chains that meet every claim: a move is kept only if
    every claim still holds, so the model restricted to the claims is their stationary distribution."""
    chains = len(state["t"])
    for _ in range(steps):
        proposal, log_ratio = _propose(model, state, np.zeros(chains, bool), rng)
        accept = (model.distance(proposal) == 0) & (np.log(rng.random(chains)) < log_ratio)
        for k in state:
            state[k][accept] = proposal[k][accept]
    return state


def _chains(model: _Model, chains: int, rng) -> dict:
    """Search with SEARCH_CHAINS chains, start `chains` chains from their valid states, walk BURN_IN steps."""
    found = _search(model, SEARCH_CHAINS, rng)
    start = rng.choice(SEARCH_CHAINS, chains, replace=chains > SEARCH_CHAINS)
    return _walk(model, {k: v[start] for k, v in found.items()}, BURN_IN, rng)


def _pick(rng, allowed: np.ndarray) -> np.ndarray:
    """Per row, a uniformly chosen column among the allowed ones (0 when none is)."""
    return (rng.random(allowed.shape) * allowed).argmax(1)


def _pf_day7(model: _Model, who7: np.ndarray, pf0: np.ndarray, rng) -> np.ndarray:
    """Day-7 PaO2/FiO2 given the course, conditioned exactly on the primary endpoint's claims."""
    sd = float(model.p["pf_change_sd"])
    mean, low, high = (np.select([who7 == k for k in PF_DAY7], [v[i] for v in PF_DAY7.values()], np.nan)
                       for i in range(3))
    measured = who7 < 7
    arms = [(np.flatnonzero(in_arm), model.claims.loc[f"pf_change_day7.{a}.mean"])
            for in_arm, a in ((model.in_msc, "msc"), (~model.in_msc, "placebo"))]
    p_claim = model.claims.loc["pf_change_day7.both.p"]

    def bin_probability(x, mu):  # prior probability of the whole number x (before truncation)
        return stats.norm.cdf((x + 0.5 - mu) / sd) - stats.norm.cdf((x - 0.5 - mu) / sd)

    result = np.full(pf0.shape, np.nan)
    pending = np.arange(len(pf0))
    for _ in range(PF_TRIES):
        if not len(pending):
            break
        mu, lo, hi, meas, base = mean[pending], low[pending], high[pending], measured[pending], pf0[pending]
        x = np.rint(rng.normal(np.nan_to_num(mu), sd))
        outside = meas & ((x < lo) | (x > hi))
        while outside.any():  # the prior: a rounded normal, truncated to the range
            x[outside] = np.rint(rng.normal(mu[outside], sd))
            outside = meas & ((x < lo) | (x > hi))
        rows = np.arange(len(pending))
        ok = np.ones(len(pending), bool)
        for cols, claim in arms:
            m = meas[:, cols]
            k = m.sum(1)
            last = cols[(m * np.arange(1, len(cols) + 1)).argmax(1)]  # the arm's last measured patient
            sums = np.rint(claim.value * k)[:, None] + np.arange(-2, 3)
            allowed = holds("=", claim.value, int(claim.decimals), sums / np.maximum(k, 1)[:, None])
            total = sums[rows, _pick(rng, allowed)]
            others = np.where(m & (cols != last[:, None]), x[:, cols] - base[:, cols], 0.0).sum(1)
            needed = total - others + base[rows, last]
            at = (rows, last)
            mode = np.clip(np.rint(mu[at]), lo[at], hi[at])
            kept = rng.random(len(pending)) < bin_probability(needed, mu[at]) / bin_probability(mode, mu[at])
            ok &= allowed.any(1) & (k > 1) & (needed >= lo[at]) & (needed <= hi[at]) & kept
            x[at] = needed
        x = np.where(meas, x, np.nan)
        change = x - base
        p = st.welch_p_batch(change[:, model.in_msc], change[:, ~model.in_msc])
        ok &= holds(p_claim.relation, p_claim.value, int(p_claim.decimals), p)
        result[pending[ok]] = x[ok]
        pending = pending[~ok]
    return result, np.isin(np.arange(len(pf0)), pending, invert=True)


def sample(n: int, seed: int = DEFAULT_SEED, **overrides) -> Batch:
    """n datasets from the model conditioned on every claim; `overrides` replace assumption values
    (any of OVERRIDABLE, e.g. improvement_min_drop=2, mortality=0.1, pf_change_sd=80)."""
    unknown = set(overrides) - set(OVERRIDABLE)
    if unknown:
        raise ValueError(f"cannot override {sorted(unknown)}; choose from {OVERRIDABLE}")
    params = {k: v[0] for k, v in ASSUMPTIONS.items()} | overrides
    model = _Model(params, load_claims())
    rng = np.random.default_rng(seed)
    state = _chains(model, max(n, SPARE), rng)
    course = model.course(state)
    pf7, done = _pf_day7(model, course["who7"], state["pf0"].astype(float), rng)
    if not done.any():
        raise RuntimeError("no course admits day-7 values meeting the primary endpoint's claims")
    # Courses admitting no such values within PF_TRIES rounds are dropped: the next ones take their place.
    keep = np.flatnonzero(done)[:n]
    keep = np.r_[keep, rng.choice(keep, n - len(keep))]
    state, course, pf7 = ({k: v[keep] for k, v in state.items()}, {k: v[keep] for k, v in course.items()},
                          pf7[keep])

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
