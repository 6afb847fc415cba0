"""A targeted search for a dataset that breaks a conclusion holding in every dataset drawn.

A share of 1 among the datasets drawn says nothing about the consistent datasets the sampler rarely
or never draws. `search` looks for one: a stochastic local search over patient-level datasets that
starts from the datasets of the batch nearest to breaking the conclusion and changes one or two
patients at a time (`MOVES`: a day oxygen stops, a discharge day, a death day, a PaO2/FiO2 value, who
dies), each change keeping every record whole (the contract's rules between columns hold by
construction; no day crosses day 7, so the day-7 WHO score and improvement stay true, except for a
patient who died by day 7 and survives instead, at their baseline score, not improved). A proposal
counts only if the dataset still meets every published claim the moves can change (`claim_statistics`,
the batched versions of the endpoints' statistics) and breaks no coherence rule and shows no pattern
(`covidat.data.coherence`). Of each step's proposals the one that takes the conclusion's statistic
furthest towards breaking is taken, or, if all take it back, taken with a chance that falls as the
search cools (simulated annealing). The search is deterministic for a seed: it runs a fixed number
of steps, not a fixed time.

A dataset the search returns as a counterexample is checked once more as `python -m covidat check`
would: the contract, coherence, and every claim recomputed by the endpoint functions (`consistent`).
Finding none proves nothing; the closest approach is reported instead.

The searches take minutes, so `python -m covidat counterexamples` runs them once, for every conclusion
`to_search` names, and `write` commits what they found (in `DIRECTORY`); `load` reads it back.
"""
import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

from covidat import ROOT, endpoints
from covidat.data import PATIENT_COLUMNS, DataError
from covidat.data.claims import holds, load_claims
from covidat.data.coherence import SAME_STAY, patterns, violations
from covidat.data.contract import DEFAULT_DATA, check_patients, load_dataset
from covidat.endpoints import secondary, stats
from covidat.endpoints.survival import cox_hazard_ratio
from covidat.reconstruction import pinned, sampler

HR = "o2_discontinuation.both.hazard_ratio"
DIRECTORY = ROOT / "data" / "reconstructed" / "counterexamples"  # searches.csv, and a dataset per counterexample


def claim_statistics(batch) -> dict[str, np.ndarray]:
    """Per claim the moves can change (all but the arm sizes and the claims not computed from patients),
    its value in each dataset of `batch`, from the batched statistics the endpoints' tests check."""
    c, msc = batch.columns, np.asarray(batch.arm) == "MSC"
    arms = {"msc": msc, "placebo": ~msc}
    change = c["pf_day7"] - c["pf_day0"]
    ofd = secondary.oxygen_free_days(c["o2_days"], c["o2_event"], c["died"], c["death_day"])
    dead = secondary.deaths_by(c["died"], c["death_day"])
    improved = {arm: c["improved_day7"][:, m].sum(1) for arm, m in arms.items()}
    values = {"pf_change_day7.both.p": stats.welch_p_batch(change[:, msc], change[:, ~msc]),
              "who_improved_day7.both.p": stats.fisher_p_batch(improved["msc"], msc.sum(),
                                                               improved["placebo"], (~msc).sum()),
              "o2_discontinuation.both.p": stats.logrank_p_batch(c["o2_days"][:, msc], c["o2_event"][:, msc],
                                                                 c["o2_days"][:, ~msc], c["o2_event"][:, ~msc]),
              "hospital_stay.both.p": stats.mann_whitney_p_batch(c["hospital_days"][:, msc],
                                                                 c["hospital_days"][:, ~msc]),
              "o2_free_days_28.both.p": stats.mann_whitney_p_batch(ofd[:, msc], ofd[:, ~msc]),
              "mortality_day28.both.p": stats.fisher_p_batch(dead[:, msc].sum(1), msc.sum(),
                                                             dead[:, ~msc].sum(1), (~msc).sum())}
    for arm, m in arms.items():
        values |= {f"pf_change_day7.{arm}.mean": np.nanmean(change[:, m], 1),
                   f"who_improved_day7.{arm}.n": improved[arm],
                   f"who_improved_day7.{arm}.pct": 100 * improved[arm] / m.sum(),
                   f"o2_discontinuation.{arm}.median": stats.km_median_batch(c["o2_days"][:, m], c["o2_event"][:, m]),
                   f"hospital_stay.{arm}.median": np.median(c["hospital_days"][:, m], 1)}
    return values


