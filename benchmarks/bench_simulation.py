"""
Benchmark of the simulator: simulated tickets per second on a 50-agent desk.

Run with ``python benchmarks/bench_simulation.py [DAYS] [--profile]``; it prints one table.
The desk is the shipped London scenario scaled to 50 agents and ~120,000 tickets a year (its
arrivals times 6.8), on the shipped desk configuration. The goal of the simulation issue is
one simulated year within 3 minutes on a 2-core machine; the run simulates ``DAYS`` (default
28, four whole weeks) and projects the year from the rate per CPU second (the desk's load
repeats weekly; the wall time is printed too, but on a shared machine it also counts other
processes' turns).
``--profile`` prints where the time goes (cProfile, by cumulative time).
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time

from harness import machine

from deskflow.config import DEFAULT_CONFIG
from deskflow.simulation import DEFAULT_SCENARIO, Scenario, load_scenario, simulate

YEAR_TICKETS = 120_000
GOAL_SECONDS = 180.0
#: Agents per pool of the shipped scenario, scaled to 50.
STAFF = {"l1-early": 19, "l1-late": 13, "l2": 13, "l3": 5}
SCALE = 6.8


def fifty_agent_desk() -> Scenario:
    """
    The shipped scenario with 50 agents and 6.8 times its arrivals.
    """
    base = load_scenario(DEFAULT_SCENARIO)
    arrivals = [
        {**s.model_dump(mode="python"), "per_hour": s.per_hour * SCALE} for s in base.arrivals
    ]
    agents = [{**p.model_dump(mode="python"), "count": STAFF[p.name]} for p in base.agents]
    return base.replaced(name="fifty-agents", arrivals=arrivals, agents=agents)


def measure(days: int) -> dict[str, float]:
    """
    Simulate ``days`` of the 50-agent desk; tickets, events, seconds and the projection.
    """
    scenario = fifty_agent_desk()
    started, cpu = time.perf_counter(), time.process_time()
    result = simulate(DEFAULT_CONFIG, scenario, days=days, seed=0)
    seconds = time.perf_counter() - started
    # CPU time too: on a shared machine the wall time also counts other processes' turns.
    cpu = time.process_time() - cpu
    events = sum(len(t.history) for t in result.tickets)
    rate = result.arrivals / cpu
    return {
        "days": days,
        "tickets": result.arrivals,
        "events": events,
        "seconds": seconds,
        "cpu": cpu,
        "rate": rate,
        "year": YEAR_TICKETS / rate,
    }


def main() -> None:
    """
    Print the simulation benchmark.
    """
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    days = int(args[0]) if args else 28
    if "--profile" in sys.argv:
        profiler = cProfile.Profile()
        profiler.runcall(measure, days)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        return
    m = measure(days)
    print(f"Measured on {machine()}.\n")
    print("| measurement | figure | goal |")
    print("|---|---|---|")
    print(f"| simulated days (50 agents) | {m['days']:.0f} | |")
    print(f"| tickets / events | {m['tickets']:.0f} / {m['events']:.0f} | |")
    print(f"| events per ticket | {m['events'] / max(m['tickets'], 1):.1f} | ~10 |")
    print(f"| wall time / CPU time | {m['seconds']:.1f} s / {m['cpu']:.1f} s | |")
    goal = YEAR_TICKETS / GOAL_SECONDS
    print(f"| simulated tickets per CPU second | {m['rate']:.0f} | >= {goal:.0f} |")
    year = f"projected year ({YEAR_TICKETS:,} tickets)"
    print(f"| {year} | {m['year']:.0f} s | <= {GOAL_SECONDS:.0f} s |")


if __name__ == "__main__":
    main()
