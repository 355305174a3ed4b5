"""
The decisions of the help desk's commands, as pure functions.

Each takes the ticket(s) a command loaded, the acting identity, the desk's policies and the
command's instant, and returns what changed: no repository, no clock, no notifier. The
[`HelpDesk`][deskflow.service.HelpDesk] service loads, authorizes, calls one of these, saves
every touched ticket in one atomic write and then delivers. A decision that refuses raises
([`InvalidTransition`][deskflow.exceptions.InvalidTransition],
[`PermissionDenied`][deskflow.exceptions.PermissionDenied],
[`InvalidInput`][deskflow.exceptions.InvalidInput]) and, being pure, has changed nothing.

So a decision can be tested, or tried, on its own:

>>> from datetime import datetime, timezone
>>> from deskflow import INCIDENT, Actor, Desk, Role
>>> now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
>>> ticket = INCIDENT.open("INC-1", title="VPN down", requester="ann", at=now)
>>> lee = Actor("lee", Role.AGENT, tier=1, groups={"service-desk"})
>>> assign(ticket, lee, Desk(), now, group="service-desk", assignee="lee").assignee
'lee'
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from deskflow._internal import checks as _checks
from deskflow._internal.field_commands import set_fields, tag
from deskflow._internal.macro_steps import run_macro
from deskflow.actors import Actor
from deskflow.approval import ApprovalOutcome, decide, outcome
from deskflow.approval import request_approval as ask_for_approval
from deskflow.authorization import Permission, require
from deskflow.desk import Desk
from deskflow.enums import (
    Impact,
    Priority,
    Role,
    TicketKind,
    Trigger,
    Urgency,
    Visibility,
)
from deskflow.events import Acknowledged, Classified, CommentAdded, FeedbackGiven
from deskflow.exceptions import InvalidInput, InvalidTransition
from deskflow.policies.priority_rules import override_priority, reprioritize
from deskflow.routing import Candidate
from deskflow.ticket import Ticket

__all__ = [
    "acknowledge",
    "apply_macro",
    "assign",
    "cancel",
    "classify",
    "close",
    "comment",
    "decide_approval",
    "escalate",
    "hold",
    "note_repeated_alert",
    "open_ticket",
    "refuse_final",
    "reopen",
    "reply",
    "request_approval",
    "request_info",
    "resolve",
    "resume",
    "return_to_first_line",
    "set_fields",
    "set_priority",
    "start",
    "tag",
]


def _fire(
    desk: Desk,
    ticket: Ticket,
    trigger: str,
    actor: Actor,
    now: datetime,
    **details: str | int | None,
) -> Ticket:
    return desk.workflow_for(ticket).fire(ticket, trigger, actor=actor, at=now, **details)


def refuse_final(desk: Desk, ticket: Ticket, permission: Permission) -> None:
    """
    Raise InvalidTransition if ``ticket`` is closed, cancelled or rejected: final tickets are
    immutable, whatever the command.
    """
    if desk.workflow_for(ticket).is_final(ticket.state):
        raise InvalidTransition(
            f"ticket {ticket.id} is {ticket.state}, which is final: it cannot {permission.value}",
            trigger=permission.value,
            state=ticket.state,
            allowed=(),
            reason=f"{ticket.state} is final",
        )


def _refuse_unapproved(desk: Desk, ticket: Ticket) -> None:
    # A request that needs approval is worked only once approved.
    policy = desk.approval
    if policy is None or ticket.kind is not TicketKind.SERVICE_REQUEST:
        return
    if policy.needs_approval(ticket) and outcome(ticket) is not ApprovalOutcome.APPROVED:
        raise InvalidTransition(
            f"request {ticket.id} needs approval before it is assigned",
            trigger=Trigger.ASSIGN,
            state=ticket.state,
            allowed=desk.workflow_for(ticket).allowed(ticket.state),
            reason="approval pending or not requested",
        )


# -- opening ---------------------------------------------------------------------------------


def open_ticket(
    ticket_id: str,
    actor: Actor,
    desk: Desk,
    now: datetime,
    *,
    title: str,
    description: str = "",
    kind: TicketKind | str = TicketKind.INCIDENT,
    requester: str | None = None,
    category: str | None = None,
    service: str | None = None,
    impact: Impact | str | None = None,
    urgency: Urgency | str | None = None,
    alert_key: str | None = None,
) -> Ticket:
    """
    A new ticket ``ticket_id``, logged by ``actor``; with impact and urgency the desk's
    priority policy sets its priority. Agents and the system log for a ``requester`` (the
    actor by default); a requester logs for themselves only.
    """
    kind = _checks.member("kind", TicketKind, kind)
    require(desk.authorization, actor, Permission.OPEN, None)
    if actor.is_agent or actor.role is Role.SYSTEM:
        requester_id = actor.id if requester is None else _checks.text("requester", requester)
    else:
        if requester not in (None, actor.id):
            raise InvalidInput("a requester opens tickets for themselves only")
        requester_id = actor.id
    if kind not in desk.workflows:
        raise InvalidInput(f"this desk has no workflow for {kind.value} tickets")
    if isinstance(title, str):
        title = desk.limits.check("title", _checks.text("title", title))
    if isinstance(description, str) and description:
        description = desk.limits.check("description", description)
    ticket = desk.workflows[kind].open(
        ticket_id,
        title=title,
        description=description,
        requester=requester_id,
        actor=actor,
        at=now,
        category=category,
        service=service,
        impact=impact,
        urgency=urgency,
        alert_key=alert_key,
    )
    if ticket.impact is not None and ticket.urgency is not None:
        ticket = reprioritize(ticket, desk.priority, actor=actor, at=now)
    return ticket


def note_repeated_alert(
    ticket: Ticket, actor: Actor, desk: Desk, now: datetime, *, alert_key: str, title: str
) -> Ticket:
    """
    The ticket an alert opened, with an internal note that the alert fired again.
    """
    require(desk.authorization, actor, Permission.COMMENT_INTERNAL, ticket)
    title = _limited(desk, "title", title, strip=True)
    body = f"Alert {_checks.text('alert_key', alert_key)} fired again: {title}"
    return _say(ticket, actor, desk, now, body, internal=True)


# -- working a ticket --------------------------------------------------------------------------


def classify(
    ticket: Ticket,
    actor: Actor,
    desk: Desk,
    now: datetime,
    *,
    category: str | None = None,
    service: str | None = None,
    impact: Impact | str | None = None,
    urgency: Urgency | str | None = None,
    reason: str | None = None,
) -> Ticket:
    """
    Set or re-assess category, service, impact and urgency; the priority follows a
    re-assessment of impact or urgency (re-filing the category never undoes an override).
    """
    ticket = ticket.record(
        Classified(
            at=now,
            actor=actor.id,
            category=_checks.optional_text("category", category),
            service=_checks.optional_text("service", service),
            impact=impact,
            urgency=urgency,
            reason=_within(desk, "reason", reason, strip=True),
        )
    )
    reassessed = impact is not None or urgency is not None
    if reassessed and ticket.impact is not None and ticket.urgency is not None:
        ticket = reprioritize(ticket, desk.priority, actor=actor, at=now, reason=reason)
    return ticket


def assign(
    ticket: Ticket,
    actor: Actor,
    desk: Desk,
    now: datetime,
    *,
    group: str | None = None,
    assignee: str | None = None,
    candidates: Sequence[Candidate] | None = None,
) -> Ticket:
    """
    Assign to a group and/or agent, or, given ``candidates`` and no assignee, to the one the
    desk's routing policy selects.
    """
    _refuse_unapproved(desk, ticket)
    group = _checks.optional_text("group", group)
    assignee = _checks.optional_text("assignee", assignee)
    reason = None
    if candidates is not None and assignee is None:
        if desk.routing is None:
            raise InvalidInput("this desk has no routing policy to choose from candidates")
        decision = desk.routing.select(ticket, list(candidates), now)
        assignee, reason = decision.agent, decision.reason
        group = group or decision.group
    return _fire(
        desk, ticket, Trigger.ASSIGN, actor, now, group=group, assignee=assignee, reason=reason
    )


def start(ticket: Ticket, actor: Actor, desk: Desk, now: datetime) -> Ticket:
    """
    Start work; an unassigned ticket becomes the actor's.
    """
    assignee = actor.id if ticket.assignee is None else None
    return _fire(desk, ticket, Trigger.START, actor, now, assignee=assignee)


def _limited(
    desk: Desk, field: str, value: object, *, strip: bool = False, name: str | None = None
) -> str:
    # Free text of a command: not blank, and within the desk's size limit for its field
    # (``name`` is the argument's own name, for the message, where it differs).
    text = _checks.text(name or field, value, keep_whitespace=not strip)
    return desk.limits.check(field, text)


def _within(
    desk: Desk, field: str, value: str | None, *, strip: bool = False, name: str | None = None
) -> str | None:
    return None if value is None else _limited(desk, field, value, strip=strip, name=name)


def _say(
    ticket: Ticket, actor: Actor, desk: Desk, now: datetime, body: str, *, internal: bool
) -> Ticket:
    return ticket.record(
        CommentAdded(
            at=now,
            actor=actor.id,
            body=_limited(desk, "comment", body),
            visibility=Visibility.INTERNAL if internal else Visibility.PUBLIC,
            author_role=actor.role,
        )
    )


def comment(
    ticket: Ticket, actor: Actor, desk: Desk, now: datetime, *, body: str, internal: bool = False
) -> Ticket:
    """
    A public reply or an internal note.
    """
    return _say(ticket, actor, desk, now, body, internal=internal)


def request_info(
    ticket: Ticket, actor: Actor, desk: Desk, now: datetime, *, question: str
) -> Ticket:
    """
    Ask the requester (a public comment) and wait for the answer: pending.
    """
    asked = _say(ticket, actor, desk, now, question, internal=False)
    return _fire(desk, asked, Trigger.REQUEST_INFO, actor, now)


def reply(ticket: Ticket, actor: Actor, desk: Desk, now: datetime, *, body: str) -> Ticket:
    """
    The requester's answer; a pending ticket goes back to work.
    """
    ticket = _say(ticket, actor, desk, now, body, internal=False)
    if Trigger.REPLY in desk.workflow_for(ticket).allowed(ticket.state):
        ticket = _fire(desk, ticket, Trigger.REPLY, actor, now)
    return ticket


def hold(
    ticket: Ticket,
    actor: Actor,
    desk: Desk,
    now: datetime,
    *,
    reason: str,
    note: str | None = None,
) -> Ticket:
    """
    On hold, waiting on a vendor, a change or a problem (``reason``).
    """
    note = _within(desk, "reason", note, strip=True, name="note")
    return _fire(desk, ticket, Trigger.HOLD, actor, now, hold_reason=reason, reason=note)


def resume(ticket: Ticket, actor: Actor, desk: Desk, now: datetime) -> Ticket:
    """
    Back to work on a pending or held ticket.
    """
    return _fire(desk, ticket, Trigger.RESUME, actor, now)


def escalate(
    ticket: Ticket,
    actor: Actor,
    desk: Desk,
    now: datetime,
    *,
    reason: str,
    tier: int | None = None,
    group: str | None = None,
) -> Ticket:
    """
    Functional escalation to a higher tier (the next one by default) and its group.
    """
    target = ticket.tier + 1 if tier is None else tier
    return _fire(
        desk,
        ticket,
        Trigger.ESCALATE,
        actor,
        now,
        tier=target,
        group=_checks.optional_text("group", group),
        reason=_limited(desk, "reason", reason, strip=True),
    )


def return_to_first_line(
    ticket: Ticket,
    actor: Actor,
    desk: Desk,
    now: datetime,
    *,
    reason: str,
    group: str | None = None,
) -> Ticket:
    """
    Back to tier 1, when the resolver group cannot place the ticket.
    """
    return _fire(
        desk,
        ticket,
        Trigger.RETURN_TO_FIRST_LINE,
        actor,
        now,
        group=_checks.optional_text("group", group),
        reason=_limited(desk, "reason", reason, strip=True),
    )


def resolve(ticket: Ticket, actor: Actor, desk: Desk, now: datetime, *, resolution: str) -> Ticket:
    """
    The solution given (fulfilled, for a service request).
    """
    workflow = desk.workflow_for(ticket)
    trigger = Trigger.RESOLVE if Trigger.RESOLVE in workflow.triggers else Trigger.FULFIL
    resolution = _limited(desk, "resolution", resolution)
    return _fire(desk, ticket, trigger, actor, now, resolution=resolution)


def close(
    ticket: Ticket,
    actor: Actor,
    desk: Desk,
    now: datetime,
    *,
    rating: int | None = None,
    comment: str | None = None,
) -> Ticket:
    """
    Closed, with the requester's feedback (1 to 5) if given.
    """
    if rating is None and comment is not None:
        raise InvalidInput("a feedback comment goes with a rating (1 to 5)")
    remark = _within(desk, "feedback_comment", comment, name="comment")
    ticket = _fire(desk, ticket, Trigger.CLOSE, actor, now)
    if rating is not None:
        require(desk.authorization, actor, Permission.FEEDBACK, ticket)
        ticket = ticket.record(FeedbackGiven(at=now, actor=actor.id, rating=rating, comment=remark))
    return ticket


def reopen(ticket: Ticket, actor: Actor, desk: Desk, now: datetime, *, reason: str) -> Ticket:
    """
    A resolved ticket back to work, within the workflow's reopen window.
    """
    return _fire(
        desk,
        ticket,
        Trigger.REOPEN,
        actor,
        now,
        reason=_limited(desk, "reason", reason, strip=True),
    )


def cancel(ticket: Ticket, actor: Actor, desk: Desk, now: datetime, *, reason: str) -> Ticket:
    """
    Withdrawn, a duplicate, or no longer needed.
    """
    return _fire(
        desk,
        ticket,
        Trigger.CANCEL,
        actor,
        now,
        reason=_limited(desk, "reason", reason, strip=True),
    )


def set_priority(
    ticket: Ticket,
    actor: Actor,
    desk: Desk,
    now: datetime,
    *,
    priority: Priority | str,
    reason: str,
) -> Ticket:
    """
    The priority set by hand, with the reason kept in the history.
    """
    reason = _limited(desk, "reason", reason, strip=True)
    return override_priority(ticket, priority, actor=actor, at=now, reason=reason)


def acknowledge(ticket: Ticket, actor: Actor, desk: Desk, now: datetime) -> Ticket:
    """
    Someone paged took the ticket on: an escalation ladder stops paging for this cycle.
    """
    return ticket.record(Acknowledged(at=now, actor=actor.id))


def apply_macro(
    ticket: Ticket, actor: Actor, desk: Desk, now: datetime, *, macro: str, authorize: bool = True
) -> Ticket:
    """
    Each step of the desk's macro ``macro`` in order, authorized for ``actor``, or none at all.
    """
    return run_macro(globals(), ticket, actor, desk, now, macro=macro, authorize=authorize)


# -- approvals ---------------------------------------------------------------------------------


def request_approval(ticket: Ticket, actor: Actor, desk: Desk, now: datetime) -> Ticket:
    """
    Ask the approval policy's first stage to approve a service request.
    """
    if desk.approval is None:
        raise InvalidInput("this desk has no approval policy")
    ticket = ask_for_approval(ticket, desk.approval, actor=actor, at=now)
    return _fire(desk, ticket, Trigger.REQUEST_APPROVAL, actor, now)


def decide_approval(
    ticket: Ticket,
    actor: Actor,
    desk: Desk,
    now: datetime,
    *,
    approved: bool,
    comment: str | None = None,
) -> Ticket:
    """
    An approver's decision; the last approval needed approves the request, one rejection
    rejects it.
    """
    if desk.approval is None:
        raise InvalidInput("this desk has no approval policy")
    comment = _within(desk, "reason", comment, strip=True, name="comment")
    ticket = decide(
        ticket, desk.approval, approver=actor, approved=approved, at=now, comment=comment
    )
    result = outcome(ticket)
    if result is ApprovalOutcome.APPROVED:
        return _fire(desk, ticket, Trigger.APPROVE, actor, now)
    if result is ApprovalOutcome.REJECTED:
        return _fire(desk, ticket, Trigger.REJECT, actor, now, reason=comment)
    return ticket
