"""
A background worker: tick and deliver in a loop, as many of them as the work needs.

[`run_worker()`][deskflow.worker.run_worker] drives one
[`HelpDesk`][deskflow.service.HelpDesk]: each round it runs `tick()` (which claims the due
tickets, works them and delivers one round) and then delivers more rounds while the outbox
keeps giving, up to a bound, then waits ``interval``. Any number of workers, in any number of
processes, may run on one store: they claim work, so they split it rather than race over it.
A worker stops cleanly when its ``stop`` event is set: it finishes the ticket in hand,
releases the claims it did not get to, and returns. ``deskflow worker`` runs one from the
command line and sets the event on SIGTERM or SIGINT.

Everything it does is logged on the ``deskflow.worker`` logger; it never prints.

>>> from datetime import datetime, timezone
>>> from deskflow import Actor, HelpDesk, Role
>>> from deskflow.adapters import InMemoryNotifier, InMemoryTicketRepository, ManualClock
>>> notifier = InMemoryNotifier()
>>> desk = HelpDesk(InMemoryTicketRepository(), notifier,
...                 ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)))
>>> _ = desk.open(Actor("ann", Role.REQUESTER), title="VPN down")
>>> run_worker(desk, interval=1, once=True).sent, [n.template for n in notifier.sent]
(1, ['ticket_received'])
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import attrs

from deskflow.exceptions import InvalidInput
from deskflow.service import HelpDesk

__all__ = ["WorkerRun", "run_worker"]

log = logging.getLogger("deskflow.worker")


@attrs.define
class WorkerRun:
    """
    What a worker did until it returned: rounds run, tickets checked, time-based changes
    saved, ticket failures, notifications sent, failed (to be retried) and dead-lettered,
    and rounds that raised (a store that was down, say; logged and retried).
    """

    rounds: int = 0
    checked: int = 0
    saved: int = 0
    failed: int = 0
    sent: int = 0
    delivery_failed: int = 0
    dead: int = 0
    errors: int = 0


def _seconds(name: str, value: object) -> float:
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InvalidInput(f"{name} must be seconds >= 0 or a timedelta, got {value!r}")
    return float(value)


def _bound(name: str, value: object) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InvalidInput(f"{name} must be None or an int >= 1, got {value!r}")
    return value


def run_worker(
    helpdesk: HelpDesk,
    *,
    interval: float | timedelta,
    once: bool = False,
    stop: threading.Event | None = None,
    max_rounds: int | None = None,
    delivery_rounds: int = 10,
    limit: int = 1000,
) -> WorkerRun:
    """
    Tick and deliver until ``stop`` is set, ``max_rounds`` rounds have run, or after one
    round with ``once``; wait ``interval`` (seconds or a timedelta) between rounds.

    A round is one `tick(limit=limit)`, then up to ``delivery_rounds`` more delivery rounds
    while the last one sent or failed something. A round that raises is logged and counted
    in ``errors``; the worker goes on with the next round (with ``once`` it returns).
    """
    if not isinstance(helpdesk, HelpDesk):
        raise InvalidInput(f"helpdesk must be a HelpDesk, got {type(helpdesk).__name__}")
    wait = _seconds("interval", interval)
    max_rounds = _bound("max_rounds", max_rounds)
    extra = _bound("delivery_rounds", delivery_rounds) or 1
    stop = stop if stop is not None else threading.Event()
    run = WorkerRun()
    log.info("worker %s started (interval %ss)", helpdesk.worker_id, wait)
    while not stop.is_set():
        started = time.monotonic()
        try:
            _round(helpdesk, run, stop, extra, limit)
        except Exception:  # a store that is down must not end a long-running worker
            run.errors += 1
            log.exception(
                "worker %s: the round failed; retrying after the interval", helpdesk.worker_id
            )
        run.rounds += 1
        if once or (max_rounds is not None and run.rounds >= max_rounds):
            break
        stop.wait(max(0.0, wait - (time.monotonic() - started)))
    log.info(
        "worker %s stopped after %d rounds: %d checked, %d saved, %d failed; "
        "%d sent, %d to retry, %d dead letters",
        helpdesk.worker_id,
        run.rounds,
        run.checked,
        run.saved,
        run.failed,
        run.sent,
        run.delivery_failed,
        run.dead,
    )
    return run


def _round(
    helpdesk: HelpDesk, run: WorkerRun, stop: threading.Event, extra: int, limit: int
) -> None:
    report = helpdesk.tick(limit=limit, stop=stop)
    run.checked += len(report.checked)
    run.saved += len(report.saved)
    run.failed += len(report.failed)
    if report.checked:
        log.info(
            "tick: %d checked, %d saved, %d thresholds, %d actions, %d closed, "
            "%d conflicts, %d failed",
            len(report.checked),
            len(report.saved),
            len(report.thresholds),
            len(report.actions),
            len(report.closed),
            len(report.conflicts),
            len(report.failed),
        )
    # The tick delivered one round; more follow while the outbox keeps giving.
    delivery, more = report.delivery, extra
    while delivery is not None:
        run.sent += len(delivery.sent)
        run.delivery_failed += len(delivery.failed)
        run.dead += len(delivery.dead)
        if not (delivery.sent or delivery.failed or delivery.dead):
            return
        log.info(
            "delivery: %d sent, %d to retry, %d dead letters",
            len(delivery.sent),
            len(delivery.failed),
            len(delivery.dead),
        )
        if more == 0 or stop.is_set():
            return
        more -= 1
        delivery = helpdesk.deliver_pending(stop=stop)
