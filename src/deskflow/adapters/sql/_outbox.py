"""
The outbox half of the SQL repository: pending items, claims, delivery bookkeeping.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from deskflow._internal.memory_due import checked_claim
from deskflow._internal.memory_outbox import checked_failures
from deskflow._internal.storage import checked_count, checked_strings
from deskflow.adapters.sql import _errors, _rows
from deskflow.adapters.sql.schema import outbox_table
from deskflow.exceptions import StorageError
from deskflow.notifications import Notification
from deskflow.outbox import DeliveryFailure, OutboxItem

_log = logging.getLogger("deskflow.adapters.sql")
_o = outbox_table.c
# Keys per statement: far below every database's parameter limit.
CHUNK = 500
_ITEM_COLUMNS = (
    _o.seq,
    _o.created_at,
    _o.payload,
    _o.attempts,
    _o.next_attempt_at,
    _o.last_error,
    _o.status,
)
_NOT_DELIVERED = _o.status.in_(["pending", "dead"])
_FAILED: dict[str, Any] = {
    "attempts": _o.attempts + 1,
    "last_error": sa.bindparam("b_error"),
    "claimed_by": None,
    "claimed_until": None,
}
_RETRY = (
    outbox_table.update()
    .where(_o.dedup_key == sa.bindparam("b_key"), _NOT_DELIVERED)
    .values(status="pending", next_attempt_at=sa.bindparam("b_retry"), **_FAILED)
)
_BURY = (
    outbox_table.update()
    .where(_o.dedup_key == sa.bindparam("b_key"), _NOT_DELIVERED)
    .values(status="dead", next_attempt_at=None, **_FAILED)
)


class SqlOutbox:
    """
    The outbox methods of [`SqlTicketRepository`][deskflow.adapters.sql.SqlTicketRepository].
    """

    _engine: sa.Engine
    #: ``FOR UPDATE SKIP LOCKED`` in claims: PostgreSQL only (SQLite serializes writers).
    _skip_locked: bool

    def pending_notifications(self, limit: int) -> list[Notification]:
        """
        Return at most ``limit`` undelivered outbox items that are not dead letters, oldest
        first (by ``created_at``, then the order queued).
        """
        checked_count("limit", limit)
        query = (
            sa.select(_o.payload)
            .where(_o.status == "pending")
            .order_by(_o.created_at, _o.seq)
            .limit(limit)
        )
        with _errors.reading(self._engine, "reading the outbox") as connection:
            payloads = connection.execute(query).scalars().all()
        return [_rows.notification(payload) for payload in payloads]

    def claim_notifications(
        self, now: datetime, limit: int, *, owner: str, lease: timedelta
    ) -> list[OutboxItem]:
        """
        Claim at most ``limit`` outbox items to deliver, oldest first: undelivered, not dead,
        whose ``next_attempt_at`` is None or ``<= now``, and not held by another owner's live
        claim. A claim ends when the item is marked delivered or failed, or when its lease
        runs out. A round reads the pending index in queue order, so it costs O(limit) (plus
        the items ahead of it backing off or held by others), not O(backlog).

        An item whose stored payload no longer reads becomes a dead letter, with the reason
        as its last error, instead of failing every round.
        """
        now, limit, owner, lease = checked_claim(now, limit, owner, lease)
        if not limit:
            return []
        at = _rows.micros(now)
        pick = (
            sa.select(_o.seq)
            .where(
                _o.status == "pending",
                sa.or_(_o.next_attempt_at.is_(None), _o.next_attempt_at <= at),
                sa.or_(_o.claimed_until.is_(None), _o.claimed_until <= at, _o.claimed_by == owner),
            )
            .order_by(_o.created_at, _o.seq)
            .limit(limit)
        )
        if self._skip_locked:
            pick = pick.with_for_update(skip_locked=True)
        claim = (
            outbox_table.update()
            .where(_o.seq.in_(pick))
            .values(claimed_by=owner, claimed_until=_rows.micros(now + lease))
            .returning(*_ITEM_COLUMNS)
        )
        with _errors.writing(self._engine, "claiming notifications") as connection:
            rows = sorted(connection.execute(claim).all(), key=lambda row: (row[1], row[0]))
            items, corrupt = [], []
            for row in rows:
                try:
                    items.append(_rows.outbox_item(row))
                except StorageError as error:
                    corrupt.append({"b_seq": row.seq, "b_error": str(error)})
            if corrupt:
                _log.error("outbox items made dead letters, unreadable: %s", corrupt)
                connection.execute(
                    outbox_table.update()
                    .where(_o.seq == sa.bindparam("b_seq"))
                    .values(status="dead", last_error=sa.bindparam("b_error"), claimed_by=None),
                    corrupt,
                )
        return items

    def mark_delivered(self, dedup_keys: Iterable[str]) -> None:
        """
        Remove these items from the pending outbox; unknown or delivered keys are ignored.
        """
        keys = sorted(set(checked_strings("dedup_keys", dedup_keys)))
        if not keys:
            return
        with _errors.writing(self._engine, "marking notifications delivered") as connection:
            for start in range(0, len(keys), CHUNK):
                connection.execute(
                    outbox_table.update()
                    .where(_o.dedup_key.in_(keys[start : start + CHUNK]), _NOT_DELIVERED)
                    .values(status="delivered", claimed_by=None, claimed_until=None)
                )

    def mark_failed(self, failures: Iterable[DeliveryFailure]) -> None:
        """
        Record failed attempts: each item's attempts grow by one, its last error and next
        attempt are set, and one whose ``retry_at`` is None becomes a dead letter. Its claim
        ends. Unknown or delivered keys are ignored.
        """
        retry: list[dict[str, Any]] = []
        bury: list[dict[str, Any]] = []
        for failure in checked_failures(failures):
            row: dict[str, Any] = {
                "b_key": failure.dedup_key,
                "b_error": _rows.clean_error(failure.error),
            }
            if failure.retry_at is None:
                bury.append(row)
            else:
                retry.append({**row, "b_retry": _rows.micros(failure.retry_at)})
        if not (retry or bury):
            return
        with _errors.writing(self._engine, "recording failed deliveries") as connection:
            if retry:
                connection.execute(_RETRY, retry)
            if bury:
                connection.execute(_BURY, bury)

    def dead_letters(self, limit: int) -> list[OutboxItem]:
        """
        Return at most ``limit`` dead letters, oldest first.
        """
        checked_count("limit", limit)
        query = (
            sa.select(*_ITEM_COLUMNS)
            .where(_o.status == "dead")
            .order_by(_o.created_at, _o.seq)
            .limit(limit)
        )
        with _errors.reading(self._engine, "reading dead letters") as connection:
            rows = connection.execute(query).all()
        items = []
        for row in rows:
            try:
                items.append(_rows.outbox_item(row))
            except StorageError as error:
                _log.error("dead letter %s left out, unreadable: %s", row.seq, error)
        return items

    def retry_dead(self, dedup_keys: Iterable[str] | None = None) -> int:
        """
        Make these dead letters (all of them if None) pending again, with no attempts
        counted, and return how many were revived. Their last error is kept until a new
        attempt replaces it; keys that are not dead letters are ignored.
        """
        revive = outbox_table.update().values(
            status="pending", attempts=0, next_attempt_at=None, claimed_by=None, claimed_until=None
        )
        dead = _o.status == "dead"
        keys = (
            None if dedup_keys is None else sorted(set(checked_strings("dedup_keys", dedup_keys)))
        )
        with _errors.writing(self._engine, "reviving dead letters") as connection:
            if keys is None:
                return connection.execute(revive.where(dead)).rowcount
            revived = 0
            for start in range(0, len(keys), CHUNK):
                chunk = keys[start : start + CHUNK]
                revived += connection.execute(revive.where(dead, _o.dedup_key.in_(chunk))).rowcount
            return revived
