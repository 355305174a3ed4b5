"""
The ticket aggregate.

A [`Ticket`][deskflow.ticket.Ticket] is immutable. Every change is an event (see
[`deskflow.events`][deskflow.events]) appended to ``ticket.history``, and the ticket is the fold
of that history: ``Ticket.replay(ticket.history) == ticket`` always holds. The version used for
optimistic concurrency is the length of the history.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

import attrs

from deskflow._internal.checks import aware, in_utc, text
from deskflow.enums import Impact, LinkKind, Priority, TicketKind, Urgency, Visibility
from deskflow.exceptions import InvalidInput

if TYPE_CHECKING:
    from deskflow.events import StateChanged, TicketOpened

__all__ = [
    "Comment",
    "Event",
    "Feedback",
    "FieldValues",
    "Link",
    "Ticket",
]


@attrs.frozen
class Comment:
    """
    A message on a ticket: a reply to the requester (public) or a note among staff
    (internal). ``author_role`` is the role the author acted in.
    """

    at: datetime
    author: str
    body: str
    visibility: Visibility
    author_role: str

    @property
    def internal(self) -> bool:
        """
        True for a staff-only note.
        """
        return self.visibility == Visibility.INTERNAL


@attrs.frozen
class Link:
    """
    A link from this ticket to another one.
    """

    other_id: str
    kind: LinkKind


@attrs.frozen
class Feedback:
    """
    The requester's rating (1 to 5) and optional comment given at closure.
    """

    rating: int
    comment: str | None


class FieldValues(Mapping[str, object]):
    """
    A ticket's custom field values by field name: an immutable, hashable mapping.

    >>> values = FieldValues({"asset": "LT-042", "hours": 2})
    >>> values["asset"], len(values), values == {"asset": "LT-042", "hours": 2}
    ('LT-042', 2, True)
    """

    __slots__ = ("_items", "_values")

    def __init__(self, values: Mapping[str, object] | Iterable[tuple[str, object]] = ()) -> None:
        items = tuple(sorted(dict(values).items()))
        self._items = items
        self._values = dict(items)

    def __getitem__(self, name: str) -> object:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FieldValues):
            return self._items == other._items
        return isinstance(other, Mapping) and self._values == dict(other)

    def __repr__(self) -> str:
        return f"FieldValues({self._values!r})"


_NO_FIELDS = FieldValues()


@attrs.frozen(kw_only=True)
class Event:
    """
    Something that happened to a ticket, at an instant, by an actor (the actor's id).

    The base of every event (the concrete ones are in [`deskflow.events`][deskflow.events],
    which also exports this class). It lives with the aggregate because a ticket is the fold of
    its events: an event knows how to apply itself to a ticket.
    """

    # Not validated here: events are built on hot paths from checked values; Ticket.record
    # checks what a host records itself. Instants are kept in UTC: Python compares and
    # subtracts two datetimes of one zone by their wall clocks, which is wrong in the hour a
    # DST change repeats; in UTC, order, equality and differences are those of real time.
    at: datetime = attrs.field(converter=in_utc)
    actor: str

    #: Staff-only entries are hidden from requesters by every read path.
    internal = False
    #: True for an event that moves the ticket to another state (a state change).
    changes_state: ClassVar[bool] = False
    #: The version of this class's stored shape. Raise it when a field is renamed, removed or
    #: changes meaning, and register an upcaster from the old version
    #: ([`deskflow.codec.register_upcaster`][deskflow.codec.register_upcaster]) so stored
    #: histories still load.
    schema_version: ClassVar[int] = 1

    def open(self) -> Ticket:
        """
        The ticket this event opens; only the first event of a history opens one.
        """
        raise InvalidInput("a ticket history must start with a TicketOpened event")

    def apply_to(self, ticket: Ticket) -> Ticket:
        """
        Return ``ticket`` with this event applied and appended to its history.
        """
        return ticket.evolve(self)

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        return type(self).__name__


@attrs.frozen
class Ticket:
    """
    An incident or service request, with its whole history.

    Build one with [`deskflow.states.Workflow.open()`][deskflow.states.Workflow.open] (or
    [`Ticket.replay()`][deskflow.ticket.Ticket.replay] from a stored history); change it with
    [`deskflow.states.Workflow.fire()`][deskflow.states.Workflow.fire] and the domain commands,
    each of which returns a new ticket with one more event.

    >>> from datetime import datetime, timezone
    >>> from deskflow import INCIDENT, Actor, Role
    >>> ann = Actor("ann", Role.REQUESTER)
    >>> t = INCIDENT.open("T-1", title="VPN down", requester=ann,
    ...                   at=datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    >>> t.state, t.version
    ('new', 1)
    >>> Ticket.replay(t.history) == t
    True
    """

    #: The opening event: the ticket's identity and what it was logged with.
    opened: TicketOpened
    state: str
    updated_at: datetime
    category: str | None = None
    service: str | None = None
    impact: Impact | None = None
    urgency: Urgency | None = None
    priority: Priority | None = None
    hold_reason: str | None = None
    tier: int = 1
    group: str | None = None
    assignee: str | None = None
    resolution: str | None = None
    comments: tuple[Comment, ...] = ()
    links: tuple[Link, ...] = ()
    feedback: Feedback | None = None
    #: The custom field values (see [`deskflow.fields`][deskflow.fields]).
    fields: FieldValues = _NO_FIELDS
    #: The ticket's tags (staff-only).
    tags: frozenset[str] = frozenset()
    history: tuple[Event, ...] = ()
    # A value derived from a prefix of the history (the SLA fold), carried from a ticket to
    # the one `evolve` makes from it, whose history has that same prefix; not part of the
    # ticket's value. Read and set with memo_of / remember.
    _memo: object = attrs.field(default=None, init=False, eq=False, repr=False, hash=False)

    # What never changes after opening is read from the opening event, not copied: it keeps
    # tickets small and every trigger cheaper.
    @property
    def id(self) -> str:
        """
        The ticket's id.
        """
        return self.opened.ticket_id

    @property
    def kind(self) -> TicketKind:
        """
        Incident or service request.
        """
        return self.opened.kind

    @property
    def title(self) -> str:
        """
        The one-line summary given when the ticket was opened.
        """
        return self.opened.title

    @property
    def description(self) -> str:
        """
        The description given when the ticket was opened.
        """
        return self.opened.description

    @property
    def requester(self) -> str:
        """
        The id of the person the ticket is for.
        """
        return self.opened.requester

    @property
    def created_at(self) -> datetime:
        """
        When the ticket was opened.
        """
        return self.opened.at

    @property
    def alert_key(self) -> str | None:
        """
        The key of the monitoring alert that opened the ticket, if any.
        """
        return self.opened.alert_key

    @property
    def version(self) -> int:
        """
        The optimistic-concurrency version: the number of events in the history.
        """
        return len(self.history)

    @property
    def state_since(self) -> datetime:
        """
        When the ticket entered its current state.
        """
        last = self.last_state_change
        return self.created_at if last is None else last.at

    @property
    def last_state_change(self) -> StateChanged | None:
        """
        The most recent state change, or None if the ticket never left its initial state.
        """
        for event in reversed(self.history):
            if event.changes_state:
                return cast("StateChanged", event)
        return None

    @property
    def public_comments(self) -> tuple[Comment, ...]:
        """
        The comments everyone with access to the ticket may read.
        """
        return tuple(c for c in self.comments if not c.internal)

    def record(self, event: Event) -> Ticket:
        """
        Return the ticket with ``event`` applied and appended to its history.

        Use it to record events a host defines itself; the commands of
        [`Workflow`][deskflow.states.Workflow] and of the service call it for you. The event's
        time must not be earlier than the ticket's last change.
        """
        if not isinstance(event, Event):
            raise InvalidInput(f"expected a deskflow Event, got {type(event).__name__}")
        aware("event.at", event.at)
        text("event.actor", event.actor)
        if event.at < self.updated_at:
            raise InvalidInput(
                f"event at {event.at.isoformat()} is earlier than the ticket's last change "
                f"at {self.updated_at.isoformat()}; history is append-only in time order"
            )
        return event.apply_to(self)

    def evolve(self, event: Event, **changes: Any) -> Ticket:
        """
        Return a copy with ``changes`` applied and ``event`` appended; for Event.apply_to.
        """
        # A hand-rolled attrs.evolve: this sits on the hot path of every trigger.
        values = list(_ALL_FIELDS(self))
        for name, value in changes.items():
            values[_INDEX[name]] = value
        values[_UPDATED_AT] = event.at
        values[_HISTORY] = (*self.history, event)
        ticket = Ticket(*values)
        if self._memo is not None:
            object.__setattr__(ticket, "_memo", self._memo)
        return ticket

    @classmethod
    def replay(cls, history: Iterable[Event]) -> Ticket:
        """
        Rebuild a ticket from its history; the result equals the ticket that recorded it.

        Linear in the length of the history: the history, the comments and the links are
        built once, not copied per event.
        """
        if not isinstance(history, Iterable):
            raise InvalidInput(f"history must be a sequence of events, got {history!r}")
        events = tuple(history)
        if not events or not isinstance(events[0], Event):
            raise InvalidInput("a ticket history must start with a TicketOpened event")
        ticket = events[0].open()
        if len(events) == 1:
            return ticket
        # The built-in events' apply_to reads no collection but the one it appends to, so
        # they are applied to a working ticket whose history, comments and links stay empty:
        # what an event adds moves to lists, and the working ticket (a fresh object no one
        # else holds) is emptied in place. An event whose apply_to a host wrote is applied
        # to the true ticket, built for it alone.
        history = list(ticket.history)
        comments = list(ticket.comments)
        links = list(ticket.links)
        setattr_ = object.__setattr__
        if _builtin(type(events[0]), "open"):
            work = ticket  # a fresh ticket
            setattr_(work, "history", ())
        else:
            work = _with(ticket, (), [], [])
        for event in events[1:]:
            _check_recordable(event, work.updated_at)
            if _builtin(type(event), "apply_to"):
                work = event.apply_to(work)
                history.append(event)
                setattr_(work, "history", ())
                if work.comments:
                    comments.extend(work.comments)
                    setattr_(work, "comments", ())
                if work.links:
                    links.extend(work.links)
                    setattr_(work, "links", ())
            else:
                done = event.apply_to(_with(work, tuple(history), comments, links))
                history, comments, links = (
                    list(done.history),
                    list(done.comments),
                    list(done.links),
                )
                work = _with(done, (), [], [])
        return _with(work, tuple(history), comments, links)


def _check_recordable(event: object, updated_at: datetime) -> None:
    # What Ticket.record checks of an event.
    if not isinstance(event, Event):
        raise InvalidInput(f"expected a deskflow Event, got {type(event).__name__}")
    aware("event.at", event.at)
    text("event.actor", event.actor)
    if event.at < updated_at:
        raise InvalidInput(
            f"event at {event.at.isoformat()} is earlier than the ticket's last change "
            f"at {updated_at.isoformat()}; history is append-only in time order"
        )


_BUILTIN: dict[tuple[type, str], bool] = {}


def _builtin(kind: type, method: str) -> bool:
    # True if the event type's ``method`` is deskflow's own (perhaps inherited by a host's
    # subclass): what it reads of the ticket is known.
    known = _BUILTIN.get((kind, method))
    if known is None:
        module = getattr(getattr(kind, method, None), "__module__", None)
        known = _BUILTIN[kind, method] = module in (
            "deskflow.events",
            "deskflow.fields",
            "deskflow.ticket",
        )
    return known


def _with(
    ticket: Ticket, history: tuple[Event, ...], comments: list[Comment], links: list[Link]
) -> Ticket:
    values = list(_ALL_FIELDS(ticket))
    values[_HISTORY] = history
    values[_COMMENTS] = tuple(comments)
    values[_LINKS] = tuple(links)
    return Ticket(*values)


_NAMES = tuple(a.name for a in attrs.fields(Ticket) if a.init)
_ALL_FIELDS = operator.attrgetter(*_NAMES)
_INDEX = {name: i for i, name in enumerate(_NAMES)}
_UPDATED_AT = _INDEX["updated_at"]
_HISTORY = _INDEX["history"]
_COMMENTS = _INDEX["comments"]
_LINKS = _INDEX["links"]


def memo_of(ticket: Ticket) -> object:
    """
    The value derived from a prefix of ``ticket``'s history that it carries, or None.
    """
    return ticket._memo


def remember(ticket: Ticket, value: object) -> None:
    """
    Let ``ticket`` carry ``value``, derived from a prefix of its history (a cache: the
    ticket's value and equality are unchanged).
    """
    object.__setattr__(ticket, "_memo", value)


#: The highest support tier: what a 32-bit integer column of every store holds.
MAX_TIER = 2**31 - 1


def check_tier(value: object) -> int:
    """
    Return ``value`` if it is a support tier: an int from 1 to ``MAX_TIER``.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TIER:
        raise InvalidInput(f"tier must be an int from 1 to {MAX_TIER}, got {value!r}")
    return value


def check_rating(value: object) -> int:
    """
    Return ``value`` if it is a feedback rating (an int from 1 to 5).
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise InvalidInput(f"feedback rating must be an int from 1 to 5, got {value!r}")
    return value
