"""
A [`TicketRepository`][deskflow.ports.TicketRepository] over SQL, with SQLAlchemy Core 2:
SQLite (3.35 or later) and PostgreSQL (through psycopg 3).

Needs the ``sql`` extra (``pip install 'deskflow[sql]'``; ``deskflow[postgres]`` adds the
PostgreSQL driver). Not imported by [`deskflow.adapters`][deskflow.adapters], so deskflow
works without SQLAlchemy.

- [`SqlTicketRepository`][deskflow.adapters.sql.SqlTicketRepository]: the repository;
- [`upgrade()`][deskflow.adapters.sql.upgrade] and
  [`SCHEMA_REVISION`][deskflow.adapters.sql.SCHEMA_REVISION]: the shipped Alembic migrations
  (``deskflow db upgrade URL`` on the command line);
- [`engine_for()`][deskflow.adapters.sql.engine_for]: an engine with the defaults the
  repository wants (pre-ping, and for SQLite WAL and a busy timeout);
- [`deskflow.adapters.sql.schema`][deskflow.adapters.sql.schema]: the tables, for reading.
"""

from __future__ import annotations

try:
    import alembic  # noqa: F401
    import sqlalchemy  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on what is installed
    raise ImportError(
        "deskflow.adapters.sql needs SQLAlchemy 2 and Alembic: pip install 'deskflow[sql]'"
    ) from error

from deskflow.adapters.sql.migrate import SCHEMA_REVISION, engine_for, upgrade
from deskflow.adapters.sql.repository import SqlTicketRepository

__all__ = ["SCHEMA_REVISION", "SqlTicketRepository", "engine_for", "upgrade"]
