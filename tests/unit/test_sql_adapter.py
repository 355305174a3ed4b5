"""
The SQL repository beyond the shared contract: durability, atomic saves, the due index, scale.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy.pool import StaticPool

from builders import LEE, T0, incident
from deskflow import INCIDENT, Ticket
from deskflow.adapters.sql import SqlTicketRepository, outbox_table, tickets_table
from deskflow.codec import history_from_json
from deskflow.events import CommentAdded
from deskflow.exceptions import ConcurrencyError, InvalidInput
from deskflow.testing.contracts import make_notification

MakeEngine = Callable[..., sqlalchemy.Engine]


@pytest.fixture
def make_engine() -> Iterator[MakeEngine]:
    """
    Create engines that are all disposed of after the test.
    """
    engines: list[sqlalchemy.Engine] = []

    def make(url: str = "sqlite+pysqlite:///:memory:", **kwargs: Any) -> sqlalchemy.Engine:
        engine = sqlalchemy.create_engine(url, **kwargs)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def database(tmp_path: Path) -> str:
    """
    The URL of a SQLite database file that several engines can open.
    """
    return f"sqlite+pysqlite:///{tmp_path / 'desk.db'}"


def _commented(ticket: Ticket, body: str) -> Ticket:
    return ticket.record(CommentAdded(at=ticket.updated_at, actor=LEE.id, body=body))


def test_a_reopened_database_has_the_same_tickets(make_engine: MakeEngine, database: str) -> None:
    """
    A second repository over the same database file sees every ticket, check and item.
    """
    first = SqlTicketRepository(make_engine(database))
    ticket = incident("T-1")
    first.add(ticket, next_check_at=T0, outbox=[make_notification("k-1")])
    changed = INCIDENT.fire(ticket, "assign", actor=LEE, at=T0, assignee="lee")
    first.save(changed, ticket.version, next_check_at=T0 + timedelta(hours=1))
    first.add(incident("T-2", at=T0 + timedelta(minutes=5)), outbox=[make_notification("k-2")])
    first.mark_delivered(["k-1"])
    first.engine.dispose()

    second = SqlTicketRepository(make_engine(database))
    assert changed == second.get("T-1")
    assert [changed] == second.by_assignee("lee")
    assert ["T-1"] == second.due(T0 + timedelta(hours=1), limit=10)
    assert ["k-2"] == [n.dedup_key for n in second.pending_notifications(limit=10)]


def test_a_lost_race_writes_neither_ticket_nor_outbox(
    make_engine: MakeEngine, database: str
) -> None:
    """
    Of two writers saving the same version, the second raises and writes nothing at all.
    """
    winner = SqlTicketRepository(make_engine(database))
    loser = SqlTicketRepository(make_engine(database))
    winner.add(incident("T-1"))
    mine, theirs = winner.get("T-1"), loser.get("T-1")
    saved = _commented(mine, "Mine.")
    winner.save(saved, mine.version, outbox=[make_notification("k-winner")])
    with pytest.raises(ConcurrencyError, match="version 2, not the expected 1"):
        loser.save(
            _commented(theirs, "Theirs."),
            theirs.version,
            next_check_at=T0,
            outbox=[make_notification("k-loser")],
        )

    with make_engine(database).connect() as connection:
        row = connection.execute(sqlalchemy.select(tickets_table)).one()
        keys = connection.execute(sqlalchemy.select(outbox_table.c.dedup_key)).scalars().all()
    assert (2, None) == (row.version, row.next_check_at)
    assert saved.history == history_from_json(row.history)
    assert ["k-winner"] == keys


def test_a_failing_outbox_write_undoes_the_ticket_write(make_engine: MakeEngine) -> None:
    """
    When queuing the outbox fails inside the save, the ticket update is rolled back too.
    """
    repo = SqlTicketRepository(make_engine(poolclass=StaticPool))
    ticket = incident("T-1")
    repo.add(ticket, next_check_at=T0)
    with repo.engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'full'); END"
        )
    with pytest.raises(ConcurrencyError):
        repo.save(
            _commented(ticket, "Lost?"),
            ticket.version,
            next_check_at=T0 + timedelta(hours=3),
            outbox=[make_notification("k-1")],
        )
    assert ticket == repo.get("T-1")
    assert ["T-1"] == repo.due(T0, limit=10)
    assert [] == repo.pending_notifications(limit=10)


def test_due_reads_the_next_check_index(make_engine: MakeEngine) -> None:
    """
    SQLite answers due's query from the next-check index, without sorting.
    """
    repo = SqlTicketRepository(make_engine(poolclass=StaticPool))
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    sqlalchemy.event.listen(repo.engine, "before_cursor_execute", record)
    repo.due(T0, limit=10)
    sqlalchemy.event.remove(repo.engine, "before_cursor_execute", record)
    [(statement, parameters)] = statements

    with repo.engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    details = " | ".join(str(row[-1]) for row in plan)
    assert "ix_tickets_next_check_at" in details
    assert "TEMP B-TREE" not in details


@pytest.mark.slow
def test_due_over_ten_thousand_tickets(make_engine: MakeEngine) -> None:
    """
    Over 10,000 tickets, due returns the earliest due ids, ties by id, at most limit.
    """
    repo = SqlTicketRepository(make_engine(poolclass=StaticPool))
    checks: dict[str, datetime] = {}
    for n in range(10_000):
        ticket_id = f"T-{n}"
        # A scrambled order, many ties, a sixth never due, a fifth without a check.
        at = None if n % 5 == 0 else T0 + timedelta(minutes=(n * 7919) % 6007)
        repo.add(incident(ticket_id), next_check_at=at)
        if at is not None:
            checks[ticket_id] = at
    now = T0 + timedelta(minutes=5000)
    expected = sorted((at, i) for i, at in checks.items() if at <= now)
    assert [i for _, i in expected[:10]] == repo.due(now, limit=10)
    assert [] == repo.due(T0 - timedelta(microseconds=1), limit=10)


def test_mark_delivered_takes_many_keys(make_engine: MakeEngine) -> None:
    """
    Marking more keys than one statement carries delivers them all.
    """
    repo = SqlTicketRepository(make_engine(poolclass=StaticPool))
    keys = [f"k-{n}" for n in range(1_200)]
    repo.add(incident("T-1"), outbox=[make_notification(key) for key in keys])
    repo.mark_delivered(keys[:-1])
    assert [keys[-1]] == [n.dedup_key for n in repo.pending_notifications(limit=2_000)]


def test_tables_can_be_left_to_migrations(make_engine: MakeEngine) -> None:
    """
    With create_tables=False nothing is created until create_tables() is called.
    """
    engine = make_engine(poolclass=StaticPool)
    repo = SqlTicketRepository(engine, create_tables=False)
    assert [] == sqlalchemy.inspect(engine).get_table_names()
    repo.create_tables()
    assert ["outbox", "tickets"] == sorted(sqlalchemy.inspect(engine).get_table_names())


def test_needs_an_engine() -> None:
    """
    Anything but a SQLAlchemy engine is refused with InvalidInput.
    """
    with pytest.raises(InvalidInput, match="sqlalchemy Engine"):
        SqlTicketRepository("sqlite://")  # type: ignore[arg-type]


def test_missing_sqlalchemy_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """
    Importing the adapter without SQLAlchemy says which extra to install.
    """
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    monkeypatch.delitem(sys.modules, "deskflow.adapters.sql")
    with pytest.raises(ImportError, match=r"pip install 'deskflow\[sql\]'"):
        importlib.import_module("deskflow.adapters.sql")


def test_deskflow_does_not_import_sqlalchemy() -> None:
    """
    Importing deskflow and its adapters package leaves SQLAlchemy, an optional extra, alone.
    """
    code = "import sys, deskflow, deskflow.adapters; print('sqlalchemy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "False" == result.stdout.strip()