def meets_claims(batch) -> np.ndarray:
    """Whether each dataset of `batch` meets every claim in `claim_statistics`."""
    ok = np.ones(len(batch), bool)
    for claim_id, value in claim_statistics(batch).items():
        ok &= holds(*_published(claim_id), np.asarray(value, float))
    return ok


def in_range(columns) -> np.ndarray:
    """Whether every value of each dataset (arrays: dataset, patient) lies in the contract's range."""
    ok = True
    for c in PATIENT_COLUMNS:
        if c.low is not None:
            x = np.asarray(columns[c.name], float)
            ok = ok & ((np.isnan(x) & c.optional) | ((x >= c.low) & (x <= c.high))).all(-1)
    return np.asarray(ok)


def coherent(batch) -> np.ndarray:
    """Whether each dataset of `batch` keeps every value in the contract's range, breaks no coherence rule
    and has no group of SAME_STAY patients of an arm with the same stay (coherence.patterns)."""
    n, size = batch.columns["pf_day0"].shape
    long = pd.DataFrame({k: v.ravel() for k, v in batch.columns.items()})
    long["patient_id"] = np.repeat(np.arange(n), size)
    ok = in_range(batch.columns)
    ok[violations(long)["patient_id"].unique().astype(int)] = False
    stays, msc = batch.columns["hospital_days"], np.asarray(batch.arm) == "MSC"
    for m in (msc, ~msc):
        ok &= (stays[:, m, None] == stays[:, None, m]).sum(2).max(1) < SAME_STAY
    return ok


def consistent(patients: pd.DataFrame) -> bool:
    """Whether a dataset meets the contract, every coherence rule, shows no pattern and meets every
    published claim recomputed by the endpoint functions, as `python -m covidat check` recomputes them."""
    try:
        check_patients(patients, "counterexample", int(sampler.ASSUMPTIONS["improvement_min_drop"][0]))
    except DataError:
        return False
    if not in_range({c.name: patients[c.name].to_numpy(float, na_value=np.nan) for c in PATIENT_COLUMNS
                     if c.low is not None}):
        return False
    if len(violations(patients)) or len(patterns(patients)):
        return False
    claims = load_claims()
    results = {name: endpoints.ENDPOINTS[name](patients) for name in set(claims["endpoint"]) & set(endpoints.ENDPOINTS)}
    return all(holds(c.relation, c.value, c.decimals, results[c.endpoint].get(c.arm, c.statistic))
               for c in claims.itertuples(index=False)
               if c.endpoint in results and (c.arm, c.statistic) in results[c.endpoint].values)


def _hazard_ratio(batch) -> pd.DataFrame:
    """The Cox hazard ratio of stopping oxygen with its CI per dataset, by the endpoint's function."""
    c, msc = batch.columns, (np.asarray(batch.arm) == "MSC").astype(float)
    rows = [cox_hazard_ratio(days, event, msc) for days, event in zip(c["o2_days"], c["o2_event"])]
    return pd.DataFrame(rows, columns=[HR, f"{HR}.ci_low", f"{HR}.ci_high"])


def needed(batch, columns) -> pd.DataFrame:
    """The columns of `pinned.values` that `columns` name, for every dataset of `batch`."""
    table = pd.concat([pinned.describe(batch), _hazard_ratio(batch) if any(c.startswith(HR) for c in columns)
                       else None], axis=1)
    for column in columns:
        if column not in table:
            table[column] = pinned.BATCHED[column](batch)
    return table


