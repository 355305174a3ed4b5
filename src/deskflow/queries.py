"""
Finding tickets: a filter, an order and a cursor, the same for every repository.

[`TicketRepository.find`][deskflow.ports.TicketRepository.find] takes a
[`TicketQuery`][deskflow.queries.TicketQuery] and returns one
[`Page`][deskflow.queries.Page] of tickets with the cursor of the next one. Paging is by keyset:
the cursor names the last ticket of the page by its sort key and id, so a page costs what its
size costs however deep into the listing it is, and a ticket saved between two pages neither
repeats nor vanishes because of an offset. ``TicketQuery.matches`` is the reference
semantics every adapter's query must agree with (the contract suite checks it).

>>> from datetime import datetime, timezone
>>> from deskflow import INCIDENT
>>> t = INCIDENT.open("T-1", title="VPN down", requester="ann",
...                   at=datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
>>> TicketQuery(states={"new"}, title_contains="vpn").matches(t)
True
>>> TicketQuery(assignees={None}).matches(t), TicketQuery(assignees={"zoe"}).matches(t)
(True, False)
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final, Generic, Literal, TypeVar, overload

import attrs

from deskflow._internal import checks as _checks
from deskflow.enums import Priority, TicketKind
from deskflow.events import SlaThresholdReached
from deskflow.exceptions import InvalidInput
from deskflow.fields import check_tags, field_key
from deskflow.ticket import MAX_TIER, Event, FieldValues, Ticket

__all__ = ["ORDERS", "Order", "Page", "TicketQuery", "breached", "decode_cursor", "encode_cursor"]

#: How a listing is sorted: by creation or last change, oldest first or (``-``) newest first;
#: ties by ticket id, in the same direction.
Order = Literal["created", "-created", "updated", "-updated"]
ORDERS: Final[tuple[str, ...]] = ("created", "-created", "updated", "-updated")
#: The most tickets one page may hold.
MAX_LIMIT: Final = 1000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

T = TypeVar("T")


def breached(ticket: Ticket) -> bool:
    """
    True if any SLA clock of ``ticket`` was recorded as breached (by a tick).
    """
    return records_breach(ticket.history)


def records_breach(events: Iterable[Event]) -> bool:
    """
    True if one of ``events`` records an SLA breach. A breach stays recorded, so a store
    keeping ``breached`` updates it from the events a save adds.
    """
    return any(
        isinstance(event, SlaThresholdReached) and event.threshold == "breach" for event in events
    )


def _strings(name: str, value: object) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInput(f"{name} must be a set of strings, got {value!r}")
    return frozenset(_checks.text(name, item) for item in value)


def _optional_strings(name: str, value: object) -> frozenset[str | None] | None:
    # None inside the set means "none set": unassigned, or in no group.
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInput(f"{name} must be a set of strings (or None), got {value!r}")
    return frozenset(None if item is None else _checks.text(name, item) for item in value)


def _states(value: object) -> frozenset[str] | None:
    return _strings("states", value)


def _requesters(value: object) -> frozenset[str] | None:
    return _strings("requesters", value)


def _groups(value: object) -> frozenset[str | None] | None:
    return _optional_strings("groups", value)


def _assignees(value: object) -> frozenset[str | None] | None:
    return _optional_strings("assignees", value)


def _kinds(value: object) -> frozenset[TicketKind] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInput(f"kinds must be a set of ticket kinds, got {value!r}")
    return frozenset(_checks.member("kinds", TicketKind, item) for item in value)


def _priorities(value: object) -> frozenset[Priority] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInput(f"priorities must be a set of priorities, got {value!r}")
    return frozenset(_checks.member("priorities", Priority, item) for item in value)


def _tiers(value: object) -> frozenset[int] | None:
    if value is None:
        return None
    if not isinstance(value, Iterable):
        raise InvalidInput(f"tiers must be a set of ints >= 1, got {value!r}")
    items = frozenset(value)
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= MAX_TIER:
            raise InvalidInput(f"tiers must be ints from 1 to {MAX_TIER}, got {item!r}")
    return items


def _instant(value: object) -> datetime | None:
    return None if value is None else _checks.aware("a TicketQuery instant", value)


def _optional_bool(value: object) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise InvalidInput(f"breached must be True, False or None, got {value!r}")
    return value


def _title_text(value: object) -> str | None:
    return None if value is None else _checks.text("title_contains", value)


def _field_values(value: object) -> FieldValues | None:
    # Field name -> the value it must equal (None: not set), each a custom field value.
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidInput(f"fields must map custom field names to values, got {value!r}")
    out: dict[str, object] = {}
    for name, wanted in value.items():
        name = _checks.text("fields", name)
        if isinstance(wanted, list | set | frozenset):
            wanted = tuple(sorted(set(wanted)))
        if wanted is not None:
            field_key(wanted)  # InvalidInput for what no field holds (a float, say)
        out[name] = wanted
    return FieldValues(out)


def _tags_all(value: object) -> frozenset[str] | None:
    return None if value is None else frozenset(check_tags("tags_all", value))


def _tags_any(value: object) -> frozenset[str] | None:
    return None if value is None else frozenset(check_tags("tags_any", value))


@attrs.frozen(kw_only=True)
class TicketQuery:
    """
    Which tickets a listing holds. Every criterion left None accepts every ticket; a set
    accepts a ticket whose value is in it; criteria combine with AND.

    - ``states``, ``kinds``, ``priorities``, ``tiers``, ``requesters``: the ticket's value is
      in the set (a ticket with no priority never matches ``priorities``);
    - ``assignees``, ``groups``: the same, and ``None`` in the set stands for "nobody" (an
      unassigned ticket; one in no group);
    - ``created_from`` / ``created_before``, ``updated_from`` / ``updated_before``: half-open
      ranges ``[from, before)`` of ``created_at`` / ``updated_at``;
    - ``breached``: True for tickets with a recorded SLA breach, False for those without;
    - ``due_before``: tickets whose next check time is set and earlier than this instant;
    - ``title_contains``: the title holds this text, ignoring case;
    - ``fields``: custom field name -> value: the ticket's value equals it (``None``: the
      field is not set). Values compare as [`field_key`][deskflow.fields.field_key] says:
      an int and a Decimal of the same number are equal, ``True`` is not ``1`` and ``"1"``
      is not ``1``; a multi-choice value is a set of options;
    - ``tags_all``: the ticket has every one of these tags; ``tags_any``: at least one.

    A listing through [`HelpDesk.tickets`][deskflow.service.HelpDesk.tickets] checks the
    field values against the desk's declarations first (so ``"12.5"`` finds a decimal
    field's ``Decimal("12.5")``), and refuses staff-only fields and tags to requesters.

    >>> TicketQuery(kinds=["incident"], priorities=["P1", "P2"]).priorities == {
    ...     Priority.P1, Priority.P2}
    True
    """

    states: frozenset[str] | None = attrs.field(default=None, converter=_states)
    kinds: frozenset[TicketKind] | None = attrs.field(default=None, converter=_kinds)
    groups: frozenset[str | None] | None = attrs.field(default=None, converter=_groups)
    assignees: frozenset[str | None] | None = attrs.field(default=None, converter=_assignees)
    requesters: frozenset[str] | None = attrs.field(default=None, converter=_requesters)
    priorities: frozenset[Priority] | None = attrs.field(default=None, converter=_priorities)
    tiers: frozenset[int] | None = attrs.field(default=None, converter=_tiers)
    created_from: datetime | None = attrs.field(default=None, converter=_instant)
    created_before: datetime | None = attrs.field(default=None, converter=_instant)
    updated_from: datetime | None = attrs.field(default=None, converter=_instant)
    updated_before: datetime | None = attrs.field(default=None, converter=_instant)
    breached: bool | None = attrs.field(default=None, converter=_optional_bool)
    due_before: datetime | None = attrs.field(default=None, converter=_instant)
    title_contains: str | None = attrs.field(default=None, converter=_title_text)
    fields: FieldValues | None = attrs.field(default=None, converter=_field_values)
    tags_all: frozenset[str] | None = attrs.field(default=None, converter=_tags_all)
    tags_any: frozenset[str] | None = attrs.field(default=None, converter=_tags_any)

    def matches(self, ticket: Ticket, next_check_at: datetime | None = None) -> bool:
        """
        Whether ``ticket`` (whose stored next check time is ``next_check_at``) is listed.
        """
        checks: list[bool] = []
        if self.states is not None:
            checks.append(ticket.state in self.states)
        if self.kinds is not None:
            checks.append(ticket.kind in self.kinds)
        if self.groups is not None:
            checks.append(ticket.group in self.groups)
        if self.assignees is not None:
            checks.append(ticket.assignee in self.assignees)
        if self.requesters is not None:
            checks.append(ticket.requester in self.requesters)
        if self.priorities is not None:
            checks.append(ticket.priority in self.priorities)
        if self.tiers is not None:
            checks.append(ticket.tier in self.tiers)
        checks.extend(
            _in_range(ticket.created_at, self.created_from, self.created_before)
            + _in_range(ticket.updated_at, self.updated_from, self.updated_before)
        )
        if self.breached is not None:
            checks.append(breached(ticket) is self.breached)
        if self.due_before is not None:
            checks.append(next_check_at is not None and next_check_at < self.due_before)
        if self.title_contains is not None:
            checks.append(self.title_contains.casefold() in ticket.title.casefold())
        if self.fields is not None:
            checks.extend(_field_matches(ticket, name, v) for name, v in self.fields.items())
        if self.tags_all is not None:
            checks.append(self.tags_all <= ticket.tags)
        if self.tags_any is not None:
            checks.append(not self.tags_any.isdisjoint(ticket.tags))
        return all(checks)


def _field_matches(ticket: Ticket, name: str, wanted: object) -> bool:
    got = ticket.fields.get(name)
    if wanted is None or got is None:
        return wanted is got
    return field_key(got) == field_key(wanted)


def _in_range(value: datetime, start: datetime | None, end: datetime | None) -> list[bool]:
    out = []
    if start is not None:
        out.append(value >= start)
    if end is not None:
        out.append(value < end)
    return out


def sort_key(ticket: Ticket, order: Order) -> tuple[int, str]:
    """
    The key a listing in ``order`` sorts ``ticket`` by (ascending; ``-`` orders reverse it):
    integer microseconds of the instant since the Unix epoch, then the id.
    """
    at = ticket.updated_at if order.lstrip("-") == "updated" else ticket.created_at
    return (at - _EPOCH) // _MICROSECOND, ticket.id


def checked_order(value: object) -> Order:
    """
    Return ``value`` if it is one of [`ORDERS`][deskflow.queries.ORDERS], else InvalidInput.
    """
    if value not in ORDERS:
        raise InvalidInput(f"order must be one of {', '.join(ORDERS)}; got {value!r}")
    return value  # type: ignore[return-value]


def checked_limit(value: object) -> int:
    """
    Return ``value`` if it is a page size from 1 to ``MAX_LIMIT``, else InvalidInput.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise InvalidInput(f"limit must be an int from 1 to {MAX_LIMIT}, got {value!r}")
    return value


