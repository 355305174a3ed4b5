"""
Regressions found in review: each test pins a bug that once existed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from builders import ANN, LEE, SAM, T0, ZOE, helpdesk
from deskflow import (
    INCIDENT,
    SYSTEM,
    ConfigError,
    DeskflowError,
    InvalidInput,
    InvalidTransition,
    Metric,
    PermissionDenied,
    Priority,
    Trigger,
)
from deskflow.approval import ApprovalPolicy, ApprovalStage
from deskflow.calendars import BusinessCalendar
from deskflow.config import load_desk
from deskflow.desk import Desk
from deskflow.enums import TicketKind
from deskflow.events import CommentAdded
from deskflow.sla import ClockState, MetricPolicy, SlaPolicy, Threshold
from deskflow.views import visible


def test_an_internal_note_given_as_a_string_stays_internal() -> None:
    """
    visibility="internal" from JSON or a form is internal, not public.
    """
    t = INCIDENT.open("T-1", title="VPN", requester="ann", at=T0)
    t = t.record(CommentAdded(at=T0, actor="lee", body="secret", visibility="internal"))
    assert () == visible(ANN, t).comments


def test_a_repeated_alert_is_authorized_before_anything_is_written() -> None:
    """
    Someone who may not add internal notes to the alert's ticket changes nothing.
    """
    desk, repo, _, _ = helpdesk()
    first = desk.open_from_alert(LEE, alert_key="disk:db1", title="Disk full", requester="ann")
    before = repo.get(first.id)
    with pytest.raises(PermissionDenied):
        desk.open_from_alert(ZOE, alert_key="disk:db1", title="Disk full")
    assert before == repo.get(first.id)


def test_system_commands_return_instead_of_saving_then_raising() -> None:
    """
    The system may read what it acts on, so its commands succeed and return a view.
    """
    desk, repo, _, _ = helpdesk()
    t = desk.open(ANN, title="VPN")
    desk.assign(LEE, t.id, group="service-desk", assignee="lee")
    assert "assigned" == desk.escalate(SYSTEM, t.id, tier=2, group="network", reason="SLA").state
    assert "assigned" == repo.get(t.id).state


def test_final_tickets_are_immutable_through_the_service() -> None:
    """
    No command changes a closed ticket: comments, classification and priority included.
    """
    desk, repo, _, _ = helpdesk()
    t = desk.open(ANN, title="VPN")
    desk.resolve(LEE, t.id, resolution="done")
    desk.close(ANN, t.id)
    before = repo.get(t.id)
    commands: list[Callable[[], object]] = [
        lambda: desk.comment(LEE, t.id, body="late"),
        lambda: desk.classify(LEE, t.id, impact="high", urgency="high"),
        lambda: desk.override_priority(SAM, t.id, priority="P1", reason="x"),
    ]
    for command in commands:
        with pytest.raises(InvalidTransition, match="final"):
            command()
    assert before == repo.get(t.id)


def test_a_split_with_a_bad_title_opens_nothing() -> None:
    """
    Titles are checked before the first part is opened.
    """
    desk, repo, _, _ = helpdesk()
    t = desk.open(ANN, title="Two problems")
    with pytest.raises(InvalidInput):
        desk.split(LEE, t.id, titles=["Mail", "   "])
    with pytest.raises(InvalidInput):
        desk.split(LEE, t.id, titles=3)  # type: ignore[arg-type]
    assert [t.id] == [x.id for x in repo.by_requester("ann")]


def test_a_request_needing_approval_cannot_be_assigned_before_it() -> None:
    """
    Assigning a submitted request that needs approval is refused.
    """
    desk, _, _, _ = helpdesk(Desk(approval=ApprovalPolicy([ApprovalStage(["max", "mia"], "any")])))
    r = desk.open(ANN, title="Laptop", kind="service_request")
    with pytest.raises(InvalidTransition, match="needs approval"):
        desk.assign(LEE, r.id, group="service-desk", assignee="lee")


def test_refiling_the_category_keeps_a_manual_priority() -> None:
    """
    Classify without impact or urgency does not re-run the matrix over an override.
    """
    desk, repo, _, _ = helpdesk()
    t = desk.open(ANN, title="VPN", impact="low", urgency="low")
    desk.override_priority(SAM, t.id, priority="P1", reason="CEO is waiting")
    desk.classify(LEE, t.id, category="network")
    assert Priority.P1 == repo.get(t.id).priority


def test_escalating_a_tier_releases_the_previous_agent() -> None:
    """
    A ticket escalated to a higher tier without a named agent has no assignee.
    """
    t = INCIDENT.open("T-1", title="VPN", requester="ann", at=T0)
    t = INCIDENT.fire(t, Trigger.ASSIGN, actor=LEE, at=T0, group="service-desk", assignee="lee")
    t = INCIDENT.fire(t, Trigger.ESCALATE, actor=LEE, at=T0, tier=2)
    assert (2, None) == (t.tier, t.assignee)


def test_what_a_transition_sets_wins_over_the_caller() -> None:
    """
    return_to_first_line sets tier 1 whatever tier the caller passes.
    """
    t = INCIDENT.open("T-1", title="VPN", requester="ann", at=T0, tier=2)
    t = INCIDENT.fire(t, Trigger.ASSIGN, actor=LEE, at=T0, group="network")
    t = INCIDENT.fire(t, Trigger.RETURN_TO_FIRST_LINE, actor=LEE, at=T0, tier=3)
    assert 1 == t.tier


def test_a_ticket_solved_at_the_instant_it_is_logged_meets_its_clock() -> None:
    """
    Opened and resolved at one instant: the resolution clock is met, not paused forever.
    """
    t = INCIDENT.open("T-1", title="x", requester="ann", at=T0, priority="P3")
    t = INCIDENT.fire(t, Trigger.RESOLVE, actor=LEE, at=T0, resolution="first call fix")
    clock = SlaPolicy.itil(BusinessCalendar.always("UTC")).evaluate(t, T0 + timedelta(days=30))
    assert (ClockState.MET, T0) == (clock[Metric.RESOLUTION].state, clock[Metric.RESOLUTION].met_at)


def test_a_calendar_open_only_on_some_dates_raises_a_deskflow_error() -> None:
    """
    Adding past the last open date is a DeskflowError, never a bare IndexError.
    """
    cal = BusinessCalendar("UTC", {}, overrides={date(2026, 3, 2): ["09:00-17:00"]})
    with pytest.raises(DeskflowError):
        cal.add(datetime(2026, 3, 2, 16, 0, tzinfo=UTC), timedelta(hours=2))


def test_threshold_names_are_unique() -> None:
    """
    Two thresholds with one name are a ConfigError.
    """
    with pytest.raises(ConfigError, match="named twice"):
        MetricPolicy({"P1": timedelta(hours=1)}, thresholds=[Threshold.percent(50)] * 2)


def test_a_breach_a_command_noticed_first_is_still_told() -> None:
    """
    A breach passed before an agent's reply is notified by the next tick, once.
    """
    escalation = load_desk({"escalation": [{"name": "sla_notices"}]}).escalation
    desk, _, _, clock = helpdesk(Desk(escalation=escalation[TicketKind.INCIDENT]))
    t = desk.open(ANN, title="Core switch down", impact="high", urgency="high")
    desk.assign(SAM, t.id, group="service-desk", assignee="lee")
    clock.set(T0 + timedelta(minutes=17))
    desk.comment(LEE, t.id, body="On it")
    clock.advance(timedelta(minutes=1))
    report = desk.tick()
    assert any("first_response|c1|100%" in action for action in report.actions)
    clock.advance(timedelta(hours=1))
    assert [] == [action for action in desk.tick().actions if "first_response" in action]


# Wrong types on purpose (hence the type: ignores): each case checks a run-time refusal.
@pytest.mark.parametrize(
    "build",
    [
        lambda: Desk(escalation=123),
        lambda: Desk(sla=None),  # type: ignore[arg-type]
        lambda: load_desk({"reopen_window": -3600}),
        lambda: load_desk({"hold_reasons": []}),
        lambda: load_desk({"auto_close_after": "99999999999d"}),
    ],
    ids=["escalation-not-a-policy", "sla-none", "negative-reopen", "no-hold-reasons", "overflow"],
)
def test_bad_desks_are_config_errors(build: Callable[[], object]) -> None:
    """
    Wrong policy objects and out-of-range settings fail when the desk is built.
    """
    with pytest.raises(ConfigError):
        build()
