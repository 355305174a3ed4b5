"""
Import benchmark: the cost of ``import deskflow`` against importing its three dependencies.

Each side runs in a fresh interpreter (``python -c``) that times its own import statement
with ``time.perf_counter``, so interpreter start-up is left out rather than subtracted. After
warm-up runs (compiled bytecode and the OS file cache in place), the two sides alternate
round by round and the medians are compared:

- ``import deskflow`` against ``import transitions, attrs, pydantic`` — goal within 1.6x;
- for reference, ``from deskflow import *`` (every top-level name loaded, as a host using the
  service with in-memory adapters does) against the same baseline.

Run with ``python benchmarks/bench_import.py [ROUNDS]`` (default 40 rounds).
"""

from __future__ import annotations

import statistics
import subprocess
import sys

import deskflow

BASELINE = "import transitions, attrs, pydantic"
DESKFLOW = "import deskflow"
EVERYTHING = "from deskflow import *"
WARM_UP = 3
GOAL = 1.6


def timed_import(statement: str) -> float:
    """
    Seconds ``statement`` takes in a fresh interpreter, timed inside it.
    """
    code = f"import time\nt = time.perf_counter()\n{statement}\nprint(time.perf_counter() - t)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return float(result.stdout)


def medians(statements: list[str], rounds: int) -> list[float]:
    """
    The median time of each statement over interleaved rounds, after warming up.
    """
    for _ in range(WARM_UP):
        for statement in statements:
            timed_import(statement)
    samples: list[list[float]] = [[] for _ in statements]
    for n in range(rounds):
        # Alternate the order too, so neither side always runs right after the other.
        order = list(enumerate(statements))
        for i, statement in order if n % 2 == 0 else reversed(order):
            samples[i].append(timed_import(statement))
    return [statistics.median(s) for s in samples]


def main() -> None:
    """
    Print the import benchmark.
    """
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    baseline, lazy, everything = medians([BASELINE, DESKFLOW, EVERYTHING], rounds)
    ratio = lazy / baseline
    met = "met" if ratio <= GOAL else "**missed**"
    rows = [
        (f"`{DESKFLOW}`", lazy, ratio, f"<= {GOAL}x, {met}"),
        (
            f"`{EVERYTHING}` ({len(deskflow.__all__)} names loaded)",
            everything,
            everything / baseline,
            "reported",
        ),
    ]
    print(f"Median of {rounds} interleaved rounds, each in a fresh interpreter.\n")
    print("| measurement | deskflow | baseline | ratio | goal |")
    print("|---|---|---|---|---|")
    for what, seconds, r, goal in rows:
        print(
            f"| {what} | {seconds * 1e3:.1f} ms | `{BASELINE}`: {baseline * 1e3:.1f} ms "
            f"| {r:.2f}x | {goal} |"
        )


if __name__ == "__main__":
    main()
