"""
The built-in workflows: the rules users expect of a help desk's lifecycle.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from builders import ANN, KIM, LEE, MAX, T0, ZOE, incident, working
from deskflow import (
    INCIDENT,
    SERVICE_REQUEST,
    Actor,
    InvalidTransition,
    Role,
    State,
    Ticket,
    Trigger,
)
from deskflow.workflows import incident_workflow


def resolved(at: datetime = T0) -> Ticket:
    return INCIDENT.fire(working(), Trigger.RESOLVE, actor=LEE, at=at, resolution="Rebooted")


def test_seeds_walk_through_the_incident_lifecycle() -> None:
    """
    Open, classify-assign, ask for information, reply, escalate, resolve, close.
    """
    t = working()
    t = INCIDENT.fire(t, Trigger.REQUEST_INFO, actor=LEE, at=T0 + timedelta(minutes=5))
    assert State.PENDING == t.state
    t = INCIDENT.fire(t, Trigger.REPLY, actor=ANN, at=T0 + timedelta(hours=1))
    assert State.IN_PROGRESS == t.state
    t = INCIDENT.fire(
        t, Trigger.ESCALATE, actor=LEE, at=T0 + timedelta(hours=2), tier=2, group="network"
    )
    assert (State.ASSIGNED, 2, "network") == (t.state, t.tier, t.group)
    t = INCIDENT.fire(t, Trigger.START, actor=KIM, at=T0 + timedelta(hours=3), assignee="kim")
    t = INCIDENT.fire(
        t, Trigger.RESOLVE, actor=KIM, at=T0 + timedelta(hours=4), resolution="Reset the tunnel"
    )
    assert (State.RESOLVED, "Reset the tunnel") == (t.state, t.resolution)
    t = INCIDENT.fire(t, Trigger.CLOSE, actor=ANN, at=T0 + timedelta(hours=5))
    assert State.CLOSED == t.state
    assert 9 == t.version
    assert t == Ticket.replay(t.history)


def test_resolve_needs_a_resolution_text() -> None:
    """
    Resolving without a resolution is refused, naming what is missing.
    """
    with pytest.raises(InvalidTransition, match="needs resolution") as info:
        INCIDENT.fire(working(), Trigger.RESOLVE, actor=LEE, at=T0)
    assert "resolve" in info.value.allowed
    with pytest.raises(InvalidTransition):
        INCIDENT.fire(working(), Trigger.RESOLVE, actor=LEE, at=T0, resolution="")


@pytest.mark.parametrize("final", [State.CLOSED, State.CANCELLED])
def test_closed_and_cancelled_absorb_every_trigger(final: State) -> None:
    """
    Final states accept no trigger at all, and the refusal lists nothing as allowed.
    """
    t = resolved()
    t = (
        INCIDENT.fire(t, Trigger.CLOSE, actor=ANN, at=T0)
        if final is State.CLOSED
        else INCIDENT.fire(incident(), Trigger.CANCEL, actor=ANN, at=T0)
    )
    assert () == INCIDENT.allowed(final)
    for trigger in INCIDENT.triggers:
        with pytest.raises(InvalidTransition) as info:
            INCIDENT.fire(
                t, trigger, actor=LEE, at=T0, resolution="x", tier=3, hold_reason="vendor"
            )
        assert () == info.value.allowed


def test_reopen_only_inside_the_window() -> None:
    """
    A resolved ticket reopens within 7 days by default, and not after.
    """
    t = resolved()
    reopened = INCIDENT.fire(t, Trigger.REOPEN, actor=ANN, at=T0 + timedelta(days=7))
    assert State.IN_PROGRESS == reopened.state
    assert reopened.resolution is None
    with pytest.raises(InvalidTransition, match="only allowed within"):
        INCIDENT.fire(t, Trigger.REOPEN, actor=ANN, at=T0 + timedelta(days=7, seconds=1))


def test_reopen_window_is_a_policy() -> None:
    """
    The reopen window comes from the workflow factory, not a hard-coded number.
    """
    strict = incident_workflow(reopen_window=timedelta(hours=1))
    t = strict.open("T-9", title="x", requester=ANN, at=T0)
    t = strict.fire(t, Trigger.RESOLVE, actor=LEE, at=T0, resolution="done")
    with pytest.raises(InvalidTransition):
        strict.fire(t, Trigger.REOPEN, actor=ANN, at=T0 + timedelta(hours=2))


def test_requester_reply_on_pending_returns_to_in_progress() -> None:
    """
    A requester's reply moves a pending ticket back to in_progress.
    """
    t = INCIDENT.fire(working(), Trigger.REQUEST_INFO, actor=LEE, at=T0)
    assert State.IN_PROGRESS == INCIDENT.fire(t, Trigger.REPLY, actor=ANN, at=T0).state


@pytest.mark.parametrize("state", [State.NEW, State.ASSIGNED])
def test_requester_may_cancel_own_early_ticket(state: State) -> None:
    """
    A requester cancels their own new or assigned ticket.
    """
    t = incident()
    if state is State.ASSIGNED:
        t = INCIDENT.fire(t, Trigger.ASSIGN, actor=LEE, at=T0, group="service-desk")
    assert State.CANCELLED == INCIDENT.fire(t, Trigger.CANCEL, actor=ANN, at=T0).state


def test_requester_may_not_cancel_others_or_worked_tickets() -> None:
    """
    Another requester cannot cancel; the owner cannot once work started; an agent can.
    """
    with pytest.raises(InvalidTransition, match="only their own"):
        INCIDENT.fire(incident(), Trigger.CANCEL, actor=ZOE, at=T0)
    with pytest.raises(InvalidTransition, match="only while"):
        INCIDENT.fire(working(), Trigger.CANCEL, actor=ANN, at=T0)
    assert State.CANCELLED == INCIDENT.fire(working(), Trigger.CANCEL, actor=LEE, at=T0).state


def test_hold_needs_a_known_reason() -> None:
    """
    On hold needs a reason among vendor, change and problem, and records it until resumed.
    """
    with pytest.raises(InvalidTransition, match="needs hold_reason"):
        INCIDENT.fire(working(), Trigger.HOLD, actor=LEE, at=T0)
    with pytest.raises(InvalidTransition, match="must be one of"):
        INCIDENT.fire(working(), Trigger.HOLD, actor=LEE, at=T0, hold_reason="lunch")
    held = INCIDENT.fire(working(), Trigger.HOLD, actor=LEE, at=T0, hold_reason="vendor")
    assert ("on_hold", "vendor") == (held.state, held.hold_reason)
    assert INCIDENT.fire(held, Trigger.RESUME, actor=LEE, at=T0).hold_reason is None


def test_escalation_goes_up_and_returns_to_first_line() -> None:
    """
    Escalation needs a higher tier; returning to the first line sets tier 1.
    """
    with pytest.raises(InvalidTransition, match="tier above"):
        INCIDENT.fire(working(), Trigger.ESCALATE, actor=LEE, at=T0, tier=1)
    up = INCIDENT.fire(working(), Trigger.ESCALATE, actor=LEE, at=T0, tier=3, group="apps")
    assert 3 == up.tier
    back = INCIDENT.fire(up, Trigger.RETURN_TO_FIRST_LINE, actor=KIM, at=T0, group="service-desk")
    assert (1, "service-desk", State.ASSIGNED) == (back.tier, back.group, back.state)
    with pytest.raises(InvalidTransition, match="already at the first line"):
        INCIDENT.fire(back, Trigger.RETURN_TO_FIRST_LINE, actor=LEE, at=T0)


def test_start_needs_an_assignee() -> None:
    """
    Work starts only on a ticket with an assignee (or naming one).
    """
    t = INCIDENT.fire(incident(), Trigger.ASSIGN, actor=LEE, at=T0, group="service-desk")
    with pytest.raises(InvalidTransition, match="needs an assignee"):
        INCIDENT.fire(t, Trigger.START, actor=LEE, at=T0)
    assert "lee" == INCIDENT.fire(t, Trigger.START, actor=LEE, at=T0, assignee="lee").assignee


def test_service_request_approval_path() -> None:
    """
    A request is approved by someone else, then fulfilled and closed.
    """
    t = SERVICE_REQUEST.open("R-1", title="New laptop", requester=ANN, at=T0)
    assert State.SUBMITTED == t.state
    t = SERVICE_REQUEST.fire(t, Trigger.REQUEST_APPROVAL, actor=LEE, at=T0)
    t = SERVICE_REQUEST.fire(t, Trigger.APPROVE, actor=MAX, at=T0)
    t = SERVICE_REQUEST.fire(
        t, Trigger.ASSIGN, actor=LEE, at=T0, group="service-desk", assignee="lee"
    )
    t = SERVICE_REQUEST.fire(t, Trigger.START, actor=LEE, at=T0)
    t = SERVICE_REQUEST.fire(t, Trigger.FULFIL, actor=LEE, at=T0, resolution="Laptop delivered")
    t = SERVICE_REQUEST.fire(t, Trigger.CLOSE, actor=ANN, at=T0)
    assert State.CLOSED == t.state


def test_nobody_approves_their_own_request_but_may_reject_it() -> None:
    """
    Self-approval is refused; self-rejection is allowed.
    """
    self_approver = Actor("ann", Role.APPROVER)
    t = SERVICE_REQUEST.open("R-2", title="Admin rights", requester=ANN, at=T0)
    t = SERVICE_REQUEST.fire(t, Trigger.REQUEST_APPROVAL, actor=LEE, at=T0)
    with pytest.raises(InvalidTransition, match="own request"):
        SERVICE_REQUEST.fire(t, Trigger.APPROVE, actor=self_approver, at=T0)
    assert (
        SERVICE_REQUEST.fire(t, Trigger.REJECT, actor=self_approver, at=T0).state == State.REJECTED
    )


def test_pauses_and_stops_of_the_incident_workflow() -> None:
    """
    Pending pauses resolution and next response; on hold pauses resolution; resolved stops it.
    """
    assert INCIDENT.pauses_metric(State.PENDING, "resolution")
    assert INCIDENT.pauses_metric(State.PENDING, "next_response")
    assert INCIDENT.pauses_metric(State.ON_HOLD, "resolution")
    assert not INCIDENT.pauses_metric(State.ON_HOLD, "next_response")
    assert INCIDENT.stops_metric(State.RESOLVED, "resolution")
    assert INCIDENT.stops_metric(State.CLOSED, "first_response")
    assert not INCIDENT.stops_metric(State.IN_PROGRESS, "resolution")
