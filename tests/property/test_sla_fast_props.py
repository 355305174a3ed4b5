"""
The fast SLA paths agree exactly with the reference `SlaPolicy.evaluate()`: the next check time
without a report, and the short path of always-open calendars. Random calendars (overnight
shifts, holidays, overrides, DST zones), pauses and holds, priority changes in both modes,
reopen cycles and simultaneous events. Any difference is a bug, never a tolerance.
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, date, datetime, timedelta

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import ANN, M
from deskflow import INCIDENT, Actor, InvalidTransition, Priority, Role, Ticket
from deskflow.calendars import BusinessCalendar
from deskflow.enums import Visibility
from deskflow.escalation import CompositePolicy, next_check_without_report
from deskflow.events import CommentAdded, Event, PriorityChanged, SlaThresholdReached
from deskflow.policies.ladders import Ladder, LadderLevel, LadderPolicy
from deskflow.policies.notices import SlaNotices
from deskflow.sla import ClockState, PriorityChangeMode, SlaPolicy
from deskflow.testing.strategies import details_for

AGENT = Actor("lee", Role.AGENT, tier=3)
#: At least 1,000 examples a test under the ci profile; the profile's own count otherwise.
MANY = (
    settings(max_examples=max(1_000, settings().max_examples))
    if (os.environ.get("HYPOTHESIS_PROFILE") == "ci")
    else settings()
)

ZONES = ["UTC", "Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]
SPANS = ["09:00-17:00", "08:00-12:00", "13:00-18:30", "22:00-06:00", "00:00-24:00", "12:00-12:00"]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    """
    A random calendar: always open, or a random week with holidays and overrides.
    """
    zone = draw(st.sampled_from(ZONES))
    if draw(st.booleans()) and draw(st.booleans()):
        return BusinessCalendar.always(zone)
    weekly = {
        day: draw(st.lists(st.sampled_from(SPANS), max_size=2))
        for day in draw(st.lists(st.sampled_from(DAYS), min_size=1, unique=True))
    }
    if not any(weekly.values()):
        weekly[DAYS[0]] = ["09:00-17:00"]
    some_days = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))
    holidays = draw(st.lists(some_days, max_size=6))
    overrides = draw(
        st.dictionaries(some_days, st.lists(st.sampled_from(SPANS), max_size=1), max_size=3)
    )
    return BusinessCalendar(zone, weekly, holidays=holidays, overrides=overrides)


@st.composite
def histories(draw: st.DrawFn, max_steps: int = 30) -> tuple[Ticket, datetime]:
    """
    A ticket worked by random triggers (holds, resolves, reopens), comments and priority
    changes, several often at one instant; and an instant not before its last change.
    """
    start = draw(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 11, 1)))
    now = start.replace(tzinfo=UTC)
    t = INCIDENT.open(
        "T-1", title="x", requester=ANN, at=now, priority=draw(st.sampled_from(Priority))
    )
    for _ in range(draw(st.integers(0, max_steps))):
        now += draw(st.sampled_from([timedelta(0), M, 7 * M, 3 * 60 * M, 26 * 60 * M]))
        kind = draw(st.sampled_from(["trigger", "trigger", "trigger", "comment", "priority"]))
        if kind == "trigger" and INCIDENT.allowed(t.state):
            trigger = draw(st.sampled_from(INCIDENT.allowed(t.state)))
            details = draw(details_for(INCIDENT, t.state, trigger))
            with contextlib.suppress(InvalidTransition):
                t = INCIDENT.fire(t, trigger, actor=AGENT, at=now, **details)
        elif kind == "comment":
            by = draw(st.sampled_from([AGENT, ANN]))
            t = t.record(
                CommentAdded(
                    at=now,
                    actor=by.id,
                    body="...",
                    visibility=draw(st.sampled_from(Visibility)),
                    author_role=by.role,
                )
            )
        elif kind == "priority":
            new = draw(st.sampled_from(Priority))
            t = t.record(PriorityChanged(at=now, actor="sup", priority=new, previous=t.priority))
    return t, now + M * draw(st.integers(0, 6000)) + timedelta(seconds=draw(st.integers(0, 59)))


@MANY
@given(case=histories(), cal=calendars(), mode=st.sampled_from(PriorityChangeMode))
def test_next_check_equals_the_reports(
    case: tuple[Ticket, datetime], cal: BusinessCalendar, mode: PriorityChangeMode
) -> None:
    """
    next_check_at(ticket, now) is evaluate(ticket, now).next_check_at, also at that instant.
    """
    ticket, now = case
    policy = SlaPolicy.itil(cal, priority_change=mode)
    for _ in range(3):  # then at the next check itself, where a threshold is reached exactly
        expected = policy.evaluate(ticket, now).next_check_at
        assert policy.next_check_at(ticket, now) == expected
        if expected is None:
            break
        now = expected


@MANY
@given(
    zone=st.sampled_from(ZONES),
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1)),
    span=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
)
def test_the_short_path_of_always_open_calendars_is_exact(
    zone: str, start: datetime, span: timedelta
) -> None:
    """
    A 24x7 calendar (short path) adds and measures as one open every day 12:00-12:00
    (the same hours, which takes the general path).
    """
    short = BusinessCalendar.always(zone)
    general = BusinessCalendar(zone, {day: ["12:00-12:00"] for day in DAYS})
    assert short.always_open
    assert not general.always_open
    at = start.replace(tzinfo=UTC)
    assert short.add(at, span) == general.add(at, span)
    assert short.add(at, span).tzinfo is general.add(at, span).tzinfo
    assert short.elapsed(at, at + span) == general.elapsed(at, at + span)


def test_a_holiday_or_a_short_day_is_not_always_open() -> None:
    """
    Only a calendar open every instant takes the short path.
    """
    week = {day: ["00:00-24:00"] for day in DAYS}
    assert not BusinessCalendar("UTC", week, holidays=[date(2026, 5, 1)]).always_open
    assert BusinessCalendar(
        "UTC", week, holidays=[date(2026, 5, 1)], overrides={date(2026, 5, 1): ["00:00-24:00"]}
    ).always_open
    assert not BusinessCalendar("UTC", {**week, "sun": ["00:00-23:59"]}).always_open


@MANY
@given(
    case=histories(),
    cal=calendars(),
    mode=st.sampled_from(PriorityChangeMode),
    cuts=st.lists(st.integers(1, 40), max_size=3),
    later=st.integers(0, 3000),
)
def test_the_incremental_fold_equals_the_full_fold(
    case: tuple[Ticket, datetime],
    cal: BusinessCalendar,
    mode: PriorityChangeMode,
    cuts: list[int],
    later: int,
) -> None:
    """
    A ticket evaluated at random points of its history while it was recorded (each
    evaluation leaves a fold the next ticket carries on) gets the report a fresh replay of
    its history gets, and so does a sibling recorded from the same evaluated prefix.
    """
    ticket, _ = case
    policy = SlaPolicy.itil(cal, priority_change=mode)
    events = ticket.history
    points = sorted({min(cut, len(events)) for cut in cuts})
    evaluated: list[Ticket] = []

    def agrees(t: Ticket, now: datetime) -> None:
        assert policy.evaluate(t, now) == policy.evaluate(Ticket.replay(t.history), now)

    t = Ticket.replay(events[:1])
    for k, event in enumerate(events[1:], start=1):
        if k in points:
            agrees(t, t.updated_at)  # leaves the fold of history[:k] on t
            evaluated.append(t)
            for step, by in ((timedelta(0), ANN), (timedelta(0), AGENT), (M, ANN)):
                # siblings fold on from the same fold, joining its last instant or not
                sibling = t.record(
                    CommentAdded(at=t.updated_at + step, actor=by.id, body="-", author_role=by.role)
                )
                agrees(sibling, sibling.updated_at)
            for earlier in evaluated:  # the folds they carried on from are unchanged
                agrees(earlier, t.updated_at)
        t = t.record(event)
    assert t == ticket
    now = ticket.updated_at + M * later
    fresh = Ticket.replay(events)
    assert policy.evaluate(t, now) == policy.evaluate(fresh, now)
    assert policy.next_check_at(t, now) == policy.evaluate(fresh, now).next_check_at
    assert policy.evaluate(t, now) == policy.evaluate(t, now)  # and again, from its own fold


def test_a_command_joining_the_last_instant_refolds_that_instant_whole() -> None:
    """
    A requester's message then an agent's reply at that same instant: the reply does not
    answer it (the instant is one group), whether the message's fold was kept or not.
    """
    policy = SlaPolicy.itil(BusinessCalendar.always())
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    t = INCIDENT.open("T-1", title="x", requester=ANN, at=at, priority="P3")
    t = INCIDENT.fire(t, "assign", actor=AGENT, at=at + M, group="g", assignee="lee")
    t = t.record(CommentAdded(at=at + 2 * M, actor="ann", body="?", author_role="requester"))
    policy.evaluate(t, t.updated_at)  # keeps the fold up to the message's instant
    t = t.record(CommentAdded(at=at + 2 * M, actor="lee", body="!", author_role="agent"))
    clock = policy.evaluate(t, t.updated_at)["next_response"]
    assert clock.state is ClockState.RUNNING
    assert policy.evaluate(Ticket.replay(t.history), t.updated_at)["next_response"] == clock


@MANY
@given(
    case=histories(),
    cal=calendars(),
    mode=st.sampled_from(PriorityChangeMode),
    checked=st.sets(st.integers(1, 40)),
)
def test_next_check_after_each_command_equals_a_fresh_report(
    case: tuple[Ticket, datetime],
    cal: BusinessCalendar,
    mode: PriorityChangeMode,
    checked: set[int],
) -> None:
    """
    A ticket whose next check is computed after each command (every one folding on from
    the fold and the prospective pieces the one before left) gets the next check of a full
    report on a fresh replay, each time.
    """
    ticket, later = case
    policy = SlaPolicy.itil(cal, priority_change=mode)
    t = Ticket.replay(ticket.history[:1])
    for k, event in enumerate(ticket.history[1:], start=1):
        t = t.record(event)
        if k in checked or k == len(ticket.history) - 1:
            for now in (t.updated_at, max(later, t.updated_at)):
                expected = policy.evaluate(Ticket.replay(t.history), now).next_check_at
                assert policy.next_check_at(t, now) == expected


@MANY
@given(
    case=histories(),
    cal=calendars(),
    mode=st.sampled_from(PriorityChangeMode),
    added=st.lists(
        st.sampled_from(["threshold", "internal", "public-agent", "public-requester", "priority"]),
        max_size=3,
    ),
)
def test_a_report_kept_on_a_ticket_equals_a_fresh_one(
    case: tuple[Ticket, datetime],
    cal: BusinessCalendar,
    mode: PriorityChangeMode,
    added: list[str],
) -> None:
    """
    After a report at ``now``, events recorded at ``now`` (what a tick records, or what
    changes a clock) leave the report and the next check a fresh replay gets.
    """
    ticket, now = case
    policy = SlaPolicy.itil(cal, priority_change=mode)
    policy.evaluate(ticket, now)
    t = ticket
    for kind in added:
        if kind == "threshold":
            event: Event = SlaThresholdReached(
                at=now, actor="system", metric="resolution", threshold="50%", dedup_key="k"
            )
        elif kind == "priority":
            event = PriorityChanged(at=now, actor="sup", priority=Priority.P1, previous=t.priority)
        else:
            by = ANN if kind == "public-requester" else AGENT
            visibility = Visibility.INTERNAL if kind == "internal" else Visibility.PUBLIC
            event = CommentAdded(
                at=now, actor=by.id, body="-", visibility=visibility, author_role=by.role
            )
        t = t.record(event)
    fresh = policy.evaluate(Ticket.replay(t.history), now)
    assert policy.evaluate(t, now) == fresh
    assert policy.next_check_at(t, now) == fresh.next_check_at


LADDER = LadderPolicy(
    Ladder([LadderLevel(["kim"], delay=timedelta(minutes=15)), LadderLevel(["mia"])], loops=1)
)


@MANY
@given(case=histories(), cal=calendars(), fired=st.integers(0, 3))
def test_a_ladder_schedules_its_next_page_without_the_report(
    case: tuple[Ticket, datetime], cal: BusinessCalendar, fired: int
) -> None:
    """
    A ladder's next check without the SLA report is its next check with it, alone or in a
    composite of ladders; a composite with a policy that needs the report says so.
    """
    ticket, now = case
    for action in LADDER.evaluate(ticket, SlaPolicy.itil(cal).evaluate(ticket, now), now)[:fired]:
        ticket = action.apply_to(ticket, INCIDENT, now)
    report = SlaPolicy.itil(cal).evaluate(ticket, now)
    assert LADDER.next_check_without_report(ticket, now) == LADDER.next_check_at(
        ticket, report, now
    )
    both = CompositePolicy([LADDER, attrs.evolve(LADDER, name="other")])
    assert next_check_without_report(both, ticket, now) == (
        True,
        both.next_check_at(ticket, report, now),
    )
    assert next_check_without_report(CompositePolicy([LADDER, SlaNotices()]), ticket, now) == (
        False,
        None,
    )
