"""
The JSON codec: histories and notifications survive a round trip exactly; bad data is refused.
"""

from __future__ import annotations

import enum
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import T0
from deskflow import INCIDENT, SERVICE_REQUEST, Ticket
from deskflow import events as builtin_events
from deskflow.codec import (
    event_from_dict,
    event_to_dict,
    event_types,
    history_from_json,
    history_to_json,
    notification_from_dict,
    notification_to_dict,
    register_event,
)
from deskflow.enums import Impact, LinkKind, Metric, Priority, Urgency, Visibility
from deskflow.events import (
    Acknowledged,
    ActionFired,
    ApprovalDecided,
    ApprovalRequested,
    Classified,
    CommentAdded,
    Escalated,
    Event,
    FeedbackGiven,
    Linked,
    NotificationQueued,
    PriorityChanged,
    SlaThresholdReached,
    StateChanged,
)
from deskflow.exceptions import InvalidInput
from deskflow.states import Workflow
from deskflow.testing.contracts import make_notification
from deskflow.testing.strategies import gaps, tickets

LONDON = ZoneInfo("Europe/London")

# -- a host's own events ------------------------------------------------------------------------


class Channel(enum.IntEnum):
    PHONE = 1
    WALK_IN = 2


@register_event
@attrs.frozen(kw_only=True)
class SiteVisit(Event):
    """
    A host event using every kind of field the codec stores.
    """

    minutes: int
    travel: timedelta
    mileage: float = 0.0
    billable: bool = True
    channel: Channel = Channel.WALK_IN
    rooms: tuple[str, ...] = ()
    readings: tuple[tuple[str, int], ...] = ()
    window: tuple[datetime, datetime] | None = None
    code: int | str | None = None


@attrs.frozen(kw_only=True)
class Unregistered(Event):
    """
    A host event nobody registered.
    """


register_event(SiteVisit, "SiteVisit")  # again, same name: harmless


# -- strategies ---------------------------------------------------------------------------------

_words = st.sampled_from(["ann", "lee", "network", "VPN gateway", "été ☃", "a\nb"])
_ids = st.sampled_from(["ann", "lee", "kim", "mia"])


def _event_args(cls: type[Event], **fields: st.SearchStrategy[object]) -> st.SearchStrategy[Any]:
    return st.tuples(st.just(cls), st.fixed_dictionaries({"actor": _ids, **fields}))


# Built once: a strategy built inside every draw costs more than the test itself.
_EVENTS_BUT_AT = st.one_of(
    _event_args(
        CommentAdded,
        body=_words,
        visibility=st.sampled_from(Visibility),
        author_role=st.sampled_from(["agent", "requester"]),
    ),
    _event_args(
        PriorityChanged,
        priority=st.sampled_from(Priority),
        previous=st.none() | st.sampled_from(Priority),
        reason=st.none() | _words,
        rule=st.none() | _words,
        manual=st.booleans(),
    ),
    _event_args(
        Classified,
        category=st.none() | _words,
        impact=st.none() | st.sampled_from(Impact),
        urgency=st.none() | st.sampled_from(Urgency),
    ),
    _event_args(
        Escalated,
        notified=st.lists(_ids, min_size=1).map(tuple),
        reason=_words,
        dedup_key=st.none() | _words,
    ),
    _event_args(
        SlaThresholdReached,
        metric=st.sampled_from(Metric),
        threshold=st.sampled_from(["75%", "breach"]),
        dedup_key=_words,
    ),
    _event_args(ActionFired, dedup_key=_words, action=_words),
    _event_args(
        NotificationQueued,
        dedup_key=_words,
        recipients=st.lists(_ids, min_size=1).map(tuple),
        template=_words,
        internal_only=st.booleans(),
    ),
    _event_args(
        ApprovalRequested, approvers=st.lists(_ids, min_size=1).map(tuple), stage=st.integers(1, 3)
    ),
    _event_args(ApprovalDecided, approved=st.booleans(), comment=st.none() | _words),
    _event_args(FeedbackGiven, rating=st.integers(1, 5), comment=st.none() | _words),
    _event_args(Linked, other_id=_ids, link_kind=st.sampled_from(LinkKind)),
    _event_args(Acknowledged),
    _event_args(
        SiteVisit,
        minutes=st.integers(-(2**40), 2**40),
        travel=st.timedeltas(),
        mileage=st.floats(allow_nan=False, allow_infinity=False),
        channel=st.sampled_from(Channel),
        rooms=st.lists(_words, max_size=3).map(tuple),
        readings=st.lists(st.tuples(_words, st.integers()), max_size=3).map(tuple),
        code=st.none() | st.integers() | _words,
    ),
)
_ZONES = st.sampled_from([None, UTC, LONDON, timezone(timedelta(hours=-3, minutes=-30))])
_GAPS = gaps(timedelta(days=2))
_EXTRAS = st.lists(st.tuples(_words, _words), max_size=2).map(tuple)


