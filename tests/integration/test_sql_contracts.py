"""
deskflow's SQL adapter passes the contract suite that every repository must pass.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy
from sqlalchemy.pool import StaticPool

from deskflow.adapters.sql import SqlTicketRepository
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

    def make_repository(self) -> SqlTicketRepository:
        # One shared connection: each new connection to ":memory:" is another empty database.
        engine = sqlalchemy.create_engine(
            "sqlite+pysqlite:///:memory:",
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )
        self.engines.append(engine)
        return SqlTicketRepository(engine)
