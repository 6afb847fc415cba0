"""The counterexample search: what it returns is checked again here by the book's own checker, not by
the search's screens."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from covidat import endpoints
from covidat.beyond import scorecard
from covidat.data import DEFAULT_DATA, PATIENT_COLUMNS, coherence, load_dataset
from covidat.data.claims import load_claims
from covidat.data.contract import check_patients
from covidat.reconstruction import counterexample as cx, pinned, sampler

SMALL = dict(runs=2, steps=40)  # enough for the conclusions below, seconds each


def stack(frames: list[pd.DataFrame]) -> sampler.Batch:
    return sampler.Batch({c.name: np.stack([f[c.name].to_numpy(object if c.kind is str else float, na_value=np.nan)
                                            for f in frames]) for c in PATIENT_COLUMNS}, frames[0]["arm"].to_numpy())


@pytest.fixture(scope="module")
def batch():
    return sampler.load_batch()


@pytest.fixture(scope="module")
def committed():
    return pinned.load_committed(DEFAULT_DATA / "pinned.csv")


@pytest.fixture(scope="module")
def found(batch, committed):
    return cx.search("sd_above_bound", batch, committed, seed=1, **SMALL)


def test_a_counterexample_meets_every_claim_and_breaks_the_conclusion(found, tmp_path):
    """Bug caught: the search's batched screens letting through a dataset the checker rejects (a claim
    computed on the wrong arm, a coherence rule or pattern missed, a value out of the contract's range),
    or reporting as found a dataset in which the conclusion still holds."""
    assert found.found
    patients = found.dataset
    patients.to_csv(tmp_path / "patients.csv", index=False)
    reread = load_dataset(tmp_path).patients  # the full contract, ranges and types included
    statuses = {c.claim_id: c.status for c in scorecard.check(reread)}
    assert "fails" not in statuses.values() and statuses["hospital_stay.both.p"] == "holds"
    assert coherence.violations(reread).empty and coherence.patterns(reread).empty
    change = (reread["pf_day7"] - reread["pf_day0"]).groupby(reread["arm"]).var(ddof=1)
    assert np.sqrt(change.mean()) < pinned.sd_bound() <= found.start_value


def test_search_finds_a_counterexample_it_has_to_walk_to(batch, committed):
    """Starting only from datasets in which the log-rank test of discharge is significant (it is not in
    about a fifth of the batch), the search reaches one in which it is not. Bug caught: a search that
    does not move the statistic towards breaking (objective of the wrong sign, moves never accepted)."""
    holding = committed[committed["hospital_stay.both.p_logrank"] < 0.05]
    result = cx.search("hospital_logrank", batch, holding, seed=0, **SMALL)
    assert result.start_value < 0.05
    assert result.found and result.best_value >= 0.05
    stay = endpoints.ENDPOINTS["hospital_stay"](result.dataset)
    assert stay.get("both", "p_logrank") >= 0.05


def test_a_start_that_already_breaks_the_conclusion_is_the_counterexample(batch, committed):
    """Bug caught: a search that walks away from a counterexample it starts on, or loses it."""
    broken = committed[committed["hospital_stay.both.p_logrank"] >= 0.05].head(1)
    result = cx.search("hospital_logrank", batch, broken, seed=0, **SMALL)
    assert result.found and result.accepted == 0 and result.start == broken["dataset"].iloc[0]
    assert result.best_value == result.start_value == pytest.approx(broken["hospital_stay.both.p_logrank"].iloc[0])


def test_search_never_breaks_a_conclusion_proved_in_every_consistent_dataset(batch, committed):
    """The normal-approximation p is below 0.05 wherever the published test prints as published.
    Bug caught: a screen that accepts datasets breaking the hospital-stay claims."""
    assert pinned.CONCLUSIONS["hospital_normal"].proof()
    result = cx.search("hospital_normal", batch, committed, seed=0, **SMALL)
    assert result.accepted > 0 and not result.found and result.best_value < 0.05


def test_same_seed_same_search(batch, committed):
    """Bug caught: randomness outside the seed (a global generator, a time budget)."""
    one, two = (cx.search("sd_above_bound", batch, committed, seed=3, runs=1, steps=15) for _ in range(2))
    assert (one.best_value, one.tried, one.accepted, one.start) == (two.best_value, two.tried, two.accepted, two.start)
    pd.testing.assert_frame_equal(one.dataset if one.found else pd.DataFrame(),
                                  two.dataset if two.found else pd.DataFrame())


def test_moves_keep_every_record_whole(batch):
    """Every proposal, from datasets with and without early deaths, meets the contract's rules between
    columns. Bug caught: a move that changes a column without the ones tied to it (a survivor keeping a
    death day or a day-7 score of death, a death without its day, a day crossing day 7 under the same score)."""
    rng = np.random.default_rng(0)
    early = (batch.columns["died"] == 1) & (batch.columns["death_day"] <= 7)
    tried = set()
    for i in (int(np.argmax(early.any(1))), int(np.argmin(early.any(1)))):
        state = cx._state(batch, i)
        for _ in range(150):
            moved = cx.propose(state, rng)
            if moved is None:
                continue
            tried.add(tuple(np.flatnonzero(moved["died"] != state["died"])))
            check_patients(cx._stack([moved], batch).frame(0), "proposal", 1)
            state = moved
    assert len(tried) > 1  # deaths did change along the way


def test_claim_screen_covers_every_claim_the_moves_can_change_and_agrees_with_the_endpoints(batch):
    """On batch datasets and on proposals from them (some of which break a claim), each screened claim
    has its endpoint's value, and the screen says what the scorecard says. Bug caught: a claim left out
    of the screen, a batched statistic that differs from its endpoint (a wrong arm, another test)."""
    rng = np.random.default_rng(2)
    states = [cx._state(batch, i) for i in (0, 5, 9)]
    for move in cx.MOVES:  # one proposal of each move, from the first state it applies to
        states += next(([m] for start in states[:3] if (m := move(start, rng)) is not None), [])
    assert len(states) == 3 + len(cx.MOVES)
    stacked = cx._stack(states, batch)
    screened, meets = cx.claim_statistics(stacked), cx.meets_claims(stacked)
    for k in range(len(states)):
        patients = stacked.frame(k)
        checks = scorecard.check(patients)
        checkable = {c.claim_id for c in checks if c.status != "not checkable"}
        assert checkable - set(screened) == {c for c in checkable if c.startswith("randomised.")}
        for c in checks:
            if c.claim_id in screened:
                assert screened[c.claim_id][k] == pytest.approx(c.reproduced, rel=1e-9, nan_ok=True), c.claim_id
        assert meets[k] == all(c.status != "fails" for c in checks)
    assert not meets.all() and meets.any()


def test_coherence_screen_flags_a_pattern_within_an_arm_only(batch):
    """Five patients of an arm with one stay is a pattern; three of each arm is not. Bug caught: the
    screen's count of equal stays off by one or taken across arms."""
    base = batch.frame(0)
    survivors = base.index[(base["died"] == 0)]
    frames = []
    for counts in ({"MSC": 5}, {"MSC": 3, "placebo": 3}):
        f = base.copy()
        for a, n in counts.items():
            f.loc[survivors[f.loc[survivors, "arm"] == a][:n], "hospital_days"] = 60
        frames.append(f)
    stacked = stack(frames)
    expected = [coherence.violations(f).empty and coherence.patterns(f).empty for f in frames]
    assert list(cx.coherent(stacked)) == expected == [False, True]


