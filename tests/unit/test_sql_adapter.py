"""
The SQL repository beyond the shared contract: durability, atomic saves, append-only events,
statement counts, the indexes, scale.
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

from builders import LEE, T0, incident
from deskflow import INCIDENT, Ticket
from deskflow.adapters.sql import SqlTicketRepository, engine_for
from deskflow.adapters.sql.schema import events_table, outbox_table, tickets_table
from deskflow.events import CommentAdded, SlaThresholdReached
from deskflow.exceptions import ConcurrencyError, InvalidInput, StorageError
from deskflow.queries import TicketQuery
from deskflow.testing.contracts import make_notification

MakeRepo = Callable[..., SqlTicketRepository]


@pytest.fixture
def make_repo() -> Iterator[MakeRepo]:
    """
    Create migrated repositories whose engines are all disposed of after the test.
    """
    engines: list[sqlalchemy.Engine] = []

    def make(url: str = "sqlite://", **kwargs: Any) -> SqlTicketRepository:
        engine = engine_for(url, **kwargs)
        engines.append(engine)
        return SqlTicketRepository(engine, migrate=True)

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def database(tmp_path: Path) -> str:
    """
    The URL of a SQLite database file that several engines can open.
    """
    return f"sqlite:///{tmp_path / 'desk.db'}"


class Statements:
    """
    The statements an engine sends, BEGIN and COMMIT aside, while recording.
    """

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self.engine = engine
        self.sent: list[tuple[str, Any]] = []
        #: How many rows of parameters each statement carried.
        self.rows: list[int] = []

    def _record(
        self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        if statement.split(None, 1)[0].upper() not in {"BEGIN", "COMMIT", "ROLLBACK"}:
            self.sent.append((statement, parameters))
            self.rows.append(len(parameters) if many else 1)

    def __enter__(self) -> Statements:
        sqlalchemy.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_: object) -> None:
        sqlalchemy.event.remove(self.engine, "before_cursor_execute", self._record)


def _commented(ticket: Ticket, body: str = "Looking.") -> Ticket:
    return ticket.record(CommentAdded(at=ticket.updated_at, actor=LEE.id, body=body))


def test_a_reopened_database_has_the_same_tickets(make_repo: MakeRepo, database: str) -> None:
    """
    A second repository over the same database file sees every ticket, check and item.
    """
    first = make_repo(database)
    ticket = incident("T-1")
    first.add(ticket, next_check_at=T0, outbox=[make_notification("k-1")])
    changed = INCIDENT.fire(ticket, "assign", actor=LEE, at=T0, assignee="lee")
    first.save(changed, ticket.version, next_check_at=T0 + timedelta(hours=1))
    first.add(incident("T-2", at=T0 + timedelta(minutes=5)), outbox=[make_notification("k-2")])
    first.mark_delivered(["k-1"])
    first.engine.dispose()

    second = make_repo(database)
    assert changed == second.get("T-1")
    assert [changed] == second.by_assignee("lee")
    assert ["T-1"] == second.due(T0 + timedelta(hours=1), limit=10)
    assert ["k-2"] == [n.dedup_key for n in second.pending_notifications(limit=10)]


def test_a_lost_race_writes_neither_events_nor_outbox(make_repo: MakeRepo, database: str) -> None:
    """
    Of two writers saving the same version, the second raises and writes nothing at all.
    """
    winner, loser = make_repo(database), make_repo(database)
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

    with winner.engine.connect() as connection:
        row = connection.execute(sqlalchemy.select(tickets_table)).one()
        events = connection.execute(sqlalchemy.select(events_table.c.position)).scalars().all()
        keys = connection.execute(sqlalchemy.select(outbox_table.c.dedup_key)).scalars().all()
    assert (2, None) == (row.version, row.next_check_at)
    assert [0, 1] == sorted(events)
    assert saved == winner.get("T-1")
    assert ["k-winner"] == keys


def test_the_event_key_refuses_a_racing_append(make_repo: MakeRepo) -> None:
    """
    An event already stored at a position (a writer that got past the version guard)
    makes the save a ConcurrencyError, and the row update is undone.
    """
    repo = make_repo()
    ticket = incident("T-1")
    repo.add(ticket, next_check_at=T0)
    with repo.engine.begin() as connection:
        connection.execute(
            events_table.insert().values(
                ticket_id="T-1",
                position=1,
                type="CommentAdded",
                schema_version=1,
                at=0,
                payload="{}",
            )
        )
    with pytest.raises(ConcurrencyError, match="lost a race"):
        repo.save(_commented(ticket), ticket.version, next_check_at=T0 + timedelta(hours=1))
    assert ["T-1"] == repo.due(T0, limit=10)


def test_a_host_constraint_is_a_storage_error_naming_it(make_repo: MakeRepo) -> None:
    """
    A host's own CHECK constraint that refuses a write is a StorageError naming the
    constraint, not a lost race, and the write is undone whole.
    """
    repo = make_repo()
    ticket = incident("T-1")
    repo.add(ticket, next_check_at=T0)
    with repo.engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON deskflow_outbox "
            "BEGIN SELECT RAISE(ABORT, 'outbox full'); END"
        )
    with pytest.raises(StorageError, match="outbox full") as caught:
        repo.save(
            _commented(ticket),
            ticket.version,
            next_check_at=T0 + timedelta(hours=3),
            outbox=[make_notification("k-1")],
        )
    assert not isinstance(caught.value, ConcurrencyError)
    assert ticket == repo.get("T-1")
    assert ["T-1"] == repo.due(T0, limit=10)
    assert [] == repo.pending_notifications(limit=10)


def test_a_check_constraint_is_named(make_repo: MakeRepo, database: str) -> None:
    """
    A CHECK constraint a host added to the tickets table is reported by its name.
    """
    repo = make_repo(database)
    with repo.engine.begin() as connection:
        # SQLite cannot add a constraint to a table; a host's migration rebuilds it.
        connection.exec_driver_sql("ALTER TABLE deskflow_tickets RENAME TO old_tickets")
        ddl = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'old_tickets'"
        ).scalar_one()
        connection.exec_driver_sql(
            ddl.replace("old_tickets", "deskflow_tickets", 1).replace(
                "PRIMARY KEY (id)",
                "PRIMARY KEY (id), CONSTRAINT short_titles CHECK (length(title) < 20)",
            )
        )
        connection.exec_driver_sql("DROP TABLE old_tickets")
    with pytest.raises(StorageError) as caught:
        repo.add(incident("T-1", title="A title far longer than twenty characters"))
    assert "short_titles" == caught.value.constraint
    assert not isinstance(caught.value, ConcurrencyError)
    repo.add(incident("T-2", title="Short"))
    assert "Short" == repo.get("T-2").title


def test_a_comment_is_three_statements_in_one_transaction(make_repo: MakeRepo) -> None:
    """
    Saving a comment with its notification is one transaction of at most 4 statements:
    the guarded row update, the event insert, the outbox insert.
    """
    repo = make_repo()
    ticket = incident("T-1")
    repo.add(ticket)
    commits: list[object] = []

    def commit(connection: object) -> None:
        commits.append(connection)

    sqlalchemy.event.listen(repo.engine, "commit", commit)
    with Statements(repo.engine) as recorded:
        repo.save(_commented(ticket), ticket.version, outbox=[make_notification("k-1")])
    sqlalchemy.event.remove(repo.engine, "commit", commit)
    verbs = [statement.split(None, 1)[0].upper() for statement, _ in recorded.sent]
    assert ["UPDATE", "INSERT", "INSERT"] == verbs
    assert 1 == len(commits)


def test_get_is_one_select(make_repo: MakeRepo) -> None:
    """
    Loading a ticket reads its events in one statement.
    """
    repo = make_repo()
    repo.add(_commented(incident("T-1")))
    with Statements(repo.engine) as recorded:
        repo.get("T-1")
    assert 1 == len(recorded.sent)


def test_a_save_appends_only_the_new_events(make_repo: MakeRepo) -> None:
    """
    Saving a comment on a ticket of 1,000 events inserts one event row, not the history.
    """
    repo = make_repo()
    ticket = incident("T-1")
    for n in range(999):
        ticket = _commented(ticket, f"Note {n}.")
    repo.add(ticket)
    assert 1000 == ticket.version
    longer = _commented(ticket, "One more.")
    with Statements(repo.engine) as recorded:
        repo.save(longer, ticket.version)
    touching = [
        rows
        for (statement, _), rows in zip(recorded.sent, recorded.rows, strict=True)
        if "deskflow_events" in statement
    ]
    assert [1] == touching
    assert longer == repo.get("T-1")


def test_a_breach_stays_recorded_in_the_row(make_repo: MakeRepo) -> None:
    """
    The breached column follows the saves that add events: set by the save that records a
    breach, kept by later saves that do not.
    """
    repo = make_repo()
    ticket = incident("T-1")
    repo.add(ticket)
    breach = SlaThresholdReached(
        at=T0, actor="system", metric="resolution", threshold="breach", dedup_key="T-1:b"
    )
    late = ticket.record(breach)
    repo.save(late, ticket.version)
    later = _commented(late)
    repo.save(later, late.version)
    assert [later] == list(repo.find(TicketQuery(breached=True)))
    assert [] == list(repo.find(TicketQuery(breached=False)))
    repo.add(incident("T-2"))
    assert ["T-2"] == [t.id for t in repo.find(TicketQuery(breached=False))]


def test_due_reads_the_next_check_index(make_repo: MakeRepo) -> None:
    """
    SQLite answers due's query from the next-check index, without sorting.
    """
    repo = make_repo()
    with Statements(repo.engine) as recorded:
        repo.due(T0, limit=10)
    [(statement, parameters)] = recorded.sent
    with repo.engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    details = " | ".join(str(row[-1]) for row in plan)
    assert "ix_deskflow_tickets_next_check_at_id" in details
    assert "TEMP B-TREE" not in details


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (TicketQuery(requesters={"ann"}), "ix_deskflow_tickets_requester_created_at_id"),
        (TicketQuery(states={"new"}), "ix_deskflow_tickets_state_created_at_id"),
        (TicketQuery(groups={"network"}), "ix_deskflow_tickets_group_name_created_at_id"),
        (TicketQuery(), "ix_deskflow_tickets_created_at_id"),
    ],
)
def test_find_filters_are_indexed(make_repo: MakeRepo, query: TicketQuery, index: str) -> None:
    """
    A listing by requester, state or group (or none) reads its index, already in order.
    """
    repo = make_repo()
    with Statements(repo.engine) as recorded:
        repo.find(query, limit=10)
    [(statement, parameters)] = recorded.sent
    with repo.engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    details = " | ".join(str(row[-1]) for row in plan)
    assert index in details


@pytest.mark.slow
def test_due_over_ten_thousand_tickets(make_repo: MakeRepo) -> None:
    """
    Over 10,000 tickets, due returns the earliest due ids, ties by id, at most limit.
    """
    repo = make_repo()
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


def test_mark_delivered_takes_many_keys(make_repo: MakeRepo) -> None:
    """
    Marking more keys than one statement carries delivers them all.
    """
    repo = make_repo()
    keys = [f"k-{n}" for n in range(1_200)]
    repo.add(incident("T-1"), outbox=[make_notification(key) for key in keys])
    repo.mark_delivered(keys[:-1])
    assert [keys[-1]] == [n.dedup_key for n in repo.pending_notifications(limit=2_000)]


def test_a_corrupt_event_row_is_a_storage_error(make_repo: MakeRepo) -> None:
    """
    An event row that no longer decodes makes get a StorageError naming the ticket.
    """
    repo = make_repo()
    repo.add(_commented(incident("T-1")))
    with repo.engine.begin() as connection:
        connection.execute(
            events_table.update().where(events_table.c.position == 1).values(payload="{oops")
        )
    # Rows rewritten behind the repository's back: what it cached is no longer the store's.
    repo.clear_cache()
    with pytest.raises(StorageError, match="ticket 'T-1': stored event 1"):
        repo.get("T-1")


def test_a_corrupt_outbox_item_becomes_a_dead_letter(make_repo: MakeRepo) -> None:
    """
    An outbox item whose payload no longer reads is set aside as a dead letter, and the
    round delivers the others.
    """
    repo = make_repo()
    repo.add(incident("T-1"), outbox=[make_notification("k-1"), make_notification("k-2")])
    with repo.engine.begin() as connection:
        connection.execute(
            outbox_table.update().where(outbox_table.c.dedup_key == "k-1").values(payload="[")
        )
    claimed = repo.claim_notifications(T0, 10, owner="w1", lease=timedelta(minutes=1))
    assert ["k-2"] == [item.dedup_key for item in claimed]
    with repo.engine.connect() as connection:
        status = connection.execute(
            sqlalchemy.select(outbox_table.c.status, outbox_table.c.last_error).where(
                outbox_table.c.dedup_key == "k-1"
            )
        ).one()
    assert "dead" == status.status
    assert "cannot be read" in status.last_error
    assert [] == repo.dead_letters(10)


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
    for name in [m for m in sys.modules if m.startswith("deskflow.adapters.sql")]:
        monkeypatch.delitem(sys.modules, name)
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
