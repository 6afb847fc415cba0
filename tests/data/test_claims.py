"""Every reproduced number against the published one, and the checker against wrong data."""
import shutil

import pandas as pd
import pytest

from covidat import __main__ as cli
from covidat.beyond.scorecard import check
from covidat.data.claims import holds, load_claims, published_text
from covidat.data import DEFAULT_DATA, load_dataset

PATIENTS = load_dataset(DEFAULT_DATA).patients
CHECKS = {c.claim_id: c for c in check(PATIENTS)}


@pytest.mark.parametrize("claim_id", sorted(CHECKS))
def test_claim_reproduced_or_declared_uncheckable(claim_id):
    assert CHECKS[claim_id].status in ("holds", "not checkable"), CHECKS[claim_id]


def test_every_patient_level_endpoint_is_checked():
    # Only claims about data we do not have (adverse events, unnamed endpoints) may go unchecked.
    assert {c.claim_id.split(".")[0] for c in CHECKS.values() if c.status == "not checkable"} == {
        "other_secondary", "treatment_related_sae"}


@pytest.mark.parametrize("relation, published, decimals, reproduced, expected", [
    ("=", 0.033, 3, 0.0325077, True),   # Fisher's 0.0325 prints as 0.033
    ("=", 0.033, 3, 0.0324, False),
    ("=", 17.5, 1, 17.5, True),
    ("=", 28, 1, 27.5, False),          # a half-day median would have been printed
    ("=", 14, 0, 14.4, True),
    ("=", 14, 0, 14.6, False),
    (">", 0.05, 2, 0.36, True),
    (">", 0.05, 2, 0.04, False),
])
def test_rounding_rule(relation, published, decimals, reproduced, expected):
    assert holds(relation, published, decimals, reproduced) is expected


def failing(patients):
    return {c.claim_id for c in check(patients) if c.status == "fails"}


def test_swapped_arms_fail():
    swapped = PATIENTS.assign(arm=PATIENTS["arm"].map({"MSC": "placebo", "placebo": "MSC"}))
    assert {"pf_change_day7.msc.mean", "hospital_stay.msc.median", "who_improved_day7.msc.n",
            "o2_discontinuation.placebo.median"} <= failing(swapped)


def test_one_changed_patient_fails():
    changed = PATIENTS.copy()
    first_msc = changed.index[(changed["arm"] == "MSC") & changed["pf_day7"].notna()][0]
    changed.loc[first_msc, "pf_day7"] += 10  # the MSC mean moves by 1 mmHg
    assert failing(changed) == {"pf_change_day7.msc.mean"}


def test_cli_check_exit_codes(tmp_path, capsys):
    assert cli.main(["check", "--data", str(DEFAULT_DATA)]) == 0
    out = capsys.readouterr().out
    assert f"{len(CHECKS) - 2} reproduced, 0 not reproduced, 2 not reproducible" in out
    assert "dataset: data/reconstructed (the book's reconstruction)" in out
    wrong = tmp_path / "wrong"
    shutil.copytree(DEFAULT_DATA, wrong)
    table = pd.read_csv(wrong / "patients.csv", dtype=str, keep_default_na=False)
    table["arm"] = table["arm"].map({"MSC": "placebo", "placebo": "MSC"})
    table.to_csv(wrong / "patients.csv", index=False)
    assert cli.main(["check", "--data", str(wrong)]) == 1
    assert "(supplied data, not the reconstruction)" in capsys.readouterr().out
    (wrong / "patients.csv").write_text("patient_id\nP01\n")
    assert cli.main(["check", "--data", str(wrong)]) == 2
    assert "column 'arm': required column is missing" in capsys.readouterr().err


def test_claims_file_has_a_source_for_every_number():
    claims = load_claims()
    bib = (DEFAULT_DATA.parents[1] / "references.bib").read_text()
    for claim in claims.itertuples():
        assert f"{{{claim.source}," in bib, claim.claim_id
        assert claim.location.strip(), claim.claim_id


@pytest.mark.parametrize("relation, value, decimals, printed", [
    ("=", 28.0, 1, "28"),        # held to one decimal, printed without one
    ("=", 17.5, 1, "17.5"),
    ("=", 0.033, 3, "0.033"),
    (">", 0.05, 2, "> 0.05"),
])
def test_published_text_is_the_printed_number(relation, value, decimals, printed):
    claim = pd.Series({"relation": relation, "value": value, "decimals": decimals})
    assert published_text(claim) == printed


def test_every_claim_reads_in_words():
    # A claim id left as an id (an endpoint without reader words) would show as code on the pages.
    from covidat.data.claims import ARM_WORDS, ENDPOINT_WORDS, claim_label
    for claim_id in load_claims()["claim_id"]:
        endpoint, arm, statistic = claim_id.split(".")
        assert endpoint in ENDPOINT_WORDS and arm in ARM_WORDS, claim_id
        assert claim_label(claim_id).startswith(ENDPOINT_WORDS[endpoint])
    assert claim_label("hospital_stay.placebo.median") == "Days in hospital: placebo, median"
