"""Build, test and start-up times against the goals of issue 22; prints numbers, asserts nothing.

python bench/build.py          everything below (about 10 minutes on an idle 2-core machine)
python bench/build.py --cli    the command line's start-up times only (seconds)

fresh clone: `git clone` of the committed HEAD into a temporary directory, then `make book` and
`make test` there, as CI runs them (the virtual environment is created, so pip's download or mirror
speed counts); warm: `make test` and `make book` again in that clone; DATA=: `make book
DATA=<a copy of the reconstruction>` (every chapter but the model's runs again), then back to the
reconstruction (all cached). Command line: the median wall (and CPU) time of five runs of each
command. The goals assume an idle machine: the load average is printed before and after.
"""
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# (One reconstructed dataset from the command line, goal 1.5 s, is timed by bench/reconstruct.py:
# `python -m covidat reconstruct` now samples the book's whole batch, minutes of work.)
GOALS = {"fresh clone: make book && make test": 240, "warm make test": 120,
         "python -m covidat --help": 0.3, "python -m covidat check": 1.5}


def timed(*command, cwd) -> float:
    start = time.perf_counter()
    run = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if run.returncode:
        sys.exit(f"{' '.join(map(str, command))} failed in {cwd}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return time.perf_counter() - start


def show(label: str, seconds: float, cpu: float | None = None) -> None:
    goal = GOALS.get(label)
    verdict = "" if goal is None else f"   goal <= {goal:g} s: {'met' if seconds <= goal else 'NOT MET'}"
    also = "" if cpu is None else f" ({cpu:.2f} s cpu)"
    print(f"{label:<42} {seconds:8.2f} s{also}{verdict}", flush=True)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def command_line(repo: Path) -> None:
    python = repo / ".venv" / "bin" / "python"
    for label in ("--help", "check"):
        runs, cpus = [], []
        for _ in range(5):
            start, cpu = time.perf_counter(), children_cpu()
            subprocess.run([python, "-m", "covidat", label], cwd=repo, capture_output=True)
            runs.append(time.perf_counter() - start)
            cpus.append(children_cpu() - cpu)
        show(f"python -m covidat {label}", statistics.median(runs), statistics.median(cpus))


def load() -> str:
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


def make(*target, repo: Path) -> float:
    return timed("make", "--no-print-directory", *target, cwd=repo)


print(f"at the start: {load()}", flush=True)
if "--cli" in sys.argv:
    command_line(ROOT)
    sys.exit()
with tempfile.TemporaryDirectory() as scratch:
    clone = Path(scratch) / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    book = make("book", repo=clone)
    show("fresh clone: make book", book)
    test = make("test", repo=clone)
    show("fresh clone: make test", test)
    show("fresh clone: make book && make test", book + test)
    show("warm make test", make("test", repo=clone))
    show("warm make book", make("book", repo=clone))
    other = shutil.copytree(clone / "data" / "reconstructed", Path(scratch) / "supplied")
    show("DATA= rebuild (another dataset)", make("book", f"DATA={other}", repo=clone))
    show("back to the reconstruction (cached)", make("book", repo=clone))
    size = sum(f.stat().st_size for f in (clone / "_build" / "html").rglob("*") if f.is_file())
    print(f"{'_build/html':<42} {size / 1e6:8.2f} MB", flush=True)
    command_line(clone)
print(f"at the end: {load()}")
