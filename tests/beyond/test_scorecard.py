"""The scorecard: one function behind the page and the command, numbers shown to a fixed precision."""
import json

import pytest

from covidat import ROOT
from covidat.beyond import scorecard
from covidat import __main__ as cli
from covidat.data.claims import load_claims
from covidat.data import DEFAULT_DATA, load_dataset

PATIENTS = load_dataset(DEFAULT_DATA).patients
CARD = scorecard.scorecard(PATIENTS)


@pytest.mark.parametrize("value, decimals, sign, text", [
    (None, 1, False, ""), (20.0, 0, False, "20"), (0.0325077, 3, False, "0.03251"), (83.30000001, 1, False, "83.3"),
    (-0.00049226, 3, True, "-0.00049"), (0.00035, 3, True, "+0.00035"), (1e-9, 1, True, "0"), (17.5, 1, False, "17.5"),
    (float("nan"), 1, False, "not estimable"),  # not "nan", nor "+nan" as a difference
])
def test_number(value, decimals, sign, text):
    assert scorecard.number(value, decimals, sign) == text


def test_one_row_per_claim_in_order_with_statuses_in_words():
    assert list(CARD["claim_id"]) == list(load_claims()["claim_id"])
    assert set(CARD["status"]) <= set(scorecard.STATUS.values())
    assert sum(scorecard.counts(CARD).values()) == len(CARD)


def test_difference_only_for_claims_of_equality():
    relations = load_claims().set_index("claim_id")["relation"]
    for row in CARD.itertuples():
        assert (row.difference != "") == (relations[row.claim_id] == "=" and row.reproduced not in ("", "not estimable")), row


def test_the_command_prints_the_scorecard(capsys):
    assert cli.main(["check", "--data", str(DEFAULT_DATA)]) == 0
    out = capsys.readouterr().out
    assert CARD.drop(columns="chapter").to_string(index=False) in out and scorecard.summary(CARD) in out


def test_the_page_shows_the_same_scorecard():
    notebook = json.loads((ROOT / "chapters/16_scorecard.ipynb").read_text())
    shown = ["".join(o["data"]["text/markdown"]) for c in notebook["cells"] for o in c.get("outputs", [])
             if "text/markdown" in o.get("data", {})]
    assert scorecard.markdown(CARD) in shown


def test_links_only_to_chapters_that_exist(monkeypatch):
    assert scorecard.chapter_exists("04_data") and not scorecard.chapter_exists("99_nowhere")
    monkeypatch.setattr(scorecard, "chapter_exists", lambda doc: doc == "07_improvement")
    text = scorecard.markdown(CARD)
    assert "Computed in {doc}`07_improvement`" in text and "{doc}`06_primary`" not in text


def test_every_claim_endpoint_has_a_chapter():
    assert set(load_claims()["endpoint"]) <= set(scorecard.CHAPTERS)
