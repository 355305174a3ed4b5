"""
The schema's migrations, shipped in the package, and engines with sensible defaults.

[`upgrade()`][deskflow.adapters.sql.migrate.upgrade] brings a database to
[`SCHEMA_REVISION`][deskflow.adapters.sql.migrate.SCHEMA_REVISION] with Alembic (its version
table is ``deskflow_alembic_version``); the command line does the same with ``deskflow db
upgrade URL``. Any number of processes may upgrade one database at once: the first takes a
lock (PostgreSQL: an advisory lock in the migration's transaction; SQLite: ``BEGIN
IMMEDIATE``) before Alembic reads its version table, and the others find the work done.
[`check_schema()`][deskflow.adapters.sql.migrate.check_schema] is what the repository runs
when it starts: a database behind or ahead of this deskflow is refused with
[`SchemaMismatch`][deskflow.exceptions.SchemaMismatch] saying what to run.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic import context as alembic_context
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.pool import QueuePool

from deskflow.adapters.sql import _errors
from deskflow.adapters.sql.schema import metadata
from deskflow.exceptions import InvalidInput, SchemaMismatch

__all__ = [
    "MIGRATIONS",
    "SCHEMA_REVISION",
    "VERSION_TABLE",
    "check_schema",
    "engine_for",
    "run_environment",
    "upgrade",
]

#: The Alembic revision of the schema this deskflow reads and writes (the head).
SCHEMA_REVISION = "0002"
#: Alembic's version table in a deskflow database.
VERSION_TABLE = "deskflow_alembic_version"
#: The directory of the shipped Alembic scripts.
MIGRATIONS = Path(__file__).with_name("migrations")
# pg_advisory_xact_lock's key: any 64-bit number no host uses for its own locks ("deskflow").
_LOCK_KEY = 0x6465736B666C6F77
_UPGRADE_HINT = "deskflow db upgrade URL"
# How long a new connection keeps asking for WAL mode while other processes hold the file.
_WAL_PATIENCE = 30.0


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextmanager
def _locked(connection: sa.Connection) -> Iterator[None]:
    # The lock comes first, so the version table is read only by the one process holding it.
    transaction = connection.begin()
    try:
        _errors.begin_immediately(connection)
        if connection.dialect.name == "postgresql":
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_KEY)))
        yield
    except BaseException:
        transaction.rollback()
        raise
    transaction.commit()


def upgrade(engine: sa.Engine) -> None:
    """
    Bring the database of ``engine`` to [`SCHEMA_REVISION`][deskflow.adapters.sql.SCHEMA_REVISION];
    a database already there is left as it is.

    >>> import sqlalchemy
    >>> engine = engine_for("sqlite://")
    >>> upgrade(engine)
    >>> upgrade(engine)  # a no-op
    >>> sorted(sqlalchemy.inspect(engine).get_table_names())[:2]
    ['deskflow_alembic_version', 'deskflow_counters']
    >>> engine.dispose()
    """
    if not isinstance(engine, sa.Engine):
        raise InvalidInput(f"expected a sqlalchemy Engine, got {type(engine).__name__}")
    try:
        with (
            _errors.mapped("the schema upgrade"),
            engine.connect() as connection,
            _locked(connection),
        ):
            command.upgrade(_config(connection), "head")
    except CommandError as error:
        # A revision this deskflow does not know: check_schema says so, and what to do.
        check_schema(engine)
        raise SchemaMismatch(f"the schema upgrade failed: {error}") from error


def run_environment() -> None:
    """
    Run the migrations as Alembic's ``env.py`` asks: on the connection ``upgrade()`` passed
    in ``config.attributes``, or (Alembic's own command line) on ``sqlalchemy.url``.
    """
    context: EnvironmentContext = alembic_context  # type: ignore[assignment]  # its proxy
    options: dict[str, Any] = {"target_metadata": metadata, "version_table": VERSION_TABLE}
    if context.is_offline_mode():
        context.configure(url=context.config.get_main_option("sqlalchemy.url"), **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        # upgrade() holds the lock and the transaction; Alembic runs inside them.
        context.configure(connection=connection, **options)
        context.run_migrations()
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SchemaMismatch("no database to migrate: set sqlalchemy.url in alembic.ini")
    engine = engine_for(url)
    try:
        with engine.connect() as connection, _locked(connection):
            context.configure(connection=connection, **options)
            context.run_migrations()
    finally:
        engine.dispose()


def check_schema(engine: sa.Engine) -> None:
    """
    Raise SchemaMismatch unless the database of ``engine`` is at ``SCHEMA_REVISION``.
    """
    where = engine.url.render_as_string(hide_password=True)
    with _errors.reading(engine, "reading the schema version") as connection:
        if not sa.inspect(connection).has_table(VERSION_TABLE):
            revisions: list[str] = []
        else:
            column = sa.column("version_num", sa.String)
            query = sa.select(column).select_from(sa.table(VERSION_TABLE, column))
            revisions = list(connection.execute(query).scalars())
    if revisions == [SCHEMA_REVISION]:
        return
    if not revisions:
        raise SchemaMismatch(
            f"the database {where} has no deskflow schema: run `{_UPGRADE_HINT}` (or call "
            "deskflow.adapters.sql.upgrade(engine), or pass migrate=True)"
        )
    script = ScriptDirectory.from_config(_config())
    known = {revision.revision for revision in script.walk_revisions()}
    found = ", ".join(revisions)
    if all(revision in known for revision in revisions):
        raise SchemaMismatch(
            f"the database {where} is at schema revision {found}, behind this deskflow's "
            f"{SCHEMA_REVISION}: run `{_UPGRADE_HINT}` (or pass migrate=True)"
        )
    raise SchemaMismatch(
        f"the database {where} is at schema revision {found}, which this deskflow does not "
        f"know: a newer deskflow migrated it; upgrade deskflow (its schema is {SCHEMA_REVISION})"
    )


def _in_memory(url: sa.URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def _wal(dbapi_connection: Any, _record: Any) -> None:
    # Readers then never wait for a writer, and a writer waits only for another writer.
    # Switching a new file to WAL needs it alone, and SQLite may answer "database is
    # locked" at once, busy timeout or not, while other processes open it too: try again
    # for as long as the busy timeout would have waited.
    deadline = time.monotonic() + _WAL_PATIENCE
    delay = 0.005
    while True:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
        finally:
            cursor.close()
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def engine_for(url: str | sa.URL, **options: Any) -> sa.Engine:
    """
    A SQLAlchemy engine for ``url`` with the defaults deskflow's repository wants; ``options``
    go to ``sqlalchemy.create_engine`` and win over them.

    Every engine checks a pooled connection before using it (``pool_pre_ping``), so a
    database restart costs a reconnect, not a failed command. A SQLite file gets WAL
    journaling and a 30-second busy timeout, so processes writing at once queue (the
    repository takes the write lock at the start of each write) instead of failing with
    "database is locked"; an in-memory SQLite database keeps one shared connection, since
    each new one would be another empty database, lent to one thread at a time.

    >>> engine = engine_for("sqlite://")
    >>> engine.pool.size(), engine.pool.overflow()
    (1, -1)
    >>> engine.dispose()
    """
    url = sa.make_url(url)
    options.setdefault("pool_pre_ping", True)
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, **options)
    connect_args = dict(options.pop("connect_args", {}))
    memory = _in_memory(url)
    if memory:
        # One connection, lent to one thread at a time: each new connection would be
        # another empty database, and a shared one is not safe to use from two at once.
        options.setdefault("poolclass", QueuePool)
        options.setdefault("pool_size", 1)
        options.setdefault("max_overflow", 0)
        connect_args.setdefault("check_same_thread", False)
    else:
        connect_args.setdefault("timeout", 30.0)
    engine = sa.create_engine(url, connect_args=connect_args, **options)
    if not memory:
        sa.event.listen(engine, "connect", _wal)
    return engine