@st.composite
def _worked_tickets(draw: st.DrawFn, workflow: Workflow) -> Ticket:
    """
    A random ticket of ``workflow`` with further events recorded, some in other zones.
    """
    ticket = draw(tickets(workflow, max_steps=8))
    for _ in range(draw(st.integers(0, 6))):
        at = ticket.updated_at + draw(_GAPS)
        zone = draw(_ZONES)
        if zone is not None and at.astimezone(zone) >= ticket.updated_at:
            # Not always: wall-clock arithmetic in a skipped (DST) hour can land on an
            # instant earlier than the last change, which only the same zone tolerates.
            at = at.astimezone(zone)
        cls, args = draw(_EVENTS_BUT_AT)
        ticket = ticket.record(cls(at=at, **args))
    # A custom workflow's details, carried as nested (name, value) pairs.
    extra = draw(_EXTRAS)
    state = ticket.state
    return ticket.record(
        StateChanged(
            at=ticket.updated_at, actor="lee", trigger="note", source=state, dest=state, extra=extra
        )
    )


# -- round trips --------------------------------------------------------------------------------


def test_every_builtin_event_type_is_registered() -> None:
    """
    Every event class deskflow defines, Acknowledged included, has a type name.
    """
    builtin = {getattr(builtin_events, name) for name in builtin_events.__all__} | {Acknowledged}
    assert builtin <= set(event_types().values())
    assert Acknowledged is event_types()["Acknowledged"]


@pytest.mark.slow
@pytest.mark.parametrize("workflow", [INCIDENT, SERVICE_REQUEST], ids=["incident", "request"])
def test_histories_round_trip_and_replay(workflow: Workflow) -> None:
    """
    A decoded history equals the original, and replaying it rebuilds an equal ticket.
    """

    @given(ticket=_worked_tickets(workflow))
    def check(ticket: Ticket) -> None:
        text = history_to_json(ticket.history)
        decoded = history_from_json(text)
        assert ticket.history == decoded
        assert ticket == Ticket.replay(decoded)
        assert [type(e) for e in ticket.history] == [type(e) for e in decoded]
        assert text == history_to_json(decoded)

    check()


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 10, 25, 1, 30, tzinfo=LONDON),
        datetime(2026, 10, 25, 1, 30, tzinfo=LONDON, fold=1),
        datetime(2026, 3, 29, 1, 30, tzinfo=LONDON),
        datetime(2026, 6, 1, 12, 0, 0, 1, tzinfo=timezone(timedelta(hours=5, minutes=45))),
        datetime(2026, 6, 1, 12, 0, tzinfo=ZoneInfo("UTC")),
    ],
    ids=["repeated-hour", "repeated-hour-fold", "skipped-hour", "fixed-offset", "zone-utc"],
)
def test_datetimes_keep_wall_time_offset_and_zone(at: datetime) -> None:
    """
    Datetimes come back with the same wall time, offset, fold and zone, even around DST.

    (Events keep their instants in UTC; a notification's creation time keeps its zone.)
    """
    note = make_notification("k-1", at=at)
    decoded = notification_from_dict(notification_to_dict(note)).created_at
    assert at == decoded
    assert (at.replace(tzinfo=None), at.utcoffset(), at.fold) == (
        decoded.replace(tzinfo=None),
        decoded.utcoffset(),
        decoded.fold,
    )
    if isinstance(at.tzinfo, ZoneInfo):
        assert at.tzinfo is decoded.tzinfo


