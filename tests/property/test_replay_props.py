"""
Replay rebuilds exactly the ticket that recorded the history, built-in and host events mixed:
the linear replay (history, comments and links built once) equals recording event by event.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import attrs
from hypothesis import given
from hypothesis import strategies as st

from builders import ANN, M
from deskflow import INCIDENT, Actor, InvalidTransition, Role, Ticket
from deskflow.enums import LinkKind, Visibility
from deskflow.events import CommentAdded, Event, Linked, SlaThresholdReached
from deskflow.testing.strategies import details_for

AGENT = Actor("lee", Role.AGENT, tier=3)


@attrs.frozen(kw_only=True)
class Counted(Event):
    """
    A host's event whose apply_to reads the collections replay builds apart.
    """

    def apply_to(self, ticket: Ticket) -> Ticket:
        seen = f"{len(ticket.history)}/{len(ticket.comments)}/{len(ticket.links)}"
        return ticket.evolve(self, resolution=seen)


@attrs.frozen(kw_only=True)
class Noted(SlaThresholdReached):
    """
    A host's subclass that inherits a built-in apply_to.
    """


@st.composite
def recorded(draw: st.DrawFn) -> Ticket:
    """
    A ticket built by ``record`` and ``fire`` one event at a time.
    """
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    t = INCIDENT.open("T-1", title="x", requester=ANN, at=now)
    for _ in range(draw(st.integers(0, 40))):
        now += M * draw(st.integers(0, 3))  # simultaneous events too
        kind = draw(st.sampled_from(["trigger", "comment", "link", "host", "inherited"]))
        if kind == "trigger" and INCIDENT.allowed(t.state):
            trigger = draw(st.sampled_from(INCIDENT.allowed(t.state)))
            details = draw(details_for(INCIDENT, t.state, trigger))
            with contextlib.suppress(InvalidTransition):
                t = INCIDENT.fire(t, trigger, actor=AGENT, at=now, **details)
        elif kind == "comment":
            visibility = draw(st.sampled_from(Visibility))
            t = t.record(
                CommentAdded(
                    at=now, actor="lee", body="...", visibility=visibility, author_role="agent"
                )
            )
        elif kind == "link":
            t = t.record(Linked(at=now, actor="lee", other_id="T-2", link_kind=LinkKind.RELATED))
        elif kind == "host":
            t = t.record(Counted(at=now, actor="lee"))
        else:
            t = t.record(
                Noted(at=now, actor="sys", metric="resolution", threshold="x", dedup_key="k")
            )
    return t


@given(ticket=recorded())
def test_replay_equals_recording_one_event_at_a_time(ticket: Ticket) -> None:
    """
    Replaying the history gives the same ticket, whose history is the same events in order.
    """
    again = Ticket.replay(ticket.history)
    assert again == ticket
    assert again.history == ticket.history
    assert again.comments == ticket.comments
    assert again.links == ticket.links


def test_a_host_event_sees_the_true_collections() -> None:
    """
    A host event's apply_to, replayed, reads the history, comments and links so far.
    """
    t = INCIDENT.open("T-1", title="x", requester=ANN, at=datetime(2026, 3, 2, tzinfo=UTC))
    t = t.record(CommentAdded(at=t.updated_at, actor="lee", body="b", author_role="agent"))
    t = t.record(Linked(at=t.updated_at, actor="lee", other_id="T-2"))
    t = t.record(Counted(at=t.updated_at, actor="lee"))
    assert t.resolution == "3/1/1"
    assert Ticket.replay(t.history).resolution == "3/1/1"
