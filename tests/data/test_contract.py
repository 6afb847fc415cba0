"""The data contract: every rule rejects what it should (naming file, row and column), accepts the
patterns real records have, and reads what spreadsheets write or says exactly what to do."""
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from covidat import ROOT
from covidat.beyond import scorecard
from covidat.data import DEFAULT_DATA, PATIENT_COLUMNS, DataError, load_dataset
from covidat.endpoints import analyse
from csvtools import read_rows, with_cell, write_rows

HEADER = [c.name for c in PATIENT_COLUMNS]
# The contract, written out independently of data.py: columns every file must have, and which may be empty.
REQUIRED = ["patient_id", "arm", "pf_day0", "pf_day7", "who_day0", "who_day7", "improved_day7", "o2_days",
            "o2_event", "hospital_days", "discharged", "died", "death_day"]
MAY_BE_EMPTY = {"pf_day7", "death_day"}
# Alive, in hospital and on oxygen at day 7, off oxygen at day 14, home at day 20, not improved.
ON_OXYGEN = dict(patient_id="A1", arm="MSC", pf_day0="150", pf_day7="200", who_day0="5", who_day7="5",
                 improved_day7="0", o2_days="14", o2_event="1", hospital_days="20", discharged="1",
                 died="0", death_day="")
# Off oxygen on day 15, died in hospital on day 20.
DIED = dict(ON_OXYGEN, patient_id="D1", o2_days="15", discharged="0", died="1", death_day="20")


def write_dataset(directory, *patients, assumptions=None):
    directory.mkdir(exist_ok=True)
    write_rows(directory / "patients.csv", [HEADER] + [[p.get(c, "") for c in HEADER] for p in patients])
    if assumptions is not None:
        write_rows(directory / "assumptions.csv", assumptions)
    return directory


def load_one(tmp_path, **changes):
    """Load a one-patient dataset: the ON_OXYGEN patient with `changes` (a base of DIED if died=1)."""
    base = DIED if changes.get("died") == "1" else ON_OXYGEN
    return load_dataset(write_dataset(tmp_path / "one", dict(base, **changes)))


def rejects(tmp_path, column, message, **changes):
    with pytest.raises(DataError) as error:
        load_one(tmp_path, **changes)
    text = str(error.value)
    assert "patients.csv, row 1 (line 2)" in text and f"column '{column}'" in text and message in text, text


def test_committed_dataset_loads():
    dataset = load_dataset(DEFAULT_DATA)
    assert list(dataset.patients.columns) == HEADER
    assert len(dataset.patients) == len(read_rows(DEFAULT_DATA / "patients.csv")) - 1


def test_base_patients_are_valid(tmp_path):
    assert len(load_dataset(write_dataset(tmp_path / "d", ON_OXYGEN, DIED)).patients) == 2


# --- one column at a time: the bounds below are the contract, written out independently of data.py ---
BOUNDS = {"pf_day0": (20, 700), "pf_day7": (20, 700), "who_day0": (1, 7), "who_day7": (1, 7),
          "o2_days": (0, 400), "hospital_days": (0, 400), "death_day": (0, 400)}


@pytest.mark.parametrize("column, value", [(c, v) for c, (low, high) in BOUNDS.items()
                                           for v in (low - 1, high + 1)] + [("o2_days", -5), ("pf_day0", 19.5)])
def test_value_outside_bounds_is_rejected(tmp_path, column, value):
    rejects(tmp_path, column, "outside the plausible range", **{column: str(value)})


@pytest.mark.parametrize("column, value", [("arm", "Placebo"), ("arm", "msc"), ("improved_day7", "2"),
                                           ("o2_event", "2"), ("discharged", "-1"), ("died", "3")])
def test_value_not_allowed_is_rejected(tmp_path, column, value):
    rejects(tmp_path, column, "not one of", **{column: value})