def test_the_json_is_plain_and_readable() -> None:
    """
    Events are written with their type name, ISO datetimes, enum values and lists.
    """
    event = Escalated(
        at=datetime(2026, 10, 25, 1, 30, tzinfo=LONDON, fold=1),
        actor="system",
        notified=("kim", "mia"),
        reason="P1 breach",
    )
    assert [
        {
            "type": "Escalated",
            "at": "2026-10-25T01:30:00+00:00",
            "actor": "system",
            "notified": ["kim", "mia"],
            "reason": "P1 breach",
            "dedup_key": None,
            "template": "escalation_notice",
        }
    ] == json.loads(history_to_json([event]))


def test_notifications_round_trip() -> None:
    """
    A notification with several recipients and data comes back equal.
    """
    note = attrs.evolve(
        make_notification("T-1:resolved", at=datetime(2026, 10, 25, 1, 30, tzinfo=LONDON)),
        recipients=("ann", "bob"),
        audience="staff",
        data={"url": "https://desk.example/T-1", "note": ""},
    )
    data = notification_to_dict(note)
    assert note == notification_from_dict(json.loads(json.dumps(data)))
    assert [["note", ""], ["url", "https://desk.example/T-1"]] == data["data"]


# -- a host's own event types -------------------------------------------------------------------


def test_a_host_event_round_trips_and_replays() -> None:
    """
    A registered host event with durations, floats, int enums and nested tuples round-trips.
    """
    visit = SiteVisit(
        at=T0 + timedelta(hours=1),
        actor="lee",
        minutes=45,
        travel=-timedelta(days=1, seconds=5, microseconds=7),
        mileage=12.5,
        billable=False,
        channel=Channel.PHONE,
        rooms=("B-12",),
        readings=(("ping", 42),),
        window=(T0, T0 + timedelta(hours=2)),
        code="X-7",
    )
    ticket = INCIDENT.open("T-1", title="VPN down", requester="ann", at=T0).record(visit)
    data = event_to_dict(visit)
    assert "-P1DT5.000007S" == data["travel"]
    assert 1 == data["channel"]
    assert ticket == Ticket.replay(history_from_json(history_to_json(ticket.history)))


def test_a_host_event_needs_registering() -> None:
    """
    Encoding an event whose class was never registered says how to register it.
    """
    with pytest.raises(InvalidInput, match="register_event"):
        event_to_dict(Unregistered(at=T0, actor="lee"))


def test_registering_checks_names_and_field_types() -> None:
    """
    A taken name, a non-event class and fields the codec cannot store are refused.
    """

    @attrs.frozen(kw_only=True)
    class Noted(Event):
        details: dict[str, str]

    @attrs.frozen(kw_only=True)
    class Ambiguous(Event):
        when: datetime | str

    @attrs.frozen(kw_only=True)
    class Typed(Event):
        type: str

    with pytest.raises(InvalidInput, match="already names"):
        register_event(Unregistered, "CommentAdded")
    with pytest.raises(InvalidInput, match="already registered"):
        register_event(SiteVisit, "Visit")
    with pytest.raises(InvalidInput, match="only attrs subclasses"):
        register_event(dict)  # type: ignore[type-var]
    with pytest.raises(InvalidInput, match="cannot store a field"):
        register_event(Noted)
    with pytest.raises(InvalidInput, match="distinct JSON types"):
        register_event(Ambiguous)
    with pytest.raises(InvalidInput, match="named 'type'"):
        register_event(Typed)
    assert "Noted" not in event_types()


# -- bad input ----------------------------------------------------------------------------------

