"""Build speed and size of the book; prints numbers, asserts nothing. Run through `make bench`.

cold build: `make book` with a fresh _build/ (every notebook executed, in parallel, then rendered);
warm build: a second `make book` (pages re-rendered, execution cache kept);
DATA= rebuild: `make book DATA=<a copy of the reconstruction elsewhere>`, another dataset, so every
notebook runs again; back: `make book` once more, served from the reconstruction's kept cache;
nbconvert: plain `jupyter nbconvert --execute` of the same notebooks, one after the other: what
executing them costs without a book around them.
"""
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DATA = ROOT / "data" / "reconstructed"


def timed(*command) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def make_book(data=None) -> float:
    return timed("make", "--no-print-directory", "book", *([f"DATA={data}"] if data else []))


shutil.rmtree(ROOT / "_build", ignore_errors=True)
cold = make_book()
warm = make_book()
with tempfile.TemporaryDirectory() as scratch:
    other = shutil.copytree(DATA, Path(scratch) / "supplied")
    rebuild = make_book(other)
    back = make_book()
    notebooks = [shutil.copy(nb, scratch) for nb in sorted((ROOT / "chapters").glob("*.ipynb"))]
    plain = timed(str(BIN / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                  "--output-dir", str(Path(scratch) / "out"), *notebooks)
size = sum(f.stat().st_size for f in (ROOT / "_build" / "html").rglob("*") if f.is_file())

print(f"notebooks                                  {len(notebooks):6d}")
print(f"nbconvert --execute, same notebooks        {plain:6.1f} s")
print(f"cold build (fresh _build/)                 {cold:6.1f} s   {cold / plain:5.2f} x nbconvert")
print(f"DATA= rebuild (another dataset)            {rebuild:6.1f} s   {rebuild / plain:5.2f} x nbconvert")
print(f"warm build (execution cache kept)          {warm:6.1f} s")
print(f"back to the reconstruction (cache kept)    {back:6.1f} s")
print(f"_build/html                                {size / 1e6:6.2f} MB ({size} bytes)")
