"""
Properties of SLA clocks: a per-minute oracle, the algebra of pauses and due dates,
retroactive recomputation, thresholds, and order-independence of simultaneous events.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import assume, given
from hypothesis import strategies as st

from builders import ANN, WEEKDAYS, M
from deskflow import INCIDENT, Actor, InvalidTransition, Metric, Priority, Role, Ticket, Trigger
from deskflow.calendars import BusinessCalendar
from deskflow.enums import Visibility
from deskflow.events import CommentAdded, PriorityChanged, StateChanged, TicketOpened
from deskflow.sla import ClockState, PriorityChangeMode, SlaPolicy
from deskflow.testing.strategies import details_for

AGENT = Actor("lee", Role.AGENT, tier=3)
CALENDARS = {
    "24x7": BusinessCalendar.always("UTC"),
    "office": BusinessCalendar("UTC", {d: ["09:00-12:00", "13:00-17:00"] for d in WEEKDAYS}),
    "london": BusinessCalendar("Europe/London", {d: ["08:00-18:00"] for d in WEEKDAYS}),
    "night": BusinessCalendar("America/New_York", {d: ["22:00-06:00"] for d in WEEKDAYS}),
}
RESOLUTION = Metric.RESOLUTION


@st.composite
def worked(draw: st.DrawFn, max_steps: int = 14) -> tuple[Ticket, datetime]:
    """
    A ticket worked by random triggers, comments and priority changes at minute-aligned
    times, and an instant after its last change.
    """
    start = draw(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 1)))
    now = start.replace(second=0, microsecond=0, tzinfo=UTC)
    t = INCIDENT.open(
        "T-1", title="x", requester=ANN, at=now, priority=draw(st.sampled_from(Priority))
    )
    for _ in range(draw(st.integers(0, max_steps))):
        now += M * draw(st.integers(0, 900))
        kind = draw(st.sampled_from(["trigger", "trigger", "comment", "priority"]))
        if kind == "trigger" and INCIDENT.allowed(t.state):
            trigger = draw(st.sampled_from(INCIDENT.allowed(t.state)))
            details = draw(details_for(INCIDENT, t.state, trigger))
            with contextlib.suppress(InvalidTransition):
                t = INCIDENT.fire(t, trigger, actor=AGENT, at=now, **details)
        elif kind == "comment":
            by = draw(st.sampled_from([AGENT, ANN]))
            visibility = draw(st.sampled_from(Visibility))
            t = t.record(
                CommentAdded(
                    at=now, actor=by.id, body="...", visibility=visibility, author_role=by.role
                )
            )
        elif kind == "priority":
            new = draw(st.sampled_from(Priority))
            t = t.record(PriorityChanged(at=now, actor="sup", priority=new, previous=t.priority))
    return t, now + M * draw(st.integers(0, 3000))


def oracle_elapsed(ticket: Ticket, calendar: BusinessCalendar, now: datetime) -> timedelta:
    """
    Resolution business time, minute by minute: open minutes in a state that neither
    pauses nor stops the resolution clock.
    """
    pauses = INCIDENT.pauses.get(RESOLUTION, frozenset())
    stops = INCIDENT.stops.get(RESOLUTION, frozenset()) | INCIDENT.final
    changes = [(e.at, e.dest) for e in ticket.history if isinstance(e, StateChanged)]
    minutes = 0
    minute = ticket.created_at
    state = ticket.history[0].state  # type: ignore[attr-defined]
    index = 0
    while minute < now:
        while index < len(changes) and changes[index][0] <= minute:
            state = changes[index][1]
            index += 1
        if state not in pauses and state not in stops and calendar.is_open(minute):
            minutes += 1
        minute += M
    return M * minutes


calendars = st.sampled_from(sorted(CALENDARS))


@given(case=worked(), name=calendars)
def test_resolution_clock_agrees_with_a_per_minute_oracle(
    case: tuple[Ticket, datetime], name: str
) -> None:
    """
    Elapsed business time equals the minute-by-minute count; paused is the rest.
    """
    ticket, now = case
    cal = CALENDARS[name]
    clock = SlaPolicy.itil(cal).evaluate(ticket, now)[RESOLUTION]
    assert oracle_elapsed(ticket, cal, now) == clock.elapsed
    end = clock.met_at or now
    assert cal.elapsed(ticket.created_at, end) - clock.elapsed == clock.paused
    assert end - ticket.created_at == clock.elapsed_wall


@given(case=worked(), name=calendars, mode=st.sampled_from(PriorityChangeMode))
def test_breach_is_the_due_date_and_the_100_percent_threshold(
    case: tuple[Ticket, datetime], name: str, mode: PriorityChangeMode
) -> None:
    """
    breached_at == due_at == the 100% threshold's instant; thresholds are reported once.
    """
    ticket, now = case
    report = SlaPolicy.itil(CALENDARS[name], priority_change=mode).evaluate(ticket, now)
    for clock in report.clocks.values():
        names = [r.name for r in clock.thresholds]
        assert len(set(names)) == len(names)
        assert all(r.at <= (clock.met_at or now) for r in clock.thresholds)
        if clock.breached:
            assert clock.breached_at == clock.due_at
            assert [clock.breached_at] == [r.at for r in clock.thresholds if r.name == "100%"]
        if clock.next_check_at is not None:
            assert clock.next_check_at > now or clock.next_check_at == now


@given(case=worked(), name=calendars)
def test_due_date_is_unpaused_due_plus_paused_business_time(
    case: tuple[Ticket, datetime], name: str
) -> None:
    """
    For an open, unbreached clock: due == add(start, target + paused business time).
    """
    ticket, now = case
    cal = CALENDARS[name]
    clock = SlaPolicy.itil(cal).evaluate(ticket, now)[RESOLUTION]
    if clock.state in (ClockState.RUNNING, ClockState.PAUSED) and not clock.breached:
        assert clock.target is not None
        assert cal.add(clock.started_at, clock.target + clock.paused) == clock.due_at  # type: ignore[arg-type]


@given(case=worked(), name=calendars)
def test_retroactive_change_equals_a_fresh_computation(
    case: tuple[Ticket, datetime], name: str
) -> None:
    """
    Retroactively, a ticket whose priority changed is timed as if it always had the last one
    (a change at or after the clock stopped for good does not re-judge it).
    """
    ticket, now = case
    policy = SlaPolicy.itil(CALENDARS[name])
    changed = policy.evaluate(ticket, now)[RESOLUTION]
    if changed.met_at is not None:
        changes = [e.at for e in ticket.history if isinstance(e, PriorityChanged)]
        assume(all(at < changed.met_at for at in changes))
    opened = ticket.history[0]
    assert isinstance(opened, TicketOpened)
    rest = [e for e in ticket.history[1:] if not isinstance(e, PriorityChanged)]
    fresh = Ticket.replay([attrs.evolve(opened, priority=ticket.priority), *rest])
    unchanged = policy.evaluate(fresh, now)[RESOLUTION]
    assert (unchanged.elapsed, unchanged.target, unchanged.due_at, unchanged.breached_at) == (
        changed.elapsed,
        changed.target,
        changed.due_at,
        changed.breached_at,
    )
    assert [(r.name, r.at) for r in unchanged.thresholds] == [
        (r.name, r.at) for r in changed.thresholds
    ]


@given(case=worked(), later=st.integers(1, 5000), name=calendars)
def test_clocks_only_move_forward(case: tuple[Ticket, datetime], later: int, name: str) -> None:
    """
    With no new event, a later report keeps every reached threshold and elapsed only grows.
    """
    ticket, now = case
    policy = SlaPolicy.itil(CALENDARS[name])
    before, after = policy.evaluate(ticket, now), policy.evaluate(ticket, now + M * later)
    for metric, clock in before.clocks.items():
        assert clock.elapsed <= after[metric].elapsed
        assert set(clock.thresholds) <= set(after[metric].thresholds)
        if clock.next_check_at is not None and clock.next_check_at <= now + M * later:
            assert after[metric] != clock


@given(
    opened_at=st.integers(0, 4 * 24 * 60),
    pause=st.tuples(st.integers(0, 2 * 24 * 60), st.integers(0, 2 * 24 * 60)),
)
def test_pausing_outside_business_hours_changes_nothing(
    opened_at: int, pause: tuple[int, int]
) -> None:
    """
    A pending spell that lies entirely in a weekend leaves the resolution clock as it was.
    """
    cal = CALENDARS["office"]
    monday = datetime(2026, 3, 2, tzinfo=UTC)
    start = monday + M * opened_at
    saturday = datetime(2026, 3, 7, tzinfo=UTC)
    first, second = sorted(pause)
    t = INCIDENT.open("T-1", title="x", requester=ANN, at=start, priority=Priority.P4)
    t = INCIDENT.fire(t, Trigger.ASSIGN, actor=AGENT, at=start, assignee="lee")
    t = INCIDENT.fire(t, Trigger.START, actor=AGENT, at=start)
    paused = INCIDENT.fire(t, Trigger.REQUEST_INFO, actor=AGENT, at=saturday + M * first)
    paused = INCIDENT.fire(paused, Trigger.REPLY, actor=ANN, at=saturday + M * second)
    now = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
    policy = SlaPolicy.itil(cal)
    a, b = policy.evaluate(t, now)[RESOLUTION], policy.evaluate(paused, now)[RESOLUTION]
    assert (a.elapsed, a.due_at, a.breached_at, a.thresholds, a.paused) == (
        b.elapsed,
        b.due_at,
        b.breached_at,
        b.thresholds,
        b.paused,
    )


@given(data=st.data(), name=calendars)
def test_simultaneous_events_give_the_same_clocks_in_any_order(
    data: st.DataObject, name: str
) -> None:
    """
    Comments, a priority change and a state change at one instant, in any recorded order.
    """
    t0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    at = t0 + M * data.draw(st.integers(1, 600))
    t = INCIDENT.open("T-1", title="x", requester=ANN, at=t0, priority=Priority.P3)
    t = INCIDENT.fire(t, Trigger.ASSIGN, actor=AGENT, at=t0, assignee="lee")
    t = INCIDENT.fire(t, Trigger.START, actor=AGENT, at=t0)
    trigger = data.draw(st.sampled_from([Trigger.REQUEST_INFO, Trigger.RESOLVE, Trigger.HOLD]))
    change = INCIDENT.event_for(
        t, trigger, actor=AGENT, at=at, resolution="done", hold_reason="vendor"
    )
    group = [
        change,
        CommentAdded(at=at, actor="lee", body="a", author_role="agent"),
        CommentAdded(at=at, actor="ann", body="b", author_role="requester"),
        PriorityChanged(at=at, actor="sup", priority=Priority.P1, previous=Priority.P3),
    ]
    shuffled = data.draw(st.permutations(group))
    policy = SlaPolicy.itil(CALENDARS[name])
    now = at + M * data.draw(st.integers(0, 3000))
    in_order = policy.evaluate(Ticket.replay([*t.history, *group]), now)
    any_order = policy.evaluate(Ticket.replay([*t.history, *shuffled]), now)
    assert in_order.clocks == any_order.clocks