@pytest.mark.parametrize("column", [c for c in REQUIRED if c not in MAY_BE_EMPTY])
def test_required_value_missing_is_rejected(tmp_path, column):
    rejects(tmp_path, column, "empty but required", **{column: ""})


@pytest.mark.parametrize("column", [c.name for c in PATIENT_COLUMNS if c.kind is int])
def test_fraction_in_integer_column_is_rejected(tmp_path, column):
    rejects(tmp_path, column, "not an integer", **{column: "2.5"})


def test_numbers_with_decimals_are_read(tmp_path):
    patient = load_one(tmp_path, pf_day0="150.5", pf_day7=" 200.25 ").patients.iloc[0]
    assert (patient.pf_day0, patient.pf_day7) == (150.5, 200.25)


def test_repeated_patient_is_rejected(tmp_path):
    directory = write_dataset(tmp_path / "d", ON_OXYGEN, dict(ON_OXYGEN, arm="placebo"))
    with pytest.raises(DataError, match=r"row 2 \(line 3\), column 'patient_id': 'A1' repeats row 1"):
        load_dataset(directory)


# --- rules that tie columns together ---
@pytest.mark.parametrize("column, message, changes", [
    ("death_day", "exactly when died = 1", dict(died="1", death_day="")),
    ("death_day", "exactly when died = 1", dict(death_day="30")),
    ("o2_days", "after death", dict(died="1", o2_days="21")),
    ("hospital_days", "after death", dict(died="1", hospital_days="21", o2_days="19")),
    ("discharged", "not discharged alive", dict(died="1", discharged="1")),
    ("who_day7", "score 7 (death)", dict(who_day7="7")),
    ("who_day7", "score 7 (death)", dict(died="1", death_day="5", o2_days="5", hospital_days="5")),
    ("who_day7", "not hospitalised", dict(who_day7="2", improved_day7="1")),
    ("who_day7", "not hospitalised", dict(hospital_days="6", o2_days="6", who_day7="3", improved_day7="1")),
    ("who_day7", "score 3 (no oxygen)", dict(who_day7="3", improved_day7="1")),
    ("who_day7", "scores 4–6 (on oxygen)", dict(o2_days="6")),
    ("improved_day7", "disagrees with the WHO scores", dict(improved_day7="1")),
    ("improved_day7", "disagrees with the WHO scores", dict(who_day7="4")),
])
def test_inconsistent_columns_are_rejected(tmp_path, column, message, changes):
    rejects(tmp_path, column, message, **changes)


def test_improvement_threshold_comes_from_the_dataset_assumptions(tmp_path):
    assumptions = read_rows(DEFAULT_DATA / "assumptions.csv")
    row = next(r for r in assumptions if r[0] == "improvement_min_drop")
    row[2] = "2"
    directory = write_dataset(tmp_path / "d", dict(ON_OXYGEN, who_day7="4", improved_day7="1"), assumptions=assumptions)
    with pytest.raises(DataError, match="improvement means a fall of at least 2"):
        load_dataset(directory)


# --- patterns of real records the reconstruction may lack: accepted, and reported where they matter ---
PATTERNS = {
    "died during follow-up": DIED,
    "PaO2/FiO2 missing at day 7": dict(ON_OXYGEN, pf_day7=""),
    "oxygen continued after discharge": dict(ON_OXYGEN, hospital_days="10", o2_days="25"),
    "oxygen not stopped during follow-up (censored)": dict(ON_OXYGEN, o2_days="20", o2_event="0"),
    "in hospital at the end of follow-up": dict(ON_OXYGEN, discharged="0"),
}


@pytest.mark.parametrize("pattern", PATTERNS)
def test_real_world_pattern_is_accepted_and_reported(tmp_path, pattern):
    other = dict(ON_OXYGEN, patient_id="P1", arm="placebo")
    patients = load_dataset(write_dataset(tmp_path / "d", dict(PATTERNS[pattern], patient_id="X1"), other)).patients
    found = scorecard.patterns(patients).set_index("pattern")
    assert (found.loc[pattern, "msc"], found.loc[pattern, "placebo"]) == (1, 0)
    assert (found.drop(index=pattern)[["msc", "placebo"]] == 0).all().all()