def encode_cursor(order: Order, key: tuple[int, str]) -> str:
    """
    The opaque cursor naming the position just after ``key`` in a listing in ``order``.

    >>> cursor = encode_cursor("created", (1, "T-1"))
    >>> decode_cursor(cursor, "created")
    (1, 'T-1')
    """
    raw = json.dumps([order, key[0], key[1]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: object, order: Order) -> tuple[int, str]:
    """
    The key a cursor from [`encode_cursor`][deskflow.queries.encode_cursor] names; InvalidInput
    for anything else, or for a cursor of a listing in another order.
    """
    if not isinstance(cursor, str) or not cursor:
        raise InvalidInput(f"after must be a cursor from a previous page, got {cursor!r}")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidInput(f"after is not a cursor from a previous page: {cursor!r}") from None
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not isinstance(value[1], int)
        or isinstance(value[1], bool)
        or not isinstance(value[2], str)
    ):
        raise InvalidInput(f"after is not a cursor from a previous page: {cursor!r}")
    # Bounded and checked as the store's own values are: a forged cursor is refused here,
    # the same on every store, before it reaches a database.
    if not -(2**63) <= value[1] < 2**63:
        raise InvalidInput(f"after is not a cursor from a previous page: {cursor!r}")
    try:
        _checks.text("after", value[2])
    except InvalidInput:
        raise InvalidInput(f"after is not a cursor from a previous page: {cursor!r}") from None
    if value[0] != order:
        raise InvalidInput(
            f"after is a cursor of a listing by {value[0]!r}, not by {order!r}: "
            "page with the order the first page was asked for"
        )
    return value[1], value[2]


@attrs.frozen
class Page(Sequence[T], Generic[T]):
    """
    One page of a listing: its items, and the cursor of the next page (None on the last).

    A page is a sequence of its items, so ``for ticket in page`` and ``page[0]`` work.

    >>> page = Page(("a", "b"), next_cursor=None)
    >>> list(page), len(page), page[1]
    (['a', 'b'], 2, 'b')
    """

    items: tuple[T, ...] = attrs.field(converter=tuple)
    next_cursor: str | None = None

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)
