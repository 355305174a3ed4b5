"""
Approvals of service requests: who must approve, how many of them, in which stages.

An [`ApprovalPolicy`][deskflow.approval.ApprovalPolicy] says which requests need approval and
lists its stages; each [`ApprovalStage`][deskflow.approval.ApprovalStage] names its approvers
(or a resolver that finds them from the ticket) and how many must approve (``"all"``, ``"any"``
or a number). Stage 2 is requested when stage 1 is approved; any rejection rejects the stage and
the request.

The state of approvals is never stored apart from the ticket:
[`approval_status()`][deskflow.approval.approval_status] folds the ticket's
[`ApprovalRequested`][deskflow.events.ApprovalRequested] and
[`ApprovalDecided`][deskflow.events.ApprovalDecided] events.
[`request_approval()`][deskflow.approval.request_approval] and
[`decide()`][deskflow.approval.decide] return the ticket with those events recorded; the host
then fires the workflow's ``approve`` or ``reject`` trigger once
[`outcome()`][deskflow.approval.outcome] says the request is decided.

Nobody approves a request they raised or benefit from. The beneficiary is read from the ticket
by the policy's ``beneficiary`` callable; the default,
[`beneficiary_of()`][deskflow.approval.beneficiary_of], takes the latest ``beneficiary`` detail
given to a transition (``fire(..., beneficiary="bob")``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Final, Literal

import attrs

from deskflow._internal import checks as _checks
from deskflow.actors import SYSTEM, Actor
from deskflow.enums import TicketKind
from deskflow.events import ApprovalDecided, ApprovalRequested, Event, StateChanged
from deskflow.exceptions import ConfigError, InvalidInput, PermissionDenied
from deskflow.ticket import Ticket

__all__ = [
    "NOT_REQUESTED",
    "ApprovalOutcome",
    "ApprovalPolicy",
    "ApprovalStage",
    "ApprovalStatus",
    "Required",
    "StageStatus",
    "approval_status",
    "beneficiary_of",
    "decide",
    "outcome",
    "request_approval",
]

#: How many approvers must approve a stage: all of them, any one, or a number.
Required = Literal["all", "any"] | int


class ApprovalOutcome(enum.StrEnum):
    """
    Where an approval stage, or the whole approval, stands.
    """

    NOT_REQUESTED = "not_requested"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


def beneficiary_of(ticket: Ticket) -> str | None:
    """
    The latest ``beneficiary`` detail given to a transition of ``ticket``, or None.
    """
    for event in reversed(ticket.history):
        if isinstance(event, StateChanged):
            for name, value in event.extra:
                if name == "beneficiary":
                    return value
    return None


def _count(required: str, approvers: int) -> int:
    if required == "all":
        return approvers
    if required == "any":
        return 1
    if not required.isdigit():
        # Only a host recording its own events can get here; the policy checks its rules.
        raise InvalidInput(f"unknown approval rule {required!r}; expected 'all', 'any' or N")
    return int(required)


def _required(value: object) -> Required:
    if value in ("all", "any"):
        return "all" if value == "all" else "any"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"must be 'all', 'any' or an int >= 1, got {value!r}", path=("required",))
    if value < 1:
        raise ConfigError(f"must be at least 1, got {value}", path=("required",))
    return value


def _approver_ids(value: Iterable[str]) -> tuple[str, ...]:
    with _checks.config_path("approvers"):
        ids = _checks.names("approver id", value)
    if len(set(ids)) != len(ids):
        raise ConfigError(f"approvers are listed twice in {ids!r}", path=("approvers",))
    return ids


@attrs.frozen
class ApprovalStage:
    """
    One stage: its approvers (fixed ids, or a ``resolver`` from the ticket) and how many of
    them must approve.

    >>> ApprovalStage(["max", "mia"], required="any").required_of(2)
    1
    """

    approvers: tuple[str, ...] = attrs.field(default=(), converter=_approver_ids)
    required: Required = attrs.field(default="all", converter=_required)
    resolver: Callable[[Ticket], Iterable[str]] | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if (self.resolver is None) == (not self.approvers):
            raise ConfigError("give either approver ids or a resolver, not both or neither")
        if self.resolver is not None and not callable(self.resolver):
            raise ConfigError(f"must be callable, got {self.resolver!r}", path=("resolver",))
        if self.approvers and isinstance(self.required, int):
            self._check_enough(self.approvers)

    @property
    def rule(self) -> str:
        """
        ``required`` as recorded in [`ApprovalRequested`][deskflow.events.ApprovalRequested].
        """
        return str(self.required)

    def required_of(self, approvers: int) -> int:
        """
        How many approvals the stage needs when ``approvers`` are asked.
        """
        return _count(self.rule, approvers)

    def approvers_for(self, ticket: Ticket) -> tuple[str, ...]:
        """
        Whom to ask for ``ticket``: the fixed ids, or what the resolver finds.
        """
        if self.resolver is None:
            return self.approvers
        ids = _approver_ids(self.resolver(ticket))
        if not ids:
            raise ConfigError(f"the approver resolver found nobody for ticket {ticket.id}")
        if isinstance(self.required, int):
            self._check_enough(ids)
        return ids

    def _check_enough(self, ids: tuple[str, ...]) -> None:
        if self.required_of(len(ids)) > len(ids):
            raise ConfigError(
                f"needs {self.required} approvals but has only {len(ids)} approvers",
                path=("required",),
            )


def _stages(value: Iterable[ApprovalStage]) -> tuple[ApprovalStage, ...]:
    if isinstance(value, ApprovalStage) or not isinstance(value, Iterable):
        raise ConfigError(
            f"stages must be a list of ApprovalStage, got {value!r}", path=("stages",)
        )
    stages = tuple(value)
    if not stages:
        raise ConfigError("an approval policy needs at least one stage", path=("stages",))
    for i, stage in enumerate(stages, 1):
        if not isinstance(stage, ApprovalStage):
            raise ConfigError(f"expected an ApprovalStage, got {stage!r}", path=("stages", i))
    return stages


def _names(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset((value,))
    names = frozenset(value)
    if not all(isinstance(n, str) for n in names):
        raise ConfigError(f"expected names, got {sorted(map(repr, names))}")
    return names


@attrs.frozen
class ApprovalPolicy:
    """
    Which service requests need approval (of ``categories`` or ``services``; all of them when
    neither is given) and the stages it goes through, in order.

    >>> policy = ApprovalPolicy([ApprovalStage(["max"]), ApprovalStage(["cfo", "cto"], "any")],
    ...                         categories={"hardware"})
    >>> len(policy.stages)
    2
    """

    stages: tuple[ApprovalStage, ...] = attrs.field(converter=_stages)
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    services: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    beneficiary: Callable[[Ticket], str | None] = attrs.field(default=beneficiary_of, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not callable(self.beneficiary):
            raise ConfigError(f"must be callable, got {self.beneficiary!r}", path=("beneficiary",))

    def needs_approval(self, ticket: Ticket) -> bool:
        """
        True if ``ticket`` is a service request this policy applies to.
        """
        if ticket.kind is not TicketKind.SERVICE_REQUEST:
            return False
        if not self.categories and not self.services:
            return True
        return ticket.category in self.categories or ticket.service in self.services

    def stage(self, number: int) -> ApprovalStage | None:
        """
        Stage ``number`` (from 1), or None past the last one.
        """
        return self.stages[number - 1] if 1 <= number <= len(self.stages) else None


@attrs.frozen
class StageStatus:
    """
    One requested stage: whom it asked, what they decided (in order) and where it stands.
    """

    stage: int
    approvers: tuple[str, ...]
    rule: str
    decisions: tuple[tuple[str, bool], ...] = ()

    @property
    def required(self) -> int:
        """
        How many approvals the stage needs.
        """
        return _count(self.rule, len(self.approvers))

    @property
    def approved_by(self) -> tuple[str, ...]:
        """
        Who approved, in order.
        """
        return tuple(who for who, approved in self.decisions if approved)

    @property
    def rejected_by(self) -> tuple[str, ...]:
        """
        Who rejected, in order.
        """
        return tuple(who for who, approved in self.decisions if not approved)

    @property
    def outcome(self) -> ApprovalOutcome:
        """
        Rejected on any rejection; approved once enough approved; pending until then.
        """
        if self.rejected_by:
            return ApprovalOutcome.REJECTED
        if len(self.approved_by) >= self.required:
            return ApprovalOutcome.APPROVED
        return ApprovalOutcome.PENDING

    @property
    def awaiting(self) -> frozenset[str]:
        """
        The approvers who may still decide (none once the stage is decided).
        """
        if self.outcome is not ApprovalOutcome.PENDING:
            return frozenset()
        decided = {who for who, _ in self.decisions}
        return frozenset(a for a in self.approvers if a not in decided)


@attrs.frozen
class ApprovalStatus:
    """
    Where a ticket's approval stands, folded from its history (the current round only).

    A new round starts at every request of stage 1; a decision that does not count (by
    someone not asked, a second vote, a vote on a decided stage) is ignored.
    """

    stages: tuple[StageStatus, ...] = ()
    #: Everyone asked at some stage of the current round.
    asked: frozenset[str] = frozenset()

    @property
    def current(self) -> StageStatus | None:
        """
        The last requested stage, or None if approval was never requested.
        """
        return self.stages[-1] if self.stages else None

    @property
    def outcome(self) -> ApprovalOutcome:
        """
        Not requested, pending, approved (the last stage was) or rejected (any stage was).
        """
        current = self.current
        return ApprovalOutcome.NOT_REQUESTED if current is None else current.outcome

    @property
    def awaiting(self) -> frozenset[str]:
        """
        Who may decide now.
        """
        current = self.current
        return frozenset() if current is None else current.awaiting

    def after(self, event: Event) -> ApprovalStatus:
        """
        The status once ``event`` is recorded; events other than approvals change nothing.
        """
        if isinstance(event, ApprovalRequested):
            stage = StageStatus(event.stage, tuple(event.approvers), event.rule)
            if event.stage <= 1:
                return ApprovalStatus((stage,), frozenset(event.approvers))
            kept = tuple(s for s in self.stages if s.stage < event.stage)
            return ApprovalStatus((*kept, stage), self.asked | frozenset(event.approvers))
        if isinstance(event, ApprovalDecided):
            current = self.current
            if (
                current is None
                or current.stage != event.stage
                or event.actor not in current.awaiting
            ):
                return self
            decided = attrs.evolve(
                current, decisions=(*current.decisions, (event.actor, event.approved))
            )
            return attrs.evolve(self, stages=(*self.stages[:-1], decided))
        return self


#: The status of a ticket whose approval was never requested.
NOT_REQUESTED: Final = ApprovalStatus()


def approval_status(ticket: Ticket) -> ApprovalStatus:
    """
    Fold the approval events of ``ticket``'s history into its
    [`ApprovalStatus`][deskflow.approval.ApprovalStatus].
    """
    if not isinstance(ticket, Ticket):
        raise InvalidInput(f"ticket must be a Ticket, got {type(ticket).__name__}")
    status = NOT_REQUESTED
    for event in ticket.history:
        if isinstance(event, ApprovalRequested | ApprovalDecided):
            status = status.after(event)
    return status


def outcome(ticket: Ticket) -> ApprovalOutcome:
    """
    The overall outcome of ``ticket``'s approval: fire ``approve`` or ``reject`` on it.
    """
    return approval_status(ticket).outcome


def _checked(ticket: object, policy: object, actor: object, at: object) -> None:
    if not isinstance(ticket, Ticket):
        raise InvalidInput(f"ticket must be a Ticket, got {type(ticket).__name__}")
    if not isinstance(policy, ApprovalPolicy):
        raise InvalidInput(f"policy must be an ApprovalPolicy, got {type(policy).__name__}")
    if not isinstance(actor, Actor):
        raise InvalidInput(f"the acting identity must be an Actor, got {type(actor).__name__}")
    _checks.aware("at", at)


def _ask(
    ticket: Ticket, policy: ApprovalPolicy, number: int, *, actor: str, at: datetime
) -> Ticket:
    stage = policy.stages[number - 1]
    approvers = stage.approvers_for(ticket)
    # A stage only its requester or beneficiary could approve would never be approved.
    barred = {ticket.requester, policy.beneficiary(ticket)}
    eligible = [a for a in approvers if a not in barred]
    if len(eligible) < stage.required_of(len(approvers)):
        raise ConfigError(
            f"needs {stage.required_of(len(approvers))} approvals for ticket {ticket.id}, but "
            f"only {len(eligible)} of its approvers may approve it "
            "(nobody approves a request they raised or benefit from)",
            path=("stages", number),
        )
    asked_but_barred = tuple(a for a in approvers if a in barred)
    return ticket.record(
        ApprovalRequested(
            at=at,
            actor=actor,
            approvers=approvers,
            stage=number,
            rule=stage.rule,
            barred=asked_but_barred,
        )
    )


def request_approval(
    ticket: Ticket, policy: ApprovalPolicy, *, actor: Actor, at: datetime
) -> Ticket:
    """
    Return ``ticket`` with approval requested from the first stage's approvers.

    >>> from datetime import datetime, timezone
    >>> from deskflow import SERVICE_REQUEST, Actor, Role
    >>> at = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> t = SERVICE_REQUEST.open("R-1", title="New laptop", requester="ann", at=at)
    >>> t = request_approval(t, ApprovalPolicy([ApprovalStage(["max"])]),
    ...                      actor=Actor("ann", Role.REQUESTER), at=at)
    >>> approval_status(t).awaiting
    frozenset({'max'})
    """
    _checked(ticket, policy, actor, at)
    if not policy.needs_approval(ticket):
        raise InvalidInput(f"ticket {ticket.id} does not need approval under this policy")
    if outcome(ticket) is ApprovalOutcome.PENDING:
        raise InvalidInput(f"approval of ticket {ticket.id} is already pending")
    return _ask(ticket, policy, 1, actor=actor.id, at=at)


def decide(
    ticket: Ticket,
    policy: ApprovalPolicy,
    *,
    approver: Actor,
    approved: bool,
    at: datetime,
    comment: str | None = None,
) -> Ticket:
    """
    Return ``ticket`` with ``approver``'s decision on the current stage recorded.

    Refuses (PermissionDenied) an approver not asked at the current stage, one who already
    decided it, and the requester or beneficiary approving. When the decision approves the
    stage, the next stage of ``policy`` (if any) is requested at once, by the system.
    """
    _checked(ticket, policy, approver, at)
    if not isinstance(approved, bool):
        raise InvalidInput(f"approved must be a bool, got {type(approved).__name__}")
    _checks.optional_text("comment", comment)
    current = approval_status(ticket).current
    if current is None or current.outcome is not ApprovalOutcome.PENDING:
        raise PermissionDenied(f"no approval is pending on ticket {ticket.id}")
    who = approver.id
    if who not in current.approvers:
        raise PermissionDenied(f"{who} is not asked to approve stage {current.stage}")
    if who not in current.awaiting:
        raise PermissionDenied(f"{who} already decided stage {current.stage}")
    if approved and who == ticket.requester:
        raise PermissionDenied("nobody may approve their own request")
    if approved and who == policy.beneficiary(ticket):
        raise PermissionDenied("nobody may approve a request they benefit from")
    ticket = ticket.record(
        ApprovalDecided(at=at, actor=who, approved=approved, stage=current.stage, comment=comment)
    )
    stage = approval_status(ticket).current
    if (
        stage is not None
        and stage.outcome is ApprovalOutcome.APPROVED
        and policy.stage(stage.stage + 1) is not None
    ):
        ticket = _ask(ticket, policy, stage.stage + 1, actor=SYSTEM.id, at=at)
    return ticket
