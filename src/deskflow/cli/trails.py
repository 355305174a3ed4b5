"""
What ``deskflow demo`` prints: the demo's narration, each ticket's audit trail, what each
party was told and the SLA reports, as plain lines.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

from deskflow import demo
from deskflow.sla import SlaReport
from deskflow.ticket import Ticket

__all__ = ["audit_trail", "demo_lines", "sla_table"]


def _when(instant: datetime | None) -> str:
    return "-" if instant is None else instant.astimezone(demo.LONDON).strftime("%a %d %b %H:%M")


def _span(value: timedelta | None) -> str:
    if value is None:
        return "-"
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}"


def audit_trail(ticket: Ticket) -> list[str]:
    """
    The ticket's history as readable lines (the staff view: internal entries marked).
    """
    lines = [
        f"{ticket.id} — {ticket.title} [{ticket.state}, {ticket.priority or 'no priority'}, "
        f"tier {ticket.tier}]"
    ]
    for event in ticket.history:
        flag = "  (internal)" if event.internal else ""
        lines.append(f"  {_when(event.at)}  {event.actor:<15} {event.describe()}{flag}")
    return lines


def sla_table(report: SlaReport) -> list[str]:
    """
    One line per SLA clock of a report.
    """
    lines = [
        f"{report.ticket_id} as of {_when(report.at)}",
        f"  {'metric':<16} {'state':<11} {'target':>7} {'elapsed':>8} {'paused':>7}  "
        f"{'due':<17} {'breached':<17} met",
    ]
    for metric, clock in report.clocks.items():
        lines.append(
            f"  {metric.value:<16} {clock.state.value:<11} {_span(clock.target):>7} "
            f"{_span(clock.elapsed):>8} {_span(clock.paused):>7}  {_when(clock.due_at):<17} "
            f"{_when(clock.breached_at):<17} {_when(clock.met_at)}"
        )
    return lines


def demo_lines(config: Path | None) -> list[str]:
    """
    Run the demo scenario (on ``config``, or the shipped desk) and return what it prints.
    """
    result = demo.run() if config is None else demo.run(config)
    lines = ["== What happened (virtual time, a scheduler ticking every 15 minutes)", ""]
    lines.extend(result.narration)
    lines.extend(["", "== Audit trails", ""])
    for ticket in result.tickets:
        lines.extend([*audit_trail(ticket), ""])
    lines.extend(["== What each party was told", ""])
    told: dict[str, list[str]] = defaultdict(list)
    for note in result.notifications:
        for recipient in note.recipients:
            told[recipient].append(
                f"{_when(note.created_at)}  {note.template:<22} {note.ticket_id}"
            )
    for recipient in sorted(told):
        lines.append(f"{recipient} ({len(told[recipient])})")
        lines.extend(f"  {line}" for line in told[recipient])
    lines.extend(["", "== SLA reports", ""])
    for report in result.reports:
        lines.extend([*sla_table(report), ""])
    return lines
