"""The dataset contract: read any dataset directory and validate it, or say exactly why not.

A dataset directory holds `patients.csv` (one row per randomised patient; columns in
PATIENT_COLUMNS) and, optionally, `assumptions.csv` (the definitions it was built under;
without one, the reconstruction's assumptions apply). Errors name the file, the row
(1 = first data row, with the line of the file) and the column.
"""
import csv
import difflib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from covidat import ROOT

DEFAULT_DATA = ROOT / "data" / "reconstructed"
PUBLISHED = ROOT / "data" / "published"


class DataError(ValueError):
    """A dataset breaks the contract; the message says where."""

    def __init__(self, path, message, row=None, column=None):
        where = [str(path)]
        if row is not None:
            where.append(f"row {row} (line {row + 1})")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(", ".join(where) + ": " + message)
        self.path, self.row, self.column = str(path), row, column


@dataclass(frozen=True)
class Column:
    name: str
    kind: type = str  # str, int or float
    optional: bool = False  # may be empty
    allowed: tuple = ()
    low: float | None = None
    high: float | None = None
    meaning: str = ""
    in_header: bool = True  # False: the column may be left out of the file altogether

    def parse(self, text: str, fail):
        text = text.strip()
        if text == "":
            if not self.optional:
                fail("is empty but required")
            return None
        try:
            value = self.kind(text) if self.kind is not int else integer(text)
        except ValueError:
            fail(f"{text!r} is not {'an integer' if self.kind is int else 'a number'}{decimal_comma_hint(text)}")
        if self.allowed and value not in self.allowed:
            fail(f"{text!r} is not one of {', '.join(map(str, self.allowed))}")
        if self.low is not None and value < self.low or self.high is not None and value > self.high:
            fail(f"{text} is outside the plausible range {self.low}–{self.high}")
        return value


def integer(text: str) -> int:
    """A whole number, also when written with decimals ("28.0": how pandas and R export an integer column
    with empty cells); ValueError for anything else ("2.5")."""
    try:
        return int(text)
    except ValueError:
        value = float(text)
        if not value.is_integer():
            raise
        return int(value)


SPREADSHEET_HELP = ("save it from the spreadsheet as 'CSV UTF-8 (comma delimited)', "
                    "or convert it: iconv -f WINDOWS-1252 -t UTF-8 {name} > fixed.csv")


def read_text(path: Path) -> str:
    """The file as text: UTF-8, with or without the byte-order mark spreadsheets write."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise DataError(path, f"is not UTF-8 text (byte 0x{raw[error.start]:02x} on line {line}); "
                              + SPREADSHEET_HELP.format(name=path.name)) from None


def split_rows(path: Path, text: str) -> list[list[str]]:
    """CSV rows with commas as separators; a spreadsheet's semicolon or tab export is named as such."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise DataError(path, "file is empty (no header)")
    if len(rows[0]) == 1:
        for separator, name in ((";", "semicolons"), ("\t", "tabs")):
            if separator in rows[0][0]:
                raise DataError(path, f"fields are separated by {name}, not commas (a spreadsheet's "
                                      f"regional CSV export); " + SPREADSHEET_HELP.format(name=path.name))
    return rows


DECIMAL_COMMA = re.compile(r"-?\d+,\d+")


def decimal_comma_hint(text: str) -> str:
    return f" (a decimal comma? write {text.replace(',', '.')})" if DECIMAL_COMMA.fullmatch(text) else ""


