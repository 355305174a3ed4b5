"""
Approvals: stages with all/any/N approvers, in sequence, folded from the ticket's history,
and every way a decision or a policy can be refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from builders import ANN, MAX, MIA, MO, T0
from deskflow import INCIDENT, SERVICE_REQUEST, Actor, Role, Ticket, Trigger
from deskflow.approval import (
    ApprovalOutcome,
    ApprovalPolicy,
    ApprovalStage,
    ApprovalStatus,
    StageStatus,
    approval_status,
    beneficiary_of,
    decide,
    outcome,
    request_approval,
)
from deskflow.events import ApprovalDecided, ApprovalRequested
from deskflow.exceptions import ConfigError, InvalidInput, PermissionDenied

Out = ApprovalOutcome


def submitted(**details: str) -> Ticket:
    t = SERVICE_REQUEST.open(
        "R-1", title="New laptop", requester=ANN, at=T0, category="hardware", service="laptops"
    )
    if details:
        t = SERVICE_REQUEST.fire(t, Trigger.REQUEST_APPROVAL, actor=ANN, at=T0, **details)
    return t


def asked(policy: ApprovalPolicy, ticket: Ticket | None = None) -> Ticket:
    ticket = ticket or submitted()
    return request_approval(ticket, policy, actor=ANN, at=ticket.updated_at)


def votes(ticket: Ticket, policy: ApprovalPolicy, *decisions: tuple[Actor, bool]) -> Ticket:
    for i, (approver, approved) in enumerate(decisions, 1):
        ticket = decide(
            ticket, policy, approver=approver, approved=approved, at=T0 + timedelta(minutes=i)
        )
    return ticket


def one_stage(required: str | int, *approvers: str) -> ApprovalPolicy:
    return ApprovalPolicy([ApprovalStage(approvers or ("max", "mia", "mo"), required)])


def test_never_requested() -> None:
    """
    A ticket whose approval was never requested has no stages and awaits nobody.
    """
    assert ApprovalStatus() == approval_status(submitted())
    assert Out.NOT_REQUESTED == outcome(submitted())


def test_request_asks_the_first_stage() -> None:
    """
    Requesting approval records who is asked at stage 1 and under which rule.
    """
    t = asked(one_stage("any"))
    event = t.history[-1]
    assert (
        ApprovalRequested(at=T0, actor="ann", approvers=("max", "mia", "mo"), stage=1, rule="any")
        == event
    )
    assert (Out.PENDING, frozenset({"max", "mia", "mo"})) == (
        outcome(t),
        approval_status(t).awaiting,
    )


@pytest.mark.parametrize(
    ("required", "approvals_needed"), [("all", 3), ("any", 1), (2, 2), (3, 3), (1, 1)]
)
def test_a_stage_is_approved_once_enough_approve(
    required: str | int, approvals_needed: int
) -> None:
    """
    all needs every approver, any needs one, N needs N; the stage is pending until then.
    """
    policy = one_stage(required)
    t = asked(policy)
    for approver in (MAX, MIA, MO)[: approvals_needed - 1]:
        t = votes(t, policy, (approver, True))
        assert Out.PENDING == outcome(t)
    t = votes(t, policy, ((MAX, MIA, MO)[approvals_needed - 1], True))
    assert Out.APPROVED == outcome(t)
    assert frozenset() == approval_status(t).awaiting


def test_any_rejection_rejects_the_stage_and_the_request() -> None:
    """
    One rejection decides the stage as rejected, even under any/N; nobody may vote after.
    """
    policy = one_stage(2)
    t = votes(asked(policy), policy, (MAX, True), (MIA, False))
    status = approval_status(t)
    assert (Out.REJECTED, ("max",), ("mia",)) == (
        status.outcome,
        status.current.approved_by if status.current else (),
        status.current.rejected_by if status.current else (),
    )
    with pytest.raises(PermissionDenied, match="no approval is pending on ticket R-1"):
        votes(t, policy, (MO, True))


def test_stages_run_in_sequence() -> None:
    """
    Stage 2 is requested (by the system) when stage 1 is approved, and not before.
    """
    policy = ApprovalPolicy(
        [ApprovalStage(["max", "mia"], "any"), ApprovalStage(["cfo", "cto"], "all")]
    )
    t = asked(policy)
    with pytest.raises(PermissionDenied, match="cfo is not asked to approve stage 1"):
        votes(t, policy, (Actor("cfo", Role.APPROVER), True))
    t = votes(t, policy, (MIA, True))
    assert (
        ApprovalRequested(
            at=T0 + timedelta(minutes=1),
            actor="system",
            approvers=("cfo", "cto"),
            stage=2,
            rule="all",
        )
        == t.history[-1]
    )
    assert (Out.PENDING, frozenset({"cfo", "cto"})) == (outcome(t), approval_status(t).awaiting)
    with pytest.raises(PermissionDenied, match="max is not asked to approve stage 2"):
        votes(t, policy, (MAX, True))
    t = votes(t, policy, (Actor("cfo", Role.APPROVER), True), (Actor("cto", Role.APPROVER), True))
    status = approval_status(t)
    assert Out.APPROVED == status.outcome
    assert [(1, Out.APPROVED), (2, Out.APPROVED)] == [(s.stage, s.outcome) for s in status.stages]
    assert frozenset({"max", "mia", "cfo", "cto"}) == status.asked


def test_a_rejection_at_a_later_stage_rejects_the_request() -> None:
    """
    Approving stage 1 and rejecting stage 2 rejects the whole request.
    """
    policy = ApprovalPolicy([ApprovalStage(["max"]), ApprovalStage(["mia"])])
    t = votes(asked(policy), policy, (MAX, True), (MIA, False))
    assert Out.REJECTED == outcome(t)


def test_a_double_vote_is_refused() -> None:
    """
    An approver who decided the stage may not decide it again, either way.
    """
    policy = one_stage("all")
    t = votes(asked(policy), policy, (MAX, True))
    for again in (True, False):
        with pytest.raises(PermissionDenied, match="max already decided stage 1"):
            votes(t, policy, (MAX, again))


def test_the_requester_may_reject_but_never_approve() -> None:
    """
    Nobody approves their own request; rejecting it (self-reject) stays allowed.
    """
    policy = one_stage("any", "ann", "max")
    t = asked(policy)
    with pytest.raises(PermissionDenied, match="nobody may approve their own request"):
        votes(t, policy, (Actor("ann", Role.APPROVER), True))
    assert Out.REJECTED == outcome(votes(t, policy, (Actor("ann", Role.APPROVER), False)))


def test_the_beneficiary_may_reject_but_never_approve() -> None:
    """
    The person a request is for (a detail named beneficiary) may not approve it.
    """
    policy = one_stage("any", "bob", "max")
    t = asked(policy, submitted(beneficiary="bob"))
    assert "bob" == beneficiary_of(t)
    bob = Actor("bob", Role.APPROVER)
    with pytest.raises(PermissionDenied, match="nobody may approve a request they benefit from"):
        votes(t, policy, (bob, True))
    assert Out.REJECTED == outcome(votes(t, policy, (bob, False)))


def test_the_beneficiary_resolver_is_the_policys() -> None:
    """
    A policy may find the beneficiary its own way.
    """
    policy = ApprovalPolicy([ApprovalStage(["max", "mia"], "any")], beneficiary=lambda _t: "max")
    with pytest.raises(PermissionDenied, match="benefit from"):
        votes(asked(policy), policy, (MAX, True))


def test_a_stage_only_barred_approvers_could_approve_is_a_config_error() -> None:
    """
    Asking a stage that needs more approvals than it has eligible approvers is refused.
    """
    with pytest.raises(ConfigError, match="only 1 of its approvers may approve it"):
        asked(one_stage("all", "ann", "max"))
    policy = ApprovalPolicy([ApprovalStage(["max"]), ApprovalStage(["ann"])])
    with pytest.raises(ConfigError, match=r"stages\.2: needs 1 approvals"):
        votes(asked(policy), policy, (MAX, True))


def test_a_resolver_finds_approvers_from_the_ticket() -> None:
    """
    A stage may find its approvers from the ticket, e.g. the owner of its service.
    """
    owners = {"laptops": ["max", "mia"]}
    policy = ApprovalPolicy([ApprovalStage(resolver=lambda t: owners[t.service or ""])])
    assert ("max", "mia") == approval_status(asked(policy)).stages[0].approvers


def test_policy_scope_by_category_or_service() -> None:
    """
    A policy applies to service requests of its categories or services (all if none given).
    """
    stages = [ApprovalStage(["max"])]
    t = submitted()
    assert ApprovalPolicy(stages).needs_approval(t)
    assert ApprovalPolicy(stages, categories={"hardware"}).needs_approval(t)
    assert ApprovalPolicy(stages, services="laptops").needs_approval(t)
    assert not ApprovalPolicy(stages, categories={"software"}).needs_approval(t)
    incident = INCIDENT.open("T-1", title="VPN down", requester=ANN, at=T0)
    assert not ApprovalPolicy(stages).needs_approval(incident)
    with pytest.raises(InvalidInput, match="does not need approval"):
        request_approval(incident, ApprovalPolicy(stages), actor=ANN, at=T0)


def test_requesting_twice_while_pending_is_refused() -> None:
    """
    A second request while approval is pending is refused; after a decision a new round starts.
    """
    policy = one_stage("any", "max", "mia")
    t = asked(policy)
    with pytest.raises(InvalidInput, match="already pending"):
        asked(policy, t)
    t = asked(policy, votes(t, policy, (MAX, False)))
    assert (Out.PENDING, frozenset({"max", "mia"})) == (outcome(t), approval_status(t).awaiting)


def test_stray_decisions_in_the_history_do_not_count() -> None:
    """
    Decisions a host recorded by hand from someone not asked, twice, or on a decided stage
    are ignored by the fold.
    """
    t = asked(one_stage("all", "max", "mia"))
    for actor, approved in (("eve", True), ("max", True), ("max", False)):
        t = t.record(ApprovalDecided(at=T0, actor=actor, approved=approved))
    current = approval_status(t).current
    assert StageStatus(1, ("max", "mia"), "all", (("max", True),)) == current


# Wrong types on purpose (hence the type: ignores): each case checks a run-time refusal.
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ApprovalPolicy([]), "stages: an approval policy needs at least one stage"),
        (lambda: ApprovalPolicy(ApprovalStage(["max"])), "stages must be a list"),  # type: ignore[arg-type]
        (lambda: ApprovalPolicy(["max"]), r"stages\.1: expected an ApprovalStage"),  # type: ignore[list-item]
        (lambda: ApprovalStage(["max"], 2), "needs 2 approvals but has only 1 approvers"),
        (lambda: ApprovalStage(["max"], 0), "required: must be at least 1"),
        (lambda: ApprovalStage(["max"], True), "required: must be 'all', 'any' or an int"),
        (lambda: ApprovalStage(["max"], "most"), "required: must be 'all', 'any' or an int"),
        (lambda: ApprovalStage([]), "give either approver ids or a resolver"),
        (lambda: ApprovalStage(["max"], resolver=lambda t: ["mia"]), "not both or neither"),
        (lambda: ApprovalStage(resolver="boss"), "resolver: must be callable"),  # type: ignore[arg-type]
        (lambda: ApprovalStage(["max", "max"]), "listed twice"),
        (lambda: ApprovalStage([""]), "approver id must not be empty"),
        (lambda: ApprovalStage(42), "approver id must be a name or names"),  # type: ignore[arg-type]
        (lambda: ApprovalPolicy([ApprovalStage(["max"])], categories=[1]), "expected names"),  # type: ignore[list-item]
        (lambda: ApprovalPolicy([ApprovalStage(["max"])], beneficiary="bob"), "must be callable"),  # type: ignore[arg-type]
    ],
)
def test_bad_policies_are_config_errors(make: Callable[[], object], message: str) -> None:
    """
    Empty stages, N above the approvers, unknown rules and malformed approvers are refused.
    """
    with pytest.raises(ConfigError, match=message):
        make()


@pytest.mark.parametrize(
    ("found", "message"),
    [
        ([], "found nobody"),
        (["max"], "needs 2 approvals but has only 1"),
        ([3], "approver id must be a string"),
    ],
)
def test_a_resolver_finding_too_few_is_a_config_error(found: list[object], message: str) -> None:
    """
    A resolver that finds nobody, too few for N, or non-ids makes the request fail.
    """
    policy = ApprovalPolicy([ApprovalStage(resolver=lambda _t: found, required=2)])  # type: ignore[arg-type, return-value]
    with pytest.raises(ConfigError, match=message):
        asked(policy)


POLICY = one_stage("any")


# Wrong types on purpose (hence the type: ignores): each case checks a run-time refusal.
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda t: decide(t, POLICY, approver=MAX, approved=True, at=datetime(2026, 3, 2)),
            "naive",
        ),
        (
            lambda t: decide(t, POLICY, approver=MAX, approved="yes", at=T0),  # type: ignore[arg-type]
            "approved must be a bool",
        ),
        (lambda t: decide(t, POLICY, approver="max", approved=True, at=T0), "must be an Actor"),  # type: ignore[arg-type]
        (lambda t: decide(t, POLICY, approver=MAX, approved=True, at="now"), "aware datetime"),  # type: ignore[arg-type]
        (lambda t: decide(t, POLICY, approver=MAX, approved=True, at=T0, comment=7), "comment"),  # type: ignore[arg-type]
        (lambda t: decide(t, POLICY, approver=MAX, approved=True, at=T0 - timedelta(1)), "earlier"),
        (lambda t: decide("R-1", POLICY, approver=MAX, approved=True, at=T0), "ticket must be"),  # type: ignore[arg-type]
        (lambda t: decide(t, "any", approver=MAX, approved=True, at=T0), "policy must be"),  # type: ignore[arg-type]
        (lambda t: request_approval(t, POLICY, actor=ANN, at=datetime(2026, 3, 2)), "naive"),
        (lambda t: request_approval(t, POLICY, actor="ann", at=T0), "must be an Actor"),  # type: ignore[arg-type]
        (lambda t: approval_status("R-1"), "ticket must be a Ticket"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_is_invalid_input(call: Callable[[Ticket], object], message: str) -> None:
    """
    Naive datetimes and wrong types raise InvalidInput and change nothing.
    """
    t = asked(POLICY)
    with pytest.raises(InvalidInput, match=message):
        call(t)


def test_unknown_recorded_rule_is_invalid_input() -> None:
    """
    A host-recorded request with a rule deskflow does not know is reported, not guessed.
    """
    t = submitted().record(ApprovalRequested(at=T0, actor="ann", approvers=("max",), rule="most"))
    with pytest.raises(InvalidInput, match="unknown approval rule 'most'"):
        outcome(t)
