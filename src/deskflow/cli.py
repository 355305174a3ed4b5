"""
The command line: ``python -m deskflow demo`` runs the demo scenario and prints the audit
trail, what each party was told and the SLA report. The library never prints; this edge does.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from deskflow import demo
from deskflow.sla import SlaReport
from deskflow.ticket import Ticket

__all__ = ["audit_trail", "main", "sla_table"]


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


def _print_demo(config: Path | None) -> None:
    result = demo.run() if config is None else demo.run(config)
    print("== What happened (virtual time, a scheduler ticking every 15 minutes)\n")
    print("\n".join(result.narration))
    print("\n== Audit trails\n")
    for ticket in result.tickets:
        print("\n".join(audit_trail(ticket)))
        print()
    print("== What each party was told\n")
    told: dict[str, list[str]] = defaultdict(list)
    for note in result.notifications:
        for recipient in note.recipients:
            told[recipient].append(
                f"{_when(note.created_at)}  {note.template:<22} {note.ticket_id}"
            )
    for recipient in sorted(told):
        print(f"{recipient} ({len(told[recipient])})")
        print("\n".join(f"  {line}" for line in told[recipient]))
    print("\n== SLA reports\n")
    for report in result.reports:
        print("\n".join(sla_table(report)))
        print()


def main(argv: Sequence[str] | None = None) -> int:
    """
    Run the command line; return the exit status.
    """
    parser = argparse.ArgumentParser(prog="deskflow", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_command = commands.add_parser("demo", help="walk the help-desk scenario in virtual time")
    demo_command.add_argument("--config", type=Path, help="a desk .toml/.json (default: shipped)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        _print_demo(args.config)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
