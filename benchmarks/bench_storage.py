"""
Storage benchmark, as ratios in one run, on a SQLite file and on PostgreSQL.

- a comment through ``HelpDesk`` on a stored 20-event ticket against a SQLAlchemy Core
  transaction writing the same rows: the statements the command ran are recorded, and the
  baseline runs exactly its writes (same SQL, same parameters, one transaction, an engine with
  the same settings) on a copy of the database.
  Goal within 1.5x. Also the statements per comment (goal: at most 4, its load included, in
  one transaction);
- ``save`` of one new event on a 1,000-event ticket against a 10-event one (append-only:
  goal within 1.2x);
- the first ``open()`` of a new ``HelpDesk`` on a store of 100,000 tickets against one on an
  empty store (ids from a counter, not probing: goal within 1.2x);
- 4 worker processes ticking and delivering the same due set: the checks wasted on lost
  races (goal under 5%).

Each timed pair runs in interleaved rounds, both sides warmed up, and the median is
reported (``harness.median_pair``). PostgreSQL is a throwaway server started in a temporary
directory with its default durability (fsync and synchronous commit on), when its binaries
are found; otherwise its rows say why they are missing. Pass ``--quick`` for a smaller run.
"""

from __future__ import annotations

import multiprocessing
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from harness import T0, history, machine, median_pair  # noqa: E402

from deskflow import INCIDENT, Actor, Role, Ticket  # noqa: E402
from deskflow.adapters import InMemoryNotifier, ManualClock  # noqa: E402
from deskflow.adapters.sql import SqlTicketRepository, engine_for  # noqa: E402
from deskflow.events import CommentAdded  # noqa: E402
from deskflow.ports import TicketWrite  # noqa: E402
from deskflow.service import HelpDesk  # noqa: E402

AGENT = Actor("lee", Role.AGENT, tier=2, groups={"service-desk"})
REQUESTER = Actor("ann", Role.REQUESTER)
QUICK = "--quick" in sys.argv
PER_ROUND = 10 if QUICK else 30
STORED = 10_000 if QUICK else 100_000
ROWS: list[tuple[str, str, str, float, str]] = []


def _row(what: str, mine: str, theirs: str, ratio: float, goal: str) -> None:
    ROWS.append((what, mine, theirs, ratio, goal))
    print(f"| {what} | {mine} | {theirs} | {ratio:.2f}x | {goal} |", flush=True)