@dataclass(frozen=True)
class Target:
    """What the search lowers for a conclusion: `value`, the statistic a reader sees (from a table of
    `needed` columns), and `objective`, that statistic on the scale the search lowers to break the
    conclusion; `temperature`: the search's starting willingness to take the objective back up."""
    statistic: str
    columns: tuple[str, ...]
    value: Callable[[pd.DataFrame], np.ndarray]
    objective: Callable[[pd.DataFrame], np.ndarray]
    temperature: float = 0.02


def _p(result_id: str, label: str) -> Target:
    return Target(label, (result_id,), lambda t: t[result_id].to_numpy(float),
                  lambda t: -np.log(t[result_id].to_numpy(float)))


def _nearest_1(t: pd.DataFrame) -> np.ndarray:
    """The limit of the hazard ratio's CI on the side of 1."""
    return np.where(t[HR] >= 1, t[f"{HR}.ci_low"], t[f"{HR}.ci_high"])


TARGETS = {
    "sd_above_bound": Target("SD of the PaO2/FiO2 change (mmHg)", ("pf_change_sd",),
                             lambda t: t["pf_change_sd"].to_numpy(float),
                             lambda t: np.log(t["pf_change_sd"].to_numpy(float))),
    "hr_ci_excludes_1": Target("95% CI limit of the hazard ratio nearest 1", (HR, f"{HR}.ci_low", f"{HR}.ci_high"),
                               _nearest_1, lambda t: np.abs(np.log(_nearest_1(t)))),
    **{f"hospital_{test}": _p(f"hospital_stay.both.p_{test}", "p")
       for test in ("exact", "permutation", "normal", "logrank")},
    "some_death": Target("Deaths", ("deaths",), lambda t: t["deaths"].to_numpy(float),
                         lambda t: t["deaths"].to_numpy(float), temperature=0.3),
}

# --- moves: each takes a dataset (column -> one value per patient) and returns a changed copy, or None
DELTAS = (-3, -2, -1, 1, 2, 3)  # days
PF_DELTAS = (-10, -5, -2, -1, 1, 2, 5, 10)  # mmHg
GAPS = range(1, 11)  # days from stopping oxygen to discharge for a patient who survives (sampler.ASSUMPTIONS)
OXYGEN_DAYS = range(8, 29)  # the day oxygen stops for a patient who survives instead of dying by day 7


def _one(rng, where):
    chosen = np.flatnonzero(where)
    return int(rng.choice(chosen)) if len(chosen) else None


def _same_side(before, after) -> bool:
    """Both on or before day 7, or both after: the day-7 WHO score stays true to the record."""
    return after >= 1 and (before <= 7) == (after <= 7)


def oxygen_day(s, rng):
    """A survivor stops oxygen a few days earlier or later (on the same side of day 7)."""
    i = _one(rng, (s["died"] == 0) & (s["o2_event"] == 1))
    day = None if i is None else s["o2_days"][i] + rng.choice(DELTAS)
    return None if day is None or not _same_side(s["o2_days"][i], day) else _set(s, i, o2_days=day)


def discharge_day(s, rng):
    """A survivor goes home a few days earlier or later (on the same side of day 7)."""
    i = _one(rng, s["discharged"] == 1)
    day = None if i is None else s["hospital_days"][i] + rng.choice(DELTAS)
    return None if day is None or not _same_side(s["hospital_days"][i], day) else _set(s, i, hospital_days=day)


def death_day(s, rng):
    """A patient who dies in hospital on oxygen dies a few days earlier or later (same side of day 7)."""
    i = _one(rng, (s["died"] == 1) & (s["o2_days"] == s["death_day"]) & (s["hospital_days"] == s["death_day"]))
    day = None if i is None else s["death_day"][i] + rng.choice(DELTAS)
    if day is None or not _same_side(s["death_day"][i], day):
        return None
    return _set(s, i, death_day=day, o2_days=day, hospital_days=day)


