"""
deskflow's SQL adapter passes the contract suite that every repository must pass, on SQLite
(in memory and in a file) and on a real PostgreSQL server (tests/pgserver.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from deskflow.adapters.sql import SqlTicketRepository, engine_for
from deskflow.ports import TicketRepository
from deskflow.testing.contracts import TicketRepositoryContract
from deskflow.testing.sql_contracts import SqlTicketRepositoryContract


class TestSqlRepository(TicketRepositoryContract):
    """
    SqlTicketRepository on in-memory SQLite honours the TicketRepository contract.
    """

    def make_repository(self) -> SqlTicketRepository:
        return SqlTicketRepository(engine_for("sqlite://"), migrate=True)

    def close_repository(self, repository: TicketRepository) -> None:
        # Closed explicitly: an unclosed sqlite3 connection warns (Python 3.13+).
        assert isinstance(repository, SqlTicketRepository)
        repository.engine.dispose()


class TestSqliteFileRepository(SqlTicketRepositoryContract):
    """
    SqlTicketRepository on a SQLite file (WAL, busy timeout) honours the contract too, run
    the way a host runs it on its own database.
    """

    @pytest.fixture
    def deskflow_database_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'desk.db'}"


class TestPostgresRepository(SqlTicketRepositoryContract):
    """
    SqlTicketRepository on a real PostgreSQL server honours the contract too.
    """

    @pytest.fixture
    def deskflow_database_url(self, postgres_url: str) -> str:
        return postgres_url
