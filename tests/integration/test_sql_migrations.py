"""
The shipped Alembic migrations: what they create, the schema check at start, and upgrades
from many processes at once, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import multiprocessing
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path

import pytest
import sqlalchemy
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from builders import incident
from deskflow.adapters.sql import SCHEMA_REVISION, SqlTicketRepository, engine_for, upgrade
from deskflow.adapters.sql import migrate as migrations
from deskflow.adapters.sql.schema import metadata
from deskflow.exceptions import SchemaMismatch, StorageError


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sqlalchemy.Engine]:
    """
    An engine on an empty database: a SQLite file, or a PostgreSQL database.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'desk.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    made = engine_for(url)
    yield made
    made.dispose()


def _revisions(engine: sqlalchemy.Engine) -> list[str]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": migrations.VERSION_TABLE}
        )
        return list(context.get_current_heads())


def test_the_revision_is_the_scripts_head() -> None:
    """
    SCHEMA_REVISION names the head of the shipped scripts: the one a new migration moves.
    """
    script = ScriptDirectory(str(migrations.MIGRATIONS))
    assert SCHEMA_REVISION == script.get_current_head()


def test_upgrade_creates_the_schema_the_repository_reads(engine: sqlalchemy.Engine) -> None:
    """
    On an empty database, upgrade creates every table, index and constraint the schema
    module describes, and records the revision in deskflow's own version table.
    """
    upgrade(engine)
    assert [SCHEMA_REVISION] == _revisions(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, metadata)
    # Alembic's version table is the only one the schema module does not describe.
    assert [("remove_table", migrations.VERSION_TABLE)] == [
        (change[0], change[1].name) for change in differences
    ]
    names = set(sqlalchemy.inspect(engine).get_table_names())
    assert {"deskflow_tickets", "deskflow_events", "deskflow_outbox", "deskflow_counters"} <= names


def test_upgrading_twice_changes_nothing(engine: sqlalchemy.Engine) -> None:
    """
    A second upgrade finds the database at the head and leaves its data alone.
    """
    repo = SqlTicketRepository(engine, migrate=True)
    repo.add(incident("T-1"))
    upgrade(engine)
    reopened = SqlTicketRepository(engine, migrate=True)
    assert [SCHEMA_REVISION] == _revisions(engine)
    # Read through a new repository: the first one's cache would not re-read the rows.
    assert incident("T-1") == reopened.get("T-1")


def test_ids_collate_by_code_point(engine: sqlalchemy.Engine) -> None:
    """
    Ties between due tickets order by id in code point order on every database.
    """
    repo = SqlTicketRepository(engine, migrate=True)
    ids = ["T-b", "T-B", "T-a", "T-Ä", "T-_", "T-1"]
    for ticket_id in ids:
        repo.add(incident(ticket_id), next_check_at=incident().created_at)
    assert sorted(ids) == repo.due(incident().created_at, limit=10)


def test_a_database_without_the_schema_is_refused(engine: sqlalchemy.Engine) -> None:
    """
    The repository never creates tables behind the host's back: on an empty database it
    raises SchemaMismatch saying what to run, and creates nothing.
    """
    with pytest.raises(SchemaMismatch, match=r"deskflow db upgrade URL"):
        SqlTicketRepository(engine)
    assert [] == sqlalchemy.inspect(engine).get_table_names()


def test_a_database_behind_is_refused_then_upgraded(engine: sqlalchemy.Engine) -> None:
    """
    A database at an older revision (0001, before custom fields and tags) raises
    SchemaMismatch asking for the upgrade; migrate=True brings it to the head, with the
    tables the field and tag filters read.
    """
    config = Config()
    config.set_main_option("script_location", str(migrations.MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    command.upgrade(config, "0001")
    assert ["0001"] == _revisions(engine)
    with pytest.raises(SchemaMismatch, match=r"at schema revision 0001, behind .*deskflow db upg"):
        SqlTicketRepository(engine)
    SqlTicketRepository(engine, migrate=True)
    assert [SCHEMA_REVISION] == _revisions(engine)
    names = set(sqlalchemy.inspect(engine).get_table_names())
    assert {"deskflow_field_values", "deskflow_tags"} <= names


def test_a_database_ahead_is_refused(engine: sqlalchemy.Engine) -> None:
    """
    A database a newer deskflow migrated raises SchemaMismatch asking to upgrade deskflow.
    """
    upgrade(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE {migrations.VERSION_TABLE} SET version_num = '0099'")
    with pytest.raises(SchemaMismatch, match="upgrade deskflow") as caught:
        SqlTicketRepository(engine, migrate=True)
    assert isinstance(caught.value, StorageError)


def test_alembics_own_command_line_runs_the_scripts(tmp_path: Path) -> None:
    """
    The scripts also run under Alembic's own commands, given only the database URL, and
    print their SQL offline.
    """
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    config = Config()
    config.set_main_option("script_location", str(migrations.MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    offline = io.StringIO()
    with redirect_stdout(offline):
        command.upgrade(config, "head", sql=True)
    assert "CREATE TABLE deskflow_events" in offline.getvalue()
    command.upgrade(config, "head")
    engine = engine_for(url)
    try:
        SqlTicketRepository(engine).add(incident("T-1"))
    finally:
        engine.dispose()


def _upgrade_and_open(url: str, start: multiprocessing.synchronize.Barrier) -> None:
    start.wait()
    engine = engine_for(url)
    try:
        repo = SqlTicketRepository(engine, migrate=True)
        repo.next_id("INC")
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_eight_processes_upgrading_an_empty_database(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """
    Eight processes upgrading one empty database at once all succeed, and leave one
    schema at the head with every one of their ids allocated.
    """
    url = (
        f"sqlite:///{tmp_path / 'desk.db'}"
        if kind == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(8)
    processes = [spawn.Process(target=_upgrade_and_open, args=(url, start)) for _ in range(8)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [0] * 8 == [process.exitcode for process in processes]
    engine = engine_for(url)
    try:
        assert [SCHEMA_REVISION] == _revisions(engine)
        assert "INC-9" == SqlTicketRepository(engine).next_id("INC")
    finally:
        engine.dispose()