def survive(s, rng):
    """A patient who died in hospital after day 7 survives instead: oxygen stops (after day 7) some days
    before the day they died, and they go home that day; the stay is unchanged."""
    i = _one(rng, (s["died"] == 1) & (s["death_day"] > 7) & (s["hospital_days"] == s["death_day"]))
    day = None if i is None else s["death_day"][i] - rng.choice(GAPS)
    if day is None or day <= 7:
        return None
    return _set(s, i, died=0, death_day=math.nan, discharged=1, o2_event=1, o2_days=day)


def survive_early(s, rng):
    """A patient who died by day 7 survives instead, on the support they started on at day 7 (no
    improvement); oxygen stops after day 7 and they go home some days later. Their day-7 PaO2/FiO2 makes
    the arm's mean change a sum that prints as published (one such sum at random)."""
    i = _one(rng, (s["died"] == 1) & (s["death_day"] <= 7))
    if i is None:
        return None
    measured = ~np.isnan(s["pf_day7"]) & (s["arm"] == s["arm"][i])
    _, mean, decimals = _published(f"pf_change_day7.{'msc' if s['arm'][i] == 'MSC' else 'placebo'}.mean")
    half, n = 0.5 * 10.0 ** -decimals * (1 + 1e-9), measured.sum() + 1
    sums = np.arange(math.ceil(n * (mean - half)), math.floor(n * (mean + half)) + 1)
    if not len(sums):
        return None
    change = rng.choice(sums) - (s["pf_day7"] - s["pf_day0"])[measured].sum()
    day = rng.choice(OXYGEN_DAYS)
    return _set(s, i, died=0, death_day=math.nan, who_day7=s["who_day0"][i], improved_day7=0,
                pf_day7=s["pf_day0"][i] + change, o2_event=1, o2_days=day, discharged=1,
                hospital_days=day + rng.choice(GAPS))


def die(s, rng):
    """A survivor on oxygen at day 7 dies instead on the day they went home, on oxygen (censored there)."""
    i = _one(rng, (s["died"] == 0) & (s["discharged"] == 1) & (s["who_day7"] >= 4) & (s["hospital_days"] > 7))
    if i is None:
        return None
    day = s["hospital_days"][i]
    return _set(s, i, died=1, death_day=day, discharged=0, o2_event=0, o2_days=day)


def pf_pair(s, rng):
    """Two patients of an arm measured at day 7 trade mmHg of their change, baseline or day 7: the
    arm's mean change stays the same."""
    i = _one(rng, ~np.isnan(s["pf_day7"]))
    j = _one(rng, ~np.isnan(s["pf_day7"]) & (s["arm"] == s["arm"][i]) & (np.arange(len(s["arm"])) != i))
    if j is None:
        return None
    column, delta = ("pf_day7", "pf_day0")[rng.integers(2)], rng.choice(PF_DELTAS)
    sign = 1 if column == "pf_day7" else -1
    return _set(_set(s, i, **{column: s[column][i] + sign * delta}), j, **{column: s[column][j] - sign * delta})


MOVES = (oxygen_day, discharge_day, death_day, survive, survive_early, die, pf_pair)


def propose(s, rng, most: int = 2):
    """One to `most` moves at random, one after the other (None if one does not apply): the claims tie
    patients together, so that one patient's change often needs another's to keep them."""
    for move in rng.choice(MOVES, size=rng.integers(1, most + 1)):
        s = move(s, rng)
        if s is None:
            return None
    return s


@functools.cache
def _published(claim_id: str) -> tuple[str, float, int]:
    claim = load_claims().set_index("claim_id").loc[claim_id]
    return claim["relation"], float(claim["value"]), int(claim["decimals"])


