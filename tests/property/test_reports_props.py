"""
Properties of desk reports on random ticket histories: rates are shares, counts add up
across groups and tickets, and the order of the tickets does not matter.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import DAY, LEE, WEEKDAYS
from deskflow import INCIDENT, InvalidTransition, Priority, Ticket
from deskflow.calendars import BusinessCalendar
from deskflow.enums import Visibility
from deskflow.events import CommentAdded, Event, FeedbackGiven
from deskflow.reports import GROUP_BY_FIELDS, DeskReport, Durations, desk_report
from deskflow.sla import SlaPolicy
from deskflow.testing.strategies import REQUESTER, instants, tickets

END = datetime(2031, 1, 1)  # naive, as the bounds of instants(); after every history drawn
LAST = END.replace(tzinfo=UTC)
POLICIES = (
    SlaPolicy.itil(BusinessCalendar.always("UTC")),
    SlaPolicy.itil(BusinessCalendar("Europe/London", {d: ["08:00-18:00"] for d in WEEKDAYS})),
)


def _remark(draw: st.DrawFn, at: datetime) -> Event:
    kind = draw(st.sampled_from(["agent", "note", "requester", "rating"]))
    if kind == "rating":
        return FeedbackGiven(at=at, actor=REQUESTER.id, rating=draw(st.integers(1, 5)))
    visibility = Visibility.INTERNAL if kind == "note" else Visibility.PUBLIC
    role = "requester" if kind == "requester" else "agent"
    return CommentAdded(at=at, actor="lee", body="...", visibility=visibility, author_role=role)


def _in_time_order(ticket: Ticket) -> bool:
    instants = [event.at.astimezone(UTC) for event in ticket.history]
    return instants == sorted(instants)


def _finish(draw: st.DrawFn, ticket: Ticket) -> Ticket:
    # A random walk seldom resolves, reopens or escalates; a few deliberate tries at the
    # end make those common (a refused trigger changes nothing).
    for trigger in draw(st.lists(st.sampled_from(["escalate", "resolve", "reopen"]), max_size=4)):
        at = ticket.updated_at.astimezone(UTC) + draw(st.sampled_from([timedelta(0), DAY]))
        details: dict[str, dict[str, str | int]] = {
            "escalate": {"tier": ticket.tier + 1},
            "resolve": {"resolution": "done"},
        }
        with contextlib.suppress(InvalidTransition):
            ticket = INCIDENT.fire(ticket, trigger, actor=LEE, at=at, **details.get(trigger, {}))
    return ticket


@st.composite
def desk_tickets(draw: st.DrawFn) -> Ticket:
    """
    An incident reached by random triggers, with a random priority and comments and ratings
    slipped in between its events.
    """
    walked = _finish(draw, draw(tickets(INCIDENT, max_steps=6)))
    assert _in_time_order(walked)  # tickets() walks forward in real time
    history: list[Event] = [
        attrs.evolve(walked.opened, priority=draw(st.none() | st.sampled_from(Priority))),
        *walked.history[1:],
    ]
    for _ in range(draw(st.integers(0, 3))):
        after = draw(st.integers(0, len(history) - 1))
        history.insert(after + 1, _remark(draw, history[after].at))
    return Ticket.replay(history)


# Small lists: drawing a ticket's random walk is what costs (about 5 ms a ticket).
desks = st.lists(desk_tickets(), max_size=3)
nows = st.one_of(st.just(LAST), instants(min_value=datetime(2020, 1, 1), max_value=END))
periods = st.one_of(
    st.none(),
    st.lists(instants(min_value=datetime(2019, 1, 1), max_value=END), min_size=2, max_size=2)
    .map(lambda pair: sorted(pair, key=lambda at: at.astimezone(UTC)))
    .map(lambda pair: (pair[0], pair[1])),
)
slas = st.none() | st.sampled_from(POLICIES)


def _ordered(durations: Durations) -> bool:
    mean, median, p90 = durations.mean, durations.median, durations.p90
    if durations.count == 0:
        return (None, None, None) == (mean, median, p90)
    return (
        mean is not None
        and median is not None
        and p90 is not None
        and timedelta(0) <= min(mean, median)
        and median <= p90
    )


def _counts(part: DeskReport) -> list[int]:
    v, s = part.volume, part.satisfaction
    out = [v.opened, v.resolved, v.backlog, part.first_contact, part.reopened, part.escalated]
    out += [s.count, s.sum_of_ratings, s.satisfied, part.time_to_first_response.count]
    out += [n for c in part.sla.values() for n in (c.met, c.breached)]
    out += [n for kind in part.by_kind.values() for n in attrs.astuple(kind)]
    return out


# Drawing tickets is what costs, so one test checks both what holds of every part of a
# grouped report and how the parts relate to the whole.
@pytest.mark.slow
@given(desks, nows, periods, slas, st.sampled_from(GROUP_BY_FIELDS))
def test_rates_are_shares_and_groups_add_up_to_the_whole(
    tickets: list[Ticket],
    now: datetime,
    period: tuple[datetime, datetime] | None,
    sla: SlaPolicy | None,
    by: str,
) -> None:
    """
    In a grouped report every rate is None or in [0, 1], and the groups' counts sum to the whole.
    """
    desk = desk_report(tickets, now=now, period=period, sla=sla, by=by)
    for part in [desk, *desk.groups.values()]:
        rates = [part.first_contact_rate, part.reopen_rate, part.escalation_rate]
        rates += [part.satisfaction.csat, *(c.rate for c in part.sla.values())]
        assert all(rate is None or 0 <= rate <= 1 for rate in rates)
        resolved = part.volume.resolved
        assert max(part.first_contact, part.reopened, part.escalated) <= resolved
        assert resolved == part.time_to_resolve.count
        mean = part.satisfaction.mean
        assert mean is None or 1 <= mean <= 5
        assert _ordered(part.time_to_resolve)
        assert _ordered(part.time_to_first_response)
    summed = [sum(column) for column in zip(*map(_counts, desk.groups.values()), strict=True)]
    assert (_counts(desk) if desk.groups else []) == summed


@pytest.mark.slow
@given(desks, nows, periods, slas, st.none() | st.sampled_from(GROUP_BY_FIELDS), st.data())
def test_order_of_the_tickets_does_not_matter(
    tickets: list[Ticket],
    now: datetime,
    period: tuple[datetime, datetime] | None,
    sla: SlaPolicy | None,
    by: str | None,
    data: st.DataObject,
) -> None:
    """
    A report of a list equals the report of the same list shuffled.
    """
    shuffled = data.draw(st.permutations(tickets))
    expected = desk_report(tickets, now=now, period=period, sla=sla, by=by)
    assert expected == desk_report(shuffled, now=now, period=period, sla=sla, by=by)


@given(desk_tickets())
def test_each_ticket_is_backlog_resolved_or_cancelled(ticket: Ticket) -> None:
    """
    Over all time, a ticket alone is exactly one of backlog, resolved or cancelled; first
    contact, reopened and escalated ones are resolved ones.
    """
    alone = desk_report([ticket], now=LAST)
    cancelled = int(ticket.state == "cancelled")
    assert 1 == alone.volume.backlog + alone.volume.resolved + cancelled
    assert max(alone.first_contact, alone.reopened, alone.escalated) <= alone.volume.resolved