def test_verdict_names_a_counterexample_and_refuses_one_against_a_proof():
    """Bug caught: a counterexample hidden behind 'in every dataset drawn', or silently outranked by a proof."""
    assert pinned.verdict(1.0, 0.0, counterexample=True) == "counterexample found"
    assert pinned.verdict(1.0, 0.0, counterexample=False) == "in every dataset drawn"
    assert pinned.verdict(1.0, 0.0, conditioned=True, counterexample=False) == "by construction"
    with pytest.raises(ValueError):
        pinned.verdict(1.0, 0.0, proved=True, counterexample=True)


def test_table_speaks_in_the_readers_words(found):
    table = cx.table({"sd_above_bound": found})
    assert table.loc[0, "Conclusion"] == pinned.CONCLUSIONS["sd_above_bound"].text
    assert table.loc[0, "Counterexample"] == "found"
    assert table.loc[0, "Nearest the search came"] == found.best_value
    assert table.loc[0, "Nearest in the batch"] == found.batch_value


@pytest.fixture(scope="module")
def committed_searches():
    return cx.load()


def test_committed_searches_cover_the_conclusions_held_in_every_dataset_drawn(committed, committed_searches):
    """Bug caught: a searches file left stale after the batch or its results changed (a conclusion that now
    fails somewhere still searched, or a new one that holds everywhere never searched)."""
    searches, _ = committed_searches
    assert list(searches.index) == cx.to_search(committed)


def test_committed_search_is_what_the_search_finds(batch, committed, committed_searches):
    """Rerun, with its committed seed and budget, the one search that ends in seconds (it finds its
    counterexample early). Bug caught: a committed outcome or dataset the code no longer reproduces."""
    searches, datasets = committed_searches
    row = searches.loc["sd_above_bound"]
    again = cx.search("sd_above_bound", batch, committed, seed=int(row.seed), runs=int(row.runs),
                      steps=int(row.steps), proposals=int(row.proposals))
    assert (again.found, again.start, again.tried, again.accepted) == (row.found, row.start, row.tried, row.accepted)
    assert again.best_value == pytest.approx(row.best_value, rel=1e-9)
    pd.testing.assert_frame_equal(again.dataset.reset_index(drop=True), datasets["sd_above_bound"], check_dtype=False)


def test_committed_counterexample_passes_the_checker_and_breaks_its_conclusion(committed_searches):
    """Each committed counterexample, read as a reader's dataset, meets every published claim by the
    scorecard, raises no coherence warning, and breaks its conclusion recomputed here from scratch (the
    bound from scipy's t quantile; the SD, the root mean of the two arms' variances, from pandas). Bug
    caught: a counterexample reported that is no such thing."""
    searches, datasets = committed_searches
    assert set(datasets) == set(searches.index[searches["found"]])
    claims = load_claims().set_index("claim_id")["value"]
    for conclusion, patients in datasets.items():
        assert conclusion == "sd_above_bound", f"no independent check written for {conclusion}"
        assert "fails" not in {c.status for c in scorecard.check(patients)}
        assert coherence.violations(patients).empty and coherence.patterns(patients).empty
        n = int(claims["randomised.msc.n"])
        bound = (abs(claims["pf_change_day7.msc.mean"] - claims["pf_change_day7.placebo.mean"])
                 / (stats.t.ppf(1 - claims["pf_change_day7.both.p"] / 2, 2 * n - 2) * np.sqrt(2 / n)))
        sd = np.sqrt((patients["pf_day7"] - patients["pf_day0"]).groupby(patients["arm"]).var(ddof=1).mean())
        assert sd < bound and sd == pytest.approx(searches.loc[conclusion, "best_value"])
