"""
Lifecycle benchmark: memory and set-up per ticket, and the cost of firing a trigger, as
ratios against baselines run in the same process.

- memory per ticket (tracemalloc, N tickets with a 5-event history) against a plain attrs
  record holding the same fields and a history list of equal events — goal within 1.5x;
- setting up a ticket against constructing that plain record — goal within 2x;
- ``workflow.fire`` against a bare ``machine.events[name].trigger`` on the same shared
  transitions machine — goal within 2x;
- for reference: the naive transitions use (one Machine per ticket) and a hand-written dict.
"""

from __future__ import annotations

import gc
import sys
import timeit
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
from transitions import Machine

from deskflow import INCIDENT, Actor, Role, Ticket, Trigger
from deskflow.events import TicketOpened

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AGENT = Actor("lee", Role.AGENT, tier=1)


@attrs.define
class PlainTicket:
    """
    The baseline: a plain attrs record with the same fields as Ticket, history as a list.
    """

    id: Any
    kind: Any
    title: Any
    description: Any
    requester: Any
    state: Any
    created_at: Any
    updated_at: Any
    category: Any
    service: Any
    impact: Any
    urgency: Any
    priority: Any
    hold_reason: Any
    tier: Any
    group: Any
    assignee: Any
    resolution: Any
    comments: Any
    links: Any
    feedback: Any
    alert_key: Any
    history: list[Any]


OPENED_FIELDS = [a.name for a in attrs.fields(TicketOpened)]
PlainOpened = attrs.make_class("PlainOpened", OPENED_FIELDS)


#: Everything a Ticket exposes, as the plain record holds it.
FIELDS = [a.name for a in attrs.fields(PlainTicket)]


def worked_ticket(n: int) -> Ticket:
    """
    A ticket with a 5-event history: opened, assigned, started, pending, replied.
    """
    at = T0 + timedelta(seconds=n)
    t = INCIDENT.open(f"T-{n}", title="VPN down", requester="ann", at=at)
    t = INCIDENT.fire(t, Trigger.ASSIGN, actor=AGENT, at=at, group="service-desk", assignee="lee")
    t = INCIDENT.fire(t, Trigger.START, actor=AGENT, at=at)
    t = INCIDENT.fire(t, Trigger.REQUEST_INFO, actor=AGENT, at=at)
    return INCIDENT.fire(t, Trigger.REPLY, actor=AGENT, at=at)


def plain_copy(t: Ticket) -> PlainTicket:
    """
    A plain record with the same field values and a list of fresh, equal event objects.
    """
    values = {name: getattr(t, name) for name in FIELDS}
    values["history"] = [attrs.evolve(e) for e in t.history]
    return PlainTicket(**values)


def measure_memory(build: Callable[[int], object], count: int) -> float:
    """
    Bytes allocated per object built by ``build`` (tracemalloc), all kept alive.
    """
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = [build(n) for n in range(count)]
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return (after - before) / count


def best(fn: Callable[[], object], number: int, repeat: int = 7) -> float:
    """
    Best time per call in microseconds.
    """
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


class _Holder:
    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


class NaiveModel:
    """
    The naive transitions use: one Machine per ticket, methods injected at run time.
    """

    def __init__(self) -> None:
        self.machine = Machine(
            model=self,
            states=list(INCIDENT.states),
            initial="assigned",
            transitions=[
                {"trigger": str(s.trigger), "source": list(s.source), "dest": s.dest}
                for s in INCIDENT.transitions
            ],
            auto_transitions=False,
        )


