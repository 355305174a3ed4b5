"""
deskflow's SQL adapter passes the contract suite that every repository must pass, on SQLite
(in memory and in a file) and on a real PostgreSQL server (tests/pgserver.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy.pool import StaticPool

from deskflow.adapters.sql import SqlTicketRepository
from deskflow.testing.contracts import TicketRepositoryContract
from stores import empty_store


class _EngineCleanup:
    @pytest.fixture(autouse=True)
    def _dispose_engines(self) -> Iterator[None]:
        # Closed explicitly: an unclosed sqlite3 connection warns (Python 3.13+).
        self.engines: list[sqlalchemy.Engine] = []
        yield
        for engine in self.engines:
            engine.dispose()

    def _engine(self, url: str, **options: object) -> sqlalchemy.Engine:
        engine = sqlalchemy.create_engine(url, **options)
        self.engines.append(engine)
        return engine


class TestSqlRepository(_EngineCleanup, TicketRepositoryContract):
    """
    SqlTicketRepository on in-memory SQLite honours the TicketRepository contract.
    """

    def make_repository(self) -> SqlTicketRepository:
        # One shared connection: each new connection to ":memory:" is another empty database.
        engine = self._engine(
            "sqlite+pysqlite:///:memory:",
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )
        return SqlTicketRepository(engine)


class TestSqliteFileRepository(_EngineCleanup, TicketRepositoryContract):
    """
    SqlTicketRepository on a SQLite file honours the TicketRepository contract.
    """

    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> None:
        self.directory = tmp_path

    def make_repository(self) -> SqlTicketRepository:
        # One file per test; later calls (Hypothesis examples) empty its tables in place.
        if self.engines:
            empty_store(self.engines[0])
        else:
            self._engine(f"sqlite+pysqlite:///{self.directory / 'store.sqlite'}")
        return SqlTicketRepository(self.engines[0])


class TestPostgresRepository(_EngineCleanup, TicketRepositoryContract):
    """
    SqlTicketRepository on PostgreSQL honours the TicketRepository contract.
    """

    @pytest.fixture(autouse=True)
    def _database(self, postgres_url: str) -> None:
        self.url = postgres_url

    def make_repository(self) -> SqlTicketRepository:
        # One database per test; later calls (Hypothesis examples) empty its tables, which
        # costs milliseconds where a new database costs tens of them.
        if self.engines:
            empty_store(self.engines[0])
        else:
            self._engine(self.url)
        return SqlTicketRepository(self.engines[0])