# Extreme datasets the contract accepts. Every analysis must give a result (NaN where it has nothing to
# estimate) rather than stop `check`, `results` or the build with a traceback. Bugs caught: a Cox or
# Fine–Gray fit on a dataset without a single oxygen event (statsmodels raised IndexError, Newton's
# step divided by zero).
DEAD_BY_DAY_3 = dict(ON_OXYGEN, pf_day7="", who_day7="7", o2_days="3", o2_event="0", hospital_days="3",
                     discharged="0", died="1", death_day="3")
STILL_ON_OXYGEN = dict(ON_OXYGEN, o2_days="90", o2_event="0", hospital_days="90", discharged="0")
EXTREMES = {
    "everyone dies by day 3": [dict(DEAD_BY_DAY_3, patient_id=f"X{i}", arm=arm)
                               for i, arm in enumerate(["MSC"] * 3 + ["placebo"] * 3)],
    "nobody stops oxygen": [dict(STILL_ON_OXYGEN, patient_id=f"X{i}", arm=arm, pf_day0=str(100 + 10 * i))
                            for i, arm in enumerate(["MSC"] * 3 + ["placebo"] * 3)],
    "one patient per arm": [dict(ON_OXYGEN, patient_id="X1"), dict(DIED, patient_id="X2", arm="placebo")],
    # oxygen stops only in placebo, after the one MSC patient was censored: a singular Cox fit
    "no event while both arms are at risk": [
        dict(ON_OXYGEN, patient_id="X1", o2_days="10", o2_event="0", hospital_days="20"),
        dict(ON_OXYGEN, patient_id="X2", arm="placebo", o2_days="12", hospital_days="20"),
        dict(ON_OXYGEN, patient_id="X3", arm="placebo", o2_days="14", hospital_days="20")],
    # every MSC patient ventilated at baseline, every placebo patient not: arm and baseline collinear
    "baseline WHO score follows the arm": [
        *(dict(ON_OXYGEN, patient_id=f"M{i}", who_day0="6", who_day7=w, improved_day7=str(int(w != "6")))
          for i, w in enumerate(("6", "5", "4"))),
        *(dict(ON_OXYGEN, patient_id=f"P{i}", arm="placebo", who_day7=w, improved_day7=str(int(w == "4")))
          for i, w in enumerate(("6", "5", "4")))],
}
REASONS = {"no event while both arms are at risk": ("o2_discontinuation", "hazard_ratio", None),
           "baseline WHO score follows the arm": ("who_day7", "common_odds_ratio", "cannot be told apart")}


@pytest.mark.filterwarnings("ignore")  # numpy's and statsmodels' warnings on empty or constant samples: NaN results
@pytest.mark.parametrize("case", EXTREMES)
def test_extreme_datasets_are_analysed_without_an_error(tmp_path, case):
    patients = load_dataset(write_dataset(tmp_path / "d", *EXTREMES[case])).patients
    results = analyse(patients)
    card = scorecard.scorecard(patients)
    assert len(card) == len(scorecard.scorecard(load_dataset(DEFAULT_DATA).patients))
    assert not card[["reproduced", "difference"]].apply(lambda c: c.str.contains("nan")).any().any()  # named instead
    if case in ("everyone dies by day 3", "nobody stops oxygen"):  # no oxygen event: no hazard ratio
        oxygen = results["o2_discontinuation"]
        assert np.isnan(oxygen.get("both", "hazard_ratio")) and np.isnan(oxygen.get("both", "fine_gray_hr"))
    if case in REASONS:  # not estimable, and said why where the analysis has a reason to give
        endpoint, statistic, reason = REASONS[case]
        assert np.isnan(results[endpoint].get("both", statistic))
        assert reason is None or reason in results[endpoint].methods[("both", statistic)]


