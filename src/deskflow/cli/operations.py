"""
What ``deskflow worker`` and ``deskflow db upgrade`` do, apart from their options: open the
database a URL names, load the notifier an option names, and run the worker until SIGTERM or
SIGINT (or for one round).
"""

from __future__ import annotations

import importlib
import logging
import signal
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from deskflow.exceptions import DeskflowError
from deskflow.notifications import Notification
from deskflow.ports import Notifier

__all__ = ["LoggingNotifier", "db_upgrade", "engine", "load_notifier", "run_worker_process"]


class LoggingNotifier:
    """
    A [`Notifier`][deskflow.ports.Notifier] that writes each notification to the
    ``deskflow.notify`` logger: what ``deskflow worker`` delivers to with ``--notifier log``,
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


def load_notifier(spec: str | None) -> Notifier:
    """
    The notifier ``--notifier`` names: ``MODULE:NAME`` of a Notifier or of a callable of no
    argument that returns one, or ``log`` for a [`LoggingNotifier`][deskflow.cli.LoggingNotifier].
    """
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


def engine(url: str) -> Any:
    """
    The SQLAlchemy engine for a ``--db`` URL; a URL SQLAlchemy cannot use is the user's
    error, said plainly (a DeskflowError).
    """
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


def run_worker_process(
    *,
    db: str,
    config: Path,
    once: bool,
    interval: timedelta,
    notifier: str | None,
    worker_id: str | None,
) -> int:
    """
    Run a worker on the database ``db`` with the desk ``config`` until SIGTERM or SIGINT
    (``once``: one round); return the exit status (1 if a single round had errors).
    """
    from deskflow.adapters.clocks import SystemClock
    from deskflow.service import HelpDesk
    from deskflow.worker import run_worker

    store = engine(db)
    try:
        delivering = load_notifier(notifier)
        from deskflow.adapters.sql import SqlTicketRepository

        desk = HelpDesk.from_config(
            config,
            repository=SqlTicketRepository(store, migrate=False),
            notifier=delivering,
            clock=SystemClock(),
            worker_id=worker_id,
        )
        stop = threading.Event()

        def stop_on(signum: int, _frame: object) -> None:
            logging.getLogger("deskflow.worker").info(
                "%s received: finishing the ticket in hand", signal.Signals(signum).name
            )
            stop.set()

        previous = {sig: signal.signal(sig, stop_on) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            run = run_worker(desk, interval=interval, once=once, stop=stop)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    finally:
        store.dispose()
    return 1 if once and run.errors else 0


def db_upgrade(url: str) -> str:
    """
    Bring the database ``url`` names to the current schema; return the URL to show (its
    password hidden).
    """
    store = engine(url)
    from deskflow.adapters.sql import upgrade

    try:
        upgrade(store)
    finally:
        store.dispose()
    return str(store.url.render_as_string(hide_password=True))
