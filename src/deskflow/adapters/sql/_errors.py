"""
How driver errors become deskflow's: a lost race, a refused write, an unknown outcome.

Only a violation of the key that serializes writers (the events' ``(ticket_id, position)``,
a new ticket's id) is a [`ConcurrencyError`][deskflow.exceptions.ConcurrencyError]; any other
integrity error is a [`StorageError`][deskflow.exceptions.StorageError] naming the constraint,
so a host's own CHECK is never retried as a race. A connection lost while committing is
[`OutcomeUnknown`][deskflow.exceptions.OutcomeUnknown]: the write may or may not have landed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import sqlalchemy as sa

from deskflow.exceptions import ConcurrencyError, OutcomeUnknown, StorageError

#: The constraints a racing writer violates, by name (PostgreSQL) and by what SQLite says.
RACE_CONSTRAINTS = frozenset({"deskflow_events_pkey", "deskflow_tickets_pkey"})
_SQLITE_KEYS = {
    ("deskflow_events", ("ticket_id", "position")): "deskflow_events_pkey",
    ("deskflow_tickets", ("id",)): "deskflow_tickets_pkey",
    ("deskflow_outbox", ("dedup_key",)): "deskflow_outbox_dedup_key_key",
    ("deskflow_counters", ("prefix",)): "deskflow_counters_pkey",
}
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>.+)$")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (?P<name>.+)$")


def constraint_name(error: sa.exc.IntegrityError) -> str | None:
    """
    The name of the constraint ``error`` reports, when the database says it.
    """
    diag = getattr(error.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if isinstance(name, str):
        return name
    message = str(error.orig)
    unique = _SQLITE_UNIQUE.search(message)
    if unique is not None:
        parts = [column.strip().split(".") for column in unique.group("columns").split(",")]
        if all(len(part) == 2 for part in parts) and len({p[0] for p in parts}) == 1:
            key = (parts[0][0], tuple(part[1] for part in parts))
            return _SQLITE_KEYS.get(key, f"{key[0]}({', '.join(key[1])})")
        return None
    check = _SQLITE_CHECK.search(message)
    return None if check is None else check.group("name").strip()


def _refused(error: sa.exc.DBAPIError, what: str) -> StorageError:
    if isinstance(error, sa.exc.IntegrityError):
        name = constraint_name(error)
        named = f"constraint {name!r}" if name else "a constraint"
        return StorageError(
            f"the database refused {what}: {named} failed ({error.orig}); nothing was written",
            constraint=name,
        )
    return StorageError(f"the database failed {what}: {error.orig}")


def race(error: sa.exc.IntegrityError, ticket_id: str) -> ConcurrencyError | None:
    """
    The ConcurrencyError ``error`` stands for, if it is a racing writer's; else None.
    """
    if constraint_name(error) not in RACE_CONSTRAINTS:
        return None
    return ConcurrencyError(
        f"ticket {ticket_id!r} lost a race with another writer; nothing was written",
        ticket_id=ticket_id,
    )


@contextmanager
def mapped(what: str) -> Iterator[None]:
    """
    Raise the driver errors of the block as StorageError (deskflow's own errors pass).
    """
    try:
        yield
    except sa.exc.DBAPIError as error:
        raise _refused(error, what) from error
    except sa.exc.SQLAlchemyError as error:
        raise StorageError(f"the database failed {what}: {error}") from error


def commit(transaction: sa.RootTransaction, what: str) -> None:
    """
    Commit; a connection lost meanwhile raises OutcomeUnknown, another failure StorageError.
    """
    # SQLite is in-process: a failed COMMIT there did not happen. A server may have
    # committed before the connection dropped.
    remote = transaction.connection.dialect.name != "sqlite"
    try:
        transaction.commit()
    except sa.exc.DBAPIError as error:
        # A failed COMMIT may leave the transaction open on the connection: end it here, so
        # the next user of the pooled connection does not inherit it.
        _rollback(transaction)
        lost = isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError)
        if error.connection_invalidated or (remote and lost):
            raise OutcomeUnknown(
                f"the connection failed while committing {what}: it may or may not have been "
                f"written; load it again to find out ({error.orig})"
            ) from error
        raise _refused(error, what) from error


def _rollback(transaction: sa.RootTransaction) -> None:
    try:
        transaction.rollback()
    except sa.exc.SQLAlchemyError:
        # A connection that cannot roll back is never lent again (the database rolls an
        # abandoned transaction back itself).
        with suppress(sa.exc.SQLAlchemyError):
            transaction.connection.invalidate()


def begin_immediately(connection: sa.Connection) -> None:
    """
    On SQLite, take the write lock now: writers then queue on the busy timeout instead of
    failing with "database is locked" when a read lock cannot be upgraded.
    """
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    # pysqlite opens no transaction before the first write; one already open is the host's
    # engine's own (an engine that emits BEGIN itself).
    if raw is not None and not getattr(raw, "in_transaction", True):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def writing(engine: sa.Engine, what: str) -> Iterator[sa.Connection]:
    """
    One write transaction: committed at the end of the block, rolled back if it raises; the
    driver's errors mapped to deskflow's.
    """
    with mapped(what), engine.connect() as connection:
        transaction = connection.begin()
        try:
            begin_immediately(connection)
            yield connection
        except BaseException:
            _rollback(transaction)
            raise
        commit(transaction, what)


@contextmanager
def reading(engine: sa.Engine, what: str) -> Iterator[sa.Connection]:
    """
    A connection to read through, the driver's errors mapped to deskflow's.

    Reads run in autocommit: each is one statement, consistent on its own, so opening and
    rolling back a transaction around it would only cost two more round trips.
    """
    with mapped(what), engine.connect() as connection:
        yield connection.execution_options(isolation_level="AUTOCOMMIT")
