"""
deskflow's SQL adapter passes the contract suite that every repository must pass, on SQLite
(in memory and in a file) and on a real PostgreSQL server (tests/pgserver.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy

from deskflow.adapters.sql import SqlTicketRepository, engine_for
from deskflow.testing.contracts import TicketRepositoryContract
from stores import empty_store


class TestSqlRepository(TicketRepositoryContract):
    """
    SqlTicketRepository on in-memory SQLite honours the TicketRepository contract.
    """

    @pytest.fixture(autouse=True)
    def _dispose_engines(self) -> Iterator[None]:
        # Closed explicitly: an unclosed sqlite3 connection warns (Python 3.13+).
        self.engines: list[sqlalchemy.Engine] = []
        yield
        for engine in self.engines:
            engine.dispose()

    def make_engine(self) -> sqlalchemy.Engine:
        """
        A new, empty database.
        """
        return engine_for("sqlite://")

    def make_repository(self) -> SqlTicketRepository:
        engine = self.make_engine()
        self.engines.append(engine)
        return SqlTicketRepository(engine, migrate=True)


class _OneDatabasePerTest(TestSqlRepository):
    # One database per test, migrated once; later calls (Hypothesis examples) empty its
    # tables in place, which costs milliseconds where a new database costs tens of them.

    def make_repository(self) -> SqlTicketRepository:
        if self.engines:
            empty_store(self.engines[0])
            return SqlTicketRepository(self.engines[0])
        return super().make_repository()


class TestSqliteFileRepository(_OneDatabasePerTest):
    """
    SqlTicketRepository on a SQLite file (WAL, busy timeout) honours the contract too.
    """

    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> None:
        self.directory = tmp_path

    def make_engine(self) -> sqlalchemy.Engine:
        return engine_for(f"sqlite:///{self.directory / 'desk.db'}")


class TestPostgresRepository(_OneDatabasePerTest):
    """
    SqlTicketRepository on a real PostgreSQL server honours the contract too.
    """

    @pytest.fixture(autouse=True)
    def _database(self, postgres_url: str) -> None:
        self.url = postgres_url

    def make_engine(self) -> sqlalchemy.Engine:
        return engine_for(self.url)
