"""The loader accepts the committed data and rejects each kind of broken input with a clear message."""
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from covidat.data import DEFAULT_DATA, PATIENT_COLUMNS, DataError, load_dataset
from csvtools import read_rows, with_cell, write_rows


def rows(directory):
    return read_rows(directory / "patients.csv")


def write_table(directory, table):
    write_rows(directory / "patients.csv", table)


def set_cell(directory, row, column, value):
    path = directory / "patients.csv"
    with_cell(path, path, row, column, value)


def test_committed_dataset_loads():
    dataset = load_dataset(DEFAULT_DATA)
    assert len(dataset.patients) == 20
    assert list(dataset.patients.columns) == [c.name for c in PATIENT_COLUMNS]


@pytest.mark.parametrize("column, value, message", [
    ("who_day7", "8", "outside the plausible range"),
    ("who_day0", "five", "not an integer"),
    ("pf_day0", "-40", "outside the plausible range"),
    ("pf_day0", "", "empty but required"),
    ("arm", "Placebo", "not one of MSC, placebo"),
    ("o2_event", "2", "not one of 0, 1"),
    ("patient_id", "P01", "repeats row 1"),
])
def test_bad_cell_is_named(dataset_copy, column, value, message):
    set_cell(dataset_copy, 3, column, value)
    with pytest.raises(DataError) as error:
        load_dataset(dataset_copy)
    text = str(error.value)
    assert "patients.csv, row 3 (line 4)" in text and f"column '{column}'" in text and message in text


@pytest.mark.parametrize("changes, column, message", [
    ({"improved_day7": "flip"}, "improved_day7", "disagrees with the WHO scores"),
    ({"died": "1"}, "death_day", "exactly when died = 1"),
    ({"died": "1", "death_day": "9", "o2_days": "12", "hospital_days": "12"}, "o2_days", "after death"),
    ({"died": "1", "death_day": "40", "o2_days": "10", "hospital_days": "40"}, "discharged",
     "not discharged alive"),
    ({"who_day7": "2", "hospital_days": "20"}, "who_day7", "not hospitalised"),
])
def test_inconsistent_columns_are_named(dataset_copy, changes, column, message):
    table = rows(dataset_copy)
    header, row = table[0], table[5]
    for name, value in changes.items():
        row[header.index(name)] = str(1 - int(row[header.index(name)])) if value == "flip" else value
    write_table(dataset_copy, table)
    with pytest.raises(DataError, match=rf"row 5 \(line 6\), column '{column}': .*{message}"):
        load_dataset(dataset_copy)


def test_missing_column_is_named(dataset_copy):
    table = rows(dataset_copy)
    drop = table[0].index("death_day")
    table = [r[:drop] + r[drop + 1:] for r in table]
    write_table(dataset_copy, table)
    with pytest.raises(DataError, match="column 'death_day': required column is missing"):
        load_dataset(dataset_copy)


def test_ragged_row_is_named(dataset_copy):
    table = rows(dataset_copy)
    width = len(table[0])
    table[7] = table[7][:-2]
    write_table(dataset_copy, table)
    with pytest.raises(DataError, match=rf"row 7 \(line 8\): has {width - 2} fields, the header has {width}"):
        load_dataset(dataset_copy)


@pytest.mark.parametrize("content, message", [("", "file is empty"), (None, "file not found")])
def test_empty_or_missing_file(dataset_copy, content, message):
    path = dataset_copy / "patients.csv"
    path.unlink() if content is None else path.write_text(content)
    with pytest.raises(DataError, match=message):
        load_dataset(dataset_copy)


NUMERIC = [c.name for c in PATIENT_COLUMNS if c.kind is not str]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=st.integers(1, 20), column=st.sampled_from(NUMERIC),
       junk=st.text(alphabet="abcxyz-_ ?", min_size=1, max_size=6).filter(lambda s: s.strip()))
def test_any_non_numeric_cell_is_named(dataset_copy, row, column, junk):
    original = rows(dataset_copy)
    try:
        set_cell(dataset_copy, row, column, junk)
        with pytest.raises(DataError) as error:
            load_dataset(dataset_copy)
        assert error.value.row == row and error.value.column == column
    finally:
        write_table(dataset_copy, original)
