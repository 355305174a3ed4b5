"""
What the processes of the reliability tests (tests/integration/test_workers.py) run.

Each function is the target of a process started with multiprocessing's ``spawn`` context,
so it builds everything it uses from plain arguments (a database URL, numbers, paths) and
reports through a queue or files. The help desks are built here, the same way in every
process, by `make_desk`.
"""

from __future__ import annotations

import os
import random
from datetime import datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import sqlalchemy

from builders import ALWAYS
from deskflow import INCIDENT, SERVICE_REQUEST, Actor, Role
from deskflow.adapters import InMemoryNotifier, ManualClock, SystemClock
from deskflow.adapters.sql import SqlTicketRepository
from deskflow.desk import Desk
from deskflow.enums import TicketKind
from deskflow.exceptions import DeskflowError
from deskflow.notifications import Notification
from deskflow.policies.ladders import Ladder, LadderLevel, LadderPolicy
from deskflow.ports import Clock, Notifier
from deskflow.service import HelpDesk
from deskflow.sla import SlaPolicy

__all__ = [
    "GROUP",
    "FileNotifier",
    "SkewedClock",
    "agent",
    "construct_repository",
    "engine",
    "make_desk",
    "mixed_commands",
    "paging_desk",
    "save_until_killed",
    "tick_and_deliver",
]

#: The group every agent of these tests works in.
GROUP = "service-desk"
_MINUTE = timedelta(minutes=1)


def agent(index: int) -> Actor:
    """
    The agent a worker process acts as: ``agent<index>`` of the service desk.
    """
    return Actor(f"agent{index}", Role.AGENT, tier=1, groups={GROUP})


def engine(url: str) -> sqlalchemy.Engine:
    """
    An engine as a host would make one for several processes: pre-ping, and on a SQLite file
    a busy timeout long enough for the other processes' writes.
    """
    options: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 60.0}
    return sqlalchemy.create_engine(url, **options)


def repository(url: str) -> SqlTicketRepository:
    """
    The repository of a worker over a database whose schema is already there.
    """
    return SqlTicketRepository(engine(url), create_tables=False)


class SkewedClock:
    """
    The wall clock, ``offset`` off: a machine whose clock is a little ahead or behind.
    """

    def __init__(self, offset: timedelta, base: Clock | None = None) -> None:
        self.offset = offset
        self.base = base if base is not None else SystemClock()

    def now(self) -> datetime:
        """
        The base clock's time plus the offset.
        """
        return self.base.now() + self.offset