def read_table(path: Path, columns: list[Column], key: str | None = None) -> pd.DataFrame:
    """Read a CSV, checking encoding, separators, header, field counts, types, ranges and a unique key.

    Rows whose fields are all empty (a spreadsheet's trailing blank lines) are skipped."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "file not found")
    rows = split_rows(path, read_text(path))
    header = [h.strip() for h in rows[0]]
    for col in columns:
        if col.name not in header and col.in_header:
            near = difflib.get_close_matches(col.name, header, n=1)
            hint = f" (the header has {near[0]!r})" if near else ""
            raise DataError(path, "required column is missing from the header" + hint, column=col.name)
    dupes = {h for h in header if header.count(h) > 1}
    if dupes:
        raise DataError(path, "column appears more than once in the header", column=sorted(dupes)[0])
    position = {h: i for i, h in enumerate(header)}
    records, seen = [], {}
    for row_number, fields in enumerate(rows[1:], start=1):
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            hint = " (an unquoted comma inside a value, or a decimal comma?)" if len(fields) > len(header) else ""
            raise DataError(path, f"has {len(fields)} fields, the header has {len(header)}{hint}", row=row_number)
        record = {}
        for col in columns:
            def fail(message, col=col):
                raise DataError(path, message, row=row_number, column=col.name)
            record[col.name] = col.parse(fields[position[col.name]], fail) if col.name in position else None
        if key is not None:
            if record[key] in seen:
                raise DataError(path, f"{record[key]!r} repeats row {seen[record[key]]}", row=row_number, column=key)
            seen[record[key]] = row_number
        records.append(record)
    return typed_frame(records, columns)


def typed_frame(records: list[dict], columns: list[Column]) -> pd.DataFrame:
    """Parsed records (None for empty) as a table typed by the contract: Int64, float or text."""
    frame = pd.DataFrame.from_records(records, columns=[c.name for c in columns])
    for col in columns:
        if col.kind is int:
            frame[col.name] = frame[col.name].astype("Int64")
        elif col.kind is float:
            frame[col.name] = frame[col.name].astype(float)
    return frame


DAYS = dict(low=0, high=400)
PATIENT_COLUMNS = [
    Column("patient_id", meaning="Unique identifier of the patient"),
    Column("arm", allowed=("MSC", "placebo"), meaning="Randomised arm"),
    Column("pf_day0", float, low=20, high=700, meaning="PaO2/FiO2 (mmHg) at baseline"),
    Column("pf_day7", float, optional=True, low=20, high=700,
           meaning="PaO2/FiO2 (mmHg) at day 7; empty if not measured (died or discharged before day 7)"),
    Column("who_day0", int, low=1, high=7, meaning="WHO 7-point ordinal score at baseline (1 best, 7 death)"),
    Column("who_day7", int, low=1, high=7, meaning="WHO 7-point ordinal score at day 7"),
    Column("improved_day7", int, allowed=(0, 1),
           meaning="1 if clinically improved at day 7 by the dataset's definition (see assumptions), else 0"),
    Column("o2_days", int, **DAYS,
           meaning="Days from randomisation to discontinuation of supplemental oxygen, or to censoring"),
    Column("o2_event", int, allowed=(0, 1), meaning="1 if oxygen was discontinued at o2_days, 0 if censored"),
    Column("hospital_days", int, **DAYS, meaning="Days from randomisation to discharge, death or censoring"),
    Column("discharged", int, allowed=(0, 1), meaning="1 if discharged alive at hospital_days"),
    Column("died", int, allowed=(0, 1), meaning="1 if the patient died during follow-up"),
    Column("death_day", int, optional=True, **DAYS, meaning="Day of death after randomisation; empty if alive"),
    Column("provenance", optional=True, in_header=False,
           meaning="Where the record comes from, e.g. 'reconstructed: synthetic patients, not trial records'; "
                   "may be empty or absent"),
]


def improvement_threshold(assumptions: pd.DataFrame) -> int:
    """Fall in WHO points from day 0 to day 7 that counts as clinical improvement."""
    return int(assumptions.set_index("id").loc["improvement_min_drop", "value"])


def check_patients(patients: pd.DataFrame, path: Path, min_drop: int) -> None:
    """Rules that tie columns together; raise DataError at the first row that breaks one."""
    for row, p in enumerate(patients.itertuples(index=False), start=1):
        def fail(column, message):
            raise DataError(path, message, row=row, column=column)
        dead = p.died == 1
        if dead != (p.death_day is not pd.NA):
            fail("death_day", "must be given exactly when died = 1")
        if dead:
            for column in ("o2_days", "hospital_days"):
                if getattr(p, column) > p.death_day:
                    fail(column, f"{getattr(p, column)} is after death (death_day {p.death_day})")
            if p.discharged == 1 and p.death_day <= p.hospital_days:
                fail("discharged", "a patient who died in hospital was not discharged alive")
        if (p.who_day7 == 7) != (dead and p.death_day <= 7):
            fail("who_day7", "score 7 (death) must match a death on or before day 7")
        home_by_day7 = p.discharged == 1 and p.hospital_days <= 7
        if (p.who_day7 in (1, 2)) != home_by_day7:
            fail("who_day7", "scores 1–2 (not hospitalised) must match discharge on or before day 7")
        if p.who_day7 == 3 and not (p.o2_event == 1 and p.o2_days <= 7):
            fail("who_day7", "score 3 (no oxygen) needs oxygen discontinued by day 7 (o2_days)")
        if p.who_day7 in (4, 5, 6) and p.o2_event == 1 and p.o2_days <= 7:
            fail("who_day7", "scores 4–6 (on oxygen) contradict oxygen discontinued by day 7 (o2_days)")
        if p.improved_day7 != int(p.who_day0 - p.who_day7 >= min_drop):
            fail("improved_day7", f"disagrees with the WHO scores ({p.who_day0} to {p.who_day7}; "
                                  f"improvement means a fall of at least {min_drop})")


ASSUMPTION_COLUMNS = [
    Column("id"), Column("what"), Column("value"), Column("why"), Column("source"),
]


@dataclass(frozen=True)
class Dataset:
    directory: Path
    patients: pd.DataFrame
    assumptions: pd.DataFrame

    @property
    def is_reconstruction(self) -> bool:
        """True for the book's own reconstructed dataset, False for data a reader supplied."""
        return self.directory.resolve() == DEFAULT_DATA.resolve()

    @property
    def name(self) -> str:
        """The directory, relative to the book when it lies inside it."""
        here = self.directory.resolve()
        return str(here.relative_to(ROOT)) if here.is_relative_to(ROOT) else str(here)