class Recorder:
    """
    The statements an engine runs while recording, with their parameters.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.statements: list[tuple[str, Any, bool]] = []
        self.recording = False
        sa.event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, *args: Any) -> None:
        _conn, _cursor, statement, parameters, _context, executemany = args
        if self.recording:
            self.statements.append((statement, parameters, executemany))

    @contextmanager
    def recorded(self) -> Iterator[list[tuple[str, Any, bool]]]:
        self.statements = []
        self.recording = True
        try:
            yield self.statements
        finally:
            self.recording = False


# -- the stores -----------------------------------------------------------------------------------


class Store:
    """
    A kind of database the benchmark runs on: fresh empty databases and copies of them.
    """

    name = ""

    def fresh(self) -> sa.Engine:
        raise NotImplementedError

    def copy(self, engine: sa.Engine) -> sa.Engine:
        raise NotImplementedError


class SqliteStore(Store):
    name = "SQLite file"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def _path(self) -> Path:
        self.count += 1
        return self.folder / f"db-{self.count}.sqlite"

    def fresh(self) -> sa.Engine:
        engine = engine_for(f"sqlite:///{self._path()}")
        SqlTicketRepository(engine, migrate=True)
        return engine

    def copy(self, engine: sa.Engine) -> sa.Engine:
        source = engine.url.database
        assert source is not None
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        target = self._path()
        shutil.copyfile(source, target)
        return engine_for(f"sqlite:///{target}")


class PostgresStore(Store):
    name = "PostgreSQL"

    def __init__(self) -> None:
        import psycopg

        from pgserver import PostgresServer, find_bin_dir

        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise RuntimeError("no PostgreSQL binaries (apt-get install postgresql)")
        self.server = PostgresServer(bin_dir)
        self.server.start()
        # The test server trades durability for speed; measure the settings a host runs.
        with psycopg.connect(self.server.url().replace("+psycopg", ""), autocommit=True) as c:
            for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                c.execute(f"ALTER SYSTEM SET {setting} = on".encode())
        self.server.restart()

    def fresh(self) -> sa.Engine:
        engine = engine_for(self.server.url(self.server.create_database()))
        SqlTicketRepository(engine, migrate=True)
        return engine

    def copy(self, engine: sa.Engine) -> sa.Engine:
        source = engine.url.database
        engine.dispose()
        name = f"copy_{self.server.create_database()}"
        self.server._admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        return engine_for(self.server.url(name))

    def stop(self) -> None:
        self.server.stop()


# -- the measurements -----------------------------------------------------------------------------


def _copy(ticket: Ticket, ticket_id: str) -> Ticket:
    opened = ticket.history[0]
    return Ticket.replay([attrs.evolve(opened, ticket_id=ticket_id), *ticket.history[1:]])


def _desk(engine: sa.Engine, clock: ManualClock) -> HelpDesk:
    return HelpDesk(SqlTicketRepository(engine), InMemoryNotifier(), clock)


def command_vs_raw(store: Store) -> None:
    """
    A comment through HelpDesk against the same writes as one raw transaction.
    """
    engine = store.fresh()
    repo = SqlTicketRepository(engine)
    base = history(20)
    ids = []
    for n in range(PER_ROUND):
        ticket = _copy(base, f"INC-{n + 1}")
        repo.add(ticket)
        ids.append(ticket.id)
    clock = ManualClock(base.updated_at + timedelta(minutes=5))
    url = engine.url
    twin = store.copy(engine)
    engine.dispose()
    engine = engine_for(url)
    desk = _desk(engine, clock)
    recorder = Recorder(engine)
    captured: list[list[tuple[str, Any, bool]]] = []
    counts: list[int] = []

    def through_desk() -> None:
        for ticket_id in ids:
            clock.advance(timedelta(seconds=30))
            with recorder.recorded() as statements:
                desk.comment(AGENT, ticket_id, body="We are on it.")
            # BEGIN IMMEDIATE is how SQLite's write transaction starts, not a statement.
            run = [s for s in statements if not s[0].lstrip().upper().startswith("BEGIN")]
            counts.append(len(run))
            captured.append([s for s in run if not s[0].lstrip().upper().startswith("SELECT")])

    def raw() -> None:
        # What a host writing these rows with SQLAlchemy does: one transaction per command.
        batch, captured[:] = list(captured), []
        for writes in batch:
            with twin.begin() as connection:
                for statement, parameters, _many in writes:
                    connection.exec_driver_sql(statement, parameters)

    mine, theirs = median_pair(through_desk, raw)
    engine.dispose()
    twin.dispose()
    _row(
        f"{store.name}: comment through HelpDesk vs SQLAlchemy Core writing the same rows",
        f"{mine / PER_ROUND * 1e6:.0f} us",
        f"{theirs / PER_ROUND * 1e6:.0f} us",
        mine / theirs,
        "<= 1.5x",
    )
    _row(
        f"{store.name}: statements per comment, load included (one transaction)",
        f"{max(counts)}",
        "4",
        max(counts) / 4,
        "<= 1x",
    )


def save_growth(store: Store) -> None:
    """
    Saving one new event on a 1,000-event ticket against a 10-event one.
    """
    engine = store.fresh()
    repo = SqlTicketRepository(engine)
    tickets = {"long": _copy(history(1_000), "INC-1"), "short": _copy(history(10), "INC-2")}
    for ticket in tickets.values():
        repo.add(ticket)

    def appender(name: str) -> Callable[[], None]:
        def append() -> None:
            for _ in range(PER_ROUND):
                ticket = tickets[name]
                at = ticket.updated_at + timedelta(minutes=3)
                event = CommentAdded(at=at, actor="lee", body="Checked the logs again.")
                changed = ticket.record(event)
                repo.save_all([TicketWrite(changed, ticket.version)])
                tickets[name] = changed

        return append

    long_s, short_s = median_pair(appender("long"), appender("short"))
    engine.dispose()
    _row(
        f"{store.name}: save one event, 1,000-event ticket vs 10-event",
        f"{long_s / PER_ROUND * 1e6:.0f} us",
        f"{short_s / PER_ROUND * 1e6:.0f} us",
        long_s / short_s,
        "<= 1.2x",
    )


def _fill(engine: sa.Engine, count: int) -> None:
    # Written in batches of 1,000 tickets a transaction; the counter is then set to the
    # last number, as ``count`` opens through the service would have left it.
    repo = SqlTicketRepository(engine)
    batch: list[TicketWrite] = []
    for n in range(1, count + 1):
        ticket = INCIDENT.open(
            f"INC-{n}",
            title=f"Printer {n} offline",
            requester="ann",
            at=T0 + timedelta(seconds=n),
            priority="P3",
        )
        batch.append(TicketWrite(ticket, None))
        if len(batch) == 1_000:
            repo.save_all(batch)
            batch = []
    if batch:
        repo.save_all(batch)
    repo.next_id("INC")
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE deskflow_counters SET value = :n WHERE prefix = 'INC'"), {"n": count}
        )


def first_open(store: Store) -> None:
    """
    The first open() of a new HelpDesk on a full store against one on an empty store.
    """
    full, empty = store.fresh(), store.fresh()
    _fill(full, STORED)
    clock = ManualClock(T0 + timedelta(days=400))

    def opener(engine: sa.Engine) -> Callable[[], None]:
        def first() -> None:
            desk = _desk(engine, clock)
            clock.advance(timedelta(seconds=1))
            desk.open(REQUESTER, title="VPN down", impact="medium", urgency="high")

        return first

    full_s, empty_s = median_pair(opener(full), opener(empty))
    full.dispose()
    empty.dispose()
    _row(
        f"{store.name}: first open() with {STORED:,} stored tickets vs an empty store",
        f"{full_s * 1e3:.1f} ms",
        f"{empty_s * 1e3:.1f} ms",
        full_s / empty_s,
        "<= 1.2x",
    )


def wasted_checks(store: Store, workers_count: int = 4, tickets: int = 200) -> None:
    """
    4 worker processes ticking and delivering one due set: the share of wasted checks.
    """
    import workers

    engine = store.fresh()
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    setup = workers.make_desk(url, clock=ManualClock(T0), desk=workers.paging_desk())
    for n in range(tickets):
        setup.open(AGENT, requester="ann", title=f"down {n}", impact="high", urgency="high")
    workers._dispose(setup)
    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    barrier = spawn.Barrier(workers_count)
    with tempfile.TemporaryDirectory() as scratch:
        processes = [
            spawn.Process(
                target=workers.tick_and_deliver,
                args=(url, i, T0 + timedelta(hours=2), Path(scratch) / f"{i}", barrier, results),
            )
            for i in range(workers_count)
        ]
        for process in processes:
            process.start()
        reports = [results.get(timeout=600) for _ in processes]
        for process in processes:
            process.join(timeout=60)
    checked = sum(r["checked"] for r in reports)
    conflicts = sum(r["conflicts"] for r in reports)
    _row(
        f"{store.name}: {workers_count} workers on {tickets} due tickets: checks lost to races",
        f"{conflicts} of {checked}",
        "0 (1 worker)",
        conflicts / max(checked, 1) * 100,
        "< 5 (%)",
    )


def main() -> None:
    """
    Print the storage benchmark.
    """
    print(f"Machine: {machine()}\n")
    print("| measurement | deskflow | baseline | ratio | goal |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        stores: list[Store] = [SqliteStore(Path(scratch))]
        try:
            stores.append(PostgresStore())
        except Exception as error:  # the benchmark still reports SQLite
            print(f"| PostgreSQL: not measured ({error}) | | | | |")
        try:
            for store in stores:
                command_vs_raw(store)
                save_growth(store)
                first_open(store)
                wasted_checks(store)
        finally:
            for store in stores:
                if isinstance(store, PostgresStore):
                    store.stop()


if __name__ == "__main__":
    main()
