"""
Driver errors become deskflow's on SQLite and PostgreSQL: only a lost race is a
ConcurrencyError, a refused write is a StorageError naming its constraint, and a connection
lost while committing is OutcomeUnknown.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from builders import LEE, incident
from deskflow.adapters.sql import SqlTicketRepository, engine_for
from deskflow.events import CommentAdded
from deskflow.exceptions import ConcurrencyError, NotFound, OutcomeUnknown, StorageError


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """
    The URL of an empty database: a SQLite file, or a PostgreSQL database.
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'desk.db'}"
    value: str = request.getfixturevalue("postgres_url")
    return value


@pytest.fixture
def repo(url: str) -> Iterator[SqlTicketRepository]:
    """
    A migrated repository on that database.
    """
    engine = engine_for(url)
    yield SqlTicketRepository(engine, migrate=True)
    engine.dispose()


def _add_check(repo: SqlTicketRepository) -> None:
    # What a host's own migration might add: a limit deskflow knows nothing about.
    with repo.engine.begin() as connection:
        if repo.engine.dialect.name == "postgresql":
            connection.exec_driver_sql(
                "ALTER TABLE deskflow_tickets ADD CONSTRAINT short_titles "
                "CHECK (length(title) < 20)"
            )
            return
        connection.exec_driver_sql(
            "CREATE TRIGGER short_titles BEFORE INSERT ON deskflow_tickets "
            "WHEN length(NEW.title) >= 20 BEGIN SELECT RAISE(ABORT, 'short_titles'); END"
        )


def test_a_host_check_is_a_storage_error_not_a_race(repo: SqlTicketRepository) -> None:
    """
    A write a host's constraint refuses is a StorageError naming the constraint where the
    database names it; it is not a ConcurrencyError, and nothing is written.
    """
    _add_check(repo)
    with pytest.raises(StorageError, match="short_titles") as caught:
        repo.add(incident("T-1", title="A title far longer than twenty characters"))
    assert not isinstance(caught.value, ConcurrencyError)
    if repo.engine.dialect.name == "postgresql":
        assert "short_titles" == caught.value.constraint
    with pytest.raises(NotFound):
        repo.get("T-1")
    repo.add(incident("T-2", title="Short"))


def test_a_taken_id_is_a_race(repo: SqlTicketRepository) -> None:
    """
    Adding an id another writer stored is a ConcurrencyError naming the ticket.
    """
    repo.add(incident("T-1"))
    with pytest.raises(ConcurrencyError, match="already exists") as caught:
        repo.add(incident("T-1"))
    assert "T-1" == caught.value.ticket_id


@pytest.fixture
def sqlite_repo(tmp_path: Path) -> Iterator[SqlTicketRepository]:
    """
    A migrated repository on a SQLite file.
    """
    engine = engine_for(f"sqlite:///{tmp_path / 'desk.db'}")
    yield SqlTicketRepository(engine, migrate=True)
    engine.dispose()


@pytest.fixture
def postgres_repo(postgres_url: str) -> Iterator[SqlTicketRepository]:
    """
    A migrated repository on a PostgreSQL database.
    """
    engine = engine_for(postgres_url)
    yield SqlTicketRepository(engine, migrate=True)
    engine.dispose()


def test_a_commit_that_fails_on_sqlite_wrote_nothing(
    sqlite_repo: SqlTicketRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    A COMMIT that fails on SQLite (in-process: it did not happen) is a StorageError, not
    OutcomeUnknown, and the ticket is not stored.
    """
    repo = sqlite_repo

    def failing(dbapi_connection: Any) -> None:
        raise repo.engine.dialect.loaded_dbapi.OperationalError("disk I/O error")

    monkeypatch.setattr(repo.engine.dialect, "do_commit", failing)
    with pytest.raises(StorageError, match="disk I/O error") as caught:
        repo.add(incident("T-1"))
    assert not isinstance(caught.value, OutcomeUnknown)
    monkeypatch.undo()
    with pytest.raises(NotFound):
        repo.get("T-1")


def test_a_connection_lost_at_commit_is_an_unknown_outcome(
    postgres_repo: SqlTicketRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    On PostgreSQL, a connection that dies as the COMMIT is sent raises OutcomeUnknown (the
    write may or may not have landed), and the next command works on a new connection.
    """
    repo = postgres_repo
    ticket = incident("T-1")
    repo.add(ticket)
    commit = repo.engine.dialect.do_commit
    killer = engine_for(repo.engine.url)

    def dying(dbapi_connection: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        [pid] = cursor.fetchone()
        cursor.close()
        with killer.connect() as connection:
            connection.execute(
                sqlalchemy.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}
            )
        commit(dbapi_connection)

    monkeypatch.setattr(repo.engine.dialect, "do_commit", dying)
    commented = ticket.record(CommentAdded(at=ticket.updated_at, actor=LEE.id, body="Lost?"))
    try:
        with pytest.raises(OutcomeUnknown, match="may or may not have been written"):
            repo.save(commented, ticket.version)
    finally:
        monkeypatch.undo()
        killer.dispose()
    assert repo.get("T-1") in (ticket, commented)
    repo.add(incident("T-2"))
    assert "T-2" == repo.get("T-2").id


def test_a_database_that_is_gone_is_a_storage_error(tmp_path: Path) -> None:
    """
    A database that cannot be opened raises StorageError, never a raw driver error.
    """
    engine = engine_for(f"sqlite:///{tmp_path / 'missing' / 'desk.db'}")
    try:
        with pytest.raises(StorageError):
            SqlTicketRepository(engine)
    finally:
        engine.dispose()
