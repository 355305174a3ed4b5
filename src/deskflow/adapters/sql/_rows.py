"""
What the SQL repository writes and reads: rows built from tickets, events and notifications,
and back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from deskflow.codec import decode_event, encode_event, notification_from_dict, notification_to_dict
from deskflow.events import Event
from deskflow.exceptions import InvalidInput, StorageError
from deskflow.fields import FieldsChanged, TagsChanged, field_key
from deskflow.notifications import Notification
from deskflow.outbox import OutboxItem
from deskflow.queries import breached, records_breach
from deskflow.ticket import Ticket

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(at: datetime) -> int:
    """
    An aware instant as integer microseconds since the Unix epoch.
    """
    return (at - _EPOCH) // _MICROSECOND


def instant(value: int | None) -> datetime | None:
    """
    Stored microseconds as an aware instant in UTC (None kept).
    """
    return None if value is None else _EPOCH + value * _MICROSECOND


def ticket_row(ticket: Ticket, next_check_at: datetime | None, start: int | None) -> dict[str, Any]:
    """
    The queryable columns of ``ticket``, without its id; its claim ends with the write.

    For a stored ticket (``start``, the position of its first new event) ``breached`` is
    left out and ``b_breached`` says whether a new event records a breach: a breach stays
    recorded, so the update ORs it in, at the cost of the new events, not of the history.
    """
    if start is None:
        flags = {"breached": breached(ticket)}
    else:
        flags = {"b_breached": records_breach(ticket.history[start:])}
    return {
        **flags,
        "kind": ticket.kind.value,
        "state": ticket.state,
        "priority": None if ticket.priority is None else ticket.priority.value,
        "tier": ticket.tier,
        "group_name": ticket.group,
        "assignee": ticket.assignee,
        "requester": ticket.requester,
        "title": ticket.title,
        "title_folded": ticket.title.casefold(),
        "alert_key": ticket.alert_key,
        "created_at": micros(ticket.created_at),
        "updated_at": micros(ticket.updated_at),
        "next_check_at": None if next_check_at is None else micros(next_check_at),
        "version": ticket.version,
        "claimed_by": None,
        "claimed_until": None,
    }


def event_rows(ticket: Ticket, start: int) -> list[dict[str, Any]]:
    """
    The rows of the events of ``ticket`` from position ``start`` on: those a save appends.
    """
    rows = []
    history = ticket.history
    for position in range(start, len(history)):
        event = history[position]
        name, version, payload = encode_event(event)
        rows.append(
            {
                "ticket_id": ticket.id,
                "position": position,
                "type": name,
                "schema_version": version,
                "at": micros(event.at),
                "payload": payload,
            }
        )
    return rows


def facet_rows(
    ticket: Ticket, start: int | None
) -> tuple[list[dict[str, Any]] | None, list[dict[str, Any]] | None]:
    """
    The rows of ``deskflow_field_values`` and of ``deskflow_tags`` for ``ticket``, each None
    when the save leaves them as stored: a stored ticket (``start``, the position of its
    first new event) whose new events change no field (no tag).
    """
    new = ticket.history[start or 0 :]
    fields = start is None or any(isinstance(event, FieldsChanged) for event in new)
    tags = start is None or any(isinstance(event, TagsChanged) for event in new)
    return (
        [
            {"ticket_id": ticket.id, "field": name, "value_key": field_key(value)}
            for name, value in ticket.fields.items()
        ]
        if fields
        else None,
        [{"ticket_id": ticket.id, "tag": tag} for tag in sorted(ticket.tags)] if tags else None,
    )


def replayed(ticket_id: str, rows: Iterable[Sequence[Any]]) -> Ticket:
    """
    The ticket whose stored events are ``rows`` of (type, schema_version, payload), in order.

    A row that no longer decodes is a StorageError naming the ticket and the position.
    """
    events: list[Event] = []
    for row in rows:
        try:
            events.append(decode_event(row[0], row[1], row[2]))
        except InvalidInput as error:
            raise StorageError(
                f"ticket {ticket_id!r}: stored event {len(events)} cannot be read: {error}"
            ) from error
    try:
        return Ticket.replay(events)
    except InvalidInput as error:
        raise StorageError(f"ticket {ticket_id!r}: its history does not replay: {error}") from error


def outbox_rows(items: Iterable[Notification]) -> list[dict[str, Any]]:
    """
    The rows queuing these items, in the order given, each key once (the first wins).
    """
    rows: dict[str, dict[str, Any]] = {}
    for item in items:
        if item.dedup_key in rows:
            continue
        rows[item.dedup_key] = {
            "dedup_key": item.dedup_key,
            "ticket_id": item.ticket_id,
            "created_at": micros(item.created_at),
            "status": "pending",
            "attempts": 0,
            "payload": json.dumps(notification_to_dict(item), ensure_ascii=False),
        }
    return list(rows.values())


def notification(payload: str) -> Notification:
    """
    The notification an outbox row holds; StorageError if the row is corrupt.
    """
    try:
        return notification_from_dict(json.loads(payload))
    except (InvalidInput, ValueError, TypeError) as error:
        raise StorageError(f"an outbox payload cannot be read: {error}") from error


def outbox_item(row: Any) -> OutboxItem:
    """
    The outbox item of a row with the columns payload, attempts, next_attempt_at,
    last_error and status.
    """
    return OutboxItem(
        notification(row.payload),
        attempts=row.attempts,
        next_attempt_at=instant(row.next_attempt_at),
        last_error=row.last_error,
        dead=row.status == "dead",
    )


def clean_error(text: str) -> str:
    """
    A delivery error message the database can hold: NUL and lone surrogates escaped.
    """
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text