def test_missing_day7_value_leaves_the_primary_endpoint_not_the_dataset(tmp_path):
    home = dict(ON_OXYGEN, patient_id="H1", hospital_days="5", o2_days="5", who_day7="2", improved_day7="1", pf_day7="")
    others = [dict(ON_OXYGEN, patient_id=i, arm=arm, pf_day0=pf) for i, arm, pf in
              (("A2", "MSC", "140"), ("P1", "placebo", "150"), ("P2", "placebo", "170"))]
    patients = load_dataset(write_dataset(tmp_path / "d", ON_OXYGEN, home, *others)).patients
    result = analyse(patients)["pf_change_day7"]  # MSC changes: 50 and 60; the patient sent home is left out
    assert result.get("MSC", "n") == 2 and result.get("MSC", "mean") == 55


# --- the file itself ---
def test_missing_column_is_named_with_a_near_miss(dataset_copy):
    table = read_rows(dataset_copy / "patients.csv")
    table[0][0] = "Patient_ID"
    write_rows(dataset_copy / "patients.csv", table)
    with pytest.raises(DataError, match="column 'patient_id': required column is missing from the header "
                                        r"\(the header has 'Patient_ID'\)"):
        load_dataset(dataset_copy)


@pytest.mark.parametrize("column", REQUIRED)
def test_every_column_is_required_in_the_header(dataset_copy, column):
    table = read_rows(dataset_copy / "patients.csv")
    index = table[0].index(column)
    write_rows(dataset_copy / "patients.csv", [r[:index] + r[index + 1:] for r in table])
    with pytest.raises(DataError, match=f"column '{column}': required column is missing"):
        load_dataset(dataset_copy)


def test_repeated_column_is_named(dataset_copy):
    table = [r + [r[1]] for r in read_rows(dataset_copy / "patients.csv")]  # a second 'arm' column
    write_rows(dataset_copy / "patients.csv", table)
    with pytest.raises(DataError, match="column 'arm': column appears more than once"):
        load_dataset(dataset_copy)


def test_extra_columns_are_ignored(dataset_copy):
    table = [r + ["note"] for r in read_rows(dataset_copy / "patients.csv")]
    table[0][-1] = "comment"
    write_rows(dataset_copy / "patients.csv", table)
    assert list(load_dataset(dataset_copy).patients.columns) == HEADER


def test_ragged_row_is_named(dataset_copy):
    table = read_rows(dataset_copy / "patients.csv")
    width = len(table[0])
    table[7] = table[7][:-2]
    write_rows(dataset_copy / "patients.csv", table)
    with pytest.raises(DataError, match=rf"row 7 \(line 8\): has {width - 2} fields, the header has {width}"):
        load_dataset(dataset_copy)


@pytest.mark.parametrize("content, message", [
    ("", "file is empty"), (None, "patients.csv: file not found"), (",".join(HEADER) + "\n", "has no patients")])
def test_empty_or_missing_file(dataset_copy, content, message):
    path = dataset_copy / "patients.csv"
    path.unlink() if content is None else path.write_text(content)
    with pytest.raises(DataError, match=message):
        load_dataset(dataset_copy)


def test_missing_directory_is_named(tmp_path):
    with pytest.raises(DataError, match="nowhere: dataset directory not found"):
        load_dataset(tmp_path / "nowhere")


# --- what spreadsheets write ---
def committed_text():
    return (DEFAULT_DATA / "patients.csv").read_text()


