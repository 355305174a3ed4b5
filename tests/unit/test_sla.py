"""
SLA clocks: what starts, pauses, stops and restarts each metric, priority changes,
thresholds, calendars and bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from builders import ALWAYS, ANN, LEE, OFFICE, T0, WEEKDAYS, H, M, incident, working
from deskflow import (
    INCIDENT,
    SERVICE_REQUEST,
    Actor,
    ConfigError,
    InvalidInput,
    Metric,
    Priority,
    Ticket,
    Trigger,
)
from deskflow.calendars import BusinessCalendar
from deskflow.enums import Visibility
from deskflow.events import CommentAdded, PriorityChanged
from deskflow.sla import (
    CalendarByField,
    ClockState,
    MetricPolicy,
    PriorityChangeMode,
    SlaPolicy,
    Threshold,
)
from deskflow.states import Workflow


def say(t: Ticket, at: datetime, by: Actor = LEE, internal: bool = False) -> Ticket:
    visibility = Visibility.INTERNAL if internal else Visibility.PUBLIC
    return t.record(
        CommentAdded(at=at, actor=by.id, body="...", visibility=visibility, author_role=by.role)
    )


def test_due_date_counts_business_hours_only() -> None:
    """
    A P2 (8 business hours) opened Friday 15:00 is due Monday 15:00 on a 9-17 calendar.
    """
    friday = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    clock = SlaPolicy.itil(OFFICE).evaluate(incident(at=friday, priority="P2"), friday + H)[
        Metric.RESOLUTION
    ]
    assert (ClockState.RUNNING, H) == (clock.state, clock.elapsed)
    assert datetime(2026, 3, 9, 15, 0, tzinfo=UTC) == clock.due_at
    assert 12.5 == clock.percent


def test_pending_pauses_resolution_and_reports_paused_time() -> None:
    """
    Time in pending is paused business time, not elapsed; the due date moves by it.
    """
    t = INCIDENT.fire(working(), Trigger.REQUEST_INFO, actor=LEE, at=T0 + H)
    paused = SlaPolicy.itil(ALWAYS).evaluate(t, T0 + 3 * H)[Metric.RESOLUTION]
    assert (ClockState.PAUSED, H, 2 * H, True) == (
        paused.state,
        paused.elapsed,
        paused.paused,
        paused.paused_now,
    )
    assert T0 + 3 * H + 7 * H == paused.due_at
    assert paused.next_check_at is None
    t = INCIDENT.fire(t, Trigger.REPLY, actor=ANN, at=T0 + 3 * H)
    running = SlaPolicy.itil(ALWAYS).evaluate(t, T0 + 4 * H)[Metric.RESOLUTION]
    assert (2 * H, 2 * H, False) == (running.elapsed, running.paused, running.paused_now)
    assert T0 + 10 * H == running.due_at


def test_hold_pauses_only_for_chosen_reasons() -> None:
    """
    With pause_hold_reasons={"vendor"}, a hold for a change keeps the clock running.
    """
    policy = SlaPolicy(
        metrics={
            Metric.RESOLUTION: MetricPolicy({Priority.P2: 8 * H}, pause_hold_reasons={"vendor"})
        },
        calendar=ALWAYS,
    )
    for reason, expected in (("vendor", H), ("change", 3 * H)):
        t = INCIDENT.fire(working(), Trigger.HOLD, actor=LEE, at=T0 + H, hold_reason=reason)
        assert expected == policy.evaluate(t, T0 + 3 * H)[Metric.RESOLUTION].elapsed


def test_resolve_stops_and_reopen_resumes_in_a_new_cycle() -> None:
    """
    Resolution stops the clock (met); a reopen resumes it, elapsed kept, in cycle 2.
    """
    t = INCIDENT.fire(working(), Trigger.RESOLVE, actor=LEE, at=T0 + 2 * H, resolution="x")
    met = SlaPolicy.itil(ALWAYS).evaluate(t, T0 + 5 * H)[Metric.RESOLUTION]
    assert (ClockState.MET, T0 + 2 * H, 2 * H, 1) == (met.state, met.met_at, met.elapsed, met.cycle)
    assert met.next_check_at is None
    t = INCIDENT.fire(t, Trigger.REOPEN, actor=ANN, at=T0 + 5 * H)
    again = SlaPolicy.itil(ALWAYS).evaluate(t, T0 + 6 * H)[Metric.RESOLUTION]
    assert (ClockState.RUNNING, 3 * H, 2, None) == (
        again.state,
        again.elapsed,
        again.cycle,
        again.met_at,
    )


def test_first_response_is_the_first_public_agent_reply() -> None:
    """
    Internal notes and requester messages do not answer; a public agent reply does.
    """
    t = say(working(), T0 + 5 * M, internal=True)
    t = say(t, T0 + 6 * M, by=ANN)
    policy = SlaPolicy.itil(ALWAYS)
    assert ClockState.RUNNING == policy.evaluate(t, T0 + 7 * M)[Metric.FIRST_RESPONSE].state
    t = say(t, T0 + 20 * M)
    clock = policy.evaluate(t, T0 + H)[Metric.FIRST_RESPONSE]
    assert (ClockState.MET, T0 + 20 * M, 20 * M) == (clock.state, clock.met_at, clock.elapsed)
    assert ("50%",) == tuple(r.name for r in clock.thresholds)


def test_next_response_restarts_at_each_requester_message() -> None:
    """
    The clock starts at the oldest unanswered requester message and stops at the reply.
    """
    policy = SlaPolicy.itil(ALWAYS)
    t = working()
    assert ClockState.NOT_STARTED == policy.evaluate(t, T0 + M)[Metric.NEXT_RESPONSE].state
    t = say(say(t, T0 + 10 * M, by=ANN), T0 + 12 * M, by=ANN)
    clock = policy.evaluate(t, T0 + 15 * M)[Metric.NEXT_RESPONSE]
    assert (ClockState.RUNNING, T0 + 10 * M, 1) == (clock.state, clock.started_at, clock.cycle)
    t = say(t, T0 + 30 * M)
    t = say(t, T0 + 50 * M, by=ANN)
    clock = policy.evaluate(t, T0 + 55 * M)[Metric.NEXT_RESPONSE]
    assert (ClockState.RUNNING, T0 + 50 * M, 2, 5 * M) == (
        clock.state,
        clock.started_at,
        clock.cycle,
        clock.elapsed,
    )


def test_a_reply_at_the_instant_of_a_message_does_not_answer_it() -> None:
    """
    In a group of equal timestamps, agent replies apply before requester messages.
    """
    t = say(working(), T0 + 10 * M, by=ANN)
    t = say(say(t, T0 + 20 * M, by=ANN), T0 + 20 * M)
    clock = SlaPolicy.itil(ALWAYS).evaluate(t, T0 + 25 * M)[Metric.NEXT_RESPONSE]
    assert (ClockState.RUNNING, T0 + 20 * M, 2) == (clock.state, clock.started_at, clock.cycle)


def test_periodic_update_restarts_at_each_public_update() -> None:
    """
    Each public agent update starts a new periodic-update cycle.
    """
    t = say(say(working(), T0 + H), T0 + 2 * H)
    clock = SlaPolicy.itil(ALWAYS).evaluate(t, T0 + 2 * H + 10 * M)[Metric.PERIODIC_UPDATE]
    assert (3, T0 + 2 * H, 10 * M) == (clock.cycle, clock.started_at, clock.elapsed)


@pytest.mark.parametrize(
    ("trigger", "details", "elapsed"),
    [
        (Trigger.REQUEST_INFO, {}, H),
        (Trigger.HOLD, {"hold_reason": "vendor"}, 3 * H),
    ],
    ids=["pending pauses it", "on hold keeps it running"],
)
def test_periodic_update_pauses_while_pending_not_on_hold(
    trigger: Trigger, details: dict[str, str], elapsed: timedelta
) -> None:
    """
    Pending (waiting for the requester) pauses periodic update; on hold (a vendor) does not.
    """
    t = INCIDENT.fire(working(), trigger, actor=LEE, at=T0 + H, **details)
    clock = SlaPolicy.itil(ALWAYS).evaluate(t, T0 + 3 * H)[Metric.PERIODIC_UPDATE]
    assert elapsed == clock.elapsed


@pytest.mark.parametrize("workflow", [INCIDENT, SERVICE_REQUEST], ids=lambda w: w.name)
def test_both_workflows_pause_periodic_update_in_pending_only(workflow: Workflow) -> None:
    """
    Incident and service request agree: pending pauses periodic update, on hold does not.
    """
    periodic = Metric.PERIODIC_UPDATE
    paused = (
        workflow.pauses_metric("pending", periodic),
        workflow.pauses_metric("on_hold", periodic),
    )
    assert (True, False) == paused


def raise_to_p1(t: Ticket, at: datetime) -> Ticket:
    return t.record(PriorityChanged(at=at, actor="sup", priority=Priority.P1, previous=t.priority))


def test_retroactive_priority_change_recomputes_from_the_start() -> None:
    """
    P3 -> P1 after 5 hours: the 4-hour P1 target breached an hour ago, retroactively.
    """
    t = raise_to_p1(working(priority="P3"), T0 + 5 * H)
    clock = SlaPolicy.itil(ALWAYS).evaluate(t, T0 + 6 * H)[Metric.RESOLUTION]
    assert (4 * H, T0 + 4 * H, T0 + 4 * H) == (clock.target, clock.breached_at, clock.due_at)
    assert [("50%", T0 + 2 * H), ("75%", T0 + 3 * H), ("100%", T0 + 4 * H)] == [
        (r.name, r.at) for r in clock.thresholds
    ]


def test_prospective_priority_change_keeps_the_used_share() -> None:
    """
    Half of an 8h P2 target used, then P4 (40h): half of 40h remains, 24h in all.
    """
    policy = SlaPolicy.itil(ALWAYS, priority_change=PriorityChangeMode.PROSPECTIVE)
    t = working(priority="P2").record(
        PriorityChanged(at=T0 + 4 * H, actor="sup", priority=Priority.P4, previous=Priority.P2)
    )
    clock = policy.evaluate(t, T0 + 5 * H)[Metric.RESOLUTION]
    assert (24 * H, 19 * H, T0 + 24 * H) == (clock.target, clock.remaining, clock.due_at)
    assert [("50%", T0 + 4 * H)] == [(r.name, r.at) for r in clock.thresholds]


def test_thresholds_and_next_check() -> None:
    """
    50/75/100% are reported once each at their instants; next_check_at is the next one.
    """
    policy = SlaPolicy.itil(ALWAYS)
    t = working()
    assert T0 + 4 * H == policy.evaluate(t, T0 + H)[Metric.RESOLUTION].next_check_at
    clock = policy.evaluate(t, T0 + 5 * H)[Metric.RESOLUTION]
    assert [("50%", T0 + 4 * H)] == [(r.name, r.at) for r in clock.thresholds]
    assert T0 + 6 * H == clock.next_check_at
    clock = policy.evaluate(t, T0 + 9 * H)[Metric.RESOLUTION]
    assert ["50%", "75%", "100%"] == [r.name for r in clock.thresholds]
    assert (T0 + 8 * H, T0 + 8 * H) == (clock.breached_at, clock.due_at)
    assert clock.breached
    assert clock.next_check_at is None


def test_offset_thresholds_warn_before_the_due_date() -> None:
    """
    A due-30m threshold is reached 30 business minutes before the breach.
    """
    policy = SlaPolicy(
        metrics={
            Metric.RESOLUTION: MetricPolicy(
                {"P2": 8 * H}, thresholds=[Threshold.before_due(30 * M), Threshold.percent(100)]
            )
        },
        calendar=OFFICE,
    )
    friday = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
    clock = policy.evaluate(incident(at=friday, priority="P2"), friday + H)[Metric.RESOLUTION]
    assert friday + 7 * H + 30 * M == clock.next_check_at


def test_warnings_never_fall_outside_business_hours() -> None:
    """
    On an office calendar, a threshold instant is inside open hours or at their close.
    """
    friday = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    clock = SlaPolicy.itil(OFFICE).evaluate(incident(at=friday, priority="P2"), friday + 5 * 24 * H)
    for reached in clock[Metric.RESOLUTION].thresholds:
        assert OFFICE.is_open(reached.at) or OFFICE.is_open(reached.at - M)


def test_no_priority_means_no_target() -> None:
    """
    A ticket without priority has clocks without targets, and nothing to check.
    """
    report = SlaPolicy.itil(ALWAYS).evaluate(incident(), T0 + H)
    assert ClockState.NO_TARGET == report[Metric.RESOLUTION].state
    assert report.next_check_at is None


def test_dst_change_inside_the_target() -> None:
    """
    On a London office calendar, 8 business hours from Friday 16:00 GMT, before the
    spring change, end Monday 16:00 BST: one hour on Friday, seven on Monday.
    """
    london = ZoneInfo("Europe/London")
    cal = BusinessCalendar("Europe/London", {day: ["09:00-17:00"] for day in WEEKDAYS})
    friday = datetime(2026, 3, 27, 16, 0, tzinfo=london)
    clock = SlaPolicy.itil(cal).evaluate(incident(at=friday, priority="P2"), friday)[
        Metric.RESOLUTION
    ]
    assert datetime(2026, 3, 30, 16, 0, tzinfo=london) == clock.due_at


def test_calendar_by_group() -> None:
    """
    A resolver picks the calendar of the ticket's group, or the default.
    """
    resolver = CalendarByField("group", {"night-shift": ALWAYS}, default=OFFICE)
    policy = SlaPolicy.itil(resolver)
    saturday = datetime(2026, 3, 7, 10, 0, tzinfo=UTC)
    t = INCIDENT.open("T-2", title="x", requester=ANN, at=saturday, priority="P1")
    assert timedelta(0) == policy.evaluate(t, saturday + H)[Metric.RESOLUTION].elapsed
    t = INCIDENT.fire(t, Trigger.ASSIGN, actor=LEE, at=saturday, group="night-shift")
    assert H == policy.evaluate(t, saturday + H)[Metric.RESOLUTION].elapsed


def test_evaluate_rejects_bad_arguments() -> None:
    """
    Naive or earlier 'now' and non-tickets are InvalidInput.
    """
    policy = SlaPolicy.itil(ALWAYS)
    with pytest.raises(InvalidInput, match="naive"):
        policy.evaluate(incident(priority="P2"), datetime(2026, 3, 2, 10))
    with pytest.raises(InvalidInput, match="precedes"):
        policy.evaluate(working(at=T0 + H), T0)
    with pytest.raises(InvalidInput, match="must be a Ticket"):
        policy.evaluate("T-1", T0)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="no clock for"):
        SlaPolicy(metrics={"resolution": MetricPolicy({"P1": H})}, calendar=ALWAYS).evaluate(
            incident(priority="P2"), T0
        )["first_response"]


# Wrong types on purpose (hence the type: ignores): each case checks a run-time refusal.
@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: MetricPolicy({"P1": -H}), "positive timedelta"),
        (lambda: MetricPolicy({"P9": H}), "priority must be one of"),
        (lambda: MetricPolicy("P1"), "targets must map"),  # type: ignore[arg-type]
        (lambda: SlaPolicy(metrics={"mttr": MetricPolicy({"P1": H})}, calendar=ALWAYS), "metric"),
        (lambda: SlaPolicy(metrics={}, calendar=ALWAYS), "at least one metric"),
        (
            lambda: SlaPolicy(
                metrics={"resolution": MetricPolicy({"P1": H}, pause_states=["waiting"])},
                calendar=ALWAYS,
            ),
            "unknown state 'waiting'",
        ),
        (
            lambda: SlaPolicy(metrics={"resolution": MetricPolicy({"P1": H})}, calendar="UTC"),  # type: ignore[arg-type]
            "calendar",
        ),
        (lambda: SlaPolicy.itil(ALWAYS, priority_change="sideways"), "priority_change"),
        (lambda: Threshold.percent(0), "percentage"),
        (lambda: Threshold.before_due(-M), "negative"),
        (lambda: CalendarByField("colour", {}, OFFICE), "cannot pick a calendar"),
    ],
)
def test_bad_policies_are_config_errors(build: Callable[[], object], message: str) -> None:
    """
    Negative targets, unknown names and wrong types fail when the policy is built.
    """
    with pytest.raises(ConfigError, match=message):
        build()
