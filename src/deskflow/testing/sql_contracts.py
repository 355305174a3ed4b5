"""
The repository contract run on deskflow's SQL repository against a database you name: yours.

`SqlTicketRepositoryContract` is
[`TicketRepositoryContract`][deskflow.testing.contracts.TicketRepositoryContract] with the
factory written for [`SqlTicketRepository`][deskflow.adapters.sql.SqlTicketRepository] on the
database of the ``deskflow_database_url`` fixture, which the pytest plugin fills from
``--deskflow-database-url``, the ``deskflow_database_url`` ini option or the
``DESKFLOW_TEST_DATABASE_URL`` variable (a test without one is skipped)::

    # tests/test_our_database.py
    from deskflow.testing.sql_contracts import SqlTicketRepositoryContract

    class TestOurPostgres(SqlTicketRepositoryContract):
        pass

    # pytest --deskflow-database-url=postgresql+psycopg://ci@db.internal/deskflow_test

Each test opens one engine, migrates the database once (the shipped migrations) and, for
every later repository it asks for (each Hypothesis example), empties deskflow's tables in
place, which costs milliseconds where a new database costs hundreds of them; the engine is
disposed when the test ends, so the connections it opened go back to the server. Only
deskflow's own tables (``deskflow_*``) are emptied, but every row in them is deleted: name a
database kept for tests. Run against one database from one process at a time (no
``pytest -n``), or give each process a database of its own (e.g. by overriding the
``deskflow_database_url`` fixture). Needs the ``sql`` extra (and a driver: ``postgres``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from deskflow.adapters.sql import SqlTicketRepository, engine_for
from deskflow.adapters.sql.schema import metadata
from deskflow.ports import TicketRepository
from deskflow.testing.contracts import TicketRepositoryContract

__all__ = ["SqlTicketRepositoryContract", "empty_deskflow_tables"]


def empty_deskflow_tables(engine: sa.Engine) -> None:
    """
    Delete every row of deskflow's tables (the schema and its version stay) and restart
    their counters; other tables of the database are left as they are.
    """
    names = [table.name for table in metadata.sorted_tables]
    with engine.begin() as connection:
        present = set(sa.inspect(connection).get_table_names())
        names = [name for name in names if name in present]
        if not names:
            return
        if engine.dialect.name == "postgresql":
            joined = ", ".join(f'"{name}"' for name in names)
            connection.execute(sa.text(f"TRUNCATE {joined} RESTART IDENTITY"))
            return
        for name in reversed(names):
            connection.execute(sa.text(f'DELETE FROM "{name}"'))
        has_sequences = connection.execute(
            sa.text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'")
        ).scalar_one()
        if has_sequences:
            query = sa.text("DELETE FROM sqlite_sequence WHERE name IN :names")
            connection.execute(
                query.bindparams(sa.bindparam("names", expanding=True)), {"names": names}
            )


class SqlTicketRepositoryContract(TicketRepositoryContract):
    """
    TicketRepositoryContract on SqlTicketRepository over the ``deskflow_database_url``
    fixture's database; subclass it in a test module (nothing to override).

    Override `make_engine()` to pass engine options (``pool_size``, ``connect_args``...).
    """

    @pytest.fixture(autouse=True)
    def _deskflow_engine(self, deskflow_database_url: str) -> Iterator[None]:
        self.database_url = deskflow_database_url
        self.engine: sa.Engine | None = None
        yield
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    def make_engine(self) -> sa.Engine:
        """
        The engine of this test: [`engine_for`][deskflow.adapters.sql.engine_for] the URL.
        """
        return engine_for(self.database_url)

    def make_repository(self) -> TicketRepository:
        """
        A repository over this test's engine: migrated the first time, emptied after.
        """
        if self.engine is None:
            self.engine = self.make_engine()
            repository = SqlTicketRepository(self.engine, migrate=True)
            empty_deskflow_tables(self.engine)
            return repository
        empty_deskflow_tables(self.engine)
        return SqlTicketRepository(self.engine)
