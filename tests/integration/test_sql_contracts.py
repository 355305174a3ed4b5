"""
deskflow's SQL adapter passes the contract suite that every repository must pass, on an
in-memory SQLite database and on a SQLite file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy

from deskflow.adapters.sql import SqlTicketRepository, engine_for
from deskflow.testing.contracts import TicketRepositoryContract


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


class TestSqliteFileRepository(TestSqlRepository):
    """
    SqlTicketRepository on a SQLite file (WAL, busy timeout) honours the contract too.
    """

    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> None:
        self.directory = tmp_path
        self.files = 0

    def make_engine(self) -> sqlalchemy.Engine:
        self.files += 1
        return engine_for(f"sqlite:///{self.directory / f'desk-{self.files}.db'}")