def bench_lifecycle(count: int = 100_000) -> list[dict[str, Any]]:
    """
    Run the lifecycle benchmark; return one row per measurement.
    """
    rows: list[dict[str, Any]] = []
    # Memory: build the deskflow tickets first, then plain copies of those same tickets.
    tickets = [worked_ticket(n) for n in range(count)]
    gc.collect()
    deskflow_bytes = measure_memory(worked_ticket, count)
    plain_bytes = measure_memory(lambda n: plain_copy(tickets[n]), count)
    naive_count = 2_000
    naive_bytes = measure_memory(lambda n: NaiveModel(), naive_count)
    rows.append(
        {
            "what": f"memory per ticket, 5-event history ({count:,} tickets)",
            "deskflow": f"{deskflow_bytes:,.0f} B",
            "baseline": f"{plain_bytes:,.0f} B (plain attrs record)",
            "ratio": deskflow_bytes / plain_bytes,
            "goal": 1.5,
            "reference": f"one Machine per ticket: {naive_bytes:,.0f} B "
            f"({naive_bytes / plain_bytes:,.0f}x)",
        }
    )

    sample = tickets[0]
    values = {name: getattr(sample, name) for name in FIELDS}
    opened = sample.history[0]
    opened_values = {name: getattr(opened, name) for name in OPENED_FIELDS}

    def plain_open() -> PlainTicket:
        # The baseline builds what open() builds: the opening record and the ticket record.
        return PlainTicket(**{**values, "history": [PlainOpened(**opened_values)]})

    open_us = best(lambda: INCIDENT.open("T-1", title="VPN down", requester="ann", at=T0), 20_000)
    plain_us = best(plain_open, 20_000)
    naive_us = best(NaiveModel, 200, repeat=3)
    rows.append(
        {
            "what": "set up a ticket",
            "deskflow": f"{open_us:.2f} us",
            "baseline": f"{plain_us:.2f} us (plain attrs records: ticket + opening)",
            "ratio": open_us / plain_us,
            "goal": 2.0,
            "reference": f"one Machine per ticket: {naive_us:.0f} us ({naive_us / plain_us:,.0f}x)",
        }
    )

    assigned = INCIDENT.fire(
        INCIDENT.open("T-2", title="x", requester="ann", at=T0),
        Trigger.ASSIGN,
        actor=AGENT,
        at=T0,
        assignee="lee",
    )
    event = INCIDENT.machine.events["request_info"]
    fire_us = best(lambda: INCIDENT.fire(assigned, "request_info", actor=AGENT, at=T0), 20_000)
    bare_us = best(lambda: event.trigger(_Holder("assigned")), 20_000)
    naive = NaiveModel()
    naive_trigger = naive.request_info
    naive_back = naive.start

    def naive_fire() -> None:
        naive.state = "assigned"
        naive_trigger()

    naive_fire_us = best(naive_fire, 20_000)
    table = {("assigned", "request_info"): "pending"}

    def dict_fire() -> None:
        holder = _Holder("assigned")
        holder.state = table[(holder.state, "request_info")]

    dict_us = best(dict_fire, 20_000)
    del naive_back
    rows.append(
        {
            "what": "fire a trigger",
            "deskflow": f"{fire_us:.2f} us",
            "baseline": f"{bare_us:.2f} us (bare machine.events[name].trigger)",
            "ratio": fire_us / bare_us,
            "goal": 2.0,
            "reference": f"Machine per ticket: {naive_fire_us:.2f} us; "
            f"dict table: {dict_us:.2f} us",
        }
    )
    return rows


def report(rows: list[dict[str, Any]]) -> str:
    """
    Rows as a Markdown table.
    """
    lines = [
        "| measurement | deskflow | baseline | ratio | goal | reference |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        verdict = "met" if r["ratio"] <= r["goal"] else "MISSED"
        lines.append(
            f"| {r['what']} | {r['deskflow']} | {r['baseline']} | {r['ratio']:.2f}x | "
            f"<= {r['goal']}x ({verdict}) | {r['reference']} |"
        )
    return "\n".join(lines)


def main() -> None:
    """
    Print the lifecycle benchmark table.
    """
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(f"Python {sys.version.split()[0]}")
    print(report(bench_lifecycle(count)))


if __name__ == "__main__":
    main()
