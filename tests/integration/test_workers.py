"""
Several real processes on one database (a SQLite file, and a real PostgreSQL server): nothing
lost, nothing half-written, nothing sent twice.

The processes are started with multiprocessing's ``spawn`` context and run the functions of
tests/workers.py; they report what they did through a queue or files, and the test checks
the database afterwards.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

import workers
from builders import LEE, T0
from deskflow.adapters import ManualClock
from deskflow.adapters.sql import SqlTicketRepository
from deskflow.events import CommentAdded, Escalated, SlaThresholdReached, StateChanged
from deskflow.ticket import Ticket
from pgserver import PostgresServer
from workers import GROUP, agent, make_desk

pytestmark = pytest.mark.slow

_SPAWN = multiprocessing.get_context("spawn")
# However slow the machine, a process that has not finished by then is stuck.
_JOIN_SECONDS = 300


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """
    An empty database for several processes: a SQLite file, or a PostgreSQL database.
    """
    if request.param == "sqlite":
        yield f"sqlite+pysqlite:///{tmp_path / 'desk.sqlite'}"
    else:
        yield request.getfixturevalue("postgres_url")


def _prepared(url: str) -> SqlTicketRepository:
    # The schema, made once by the test before its processes start.
    return SqlTicketRepository(workers.engine(url))


def _run(processes: list[Any]) -> None:
    for process in processes:
        process.start()
    for process in processes:
        process.join(_JOIN_SECONDS)
    stuck = [p.pid for p in processes if p.is_alive()]
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join()
    assert [] == stuck
    assert [0] * len(processes) == [p.exitcode for p in processes]


def _collect(results: Any, count: int) -> list[Any]:
    return [results.get(timeout=_JOIN_SECONDS) for _ in range(count)]


def _contiguous(url: str) -> dict[str, int]:
    """
    Every stored ticket's version, checked to be its number of events, its history to replay.
    """
    store = workers.engine(url)
    try:
        repo = SqlTicketRepository(store, create_tables=False)
        with store.connect() as connection:
            rows = connection.execute(sqlalchemy.text("SELECT id, version FROM tickets")).all()
        versions: dict[str, int] = dict(rows)
        for ticket_id, version in versions.items():
            ticket = repo.get(ticket_id)
            assert version == len(ticket.history) == ticket.version, ticket_id
            assert Ticket.replay(ticket.history) == ticket, ticket_id
        return versions
    finally:
        store.dispose()


# -- four processes of mixed commands -------------------------------------------------------------


def test_four_processes_of_mixed_commands_lose_nothing(store_url: str) -> None:
    """
    4 processes x 150 commands on 6 tickets: every command that returned is in the final
    history, at or before the version it returned, and no two returned the same version of
    a ticket; every refusal is a lost race (ConcurrencyError) that wrote nothing.
    """
    processes_count, commands = 4, 150
    _prepared(store_url).engine.dispose()
    setup = make_desk(store_url)
    own = []
    for index in range(processes_count):
        me = agent(index)
        view = setup.open(me, requester="ann", title=f"owned by {me.id}")
        setup.assign(me, view.id, group=GROUP, assignee=me.id)
        own.append(view.id)
    shared = [setup.open(LEE, requester="ann", title=f"shared {n}").id for n in range(2)]
    for ticket_id in shared:
        setup.assign(LEE, ticket_id, group=GROUP, assignee=LEE.id)
    before = {t: len(setup.repository.get(t).history) for t in [*own, *shared]}
    workers._dispose(setup)

    results = _SPAWN.Queue()
    _run(
        [
            _SPAWN.Process(
                target=workers.mixed_commands,
                args=(store_url, i, commands, own[i], shared, 1000 + i, results),
            )
            for i in range(processes_count)
        ]
    )
    reports = _collect(results, processes_count)

    failures = Counter(name for report in reports for name, _ in report["failed"])
    assert set(failures) <= {"ConcurrencyError"}, [r["failed"][:3] for r in reports]
    done = [entry for report in reports for entry in report["done"]]
    assert len(done) + sum(failures.values()) == processes_count * commands
    # No lost update: no two commands returned the same version of a ticket.
    versions = Counter((ticket_id, version) for _, ticket_id, version, _ in done)
    assert [] == [key for key, times in versions.items() if times > 1]

    repo = SqlTicketRepository(workers.engine(store_url), create_tables=False)
    try:
        stored = {t: repo.get(t) for t in [*own, *shared]}
    finally:
        repo.engine.dispose()
    for ticket in stored.values():
        assert Ticket.replay(ticket.history) == ticket
    # Every returned comment is stored once, at or before the version it returned; nothing
    # else was commented.
    positions: dict[str, tuple[str, int]] = {}
    for ticket_id, ticket in stored.items():
        for position, event in enumerate(ticket.history):
            if isinstance(event, CommentAdded):
                assert event.body not in positions
                positions[event.body] = (ticket_id, position)
    comments = {(what, t, v) for kind, t, v, what in done if kind == "comment"}
    assert {what for what, _, _ in comments} == set(positions)
    for what, ticket_id, version in comments:
        where, position = positions[what]
        assert (ticket_id, True) == (where, position < version)
    # Each owner's state changes are stored in the order they returned, and only those.
    for index, ticket_id in enumerate(own):
        returned = [what for kind, t, _, what in done if kind == "state" and t == ticket_id]
        history = stored[ticket_id].history[before[ticket_id] :]
        changes = [
            e.trigger for e in history if isinstance(e, StateChanged) and e.actor == agent(index).id
        ]
        assert returned == changes
    print(f"\n{store_url.split(':')[0]}: {len(done)} commands saved, {dict(failures)} refused")


def test_two_desks_a_millisecond_apart_never_refuse_a_valid_command(store_url: str) -> None:
    """
    Two help desks whose clocks differ by 1 ms comment in turn on one ticket: the desk behind
    never makes a command fail with InvalidInput for being earlier than the last change.
    """
    _prepared(store_url).engine.dispose()
    base = ManualClock(T0)
    ahead = make_desk(store_url, clock=base)
    behind = make_desk(store_url, clock=workers.SkewedClock(-timedelta(milliseconds=1), base))
    ticket_id = ahead.open(LEE, requester="ann", title="VPN down").id
    try:
        for n in range(100):
            base.advance(timedelta(microseconds=100))
            desk = ahead if n % 2 else behind
            desk.comment(LEE, ticket_id, body=f"comment {n}")
        ticket = ahead.repository.get(ticket_id)
    finally:
        workers._dispose(ahead)
        workers._dispose(behind)
    bodies = [e.body for e in ticket.history if isinstance(e, CommentAdded)]
    assert [f"comment {n}" for n in range(100)] == bodies
    instants = [e.at for e in ticket.history]
    assert sorted(instants) == instants


def test_two_processes_a_millisecond_apart_fail_only_on_lost_races(store_url: str) -> None:
    """
    The same on the wall clock in two processes, one 1 ms behind, commenting on one ticket:
    a command fails only by losing a race, never with InvalidInput.
    """
    _prepared(store_url).engine.dispose()
    setup = make_desk(store_url)
    tickets = []
    for index in range(2):
        me = agent(index)
        view = setup.open(me, requester="ann", title=f"owned by {me.id}")
        setup.assign(me, view.id, group=GROUP, assignee=me.id)
        tickets.append(view.id)
    workers._dispose(setup)
    results = _SPAWN.Queue()
    _run(
        [
            _SPAWN.Process(
                target=workers.mixed_commands,
                args=(store_url, i, 150, tickets[i], [tickets[1 - i]], i, results, -1000 * i),
            )
            for i in range(2)
        ]
    )
    reports = _collect(results, 2)
    failures = {name for report in reports for name, _ in report["failed"]}
    assert failures <= {"ConcurrencyError"}, [r["failed"][:3] for r in reports]


# -- starting on an empty database ----------------------------------------------------------------


def test_eight_processes_start_on_an_empty_database(store_url: str) -> None:
    """
    8 processes construct the repository at once on an empty database: none fails, and
    the database has one schema.
    """
    count = 8
    barrier = _SPAWN.Barrier(count)
    results = _SPAWN.Queue()
    _run(
        [
            _SPAWN.Process(target=workers.construct_repository, args=(store_url, barrier, results))
            for _ in range(count)
        ]
    )
    outcomes = _collect(results, count)
    assert [("ok", "")] * count == outcomes
    store = workers.engine(store_url)
    try:
        tables = set(sqlalchemy.inspect(store).get_table_names())
        repo = SqlTicketRepository(store, create_tables=False)
        desk = make_desk(store_url)
        view = desk.open(LEE, requester="ann", title="works")
        workers._dispose(desk)
        assert view.title == repo.get(view.id).title
    finally:
        store.dispose()
    assert {"tickets", "outbox"} <= tables


# -- kill -9 during saves -------------------------------------------------------------------------


def test_kill_9_during_saves_leaves_nothing_half_written(store_url: str, tmp_path: Path) -> None:
    """
    Processes killed with SIGKILL in the middle of saving (comments, new tickets, splits that
    write several tickets at once) leave every ticket whole: its version is its number of
    events and its history replays; the next write succeeds.
    """
    _prepared(store_url).engine.dispose()
    setup = make_desk(store_url)
    for n in range(2):
        setup.open(LEE, requester="ann", title=f"target {n}")
    workers._dispose(setup)
    for round_ in range(3):
        ready = [tmp_path / f"ready-{round_}-{i}" for i in range(2)]
        processes = [
            _SPAWN.Process(target=workers.save_until_killed, args=(store_url, i, ready[i]))
            for i in range(2)
        ]
        for process in processes:
            process.start()
        deadline = time.monotonic() + _JOIN_SECONDS
        while not all(path.exists() for path in ready) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05 + 0.1 * round_)  # a different moment of the write each round
        for process in processes:
            assert process.pid is not None
            assert process.is_alive()
            os.kill(process.pid, signal.SIGKILL)
        for process in processes:
            process.join(_JOIN_SECONDS)
            assert -signal.SIGKILL == process.exitcode
    versions = _contiguous(store_url)
    assert len(versions) > 2
    desk = make_desk(store_url)
    try:
        for ticket_id in versions:
            desk.comment(LEE, ticket_id, body="after the kill")
    finally:
        workers._dispose(desk)
    after = _contiguous(store_url)
    assert set(versions) == set(after)
    assert [] == [t for t in versions if after[t] <= versions[t]]


# -- a PostgreSQL restart -------------------------------------------------------------------------


def test_commands_carry_on_after_a_postgresql_restart(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    """
    A PostgreSQL restart under an engine with pool_pre_ping: the pooled connections die with
    it, and the next commands reconnect and succeed.
    """
    _prepared(postgres_url).engine.dispose()
    desk = make_desk(postgres_url)
    try:
        ticket_id = desk.open(LEE, requester="ann", title="VPN down").id
        for n in range(5):
            desk.comment(LEE, ticket_id, body=f"before {n}")
        postgres_server.restart()
        for n in range(5):
            desk.comment(LEE, ticket_id, body=f"after {n}")
        ticket = desk.repository.get(ticket_id)
    finally:
        workers._dispose(desk)
    bodies = [e.body for e in ticket.history if isinstance(e, CommentAdded)]
    assert [f"before {n}" for n in range(5)] + [f"after {n}" for n in range(5)] == bodies


# -- workers ticking and delivering ---------------------------------------------------------------


def test_four_workers_split_the_due_set_and_send_each_notification_once(
    postgres_url: str, tmp_path: Path
) -> None:
    """
    4 worker processes tick and deliver the same due set on PostgreSQL: each SLA threshold
    and each page is recorded once, each dedup key is handed to a notifier once, and under
    5% of the ticket checks are wasted on lost races.
    """
    count, tickets = 4, 120
    _prepared(postgres_url).engine.dispose()
    opener_sent = tmp_path / "sent-opener.txt"
    setup = make_desk(
        postgres_url,
        clock=ManualClock(T0),
        notifier=workers.FileNotifier(opener_sent),
        desk=workers.paging_desk(),
    )
    for n in range(tickets):
        setup.open(LEE, requester="ann", title=f"down {n}", impact="high", urgency="high")
    workers._dispose(setup)

    results = _SPAWN.Queue()
    sent = [tmp_path / f"sent-{i}.txt" for i in range(count)]
    at = T0 + timedelta(hours=2)
    _run(
        [
            _SPAWN.Process(
                target=workers.tick_and_deliver, args=(postgres_url, i, at, sent[i], results)
            )
            for i in range(count)
        ]
    )
    reports = _collect(results, count)

    handed = [
        key
        for path in [opener_sent, *sent]
        if path.exists()
        for key in path.read_text(encoding="utf-8").split()
    ]
    twice = {key: times for key, times in Counter(handed).items() if times > 1}
    checked = sum(r["checked"] for r in reports)
    conflicts = sum(r["conflicts"] for r in reports)
    print(
        f"\n{count} workers: {checked} checks, {conflicts} wasted on lost races, "
        f"{len(handed)} notifications handed for {len(set(handed))} dedup keys"
    )
    assert [] == [f for r in reports for f in r["failed"]]
    assert {} == twice
    repo = SqlTicketRepository(workers.engine(postgres_url), create_tables=False)
    try:
        assert [] == repo.pending_notifications(10)
        recorded: Counter[str] = Counter()
        for n in range(1, tickets + 1):
            for event in repo.get(f"INC-{n}").history:
                if isinstance(event, SlaThresholdReached | Escalated):
                    recorded[str(event.dedup_key)] += 1
    finally:
        repo.engine.dispose()
    assert {} == {key: times for key, times in recorded.items() if times > 1}
    # Two hours after opening, every ticket passed 7 SLA thresholds and paged both levels;
    # the workers' reports count each once.
    assert 9 * tickets == len(recorded)
    reported = [key for r in reports for key in r["thresholds"]]
    assert sorted(reported) == sorted(key for key in recorded if "|sla|" in key)
    assert conflicts < 0.05 * checked
