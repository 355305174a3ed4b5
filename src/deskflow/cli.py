"""
The command line. ``deskflow demo`` runs the demo scenario and prints the audit trail, what
each party was told and the SLA report; ``deskflow worker --db URL --config desk.toml`` runs a
background worker that ticks and delivers until SIGTERM or SIGINT (``--once``: one round);
``deskflow db upgrade URL`` brings a database to the current schema. The library never
prints; this edge does.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import threading
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from deskflow import demo
from deskflow.exceptions import DeskflowError
from deskflow.notifications import Notification
from deskflow.ports import Notifier
from deskflow.sla import SlaReport
from deskflow.ticket import Ticket

__all__ = ["LoggingNotifier", "audit_trail", "main", "sla_table"]


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


class LoggingNotifier:
    """
    A [`Notifier`][deskflow.ports.Notifier] that writes each notification to the
    ``deskflow.notify`` logger: what ``deskflow worker`` delivers to without ``--notifier``,
    for trying a worker out. A host names its own notifier.
    """

    def __init__(self) -> None:
        self._log = logging.getLogger("deskflow.notify")

    def send(self, notification: Notification) -> None:
        """
        Log the notification: its key, template and recipients.
        """
        self._log.info(
            "%s %s to %s",
            notification.dedup_key,
            notification.template,
            ", ".join(notification.recipients),
        )


def _load_notifier(spec: str | None) -> Notifier:
    # MODULE:NAME names a Notifier, or a callable of no argument that returns one.
    # "log" only when asked: it marks notifications delivered that nobody received.
    if spec is None:
        raise DeskflowError(
            "name where notifications go: --notifier MODULE:NAME (a Notifier or a factory "
            "of one), or --notifier log to write them to the deskflow.notify log"
        )
    if spec == "log":
        logging.getLogger("deskflow.worker").warning(
            "--notifier log: notifications are written to the deskflow.notify log and "
            "marked delivered"
        )
        return LoggingNotifier()
    module_name, _, name = spec.partition(":")
    if not module_name or not name:
        raise DeskflowError(f"--notifier must be MODULE:NAME, got {spec!r}")
    try:
        target = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as error:
        raise DeskflowError(f"--notifier {spec}: {error}") from None
    notifier = target if isinstance(target, Notifier) else target()
    if not isinstance(notifier, Notifier):
        raise DeskflowError(f"--notifier {spec} is not a Notifier (it has no send method)")
    return notifier


def _engine(url: str) -> Any:
    # The engine for a --db URL; a URL SQLAlchemy cannot use is the user's error, said plainly.
    try:
        import sqlalchemy

        from deskflow.adapters.sql import engine_for
    except ImportError as error:  # pragma: no cover - the sql extra is not installed
        raise DeskflowError(
            f"the SQL adapter needs SQLAlchemy: pip install 'deskflow[sql]' ({error})"
        ) from None
    try:
        return engine_for(url)
    except sqlalchemy.exc.ArgumentError as error:
        raise DeskflowError(f"not a database URL deskflow can use: {url!r} ({error})") from None


def _worker(args: argparse.Namespace) -> int:
    from deskflow.adapters.clocks import SystemClock
    from deskflow.config import parse_duration
    from deskflow.service import HelpDesk
    from deskflow.worker import run_worker

    try:
        interval = parse_duration(args.interval)
    except ValueError as error:
        raise DeskflowError(f"--interval: {error}") from None
    engine = _engine(args.db)
    notifier = _load_notifier(args.notifier)
    from deskflow.adapters.sql import SqlTicketRepository

    try:
        desk = HelpDesk.from_config(
            args.config,
            repository=SqlTicketRepository(engine, migrate=False),
            notifier=notifier,
            clock=SystemClock(),
            worker_id=args.worker_id,
        )
        stop = threading.Event()

        def stop_on(signum: int, _frame: object) -> None:
            logging.getLogger("deskflow.worker").info(
                "%s received: finishing the ticket in hand", signal.Signals(signum).name
            )
            stop.set()

        previous = {sig: signal.signal(sig, stop_on) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            run = run_worker(desk, interval=interval, once=args.once, stop=stop)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    finally:
        engine.dispose()
    return 1 if args.once and run.errors else 0


def _db_upgrade(args: argparse.Namespace) -> int:
    engine = _engine(args.url)
    from deskflow.adapters.sql import upgrade

    try:
        upgrade(engine)
    finally:
        engine.dispose()
    print(f"{engine.url.render_as_string(hide_password=True)} is at the current schema")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deskflow", description=__doc__)
    parser.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="what the log shows (default: INFO)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo_command = commands.add_parser("demo", help="walk the help-desk scenario in virtual time")
    demo_command.add_argument("--config", type=Path, help="a desk .toml/.json (default: shipped)")
    worker = commands.add_parser("worker", help="tick and deliver in a loop until SIGTERM")
    worker.add_argument("--db", required=True, help="the database URL, e.g. sqlite:///desk.db")
    worker.add_argument("--config", required=True, type=Path, help="the desk .toml/.json")
    worker.add_argument("--once", action="store_true", help="run one round and exit")
    worker.add_argument("--interval", default="5s", help="the wait between rounds (default 5s)")
    worker.add_argument(
        "--notifier",
        help="MODULE:NAME of a Notifier or of a factory of one, or 'log' to log each one",
    )
    worker.add_argument("--worker-id", help="the name of this worker's claims (default: unique)")
    db = commands.add_parser("db", help="manage the database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="bring a database to the current schema")
    upgrade.add_argument("url", help="the database URL, e.g. postgresql+psycopg://host/desk")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """
    Run the command line; return the exit status.
    """
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        if args.command == "worker":
            return _worker(args)
        if args.command == "db":
            return _db_upgrade(args)
        _print_demo(args.config)
    except DeskflowError as error:
        print(f"deskflow {args.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
