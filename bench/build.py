"""Build speed and size of the book; prints numbers, asserts nothing. Run through `make bench`.

cold build: fresh _build/ (notebooks executed); warm build: what a second `make book` does
(pages re-rendered, execution cache kept); nbconvert: plain `jupyter nbconvert --execute` on
the same notebooks, the floor any build that executes them must pay.
"""
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BUILD = [str(BIN / "jupyter-book"), "build", str(ROOT), "-W", "-n", "--keep-going"]


def timed(command) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


shutil.rmtree(ROOT / "_build", ignore_errors=True)
cold = timed(BUILD)
for stale in ("html", ".doctrees"):
    shutil.rmtree(ROOT / "_build" / stale)
warm = timed(BUILD)
with tempfile.TemporaryDirectory() as scratch:
    notebooks = [shutil.copy(nb, scratch) for nb in sorted((ROOT / "chapters").glob("*.ipynb"))]
    plain = timed([str(BIN / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                   "--output-dir", str(Path(scratch) / "out"), *notebooks])
size = sum(f.stat().st_size for f in (ROOT / "_build" / "html").rglob("*") if f.is_file())

print(f"cold build (fresh _build/)          {cold:6.1f} s")
print(f"warm build (execution cache kept)   {warm:6.1f} s")
print(f"nbconvert --execute, same notebooks {plain:6.1f} s")
print(f"cold build / nbconvert              {cold / plain:6.2f}")
print(f"_build/html                         {size / 1e6:6.2f} MB ({size} bytes)")