def data_dir() -> Path:
    """The dataset the book analyses: $COVIDAT_DATA if set, else the reconstruction."""
    return Path(os.environ.get("COVIDAT_DATA") or DEFAULT_DATA)


def load_dataset(directory: Path | str | None = None) -> Dataset:
    directory = Path(directory) if directory is not None else data_dir()
    if not directory.is_dir():
        raise DataError(directory, "dataset directory not found")
    own = directory / "assumptions.csv"
    assumptions = read_table(own if own.exists() else DEFAULT_DATA / "assumptions.csv",
                             ASSUMPTION_COLUMNS, key="id")
    path = directory / "patients.csv"
    patients = read_table(path, PATIENT_COLUMNS, key="patient_id")
    if patients.empty:
        raise DataError(path, "has no patients")
    check_patients(patients, path, improvement_threshold(assumptions))
    return Dataset(directory, patients, assumptions)


def dictionary(columns: list[Column] = PATIENT_COLUMNS) -> pd.DataFrame:
    """The data dictionary of a contract: name, type, allowed values and meaning."""
    def values(c):
        if c.allowed:
            return ", ".join(map(str, c.allowed))
        if c.low is not None:
            return f"{c.low:g} to {c.high:g}"
        return "any text"
    return pd.DataFrame({
        "column": [c.name for c in columns],
        "type": [{str: "text", int: "integer", float: "number"}[c.kind] for c in columns],
        "values": [values(c) + (" or empty" if c.optional else "") for c in columns],
        "meaning": [c.meaning for c in columns],
    })
