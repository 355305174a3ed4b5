"""
Service benchmark, as ratios in one run.

- a full command through ``HelpDesk`` (load, authorize, fire, notifications, SLA next check,
  save, deliver) with the in-memory adapters, against a bare ``workflow.fire``;
- ``tick()`` over 1,000,000 open tickets of which 1,000 are due, against ``tick()`` over
  10,000 open tickets with the same 1,000 due — goal within 2x: a tick's cost follows the
  due tickets, not all tickets.
"""

from __future__ import annotations

import gc
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from harness import command_cost

from deskflow import INCIDENT, Actor, Role
from deskflow.adapters import InMemoryNotifier, InMemoryTicketRepository, ManualClock
from deskflow.service import HelpDesk

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AGENT = Actor("lee", Role.AGENT, tier=1, groups={"service-desk"})
REQUESTER = Actor("ann", Role.REQUESTER)
DUE = 1_000


def command_vs_fire() -> dict[str, Any]:
    """
    One HelpDesk command against the bare workflow trigger it fires, on tickets with
    20-event histories at distinct instants over business days (business-hours calendar),
    each saved by an earlier command; both sides warmed up, medians of interleaved rounds.
    """
    desk_s, bare_s = command_cost(20, number=200)
    return {
        "what": "assign through HelpDesk vs bare workflow.fire (20 events)",
        "deskflow": f"{desk_s * 1e6:.0f} us",
        "baseline": f"{bare_s * 1e6:.1f} us",
        "ratio": desk_s / bare_s,
        "goal": "<= 4x",
    }


def _populated(open_tickets: int) -> tuple[HelpDesk, ManualClock]:
    """
    A repository of ``open_tickets`` in-progress tickets, the first DUE of them due now.
    """
    repo = InMemoryTicketRepository()
    clock = ManualClock(T0 + timedelta(hours=1))
    far = T0 + timedelta(days=365)
    for n in range(open_tickets):
        t = INCIDENT.open(f"INC-{n}", title="VPN down", requester="ann", at=T0, priority="P3")
        repo.add(t, next_check_at=T0 + timedelta(minutes=30) if n < DUE else far)
    return HelpDesk(repo, InMemoryNotifier(), clock), clock


def _tick_seconds(open_tickets: int) -> tuple[float, int]:
    desk, _ = _populated(open_tickets)
    gc.collect()
    started = time.perf_counter()
    report = desk.tick(limit=DUE)
    return time.perf_counter() - started, len(report.checked)


def tick_scaling(large: int = 1_000_000, small: int = 10_000) -> dict[str, Any]:
    """
    tick() with the same 1,000 due tickets among many or few open ones.
    """
    small_s, small_checked = _tick_seconds(small)
    large_s, large_checked = _tick_seconds(large)
    assert DUE == small_checked == large_checked
    return {
        "what": f"tick(), {DUE:,} due among {large:,} vs {small:,} open",
        "deskflow": f"{large_s * 1e3:.0f} ms",
        "baseline": f"{small_s * 1e3:.0f} ms",
        "ratio": large_s / small_s,
        "goal": "<= 2x",
    }


def main() -> None:
    """
    Print the service benchmark.
    """
    large = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rows = [command_vs_fire(), tick_scaling(large)]
    print("| measurement | deskflow | baseline | ratio | goal |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['what']} | {r['deskflow']} | {r['baseline']} | {r['ratio']:.2f}x | {r['goal']} |"
        )


if __name__ == "__main__":
    main()
