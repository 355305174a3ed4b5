"""
Growth benchmark (issue: commands at the cost of their own work), as ratios in one run.

Tickets have realistic histories: events at distinct instants over business days, on a
09:00-17:00 Monday-Friday Europe/London calendar. Every figure is the median of interleaved
rounds after a warm-up, so both sides of a ratio see the same machine state.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from deskflow import INCIDENT, Actor, Role, Ticket, Trigger
from deskflow.adapters import InMemoryNotifier, InMemoryTicketRepository, ManualClock
from deskflow.calendars import BusinessCalendar
from deskflow.desk import Desk
from deskflow.events import CommentAdded, PriorityChanged
from deskflow.service import HelpDesk
from deskflow.sla import SlaPolicy

ZONE = ZoneInfo("Europe/London")
CAL = BusinessCalendar(
    "Europe/London", {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
)
AGENT = Actor("lee", Role.AGENT, tier=2, groups={"service-desk"})
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZONE)
ROUNDS = 7


def history(events: int, start: datetime = T0) -> Ticket:
    """
    An incident worked for ``events`` events, 23 business minutes apart.
    """
    t = INCIDENT.open("INC-1", title="VPN down", requester="ann", at=start, priority="P3")
    at = start
    t = INCIDENT.fire(t, "assign", actor=AGENT, at=at, group="service-desk", assignee="lee")
    cycle = ["start", "comment", "request_info", "reply", "comment", "hold", "resume", "priority"]
    i = 0
    while t.version < events:
        at = CAL.add(at, timedelta(minutes=23))
        step = cycle[i % len(cycle)]
        i += 1
        if step == "comment" or not INCIDENT.allowed(t.state):
            t = t.record(CommentAdded(at=at, actor="lee", body="...", author_role="agent"))
        elif step == "priority":
            new = "P2" if t.priority == "P3" else "P3"
            t = t.record(PriorityChanged(at=at, actor="sam", priority=new, previous=t.priority))
        elif step in INCIDENT.allowed(t.state):
            details = {"hold_reason": "vendor"} if step == "hold" else {}
            t = INCIDENT.fire(t, step, actor=AGENT, at=at, **details)
        else:
            t = t.record(CommentAdded(at=at, actor="ann", body="?", author_role="requester"))
    if t.state in ("pending", "on_hold"):  # end where an assign is allowed
        t = INCIDENT.fire(t, "resume", actor=AGENT, at=CAL.add(at, timedelta(minutes=23)))
    return t


def interleaved(sides: dict[str, Callable[[], object]], number: int) -> dict[str, float]:
    """
    Median seconds per call of each side over ROUNDS interleaved rounds, after a warm-up.
    """
    for run in sides.values():
        run()
    timings: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(ROUNDS):
        for name, run in sides.items():
            started = time.perf_counter()
            for _ in range(number):
                run()
            timings[name].append((time.perf_counter() - started) / number)
    return {name: statistics.median(values) for name, values in timings.items()}


def desk_with(ticket: Ticket, copies: int) -> tuple[HelpDesk, list[str]]:
    """
    A help desk on the business calendar holding ``copies`` tickets with ``ticket``'s history.
    """
    sla = {k: SlaPolicy.itil(CAL, workflow=w) for k, w in Desk().workflows.items()}
    repo = InMemoryTicketRepository()
    ids = []
    for n in range(copies):
        opened = ticket.history[0]
        events = [attrs.evolve(opened, ticket_id=f"INC-{n + 1}"), *ticket.history[1:]]
        t = Ticket.replay(events)
        repo.add(t)
        ids.append(t.id)
    clock = ManualClock(ticket.updated_at + timedelta(minutes=5))
    return HelpDesk(repo, InMemoryNotifier(), clock, Desk(sla=sla)), ids


def command_cost(events: int, number: int) -> tuple[float, float]:
    """
    Seconds for an assign through HelpDesk on a ticket of ``events`` events (saved by an
    earlier command, as tickets are), and for the bare workflow trigger on the same ticket.
    """
    ticket = history(events)
    desk, ids = desk_with(ticket, number * (ROUNDS + 1))
    for ticket_id in ids:  # the earlier command
        desk.comment(AGENT, ticket_id, body="looking")
    pending = iter(ids)

    def through_desk() -> None:
        desk.assign(AGENT, next(pending), group="service-desk", assignee="kim")

    def bare() -> None:
        INCIDENT.fire(
            ticket,
            Trigger.ASSIGN,
            actor=AGENT,
            at=ticket.updated_at,
            group="service-desk",
            assignee="kim",
        )

    out = interleaved({"desk": through_desk, "bare": bare}, number)
    return out["desk"], out["bare"]


def main() -> None:
    """
    Print the goal table and the growth table.
    """
    rows: list[dict[str, Any]] = []
    growth: dict[int, dict[str, float]] = {}
    for events in (10, 20, 100, 1_000):
        ticket = history(events)
        now = ticket.updated_at + timedelta(hours=1)
        retro = SlaPolicy.itil(CAL)
        prosp = SlaPolicy.itil(CAL, priority_change="prospective")
        number = max(3, 2_000 // events)
        events_of = ticket.history
        timed = interleaved(
            {
                "evaluate": lambda p=retro, h=events_of, n=now: p.evaluate(Ticket.replay(h), n),
                "prospective": lambda p=prosp, h=events_of, n=now: p.evaluate(Ticket.replay(h), n),
                "replay": lambda h=events_of: Ticket.replay(h),
            },
            number,
        )
        desk_s, bare_s = command_cost(events, number=30 if events < 1_000 else 10)
        growth[events] = {**timed, "command": desk_s, "bare": bare_s}
    short, long = history(50).history, history(5_000).history
    replays = interleaved(
        {"50": lambda: Ticket.replay(short), "5000": lambda: Ticket.replay(long)}, 3
    )
    replay50, replay5000 = replays["50"], replays["5000"]
    g = growth
    rows = [
        (
            "full command through HelpDesk, 20 events, vs bare workflow.fire",
            g[20]["command"] / g[20]["bare"],
            "<= 4x",
        ),
        ("same command at 1,000 events vs at 10", g[1000]["command"] / g[10]["command"], "<= 1.5x"),
        (
            "Ticket.replay per event at 5,000 vs 50 events",
            (replay5000 / 5000) / (replay50 / 50),
            "<= 1.3x",
        ),
        (
            "prospective evaluate per event at 1,000 vs 100",
            (g[1000]["prospective"] / 1000) / (g[100]["prospective"] / 100),
            "<= 1.5x",
        ),
    ]
    print("| measure | today | goal |")
    print("|---|---|---|")
    for name, ratio, goal in rows:
        print(f"| {name} | {ratio:.2f}x | {goal} |")
    print()
    print("| events | command | bare fire | evaluate (replay + report) | prospective | replay |")
    print("|---|---|---|---|---|---|")
    for events, row in growth.items():
        print(
            f"| {events:,} | {row['command'] * 1e6:,.0f} us | {row['bare'] * 1e6:,.1f} us | "
            f"{row['evaluate'] * 1e6:,.0f} us | {row['prospective'] * 1e6:,.0f} us | "
            f"{row['replay'] * 1e6:,.0f} us |"
        )


if __name__ == "__main__":
    main()
