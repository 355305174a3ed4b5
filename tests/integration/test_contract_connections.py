"""
The repository contract run against a host's PostgreSQL gives back every connection it
opened: counted in ``pg_stat_activity`` before and after, and between examples.

The suites run the way a host runs them (pytester, ``--deskflow-database-url``): the ready
SQL suite, and a host's own factory that opens a new engine for every repository and
disposes of it in its closing hook.
"""

from __future__ import annotations

import re

import psycopg
import pytest

from pgserver import PostgresServer

pytest_plugins = ["pytester"]

COUNTING = """
import psycopg
import sqlalchemy as sa


def connections(url):
    # From the maintenance database, so the count never includes this connection.
    parsed = sa.make_url(url)
    with psycopg.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                         dbname="postgres", autocommit=True) as admin:
        return admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (parsed.database,)
        ).fetchone()[0]
"""

HOST_SUITES = """
from deskflow.adapters.sql import SqlTicketRepository, engine_for
from deskflow.testing.contracts import TicketRepositoryContract
from deskflow.testing.sql_contracts import SqlTicketRepositoryContract, empty_deskflow_tables
import pytest

from counting import connections

SEEN = []
DURING = []


class TestReadySuite(SqlTicketRepositoryContract):
    pass


class TestOwnFactory(TicketRepositoryContract):
    # A new engine for every repository, as a host's first try often does.

    @pytest.fixture(autouse=True)
    def _url(self, deskflow_database_url):
        self.url = deskflow_database_url

    def make_repository(self):
        engine = engine_for(self.url)
        repository = SqlTicketRepository(engine, migrate=True)
        empty_deskflow_tables(engine)
        return repository

    def close_repository(self, repository):
        repository.engine.dispose()

    def setup_example(self):
        SEEN.append(connections(self.url))

    def teardown_example(self, token=None):
        DURING.append(connections(self.url))


def test_connections_stay_bounded_between_examples():
    assert len(SEEN) > 10
    print("SEEN-MAX", max(SEEN), "EXAMPLES", len(SEEN))
    assert max(SEEN) <= 2
    # The count sees the connections an example holds: it would see them pile up.
    assert max(DURING) >= 1
"""


def _connections(server: PostgresServer, database: str) -> int:
    with psycopg.connect(
        host=str(server.base), port=server.port, user="postgres", dbname="postgres", autocommit=True
    ) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)
        ).fetchone()
    assert row is not None
    count: int = row[0]
    return count


def _settled(server: PostgresServer, database: str, expected: int) -> int:
    # A backend leaves pg_stat_activity a moment after its client hung up: poll a little.
    import time

    count = _connections(server, database)
    for _ in range(50):
        if count == expected:
            break
        time.sleep(0.1)
        count = _connections(server, database)
    return count


@pytest.mark.slow
def test_the_contract_suites_give_back_every_connection(
    pytester: pytest.Pytester, postgres_server: PostgresServer
) -> None:
    """
    Before and after the repository contract ran on a host's database (the ready suite
    and a host's factory of one engine per repository), that database has the same
    number of connections, and between examples they never pile up.
    """
    database = postgres_server.create_database()
    try:
        before = _connections(postgres_server, database)
        pytester.makepyfile(counting=COUNTING, test_host=HOST_SUITES)
        result = pytester.runpytest_inprocess(
            "-p",
            "no:cacheprovider",
            "-s",
            f"--deskflow-database-url={postgres_server.url(database)}",
            "-k",
            "model or concatenate or all_or_nothing or threads or bounded or round_trips",
        )
        outcomes = result.parseoutcomes()
        assert 0 == outcomes.get("failed", 0) + outcomes.get("errors", 0), result.outlines
        assert 2 * 7 + 1 == outcomes["passed"]
        seen = re.search(r"SEEN-MAX (\d+) EXAMPLES (\d+)", result.stdout.str())
        assert seen is not None
        print(f"connections before {before}, most between examples {seen[1]} over {seen[2]}")
        assert before == _settled(postgres_server, database, before)
    finally:
        postgres_server.drop_database(database)
