"""
[`SqlTicketRepository`][deskflow.adapters.sql.SqlTicketRepository]: tickets as append-only
events in SQL, with a queryable row per ticket, claims, the outbox and ids from counters.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from deskflow._internal import checks as _checks
from deskflow._internal.memory_due import checked_claim, checked_release
from deskflow._internal.memory_queries import checked_query
from deskflow._internal.storage import checked_count, checked_strings
from deskflow._internal.writes import OneTicketWrites
from deskflow.adapters.sql import _cache, _errors, _find, _outbox, _rows
from deskflow.adapters.sql.migrate import check_schema, upgrade
from deskflow.adapters.sql.schema import (
    counters_table,
    events_table,
    field_values_table,
    outbox_table,
    tags_table,
    tickets_table,
)
from deskflow.exceptions import ConcurrencyError, InvalidInput, NotFound, StorageError
from deskflow.ports import TicketWrite
from deskflow.queries import (
    Order,
    Page,
    TicketQuery,
    checked_limit,
    checked_order,
    decode_cursor,
    encode_cursor,
    sort_key,
)
from deskflow.ticket import Ticket

__all__ = ["SqlTicketRepository"]

_t = tickets_table.c
_e = events_table.c
_c = counters_table.c
_DIALECTS = {"sqlite": sqlite, "postgresql": postgresql}
# One compiled form each, the values bound per call.
_UPDATE = (
    tickets_table.update()
    .where(_t.id == sa.bindparam("b_id"), _t.version == sa.bindparam("b_expected"))
    .values(breached=sa.or_(_t.breached, sa.bindparam("b_breached", type_=sa.Boolean)))
)
_HISTORY = (
    sa.select(_e.type, _e.schema_version, _e.payload)
    .where(_e.ticket_id == sa.bindparam("b_id"))
    .order_by(_e.position)
)
# The events stored after a cached ticket's version.
_SINCE = (
    sa.select(_e.type, _e.schema_version, _e.payload)
    .where(_e.ticket_id == sa.bindparam("b_id"), _e.position >= sa.bindparam("b_from"))
    .order_by(_e.position)
)


class SqlTicketRepository(_outbox.SqlOutbox, OneTicketWrites):
    """
    A [`TicketRepository`][deskflow.ports.TicketRepository] in SQL (SQLite or PostgreSQL),
    through a SQLAlchemy engine.

    A ticket is its events, appended to ``deskflow_events`` under ``(ticket_id, position)``,
    plus one row of ``deskflow_tickets`` that listings filter and sort on. A save is one
    transaction of at most four statements whatever the history's length: the row's update
    guarded by the expected version (``UPDATE ... WHERE id = :id AND version = :expected``),
    the new events in one insert, the new outbox items in one insert (a key queued before is
    skipped); a save whose events change custom fields or tags also rewrites the ticket's
    rows of ``deskflow_field_values`` / ``deskflow_tags`` (a delete and an insert each).
    Of two racing saves one wins, and the other raises
    [`ConcurrencyError`][deskflow.exceptions.ConcurrencyError] having written nothing.
    ``get`` reads the events in one statement and replays them.

    The repository keeps the last ``cache_size`` tickets it loaded or saved (least recently
    used evicted; 0 keeps none). ``get`` of a cached ticket reads only the events stored
    after its version, in one statement, and records them on it, so a command costs the new
    events, not the history, and the ticket keeps its SLA fold. Other processes' writes are
    seen exactly, as events are only ever appended; a save that fails leaves the cache as it
    was. deskflow never deletes tickets; a host that deletes or rewrites rows itself calls
    [`clear_cache`][deskflow.adapters.sql.SqlTicketRepository.clear_cache] after (in every
    process), or runs with ``cache_size=0``.

    The schema comes from the shipped migrations, never from the repository behind the
    host's back: it checks the schema's revision when it starts and raises
    [`SchemaMismatch`][deskflow.exceptions.SchemaMismatch] saying what to run. Pass
    ``migrate=True`` to upgrade first (safe from many processes at once).

    >>> from datetime import datetime, timedelta, timezone
    >>> from deskflow import INCIDENT
    >>> from deskflow.adapters.sql import engine_for
    >>> repo = SqlTicketRepository(engine_for("sqlite://"), migrate=True)
    >>> t0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> ticket = INCIDENT.open(repo.next_id("INC"), title="VPN down", requester="ann", at=t0)
    >>> repo.add(ticket, next_check_at=t0 + timedelta(hours=1))
    >>> repo.get("INC-1") == ticket, repo.due(t0 + timedelta(hours=1), limit=10)
    (True, ['INC-1'])
    >>> repo.engine.dispose()
    """

    def __init__(self, engine: sa.Engine, *, migrate: bool = False, cache_size: int = 1024) -> None:
        if not isinstance(engine, sa.Engine):
            raise InvalidInput(f"expected a sqlalchemy Engine, got {type(engine).__name__}")
        dialect = _DIALECTS.get(engine.dialect.name)
        if dialect is None:
            raise InvalidInput(
                f"deskflow's SQL repository runs on SQLite and PostgreSQL, not on "
                f"{engine.dialect.name!r}"
            )
        if engine.dialect.name == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
            raise StorageError(
                f"deskflow needs SQLite 3.35 or later (RETURNING), this is {sqlite3.sqlite_version}"
            )
        self._cache = _cache.TicketCache(checked_count("cache_size", cache_size))
        self._engine = engine
        self._insert = dialect.insert
        self._skip_locked = engine.dialect.name == "postgresql"
        if migrate:
            upgrade(engine)
        check_schema(engine)

    @property
    def engine(self) -> sa.Engine:
        """
        The engine the repository reads and writes through.
        """
        return self._engine

    def clear_cache(self) -> None:
        """
        Forget the cached tickets: the next ``get`` of each reads its whole history. Only
        needed after a host deleted or rewrote stored rows behind deskflow's back.
        """
        self._cache.clear()

    # -- writes ---------------------------------------------------------------------------------

    def save_all(self, writes: Sequence[TicketWrite]) -> None:
        """
        Write every ticket or none; a taken new id or a stale version raises ConcurrencyError.

        One transaction: each stored ticket's row is updated only where its version is the
        expected one and its new events appended, each new ticket inserted; the first that
        fails rolls back the whole write.
        """
        batch = TicketWrite.batch(writes)
        if not batch:
            return
        # Encoded before the transaction opens: what cannot be stored fails first.
        prepared = [
            (
                write,
                _rows.ticket_row(write.ticket, write.next_check_at, write.expected_version),
                _rows.event_rows(write.ticket, write.expected_version or 0),
                _rows.facet_rows(write.ticket, write.expected_version),
            )
            for write in batch
        ]
        outbox = _rows.outbox_rows(item for write in batch for item in write.outbox)
        with _errors.writing(self._engine, "the save") as connection:
            for write, row, events, facets in prepared:
                ticket_id = write.ticket.id
                if write.expected_version is None:
                    self._execute(
                        connection, ticket_id, tickets_table.insert(), {"id": ticket_id, **row}
                    )
                else:
                    values = {"b_id": ticket_id, "b_expected": write.expected_version, **row}
                    if self._execute(connection, ticket_id, _UPDATE, values).rowcount != 1:
                        raise self._lost(connection, ticket_id, write.expected_version)
                if events:
                    self._execute(connection, ticket_id, events_table.insert(), events)
                stored = write.expected_version is not None
                for table, rows in zip((field_values_table, tags_table), facets, strict=True):
                    if rows is None:
                        continue
                    if stored:
                        connection.execute(table.delete().where(table.c.ticket_id == ticket_id))
                    if rows:
                        connection.execute(table.insert(), rows)
            if outbox:
                queue = self._insert(outbox_table).on_conflict_do_nothing(
                    index_elements=["dedup_key"]
                )
                self._execute(connection, batch[0].ticket.id, queue, outbox)
        # Committed: the tickets given are the stored states, with what they folded.
        self._cache.put(write.ticket for write in batch)

    @staticmethod
    def _execute(
        connection: sa.Connection, ticket_id: str, statement: Any, parameters: Any
    ) -> sa.CursorResult[Any]:
        try:
            return connection.execute(statement, parameters)
        except sa.exc.IntegrityError as error:
            lost = _errors.race(error, ticket_id)
            if lost is None:
                raise
            if _errors.constraint_name(error) == "deskflow_tickets_pkey":
                lost = ConcurrencyError(
                    f"ticket {ticket_id!r} already exists; nothing was written",
                    ticket_id=ticket_id,
                )
            raise lost from error

    @staticmethod
    def _lost(connection: sa.Connection, ticket_id: str, expected: int) -> Exception:
        query = sa.select(_t.version).where(_t.id == ticket_id)
        stored = connection.execute(query).scalar_one_or_none()
        if stored is None:
            return NotFound(f"no ticket with id {ticket_id!r} to save; add it first")
        return ConcurrencyError(
            f"ticket {ticket_id!r} is at version {stored}, not the expected {expected}; "
            "nothing was written: reload it and try again",
            ticket_id=ticket_id,
        )

    def next_id(self, prefix: str) -> str:
        """
        Allocate a new ticket id under ``prefix`` (``"INC"`` -> ``"INC-1"``, ``"INC-2"``, ...):
        one counter update in its own short transaction, whatever the store holds. An id a
        host stored itself may come back; its add then raises ConcurrencyError, so the caller
        asks again.
        """
        prefix = _checks.text("prefix", prefix)
        bump = (
            self._insert(counters_table)
            .values(prefix=prefix, value=1)
            .on_conflict_do_update(index_elements=["prefix"], set_={"value": _c.value + 1})
            .returning(_c.value)
        )
        with _errors.writing(self._engine, "allocating a ticket id") as connection:
            number = connection.execute(bump).scalar_one()
        return f"{prefix}-{number}"

    # -- reads ----------------------------------------------------------------------------------

    def get(self, ticket_id: str) -> Ticket:
        """
        Return the stored ticket; raise NotFound if there is none with that id.
        """
        _checks.text("ticket_id", ticket_id)
        cached = self._cache.get(ticket_id)
        with _errors.reading(self._engine, f"loading ticket {ticket_id!r}") as connection:
            if cached is None:
                rows = connection.execute(_HISTORY, {"b_id": ticket_id}).all()
            else:
                since = {"b_id": ticket_id, "b_from": cached.version}
                rows = connection.execute(_SINCE, since).all()
        if cached is None:
            if not rows:
                raise NotFound(f"no ticket with id {ticket_id!r}")
            ticket = _rows.replayed(ticket_id, rows)
        elif not rows:
            return cached
        else:
            ticket = _cache.extended(cached, rows)
        self._cache.put([ticket])
        return ticket

    def _tickets(
        self,
        where: Sequence[sa.ColumnElement[bool]],
        order: Order = "created",
        limit: int | None = None,
    ) -> list[Ticket]:
        with _errors.reading(self._engine, "listing tickets") as connection:
            rows = connection.execute(_find.listing(where, order, limit)).all()
        return _find.tickets(rows)

    def due(self, now: datetime, limit: int) -> list[str]:
        """
        Return at most ``limit`` ids with ``next_check_at <= now``, earliest first (ties by id).
        Only reads: it claims nothing (see ``claim_due``).
        """
        _checks.aware("now", now)
        checked_count("limit", limit)
        query = (
            sa.select(_t.id)
            .where(_t.next_check_at <= _rows.micros(now))
            .order_by(_t.next_check_at, _t.id)
            .limit(limit)
        )
        with _errors.reading(self._engine, "reading due tickets") as connection:
            return list(connection.execute(query).scalars())

    def claim_due(self, now: datetime, limit: int, *, owner: str, lease: timedelta) -> list[str]:
        """
        Claim at most ``limit`` due tickets for ``owner`` and return their ids, earliest first.

        One statement: ``UPDATE`` the claim columns of the first ``limit`` due tickets no other
        owner holds a live claim on, ``RETURNING`` them. On PostgreSQL the tickets are picked
        ``FOR UPDATE SKIP LOCKED``, so workers claiming at once each take other tickets
        without waiting; SQLite serializes writers.
        """
        now, limit, owner, lease = checked_claim(now, limit, owner, lease)
        if not limit:
            return []
        at = _rows.micros(now)
        pick = (
            sa.select(_t.id)
            .where(
                _t.next_check_at <= at,
                sa.or_(_t.claimed_until.is_(None), _t.claimed_until <= at, _t.claimed_by == owner),
            )
            .order_by(_t.next_check_at, _t.id)
            .limit(limit)
        )
        if self._skip_locked:
            pick = pick.with_for_update(skip_locked=True)
        claim = (
            tickets_table.update()
            .where(_t.id.in_(pick))
            .values(claimed_by=owner, claimed_until=_rows.micros(now + lease))
            .returning(_t.id, _t.next_check_at)
        )
        with _errors.writing(self._engine, "claiming due tickets") as connection:
            rows = connection.execute(claim).all()
        return [ticket_id for ticket_id, _ in sorted(rows, key=lambda row: (row[1], row[0]))]

    def release_due(
        self, owner: str, ticket_ids: Iterable[str], *, retry_at: datetime | None = None
    ) -> None:
        """
        End ``owner``'s claims on these tickets (others' claims and unknown ids are ignored);
        with ``retry_at``, their next check moves to it (the backoff after a failure).
        """
        owner, ids, retry = checked_release(owner, ticket_ids, retry_at)
        keys = sorted(set(ids))
        if not keys:
            return
        values: dict[str, Any] = {"claimed_by": None, "claimed_until": None}
        if retry is not None:
            values["next_check_at"] = _rows.micros(retry)
        with _errors.writing(self._engine, "releasing claims") as connection:
            for start in range(0, len(keys), _outbox.CHUNK):
                chunk = keys[start : start + _outbox.CHUNK]
                connection.execute(
                    tickets_table.update()
                    .where(_t.claimed_by == owner, _t.id.in_(chunk))
                    .values(**values)
                )

    def by_requester(self, requester_id: str) -> list[Ticket]:
        """
        Return the tickets of one requester, oldest first.
        """
        return self._tickets([_t.requester == _checks.text("requester_id", requester_id)])

    def by_state(self, state: str) -> list[Ticket]:
        """
        Return the tickets in one state, oldest first.
        """
        return self._tickets([_t.state == _checks.text("state", state)])

    def by_assignee(self, agent_id: str) -> list[Ticket]:
        """
        Return the tickets assigned to one agent, oldest first.
        """
        return self._tickets([_t.assignee == _checks.text("agent_id", agent_id)])

    def find(
        self,
        query: TicketQuery,
        *,
        order: Order = "created",
        limit: int = 50,
        after: str | None = None,
    ) -> Page[Ticket]:
        """
        Return one page of the tickets ``query`` matches, in ``order``, after the cursor
        ``after`` (None: from the start); the page's ``next_cursor`` is None on the last page.

        One statement: the query's filters on the ticket rows (each served by an index), the
        cursor as a keyset condition on ``(created_at | updated_at, id)``, one more ticket
        than the page to know whether another follows, joined to their events.
        """
        wanted = checked_query(query)
        by = checked_order(order)
        size = checked_limit(limit)
        where = _find.conditions(wanted)
        if after is not None:
            where.append(_find.after(by, decode_cursor(after, by)))
        window = self._tickets(where, by, size + 1)
        page = window[:size]
        more = len(window) > size
        cursor = encode_cursor(by, sort_key(page[-1], by)) if more else None
        return Page(tuple(page), next_cursor=cursor)

    def open_by_alert_key(self, alert_key: str, final_states: Iterable[str]) -> Ticket | None:
        """
        Return the oldest ticket opened from ``alert_key`` whose state is not final, or None.
        """
        _checks.text("alert_key", alert_key)
        final = sorted(set(checked_strings("final_states", final_states)))
        found = self._tickets([_t.alert_key == alert_key, _t.state.not_in(final)], limit=1)
        return found[0] if found else None
