"""
A [`TicketRepository`][deskflow.ports.TicketRepository] over a SQL database, with SQLAlchemy Core.

It runs on SQLite and PostgreSQL (any SQLAlchemy engine whose dialect has the usual SQL).
Needs the ``sql`` extra: ``pip install 'deskflow[sql]'``. Not imported by
[`deskflow.adapters`][deskflow.adapters], so deskflow works without SQLAlchemy.

Two tables, in [`metadata`][deskflow.adapters.sql.metadata]: ``tickets`` (one row per ticket:
the columns the queries read, and the history as JSON written by
[`deskflow.codec`][deskflow.codec]) and ``outbox`` (one row per notification ever queued).
Instants are stored as integer microseconds since the Unix epoch in UTC, so the database
compares and orders them exactly, whatever zone they were given in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

try:
    import sqlalchemy as sa
except ImportError as error:  # pragma: no cover - depends on what is installed
    raise ImportError(
        "deskflow.adapters.sql needs SQLAlchemy 2: pip install 'deskflow[sql]'"
    ) from error

from deskflow._internal import checks as _checks
from deskflow._internal.storage import (
    checked_count,
    checked_strings,
)
from deskflow.adapters import _writes
from deskflow.codec import (
    history_from_json,
    history_to_json,
    notification_from_dict,
    notification_to_dict,
)
from deskflow.exceptions import ConcurrencyError, InvalidInput, NotFound
from deskflow.notifications import Notification
from deskflow.ports import TicketWrite
from deskflow.ticket import Ticket

__all__ = ["SqlTicketRepository", "metadata", "outbox_table", "tickets_table"]

#: The tables of the repository, for ``create_all`` or a host's migrations.
metadata = sa.MetaData()

tickets_table = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("state", sa.String, nullable=False, index=True),
    sa.Column("requester", sa.String, nullable=False, index=True),
    sa.Column("assignee", sa.String, nullable=True, index=True),
    sa.Column("alert_key", sa.String, nullable=True, index=True),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("next_check_at", sa.BigInteger, nullable=True),
    sa.Column("history", sa.Text, nullable=False),
    # With the id in it, the index alone answers `due`, already in its order.
    sa.Index("ix_tickets_next_check_at", "next_check_at", "id"),
)

outbox_table = sa.Table(
    "outbox",
    metadata,
    # The queue order is the primary key: only an integer primary key autoincrements
    # portably. dedup_key is unique, so a key is queued once ever.
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dedup_key", sa.String, nullable=False, unique=True),
    sa.Column("ticket_id", sa.String, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("delivered", sa.Boolean, nullable=False, default=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Index("ix_outbox_pending", "delivered", "created_at", "seq"),
    # Never reuse the number of a row SQLite once had: the order must only grow.
    sqlite_autoincrement=True,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Keys per statement when marking delivered: far below every database's parameter limit.
_CHUNK = 500


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // _MICROSECOND


def _payload(notification: Notification) -> str:
    return json.dumps(notification_to_dict(notification), ensure_ascii=False)


class SqlTicketRepository(_writes.OneTicketWrites):
    """
    A [`TicketRepository`][deskflow.ports.TicketRepository] in two SQL tables, through a
    SQLAlchemy engine.

    Every write is one transaction, however many tickets it holds (``save_all``): a save updates
    the row only where the version is the expected one (``UPDATE ... WHERE id = :id AND version
    = :expected``), so of two racing saves one wins and the other raises
    [`ConcurrencyError`][deskflow.exceptions.ConcurrencyError], having written nothing, not even
    its outbox items. Loading replays the stored history, so every ticket returned is a fresh,
    equal copy. ``create_tables=True`` (the default) creates missing tables; pass False when
    migrations own the schema.

    >>> import sqlalchemy
    >>> from datetime import datetime, timedelta, timezone
    >>> from deskflow import INCIDENT
    >>> repo = SqlTicketRepository(sqlalchemy.create_engine("sqlite://"))
    >>> t0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> ticket = INCIDENT.open("T-1", title="VPN down", requester="ann", at=t0)
    >>> repo.add(ticket, next_check_at=t0 + timedelta(hours=1))
    >>> repo.get("T-1") == ticket, repo.due(t0 + timedelta(hours=1), limit=10)
    (True, ['T-1'])
    >>> repo.engine.dispose()
    """

    def __init__(self, engine: sa.Engine, *, create_tables: bool = True) -> None:
        if not isinstance(engine, sa.Engine):
            raise InvalidInput(f"expected a sqlalchemy Engine, got {type(engine).__name__}")
        self._engine = engine
        if create_tables:
            self.create_tables()

    @property
    def engine(self) -> sa.Engine:
        """
        The engine the repository reads and writes through.
        """
        return self._engine

    def create_tables(self) -> None:
        """
        Create the ``tickets`` and ``outbox`` tables and their indexes, where missing.
        """
        metadata.create_all(self._engine)

    # -- writes ---------------------------------------------------------------------------------

    def save_all(self, writes: Sequence[TicketWrite]) -> None:
        """
        Write every ticket or none; a taken new id or a stale version raises ConcurrencyError.

        One transaction: each stored ticket is updated only where its version is the expected
        one, each new one inserted; the first that fails rolls back the whole write.
        """
        batch = TicketWrite.batch(writes)
        if not batch:
            return
        # Encoded before the transaction opens: a history that cannot be stored fails first.
        rows = [self._row(write.ticket, write.next_check_at) for write in batch]
        columns = tickets_table.c
        current = batch[0].ticket.id
        try:
            with self._engine.begin() as connection:
                for write, row in zip(batch, rows, strict=True):
                    current = write.ticket.id
                    if write.is_new:
                        if self._exists(connection, current):
                            raise ConcurrencyError(
                                f"ticket {current!r} already exists; nothing was written",
                                ticket_id=current,
                            )
                        connection.execute(tickets_table.insert().values(id=current, **row))
                    else:
                        update = (
                            tickets_table.update()
                            .where(columns.id == current, columns.version == write.expected_version)
                            .values(**row)
                        )
                        if connection.execute(update).rowcount != 1:
                            raise self._lost(connection, current, write.expected_version)
                current = batch[0].ticket.id
                self._queue(connection, tuple(item for write in batch for item in write.outbox))
        except sa.exc.IntegrityError as error:
            # Another writer added the same id, or queued one of these keys, in between.
            raise ConcurrencyError(
                f"ticket {current!r} lost a race with another writer; nothing was written",
                ticket_id=current,
            ) from error

    @staticmethod
    def _row(ticket: Ticket, next_check_at: datetime | None) -> dict[str, object]:
        # Encoded before the transaction opens: a history that cannot be stored fails first.
        return {
            "version": ticket.version,
            "state": ticket.state,
            "requester": ticket.requester,
            "assignee": ticket.assignee,
            "alert_key": ticket.alert_key,
            "kind": ticket.kind.value,
            "created_at": _micros(ticket.created_at),
            "next_check_at": None if next_check_at is None else _micros(next_check_at),
            "history": history_to_json(ticket.history),
        }

    @staticmethod
    def _exists(connection: sa.Connection, ticket_id: str) -> bool:
        query = sa.select(tickets_table.c.version).where(tickets_table.c.id == ticket_id)
        return connection.execute(query).first() is not None

    @staticmethod
    def _lost(connection: sa.Connection, ticket_id: str, expected: int | None) -> Exception:
        query = sa.select(tickets_table.c.version).where(tickets_table.c.id == ticket_id)
        stored = connection.execute(query).scalar_one_or_none()
        if stored is None:
            return NotFound(f"no ticket with id {ticket_id!r} to save; add it first")
        return ConcurrencyError(
            f"ticket {ticket_id!r} is at version {stored}, not the expected {expected}; "
            "nothing was written: reload it and try again",
            ticket_id=ticket_id,
        )

    @staticmethod
    def _queue(connection: sa.Connection, items: tuple[Notification, ...]) -> None:
        # The first of repeated keys wins, as a key queued before (delivered or not) does.
        new = dict.fromkeys(item.dedup_key for item in items)
        if not new:
            return
        keys = outbox_table.c.dedup_key
        for key in connection.execute(sa.select(keys).where(keys.in_(list(new)))).scalars():
            del new[key]
        rows = []
        # In the order given, so the queue order follows it.
        for item in items:
            if item.dedup_key in new:
                del new[item.dedup_key]
                rows.append(
                    {
                        "dedup_key": item.dedup_key,
                        "ticket_id": item.ticket_id,
                        "created_at": _micros(item.created_at),
                        "delivered": False,
                        "payload": _payload(item),
                    }
                )
        if rows:
            connection.execute(outbox_table.insert(), rows)

    # -- reads ----------------------------------------------------------------------------------

    def _tickets(
        self, *conditions: sa.ColumnElement[bool], limit: int | None = None
    ) -> list[Ticket]:
        columns = tickets_table.c
        query = (
            sa.select(columns.history)
            .where(*conditions)
            .order_by(columns.created_at, columns.id)
            .limit(limit)
        )
        with self._engine.connect() as connection:
            stored = connection.execute(query).scalars().all()
        return [Ticket.replay(history_from_json(history)) for history in stored]

    def get(self, ticket_id: str) -> Ticket:
        """
        Return the stored ticket; raise NotFound if there is none with that id.
        """
        _checks.text("ticket_id", ticket_id)
        found = self._tickets(tickets_table.c.id == ticket_id)
        if not found:
            raise NotFound(f"no ticket with id {ticket_id!r}")
        return found[0]

    def due(self, now: datetime, limit: int) -> list[str]:
        """
        Return at most ``limit`` ids with ``next_check_at <= now``, earliest first (ties by id).
        """
        _checks.aware("now", now)
        checked_count("limit", limit)
        columns = tickets_table.c
        query = (
            sa.select(columns.id)
            .where(columns.next_check_at <= _micros(now))
            .order_by(columns.next_check_at, columns.id)
            .limit(limit)
        )
        with self._engine.connect() as connection:
            return list(connection.execute(query).scalars())

    def by_requester(self, requester_id: str) -> list[Ticket]:
        """
        Return the tickets of one requester, oldest first.
        """
        _checks.text("requester_id", requester_id)
        return self._tickets(tickets_table.c.requester == requester_id)

    def by_state(self, state: str) -> list[Ticket]:
        """
        Return the tickets in one state, oldest first.
        """
        _checks.text("state", state)
        return self._tickets(tickets_table.c.state == state)

    def by_assignee(self, agent_id: str) -> list[Ticket]:
        """
        Return the tickets assigned to one agent, oldest first.
        """
        _checks.text("agent_id", agent_id)
        return self._tickets(tickets_table.c.assignee == agent_id)

    def open_by_alert_key(self, alert_key: str, final_states: Iterable[str]) -> Ticket | None:
        """
        Return the oldest ticket opened from ``alert_key`` whose state is not final, or None.
        """
        _checks.text("alert_key", alert_key)
        final = sorted(set(checked_strings("final_states", final_states)))
        columns = tickets_table.c
        found = self._tickets(columns.alert_key == alert_key, columns.state.not_in(final), limit=1)
        return found[0] if found else None

    def pending_notifications(self, limit: int) -> list[Notification]:
        """
        Return at most ``limit`` undelivered outbox items, oldest first (by ``created_at``).
        """
        checked_count("limit", limit)
        columns = outbox_table.c
        query = (
            sa.select(columns.payload)
            .where(columns.delivered == sa.false())
            .order_by(columns.created_at, columns.seq)
            .limit(limit)
        )
        with self._engine.connect() as connection:
            payloads = connection.execute(query).scalars().all()
        return [notification_from_dict(json.loads(payload)) for payload in payloads]

    def mark_delivered(self, dedup_keys: Iterable[str]) -> None:
        """
        Remove these items from the pending outbox; unknown or delivered keys are ignored.
        """
        keys = sorted(set(checked_strings("dedup_keys", dedup_keys)))
        if not keys:
            return
        columns = outbox_table.c
        with self._engine.begin() as connection:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                connection.execute(
                    outbox_table.update()
                    .where(columns.dedup_key.in_(chunk), columns.delivered == sa.false())
                    .values(delivered=True)
                )
