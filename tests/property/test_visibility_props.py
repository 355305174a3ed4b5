"""
Properties of the read projection and of approvals: requesters never see internal entries,
staff see everything, nobody approves a request they raised or benefit from, and the
approval status folded from the history equals the one built decision by decision.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskflow import INCIDENT, SERVICE_REQUEST, Actor, Role, Ticket, Trigger
from deskflow.approval import (
    NOT_REQUESTED,
    ApprovalOutcome,
    ApprovalPolicy,
    ApprovalStage,
    approval_status,
    decide,
    outcome,
    request_approval,
)
from deskflow.enums import Visibility
from deskflow.events import CommentAdded, Escalated, Event, NotificationQueued
from deskflow.exceptions import PermissionDenied
from deskflow.testing.strategies import REQUESTER, actors, gaps, instants, tickets
from deskflow.views import visible

REQUESTER_ID = REQUESTER.id
BENEFICIARY = "bene"


def _entry(draw: st.DrawFn, at: datetime) -> Event:
    kind = draw(st.sampled_from(["comment", "comment", "escalated", "notification"]))
    if kind == "comment":
        return CommentAdded(
            at=at,
            actor=draw(st.sampled_from([REQUESTER_ID, "lee", "kim"])),
            body=draw(st.sampled_from(["on it", "still broken", "vendor ticket 42"])),
            visibility=draw(st.sampled_from(Visibility)),
            author_role=draw(st.sampled_from([Role.AGENT, Role.REQUESTER])),
        )
    if kind == "escalated":
        return Escalated(at=at, actor="system", notified=("sam",), reason="breach")
    return NotificationQueued(
        at=at,
        actor="system",
        dedup_key=draw(st.from_regex(r"k[0-9]{1,3}", fullmatch=True)),
        recipients=(REQUESTER_ID,),
        template="update",
        internal_only=draw(st.booleans()),
    )


@st.composite
def noted_tickets(draw: st.DrawFn) -> Ticket:
    """
    Tickets of either workflow with public and internal comments and events recorded.
    """
    workflow = draw(st.sampled_from([INCIDENT, SERVICE_REQUEST]))
    ticket = draw(tickets(workflow, max_steps=8))
    for _ in range(draw(st.integers(0, 8))):
        at = ticket.updated_at + draw(gaps(timedelta(days=1)))
        ticket = ticket.record(_entry(draw, at))
    return ticket


@pytest.mark.slow
@given(noted_tickets())
def test_requesters_never_see_internal_entries(ticket: Ticket) -> None:
    """
    The requester's view holds no internal comment or event, and every public one.
    """
    view = visible(REQUESTER, ticket)
    assert not any(c.internal for c in view.comments)
    assert not any(e.internal for e in view.history)
    assert ticket.public_comments == view.comments
    assert tuple(e for e in ticket.history if not e.internal) == view.history


@pytest.mark.slow
@given(noted_tickets(), actors(roles=[Role.AGENT, Role.SUPERVISOR, Role.ADMIN], requester=None))
def test_staff_see_everything(ticket: Ticket, staff: Actor) -> None:
    """
    Agents, supervisors and admins see every comment and every event.
    """
    view = visible(staff, ticket)
    assert (ticket.comments, ticket.history, ticket.updated_at) == (
        view.comments,
        view.history,
        view.updated_at,
    )


@pytest.mark.slow
@given(noted_tickets(), st.sampled_from(["ann", "bob", "zoe"]))
def test_other_requesters_see_nothing(ticket: Ticket, other: str) -> None:
    """
    A requester who did not raise the ticket is refused outright.
    """
    try:
        visible(Actor(other, Role.REQUESTER), ticket)
    except PermissionDenied:
        return
    raise AssertionError("another requester was shown the ticket")


POOL = (REQUESTER_ID, BENEFICIARY, "max", "mia", "mo", "cfo")


@st.composite
def stages(draw: st.DrawFn, barred: frozenset[str]) -> ApprovalStage:
    """
    A stage that its eligible approvers (those not barred) can approve.
    """
    approvers = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=4, unique=True))
    eligible = [a for a in approvers if a not in barred]
    if not eligible:
        approvers.append(draw(st.sampled_from([a for a in POOL if a not in barred])))
        eligible = approvers[-1:]
    choices: list[str | int] = ["any", *range(1, len(eligible) + 1)]
    if len(eligible) == len(approvers):
        choices.append("all")
    return ApprovalStage(approvers, draw(st.sampled_from(choices)))


class Model:
    """
    An independent account of approvals, decision by decision.
    """

    def __init__(self, policy: ApprovalPolicy, barred: frozenset[str]) -> None:
        self.policy, self.barred = policy, barred
        self.stage = 1
        self.decisions: list[list[tuple[str, bool]]] = [[]]
        self.outcome = ApprovalOutcome.PENDING

    def accepts(self, who: str, approved: bool) -> bool:
        stage = self.policy.stages[self.stage - 1]
        return (
            self.outcome is ApprovalOutcome.PENDING
            and who in stage.approvers
            and who not in {w for w, _ in self.decisions[-1]}
            and not (approved and who in self.barred)
        )

    def decide(self, who: str, approved: bool) -> None:
        stage = self.policy.stages[self.stage - 1]
        self.decisions[-1].append((who, approved))
        if not approved:
            self.outcome = ApprovalOutcome.REJECTED
        elif sum(a for _, a in self.decisions[-1]) >= stage.required_of(len(stage.approvers)):
            if self.stage == len(self.policy.stages):
                self.outcome = ApprovalOutcome.APPROVED
            else:
                self.stage += 1
                self.decisions.append([])


@given(st.booleans(), st.data())
def test_approvals_follow_the_rules(has_beneficiary: bool, data: st.DataObject) -> None:
    """
    Random decisions never let the requester or beneficiary approve, each is accepted
    exactly when the rules say, and the folded status equals the one built step by step.
    """
    barred = frozenset({REQUESTER_ID, BENEFICIARY} if has_beneficiary else {REQUESTER_ID})
    policy = ApprovalPolicy(data.draw(st.lists(stages(barred), min_size=1, max_size=3)))
    at = data.draw(instants())
    ticket = SERVICE_REQUEST.open("R-1", title="New laptop", requester=REQUESTER, at=at)
    details = {"beneficiary": BENEFICIARY} if has_beneficiary else {}
    ticket = SERVICE_REQUEST.fire(
        ticket, Trigger.REQUEST_APPROVAL, actor=REQUESTER, at=at, **details
    )
    ticket = request_approval(ticket, policy, actor=REQUESTER, at=at)
    running = NOT_REQUESTED
    for event in ticket.history:
        running = running.after(event)
    model = Model(policy, barred)
    for _ in range(data.draw(st.integers(0, 16))):
        # Mostly the current stage's approvers, mostly approving, so runs reach later stages.
        asked = policy.stages[model.stage - 1].approvers
        who = data.draw(st.sampled_from(asked) | st.sampled_from((*POOL, "eve")))
        approved = data.draw(st.sampled_from([True, True, True, False]))
        expected = model.accepts(who, approved)
        before = ticket
        try:
            ticket = decide(
                ticket, policy, approver=Actor(who, Role.APPROVER), approved=approved, at=at
            )
        except PermissionDenied:
            assert not expected
            assert before is ticket
            continue
        assert expected
        assert not (approved and who in barred)
        model.decide(who, approved)
        for event in ticket.history[len(before.history) :]:
            running = running.after(event)
        assert running == approval_status(ticket)
        assert model.outcome == outcome(ticket)
    status = approval_status(Ticket.replay(ticket.history))
    assert running == status
    assert model.decisions == [list(s.decisions) for s in status.stages]