@pytest.mark.parametrize("variant", [
    lambda t: "\ufeff" + t,                       # Excel's "CSV UTF-8": a byte-order mark
    lambda t: t.replace("\n", "\r\n"),             # Windows line ends
    lambda t: t + "," * 12 + "\n\n",             # trailing empty rows
    lambda t: re.sub(r"(?<=,)(\d+)(?=,|\n)", r"\1.0", t),  # whole numbers as 28.0 (pandas, R: ints with gaps)
])
def test_spreadsheet_variants_read_as_the_original(dataset_copy, variant):
    (dataset_copy / "patients.csv").write_text(variant(committed_text()), encoding="utf-8")
    assert load_dataset(dataset_copy).patients.equals(load_dataset(DEFAULT_DATA).patients)


def test_latin1_file_gets_a_clear_message(dataset_copy):
    text = committed_text().replace("P01", "P01é")
    (dataset_copy / "patients.csv").write_bytes(text.encode("latin-1"))
    with pytest.raises(DataError) as error:
        load_dataset(dataset_copy)
    message = str(error.value)
    assert "patients.csv: is not UTF-8 text (byte 0xe9 on line 2)" in message and "CSV UTF-8" in message


@pytest.mark.parametrize("separator, name", [(";", "semicolons"), ("\t", "tabs")])
def test_other_separators_get_a_clear_message(dataset_copy, separator, name):
    (dataset_copy / "patients.csv").write_text(committed_text().replace(",", separator))
    with pytest.raises(DataError, match=f"patients.csv: fields are separated by {name}, not commas") as error:
        load_dataset(dataset_copy)
    assert "missing" not in str(error.value)


def test_quoted_decimal_comma_is_named(dataset_copy):
    with_cell(dataset_copy / "patients.csv", dataset_copy / "patients.csv", 2, "pf_day0", "150,5")
    with pytest.raises(DataError, match=r"row 2 \(line 3\), column 'pf_day0': '150,5' is not a number "
                                        r"\(a decimal comma\? write 150.5\)"):
        load_dataset(dataset_copy)


def test_unquoted_decimal_comma_is_hinted(dataset_copy):
    lines = committed_text().splitlines()
    width = len(lines[0].split(","))
    fields = lines[2].split(",")
    fields[2] += ",5"
    lines[2] = ",".join(fields)
    (dataset_copy / "patients.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=rf"row 2 \(line 3\): has {width + 1} fields, the header has {width} \(.*decimal comma"):
        load_dataset(dataset_copy)


def test_command_prints_the_message_not_a_traceback(dataset_copy):
    (dataset_copy / "patients.csv").write_bytes(committed_text().replace("P01", "P01é").encode("latin-1"))
    run = subprocess.run([sys.executable, "-m", "covidat", "check", "--data", str(dataset_copy)],
                         capture_output=True, text=True)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith("error: ") and "Traceback" not in run.stderr and "not UTF-8" in run.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_book_stops_on_a_contract_violation_with_the_message(dataset_copy):
    with_cell(dataset_copy / "patients.csv", dataset_copy / "patients.csv", 3, "arm", "MSc")
    run = subprocess.run(["make", "--no-print-directory", "book", f"DATA={dataset_copy}"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode != 0 and "Traceback" not in run.stderr + run.stdout
    assert "row 3 (line 4), column 'arm': 'MSc' is not one of MSC, placebo" in run.stderr
    assert "jupyter-book" not in run.stdout  # stopped before the build


NUMERIC = [c.name for c in PATIENT_COLUMNS if c.kind is not str]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=st.integers(1, 20), column=st.sampled_from(NUMERIC),
       junk=st.text(alphabet="abcxyz-_ ?", min_size=1, max_size=6).filter(lambda s: s.strip()))
def test_any_non_numeric_cell_is_named(dataset_copy, row, column, junk):
    original = read_rows(dataset_copy / "patients.csv")
    try:
        with_cell(dataset_copy / "patients.csv", dataset_copy / "patients.csv", row, column, junk)
        with pytest.raises(DataError) as error:
            load_dataset(dataset_copy)
        assert error.value.row == row and error.value.column == column
    finally:
        write_rows(dataset_copy / "patients.csv", original)