def _set(s, i, **values):
    changed = {k: v.copy() if k in values else v for k, v in s.items()}
    for k, v in values.items():
        changed[k][i] = v
    return changed


# --- the search
@dataclass
class Search:
    """What a search found for one conclusion."""
    conclusion: str
    found: bool  # a dataset breaking the conclusion that `consistent` confirms
    batch_value: float  # the statistic in the first start, the batch dataset nearest to breaking the conclusion
    start: int  # the batch dataset the run that came nearest started from
    start_value: float  # the statistic there
    best_value: float  # the statistic nearest to breaking (or breaking) the conclusion, over all runs
    tried: int  # proposals evaluated (including those that broke the record's claims or coherence)
    accepted: int
    seconds: float
    dataset: pd.DataFrame | None = field(default=None, repr=False)  # the counterexample, if found


def _stack(states: list[dict], template) -> sampler.Batch:
    return sampler.Batch({k: np.stack([s[k] for s in states]) for k in template.columns}, template.arm)


def _state(batch, i: int) -> dict:
    return {k: v[i].copy() for k, v in batch.columns.items()}


def starts(conclusion: str, batch, committed: pd.DataFrame, n: int) -> list[int]:
    """The n datasets of the batch nearest to breaking the conclusion (by its objective, from the committed
    per-dataset results, column `dataset` their place in the batch) that meet every claim and coherence
    rule as the search checks them."""
    order = np.argsort(TARGETS[conclusion].objective(committed), kind="stable")
    chosen = []
    for i in committed["dataset"].to_numpy()[order]:
        one = _stack([_state(batch, i)], batch)
        if meets_claims(one)[0] and coherent(one)[0]:
            chosen.append(int(i))
            if len(chosen) == n:
                break
    return chosen


RUNS, STEPS, PROPOSALS = 4, 250, 24  # the budget: about 20 s per conclusion on one core, 70 s for the hazard ratio


def search(conclusion: str, batch=None, committed: pd.DataFrame | None = None, seed: int = 0,
           runs: int = RUNS, steps: int = STEPS, proposals: int = PROPOSALS) -> Search:
    """Search for a dataset breaking `conclusion` (a key of pinned.CONCLUSIONS and TARGETS): `runs` runs,
    each from one of the batch datasets nearest to breaking it (`starts`), of `steps` steps of
    `proposals` moves each; stops at the first counterexample. Defaults: the committed batch and its
    per-dataset results."""
    began = time.perf_counter()
    batch = sampler.load_batch() if batch is None else batch
    committed = pinned.load_committed(DEFAULT_DATA / "pinned.csv") if committed is None else committed
    target, rule = TARGETS[conclusion], pinned.CONCLUSIONS[conclusion]
    rng = np.random.default_rng(seed)
    tried = accepted = 0
    best, broken = None, False  # best: (objective, statistic, start, statistic at the start, dataset)
    chosen = starts(conclusion, batch, committed, runs)
    if not chosen:
        raise ValueError(f"no dataset of the batch to start a search for {conclusion!r} from: none meets every "
                         "claim without a coherence warning or pattern")
    for start in chosen:
        state = _state(batch, start)
        table = needed(_stack([state], batch), target.columns)
        objective, start_value = target.objective(table)[0], target.value(table)[0]
        broken = not rule.test(table).iloc[0]
        batch_value = start_value if best is None else batch_value
        if best is None or broken:
            best = (objective, start_value, start, start_value, state)
        for step in range(0 if broken else steps):
            moved = [m for m in (propose(state, rng) for _ in range(proposals)) if m is not None]
            tried += len(moved)
            candidates = _stack(moved, batch) if moved else None
            ok = meets_claims(candidates) & coherent(candidates) if moved else np.zeros(0, bool)
            if not ok.any():
                continue
            kept = [m for m, good in zip(moved, ok) if good]
            table = needed(_stack(kept, batch), target.columns)
            scores = target.objective(table)
            pick = int(rng.choice(np.flatnonzero(scores == scores.min())))
            rise, temperature = scores[pick] - objective, target.temperature * (1 - step / steps)
            if rise <= 0 or rng.random() < math.exp(-rise / temperature):
                state, objective, accepted = kept[pick], scores[pick], accepted + 1
                broken = not rule.test(table.iloc[[pick]]).iloc[0]
                if broken or objective < best[0]:
                    best = (objective, target.value(table)[pick], start, start_value, state)
                if broken:
                    break
        if broken:
            break
    frame = _stack([best[4]], batch).frame(0)
    found = broken and consistent(frame)
    return Search(conclusion, found, batch_value, best[2], best[3], best[1], tried, accepted,
                  time.perf_counter() - began, frame if found else None)


