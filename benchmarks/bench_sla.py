"""
Benchmarks of deskflow's SLA arithmetic against pandas and businesstime.

Run with ``python benchmarks/bench_sla.py``; it prints one table. The calendar part compares
``BusinessCalendar.add`` with pandas' ``CustomBusinessHour`` arithmetic,
``BusinessCalendar.elapsed`` with ``businesstime``, and a 10,000-hour add with a 1-hour add.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from businesstime import BusinessTime
from harness import interleaved, median_pair

from deskflow import INCIDENT, Actor, Priority, Role, Ticket
from deskflow.calendars import BusinessCalendar
from deskflow.events import CommentAdded, PriorityChanged
from deskflow.sla import SlaPolicy

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")

ZONE = ZoneInfo("Europe/London")
HOLIDAYS = [
    date(2026, 1, 1),
    date(2026, 4, 3),
    date(2026, 4, 6),
    date(2026, 5, 4),
    date(2026, 12, 25),
]
OPS = 2_000
BASELINE_OPS = 200


def _ns_per_op(run: Callable[[], object], ops: int) -> float:
    """
    The median time per operation of ``run`` (``ops`` operations a call), in nanoseconds.
    """
    return interleaved({"run": run}, 1)["run"] / ops * 1e9


def _pair_ns(
    ours: Callable[[], object], ours_ops: int, theirs: Callable[[], object], theirs_ops: int
) -> tuple[float, float]:
    """
    Nanoseconds per operation of both sides, warmed up and timed in interleaved rounds.
    """
    a, b = median_pair(ours, theirs)
    return a / ours_ops * 1e9, b / theirs_ops * 1e9


def _random_starts(rng: random.Random, count: int) -> list[datetime]:
    """
    Naive local wall times in 2026 on a 1-minute grid.
    """
    first = datetime(2026, 1, 1)
    return [first + timedelta(minutes=rng.randrange(365 * 24 * 60)) for _ in range(count)]


def _row(name: str, ours: float, other_name: str, other: float, goal: str) -> dict[str, Any]:
    return {
        "benchmark": name,
        "deskflow_ns": ours,
        "baseline": other_name,
        "baseline_ns": other,
        "ratio": other / ours,
        "goal": goal,
    }


def add_vs_pandas() -> tuple[float, float]:
    """
    Nanoseconds per ``add`` of 1..40 business hours: deskflow's, and pandas'
    ``CustomBusinessHour`` with its offsets built before timing.
    """
    rows = bench_calendar()
    return rows[0]["deskflow_ns"], rows[0]["baseline_ns"]


def bench_calendar() -> list[dict[str, Any]]:
    """
    Time the business calendar against pandas and businesstime; one dict per comparison.
    """
    rng = random.Random(20260101)
    cal = BusinessCalendar(
        "Europe/London",
        {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
        holidays=HOLIDAYS,
    )
    rows = []

    starts = _random_starts(rng, OPS)
    hours = [rng.randint(1, 40) for _ in range(OPS)]
    aware = [start.replace(tzinfo=ZONE) for start in starts]
    durations = [timedelta(hours=n) for n in hours]
    cbh = pd.offsets.CustomBusinessHour(start="09:00", end="17:00", holidays=HOLIDAYS)
    stamps = [pd.Timestamp(start) for start in starts[:BASELINE_OPS]]

    def ours_add() -> None:
        add = cal.add
        for start, duration in zip(aware, durations, strict=True):
            add(start, duration)

    # pandas' offsets are built once, outside the timed loop, as a host would keep them.
    offsets = [n * cbh for n in hours[:BASELINE_OPS]]

    def pandas_add() -> None:
        for stamp, offset in zip(stamps, offsets, strict=True):
            stamp + offset

    ours_ns, pandas_ns = _pair_ns(ours_add, OPS, pandas_add, BASELINE_OPS)
    rows.append(
        _row(
            "add 1..40 h", ours_ns, "pandas CustomBusinessHour (prebuilt)", pandas_ns, "ratio >= 30"
        )
    )

    business = BusinessTime(business_hours=(clock(9), clock(17)), holidays=HOLIDAYS)
    # businesstime walks the days between its arguments, so the ratio grows with the span;
    # SLA spans are hours to days.
    for days in (1, 7, 30):
        ends = [start + timedelta(minutes=rng.randrange(1, days * 24 * 60)) for start in starts]
        aware_ends = [end.replace(tzinfo=ZONE) for end in ends]

        def ours_elapsed(aware_ends: list[datetime] = aware_ends) -> None:
            elapsed = cal.elapsed
            for start, end in zip(aware, aware_ends, strict=True):
                elapsed(start, end)

        def businesstime_elapsed(ends: list[datetime] = ends) -> None:
            delta = business.businesstimedelta
            for start, end in zip(starts[:BASELINE_OPS], ends, strict=False):
                delta(start, end)

        ours_ns, theirs_ns = _pair_ns(ours_elapsed, OPS, businesstime_elapsed, BASELINE_OPS)
        rows.append(
            _row(f"elapsed over <= {days} days", ours_ns, "businesstime", theirs_ns, "ratio >= 20")
        )

    hour, long = timedelta(hours=1), timedelta(hours=10_000)

    def add_hours(duration: timedelta) -> Callable[[], None]:
        def run() -> None:
            add = cal.add
            for start in aware:
                add(start, duration)

        return run

    long_ns, short_ns = _pair_ns(add_hours(long), OPS, add_hours(hour), OPS)
    rows.append(
        _row("add 10,000 h (vs 1 h)", long_ns, "deskflow add 1 h", short_ns, "1/ratio <= 2")
    )
    return rows


def _twenty_event_ticket(cal: BusinessCalendar) -> Ticket:
    """
    An incident with a 20-event history: work, pauses, holds, comments, a priority change.
    """
    agent = Actor("lee", Role.AGENT, tier=2)
    requester = Actor("ann", Role.REQUESTER)
    at = datetime(2026, 3, 2, 9, 0, tzinfo=ZONE)
    t = INCIDENT.open("INC-1", title="VPN down", requester=requester, at=at, priority="P3")
    steps: list[tuple[str, dict[str, Any]]] = [
        ("assign", {"group": "service-desk", "assignee": "lee"}),
        ("start", {}),
        ("comment", {"by": agent}),
        ("request_info", {}),
        ("comment", {"by": requester}),
        ("reply", {}),
        ("hold", {"hold_reason": "vendor"}),
        ("resume", {}),
        ("priority", {}),
        ("comment", {"by": agent}),
        ("escalate", {"tier": 3, "group": "network"}),
        ("start", {"assignee": "kim"}),
        ("comment", {"by": requester}),
        ("comment", {"by": agent}),
        ("request_info", {}),
        ("reply", {}),
        ("comment", {"by": agent}),
        ("resolve", {"resolution": "Renewed the certificate"}),
        ("reopen", {}),
    ]
    for name, details in steps:
        at += timedelta(minutes=97)
        if name == "comment":
            by = details["by"]
            t = t.record(CommentAdded(at=at, actor=by.id, body="...", author_role=by.role))
        elif name == "priority":
            t = t.record(
                PriorityChanged(at=at, actor="sup", priority=Priority.P1, previous=t.priority)
            )
        else:
            t = INCIDENT.fire(t, name, actor=agent, at=at, **details)
    assert 20 == t.version
    return t


def bench_sla_report() -> list[dict[str, Any]]:
    """
    SlaReport evaluations per second for a ticket with a 20-event history.
    """
    cal = BusinessCalendar("Europe/London", {d: ["09:00-17:00"] for d in WEEKDAYS}, HOLIDAYS)
    ticket = _twenty_event_ticket(cal)
    now = ticket.updated_at + timedelta(hours=5)
    policies = {
        "retroactive": SlaPolicy.itil(cal),
        "prospective": SlaPolicy.itil(cal, priority_change="prospective"),
    }
    rows = []
    for name, policy in policies.items():
        ns = _ns_per_op(lambda policy=policy: policy.evaluate(ticket, now), 1)
        rows.append(
            {
                "benchmark": f"SlaReport, 20 events ({name})",
                "deskflow_ns": ns,
                "baseline": "(none: reported per second)",
                "baseline_ns": ns,
                "ratio": 1e9 / ns,
                "goal": "reports/s in the ratio column",
            }
        )
    return rows


def _print_table(rows: Sequence[dict[str, Any]]) -> None:
    header = (
        f"{'benchmark':<26} {'deskflow ns/op':>15} {'baseline':<36} {'ns/op':>12} "
        f"{'ratio':>8}  goal"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['benchmark']:<26} {row['deskflow_ns']:>15,.0f} {row['baseline']:<36} "
            f"{row['baseline_ns']:>12,.0f} {row['ratio']:>8.2f}  {row['goal']}"
        )


def main() -> None:
    """
    Run every benchmark and print the table.
    """
    _print_table([*bench_calendar(), *bench_sla_report()])


if __name__ == "__main__":
    main()
