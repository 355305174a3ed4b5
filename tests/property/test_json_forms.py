"""
The JSON forms of views and reports: JSON values only, instants that read back, and no
internal note in a requester's dict.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from deskflow import INCIDENT, SERVICE_REQUEST, Actor, Role, Ticket
from deskflow.calendars import BusinessCalendar
from deskflow.enums import Visibility
from deskflow.events import CommentAdded
from deskflow.reports import DeskReport, desk_report
from deskflow.sla import ClockStatus, SlaPolicy
from deskflow.testing.strategies import REQUESTER, gaps, tickets
from deskflow.views import TicketView, visible

POLICY = SlaPolicy.itil(BusinessCalendar("Europe/London", {"mon": ["08:00-18:00"]}))
STAFF = Actor("lee", Role.AGENT, tier=1)
SECRET = "internal-note-text-7f3a"
any_ticket = st.one_of(tickets(INCIDENT), tickets(SERVICE_REQUEST))


def with_internal_note(ticket: Ticket, after: timedelta) -> Ticket:
    note = CommentAdded(
        at=ticket.updated_at + after,
        actor="lee",
        body=SECRET,
        visibility=Visibility.INTERNAL,
    )
    return ticket.record(note)


def read_instant(text: str) -> datetime:
    assert text.endswith("Z")
    parsed = datetime.fromisoformat(text)
    assert timedelta(0) == parsed.utcoffset()
    return parsed


@given(any_ticket, gaps())
def test_a_view_dict_is_json_and_its_instants_read_back(ticket: Ticket, after: timedelta) -> None:
    """
    A staff view's dict dumps as JSON; its instants are UTC with Z and read back equal.
    """
    ticket = with_internal_note(ticket, after)
    data = json.loads(json.dumps(visible(STAFF, ticket).to_dict(), allow_nan=False))
    assert ticket.created_at == read_instant(data["created_at"])
    assert ticket.updated_at == read_instant(data["updated_at"])
    assert [e.at for e in ticket.history] == [read_instant(e["at"]) for e in data["history"]]
    assert SECRET in json.dumps(data)


@given(any_ticket, gaps())
def test_a_requesters_view_dict_holds_no_internal_note(ticket: Ticket, after: timedelta) -> None:
    """
    The requester's view dict carries no internal note text, in comments or history.
    """
    ticket = with_internal_note(ticket, after)
    data = visible(REQUESTER, ticket).to_dict()
    assert SECRET not in json.dumps(data)
    assert data["includes_internal"] is False


@given(any_ticket, gaps())
def test_an_sla_report_dict_is_json(ticket: Ticket, after: timedelta) -> None:
    """
    An SLA report's dict dumps as JSON; durations are seconds; instants read back equal.
    """
    now = ticket.updated_at + after
    report = POLICY.evaluate(ticket, now)
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert now == read_instant(data["at"])
    assert {m.value for m in report.clocks} == set(data["clocks"])
    for metric, clock in report.clocks.items():
        form = data["clocks"][metric.value]
        assert clock.elapsed.total_seconds() == form["elapsed"]
        assert clock.breached == form["breached"]
        if clock.due_at is not None:
            assert clock.due_at == read_instant(form["due_at"])


@given(st.lists(any_ticket, max_size=6), st.sampled_from([None, "group", "priority"]))
def test_a_desk_report_dict_is_json(batch: list[Ticket], by: str | None) -> None:
    """
    A desk report's dict dumps as JSON, with one entry per group and the rates included.
    """
    now = datetime(2031, 1, 1, tzinfo=UTC)
    report = desk_report(batch, now=now, sla=POLICY, by=by)
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert now == read_instant(data["now"])
    assert report.first_contact_rate == data["first_contact_rate"]
    assert len(report.groups) == len(data["groups"])
    assert sorted(map(str, report.groups)) == sorted(str(g["value"]) for g in data["groups"])


def test_the_shapes_are_the_documented_ones() -> None:
    """
    A view dict has one key per field, a clock dict adds breached, a report dict the rates.
    """
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    ticket = INCIDENT.open("T-1", title="VPN down", requester="ann", at=at, priority="P2")
    view = visible(STAFF, ticket)
    assert [f.name for f in attrs.fields(TicketView)] == list(view.to_dict())
    clock = POLICY.evaluate(ticket, at + timedelta(hours=1)).to_dict()["clocks"]["resolution"]
    assert [*(f.name for f in attrs.fields(ClockStatus)), "breached"] == list(clock)
    assert {"type": "TicketOpened", "at": "2026-03-02T09:00:00Z"} == {
        k: view.to_dict()["history"][0][k] for k in ("type", "at")
    }
    report = desk_report([ticket], now=at).to_dict()
    rates = ["escalation_rate", "first_contact_rate", "reopen_rate"]
    assert [*(f.name for f in attrs.fields(DeskReport)), *rates] == list(report)