class FileNotifier:
    """
    A notifier that appends the dedup key of each notification it is handed to a file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, notification: Notification) -> None:
        """
        Record the notification's dedup key, one line each (appends are atomic).
        """
        with self.path.open("a", encoding="utf-8") as out:
            out.write(notification.dedup_key + "\n")


def paging_desk() -> Desk:
    """
    A desk whose incidents page two on-call levels, five minutes apart, around the clock: a
    tick long after opening records SLA thresholds and sends pages.
    """
    ladder = LadderPolicy(
        Ladder([LadderLevel(["kim"], delay=5 * _MINUTE), LadderLevel(["mia"], delay=5 * _MINUTE)]),
        name="on-call",
    )
    sla = {
        TicketKind.INCIDENT: SlaPolicy.itil(ALWAYS, workflow=INCIDENT),
        TicketKind.SERVICE_REQUEST: SlaPolicy.itil(ALWAYS, workflow=SERVICE_REQUEST),
    }
    return Desk(escalation=ladder, sla=sla)


def make_desk(
    url: str,
    *,
    clock: Clock | None = None,
    notifier: Notifier | None = None,
    desk: Desk | None = None,
) -> HelpDesk:
    """
    A help desk over the database at ``url``, as every process of a test builds it.
    """
    return HelpDesk(
        repository(url),
        notifier if notifier is not None else InMemoryNotifier(),
        clock if clock is not None else SystemClock(),
        desk,
    )


def _dispose(desk: HelpDesk) -> None:
    repo = desk.repository
    assert isinstance(repo, SqlTicketRepository)
    repo.engine.dispose()


# -- mixed commands -------------------------------------------------------------------------------

# What the owner of a ticket may do next, by the state it left the ticket in.
_NEXT: dict[str, tuple[str, ...]] = {
    "assigned": ("start", "hold", "assign"),
    "in_progress": ("hold", "assign"),
    "on_hold": ("resume",),
}


def _state_command(desk: HelpDesk, me: Actor, ticket_id: str, trigger: str, n: int) -> Any:
    if trigger == "start":
        return desk.start(me, ticket_id)
    if trigger == "hold":
        return desk.hold(me, ticket_id, reason="vendor")
    if trigger == "resume":
        return desk.resume(me, ticket_id)
    # Reassign between the owner and nobody in particular: the group keeps it.
    return desk.assign(me, ticket_id, group=GROUP, assignee=me.id if n % 2 else None)


def mixed_commands(
    url: str,
    index: int,
    count: int,
    own: str,
    shared: list[str],
    seed: int,
    results: Queue[dict[str, Any]],
    skew_us: int = 0,
) -> None:
    """
    Run ``count`` commands: comments (public and internal) on every ticket, and state changes
    (start, hold, resume, reassign) on the one ticket this process owns, which no other
    process moves, so every refusal can only be a lost race. Reports every command that
    returned, with the ticket's version after it, and the type of every one that raised.
    """
    rng = random.Random(seed)
    me = agent(index)
    desk = make_desk(url, clock=SkewedClock(timedelta(microseconds=skew_us)))
    state = desk.view(me, own).state
    done: list[tuple[str, str, int, str]] = []
    failed: list[tuple[str, str]] = []
    tickets = [own, *shared]
    try:
        for n in range(count):
            comment = rng.random() < 0.6 or state not in _NEXT
            ticket_id = rng.choice(tickets) if comment else own
            what = f"p{index}-c{n}" if comment else rng.choice(_NEXT[state])
            try:
                if comment:
                    view = desk.comment(me, ticket_id, body=what, internal=rng.random() < 0.5)
                else:
                    view = _state_command(desk, me, own, what, n)
            except DeskflowError as error:
                failed.append((type(error).__name__, str(error)))
                continue
            if not comment:
                state = view.state
            done.append(("comment" if comment else "state", ticket_id, len(view.history), what))
    finally:
        _dispose(desk)
        results.put({"index": index, "done": done, "failed": failed})


# -- starting on an empty database ----------------------------------------------------------------


def construct_repository(url: str, barrier: Barrier, results: Queue[tuple[str, str]]) -> None:
    """
    Construct the repository on a database that may be empty, all processes at once.
    """
    store = engine(url)
    try:
        barrier.wait(timeout=60)
        SqlTicketRepository(store)
    except Exception as error:
        results.put(("error", f"{type(error).__name__}: {error}"))
    else:
        results.put(("ok", ""))
    finally:
        store.dispose()


# -- kill -9 during saves -------------------------------------------------------------------------


def save_until_killed(url: str, index: int, ready: Path) -> None:
    """
    Save without end (comments, new tickets, splits into several tickets in one write) until
    killed; touch ``ready`` after the first few saves, so the killer knows writing is under way.
    """
    me = agent(index)
    desk = make_desk(url)
    rng = random.Random(index)
    tickets = ["INC-1", "INC-2"]
    n = 0
    while True:
        n += 1
        try:
            choice = rng.random()
            if choice < 0.2:
                tickets.append(desk.open(me, requester="ann", title=f"p{index} opened {n}").id)
            elif choice < 0.3:
                split = desk.split(me, rng.choice(tickets), titles=[f"p{index} part {n}"] * 3)
                tickets.extend(view.id for view in split)
            else:
                desk.comment(me, rng.choice(tickets), body=f"p{index} comment {n}")
        except DeskflowError:
            pass  # a lost race: writing goes on
        if n == 5:
            ready.touch()


# -- ticking and delivering -----------------------------------------------------------------------


def tick_and_deliver(
    url: str, index: int, at: datetime, sent: Path, results: Queue[dict[str, Any]]
) -> None:
    """
    Tick and deliver, as a worker does, at the instant ``at``, until three rounds in a row find
    nothing to do; report every tick's checked, conflicting and failed tickets.
    """
    desk = make_desk(url, clock=ManualClock(at), notifier=FileNotifier(sent), desk=paging_desk())
    checked = conflicts = rounds = idle = 0
    failed: list[str] = []
    thresholds: list[str] = []
    try:
        while idle < 3:
            rounds += 1
            report = desk.tick(limit=10)
            delivery = desk.deliver_pending(limit=10)
            checked += len(report.checked)
            conflicts += len(report.conflicts)
            failed.extend(report.failed)
            thresholds.extend(report.thresholds)
            busy = report.checked or delivery.sent or delivery.failed
            idle = 0 if busy else idle + 1
    finally:
        _dispose(desk)
        results.put(
            {
                "index": index,
                "pid": os.getpid(),
                "checked": checked,
                "conflicts": conflicts,
                "failed": failed,
                "thresholds": thresholds,
                "rounds": rounds,
            }
        )