def search_all(conclusions, seed: int = 0, processes: int = 1, **budget) -> dict[str, Search]:
    """`search` for each conclusion, on the committed batch (loaded once), `processes` at a time."""
    batch, committed = sampler.load_batch(), pinned.load_committed(DEFAULT_DATA / "pinned.csv")
    one = functools.partial(search, batch=batch, committed=committed, seed=seed, **budget)
    with sampler.mapper(processes) as run:
        return dict(zip(conclusions, run(one, conclusions)))


def table(searches: dict[str, Search]) -> pd.DataFrame:
    """The searches for a reader: per conclusion, its statistic in the batch dataset nearest to breaking it
    (among those the search can start from: no coherence warning, no pattern) and the nearest the search
    came (the counterexample's value if found), whether it found one, and what that took."""
    return pd.DataFrame([{
        "Conclusion": pinned.CONCLUSIONS[c].text, "Statistic": TARGETS[c].statistic,
        "Nearest in the batch": s.batch_value, "Nearest the search came": s.best_value,
        "Counterexample": "found" if s.found else "none found",
        "Moves tried": s.tried, "Moves taken": s.accepted, "Seconds": round(s.seconds)} for c, s in searches.items()])


RECORDED = tuple(f.name for f in fields(Search) if f.name != "dataset")  # what searches.csv keeps of a Search


def to_search(committed: pd.DataFrame) -> list[str]:
    """The conclusions worth a search: those with a target that held in every dataset of the committed
    batch (per-dataset results `committed`, weighted as the model is assumed), by `pinned.verdict`."""
    shares = pinned.shares(committed, weights=committed["weight.as assumed"])
    return [c for c, r in shares.iterrows() if c in TARGETS
            and pinned.verdict(r.share, r.mcse, r.conditioned, r.proved) == "in every dataset drawn"]


def write(searches: dict[str, Search], seed: int, directory: Path = DIRECTORY) -> None:
    """The searches (`searches.csv`: one row each, with the seed and budget that reproduce them) and each
    counterexample found as a dataset of its own (`<conclusion>/patients.csv`, checkable by
    `python -m covidat check --data`)."""
    rows = [{**{f: getattr(s, f) for f in RECORDED}, "seconds": round(s.seconds, 1), "seed": seed, "runs": RUNS,
             "steps": STEPS, "proposals": PROPOSALS} for s in searches.values()]
    directory.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(directory / "searches.csv", index=False, lineterminator="\n", float_format="%.10g")
    for c, s in searches.items():
        if s.found:
            sampler.write(s.dataset, directory / c)


def load(directory: Path = DIRECTORY) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The committed searches (indexed by conclusion) and, per conclusion with a counterexample, its patients
    as the book reads a dataset."""
    searches = pd.read_csv(directory / "searches.csv").set_index("conclusion")
    return searches, {c: load_dataset(directory / c).patients for c in searches.index[searches["found"]]}


def committed_table(searches: pd.DataFrame) -> pd.DataFrame:
    """`table` of the committed searches."""
    return table({c: Search(c, *(r[f] for f in RECORDED[1:])) for c, r in searches.iterrows()})
