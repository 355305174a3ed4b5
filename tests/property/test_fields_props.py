"""
Custom fields and tags under random declarations, values and commands: check gives one
canonical form, the codec and replay keep every value, and requesters never see a
staff-only field or a tag in a view, its dict or a notification.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from hypothesis import given
from hypothesis import strategies as st

from builders import ANN, LEE, T0, M
from deskflow import INCIDENT, Actor, Role, Ticket
from deskflow.codec import decode_event, encode_event
from deskflow.commands import set_fields, tag
from deskflow.desk import Desk
from deskflow.enums import Audience
from deskflow.events import Event
from deskflow.fields import CustomField, FieldsChanged, TagsChanged, field_key
from deskflow.outbox import queue_notifications
from deskflow.testing.strategies import custom_fields, field_inputs, field_values
from deskflow.views import visible

SYSTEM = Actor("system", Role.SYSTEM)
TAGS = st.sampled_from(["vip", "net", "p1"])


@st.composite
def declared(draw: st.DrawFn) -> dict[str, CustomField]:
    """
    One to four fields of distinct names.
    """
    names = draw(st.lists(st.sampled_from(["asset", "hours", "os", "due", "tier2"]), min_size=1,
                          max_size=4, unique=True))  # fmt: skip
    return {name: draw(custom_fields(name=name)) for name in names}


@given(data=st.data(), field=custom_fields())
def test_check_gives_one_canonical_form(data: st.DataObject, field: CustomField) -> None:
    """
    A canonical value comes back unchanged; any accepted form comes back canonical (so
    checking twice changes nothing) with the key of the value it stands for.
    """
    value = data.draw(field_values(field))
    assert value == field.check(value)
    given_form = data.draw(field_inputs(field))
    checked = field.check(given_form)
    assert checked == field.check(checked)
    assert field_key(checked) == field_key(field.check(checked))


@given(data=st.data(), fields=declared())
def test_the_codec_keeps_every_field_value(
    data: st.DataObject, fields: dict[str, CustomField]
) -> None:
    """
    A FieldsChanged of any values (and clearings) reads back equal, value types included.
    """
    changes = {name: data.draw(st.none() | field_values(spec)) for name, spec in fields.items()}
    event = FieldsChanged(at=T0, actor="lee", changes=changes, staff_only=True)
    back = decode_event(*encode_event(event))
    assert event == back
    assert isinstance(back, FieldsChanged)
    assert [type(v) for v in changes.values()] == [type(v) for v in back.changes.values()]


@st.composite
def worked(draw: st.DrawFn) -> tuple[Desk, Ticket]:
    """
    A desk with random fields and a ticket that random set_fields and tag commands (by an
    agent or the system, sometimes at the same instant) went through.
    """
    fields = draw(declared())
    desk = Desk(fields=fields)
    now = T0
    ticket = INCIDENT.open("T-1", title="VPN down", requester=ANN.id, at=now)
    for _ in range(draw(st.integers(1, 12))):
        now += M * draw(st.integers(0, 2))
        actor = draw(st.sampled_from([LEE, SYSTEM]))
        if draw(st.booleans()):
            names = draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, unique=True))
            values = {n: draw(st.none() | field_inputs(fields[n])) for n in names}
            ticket = set_fields(ticket, actor, desk, now, values=values)
        else:
            add = draw(st.lists(TAGS, max_size=2, unique=True))
            remove = [t for t in draw(st.lists(TAGS, max_size=2, unique=True)) if t not in add]
            if add or remove:
                ticket = tag(ticket, actor, desk, now, add=add, remove=remove)
    return desk, ticket


def _expected_fields(history: tuple[Event, ...]) -> tuple[dict[str, object], set[str]]:
    values: dict[str, object] = {}
    tags: set[str] = set()
    for event in history:
        if isinstance(event, FieldsChanged):
            for name, value in event.changes.items():
                if value is None:
                    values.pop(name, None)
                else:
                    values[name] = value
        elif isinstance(event, TagsChanged):
            tags = (tags | set(event.added)) - set(event.removed)
    return values, tags


@given(case=worked())
def test_replay_equals_the_ticket_the_commands_built(case: tuple[Desk, Ticket]) -> None:
    """
    Replaying the history, also after a trip through the codec, rebuilds the ticket the
    commands built one by one, whose fields and tags are the fold of its field and tag events.
    """
    _, ticket = case
    assert ticket == Ticket.replay(ticket.history)
    stored = [decode_event(*encode_event(event)) for event in ticket.history]
    assert ticket == Ticket.replay(stored)
    values, tags = _expected_fields(ticket.history)
    assert (values, tags) == (dict(ticket.fields), set(ticket.tags))


def _staff_only_names(fields: Mapping[str, CustomField]) -> set[str]:
    return {name for name, spec in fields.items() if spec.staff_only}


@given(case=worked())
def test_requesters_never_see_staff_only_fields_or_tags(case: tuple[Desk, Ticket]) -> None:
    """
    In the requester's view, its dict and its history there is no staff-only field and
    no tag, while staff see every value; the public values shown are the ticket's own.
    """
    desk, ticket = case
    hidden = _staff_only_names(desk.fields)
    view = visible(ANN, ticket, fields=desk.fields)
    assert not hidden & set(view.fields)
    assert {k: v for k, v in ticket.fields.items() if k not in hidden} == dict(view.fields)
    assert frozenset() == view.tags
    data = json.loads(json.dumps(view.to_dict()))
    assert [] == data["tags"]
    assert not hidden & set(data["fields"])
    for entry in data["history"]:
        assert entry["type"] != "TagsChanged"
        if entry["type"] == "FieldsChanged":
            assert not hidden & set(entry["changes"])
    staff = visible(LEE, ticket, fields=desk.fields)
    assert (ticket.fields, ticket.tags) == (staff.fields, staff.tags)


@given(case=worked())
def test_requesters_are_never_told_of_staff_only_fields_or_tags(
    case: tuple[Desk, Ticket],
) -> None:
    """
    Whatever a notification rule asks for, a requester's notifications come only from field
    changes that touch no staff-only field, never from a tag change.
    """
    desk, ticket = case
    hidden = _staff_only_names(desk.fields)

    def tell_the_requester(t: Ticket, event: Event) -> list[tuple[str, Audience, tuple[str, ...]]]:
        return [("x", Audience.REQUESTER, (t.requester,))]

    _, sent = queue_notifications(None, ticket, ticket.updated_at, rules=(tell_the_requester,))
    told = [ticket.history[int(n.dedup_key.split("#")[1].split(":")[0])] for n in sent]
    for event in told:
        assert not isinstance(event, TagsChanged)
        if isinstance(event, FieldsChanged):
            assert not hidden & set(event.changes)