_BASE = {"at": "2026-03-02T09:00:00+00:00", "actor": "lee"}
_GOOD = {"type": "CommentAdded", **_BASE, "body": "Hi"}
_VISIT = {"type": "SiteVisit", **_BASE, "minutes": 1, "travel": "P0DT0S"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("not a dict", "must be a dict"),
        ({**_GOOD, "type": "Exploded"}, "unknown event type 'Exploded'"),
        ({k: v for k, v in _GOOD.items() if k != "type"}, "unknown event type None"),
        ({k: v for k, v in _GOOD.items() if k != "body"}, "missing field 'body'"),
        ({**_GOOD, "colour": "red"}, "unknown field"),
        ({**_GOOD, "at": 5}, r"CommentAdded\.at: expected an ISO 8601 datetime"),
        ({**_GOOD, "at": "2026-03-02T09:00:00"}, "with a UTC offset"),
        ({**_GOOD, "at": "yesterday"}, "ISO 8601"),
        ({**_GOOD, "at": "2026-03-02T09:00:00+00:00[Mars/Olympus]"}, "unknown time zone"),
        ({**_GOOD, "visibility": "secret"}, "expected one of 'public', 'internal'"),
        ({**_GOOD, "body": ["Hi"]}, "expected str"),
        ({**_GOOD, "body": " "}, "body must not be empty"),
        ({"type": "Escalated", **_BASE, "notified": "kim", "reason": "x"}, "expected a list"),
        ({"type": "ApprovalDecided", **_BASE, "approved": 1}, "expected bool"),
        ({**_VISIT, "minutes": True}, "expected int"),
        ({**_VISIT, "travel": "1h"}, "ISO 8601 duration"),
        ({**_VISIT, "code": 1.5}, "fits none"),
        ({**_VISIT, "window": ["2026-03-02T09:00:00+00:00"]}, "expected 2 items"),
    ],
)
def test_malformed_events_are_invalid_input(data: object, message: str) -> None:
    """
    Malformed event data raises InvalidInput naming the problem, never a bare error.
    """
    with pytest.raises(InvalidInput, match=message):
        event_from_dict(data)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[", "not valid JSON"),
        ('{"type": "Event"}', "must be a JSON array"),
        ('[{"type": "Event", "at": "2026-03-02T09:00:00Z", "actor": "x"}, 3]', "item 1"),
        (b"[]", "must be JSON text"),
        ("[" * 100_000, "not valid JSON"),
    ],
)
def test_malformed_histories_are_invalid_input(text: object, message: str) -> None:
    """
    A history that is not a JSON array of event dicts raises InvalidInput.
    """
    with pytest.raises(InvalidInput, match=message):
        history_from_json(text)  # type: ignore[arg-type]


def test_values_that_do_not_fit_are_refused_when_written() -> None:
    """
    Writing a non-event, a naive datetime or a mistyped field raises InvalidInput.
    """
    with pytest.raises(InvalidInput, match="expected a deskflow Event"):
        event_to_dict("CommentAdded")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="timezone-aware"):
        event_to_dict(Acknowledged(at=datetime(2026, 3, 2), actor="kim"))
    bad = Escalated(at=T0, actor="kim", notified="kim", reason="x")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"Escalated\.notified"):
        event_to_dict(bad)
    with pytest.raises(InvalidInput, match="history must be an iterable"):
        history_to_json("events")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="cannot be written as JSON"):
        history_to_json(
            [SiteVisit(at=T0, actor="lee", minutes=1, travel=timedelta(0), mileage=float("nan"))]
        )
    with pytest.raises(InvalidInput, match="expected a Notification"):
        notification_to_dict(_GOOD)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"Notification: .*recipient"):
        notification_from_dict({**notification_to_dict(make_notification("k")), "recipients": []})


def test_an_outbox_row_written_before_messages_had_locales_still_reads() -> None:
    """A stored payload without ``locale``, ``time_zone`` and ``html`` decodes, in SQL too."""
    import json
    from datetime import UTC, datetime

    from deskflow.adapters.sql._rows import notification
    from deskflow.codec import notification_to_dict
    from deskflow.notifications import Notification

    sent = Notification(
        dedup_key="INC-1#0:ticket_received",
        ticket_id="INC-1",
        recipients=["ann"],
        template="ticket_received",
        audience="requester",
        subject="[INC-1] VPN down",
        body="Received.",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        locale="de",
        time_zone="Europe/Berlin",
    )
    old = {
        k: v
        for k, v in notification_to_dict(sent).items()
        if k not in ("locale", "time_zone", "html")
    }
    read = notification(json.dumps(old))
    assert (None, None, None) == (read.locale, read.time_zone, read.html)
    assert (sent.subject, sent.body, sent.dedup_key) == (read.subject, read.body, read.dedup_key)
