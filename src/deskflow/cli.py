"""
The command line: ``python -m deskflow demo`` runs the demo scenario and prints its audit
trail. The library itself never prints; this edge does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from deskflow import demo
from deskflow.ticket import Ticket

__all__ = ["audit_trail", "main"]


def audit_trail(ticket: Ticket) -> list[str]:
    """
    The ticket's history as readable lines, in the zone of the demo.
    """
    zone = demo.START.tzinfo
    lines = [f"{ticket.id} — {ticket.title} [{ticket.state}]"]
    for event in ticket.history:
        when = event.at.astimezone(zone).strftime("%a %d %b %H:%M %Z")
        flag = " (internal)" if event.internal else ""
        lines.append(f"  {when}  {event.actor:<14} {event.describe()}{flag}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """
    Run the command line; return the exit status.
    """
    parser = argparse.ArgumentParser(prog="deskflow", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="walk the help-desk scenario in virtual time")
    args = parser.parse_args(argv)
    if args.command == "demo":
        for ticket in demo.run():
            print("\n".join(audit_trail(ticket)))
            print()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
