"""
Emptying a SQL store in place, for tests that need an empty store many times in one test.

A Hypothesis example wants an empty store; a new PostgreSQL database costs tens of
milliseconds and a new SQLite file a schema's worth of writes, while emptying the tables of
one costs a few. The schema stays (and with it the record of its migrations).
"""

from __future__ import annotations

import sqlalchemy

__all__ = ["KEPT_TABLES", "empty_store"]

#: Tables that describe the schema rather than hold data: left as they are.
KEPT_TABLES = frozenset({"alembic_version", "deskflow_alembic_version"})


def empty_store(engine: sqlalchemy.Engine) -> None:
    """
    Delete every row of every table but `KEPT_TABLES`, and restart the counters.
    """
    with engine.begin() as connection:
        names = [
            name
            for name in sqlalchemy.inspect(connection).get_table_names()
            if name not in KEPT_TABLES
        ]
        if engine.dialect.name == "postgresql":
            if names:
                # CASCADE: one statement for all, whatever the foreign keys between them.
                joined = ", ".join(f'"{name}"' for name in names)
                connection.execute(sqlalchemy.text(f"TRUNCATE {joined} RESTART IDENTITY CASCADE"))
            sequences = connection.execute(
                sqlalchemy.text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
            ).scalars()
            for sequence in list(sequences):
                connection.execute(sqlalchemy.text(f'ALTER SEQUENCE "{sequence}" RESTART'))
            return
        connection.execute(sqlalchemy.text("PRAGMA defer_foreign_keys = ON"))
        for name in names:
            connection.execute(sqlalchemy.text(f'DELETE FROM "{name}"'))
        has_sequences = connection.execute(
            sqlalchemy.text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'")
        ).scalar_one()
        if has_sequences:
            connection.execute(sqlalchemy.text("DELETE FROM sqlite_sequence"))
