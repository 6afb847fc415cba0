"""Reading and writing test copies of the project's CSV files, cell by cell."""
import csv
from pathlib import Path


def read_rows(path: Path) -> list[list[str]]:
    with Path(path).open(newline="") as f:
        return list(csv.reader(f))


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with Path(path).open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return Path(path)


def with_cell(source: Path, target: Path, row: int, column: str, value: str) -> Path:
    """Write `source` to `target` with one cell (data row `row`, 1-based) replaced."""
    rows = read_rows(source)
    rows[row][rows[0].index(column)] = value
    return write_rows(target, rows)
