"""
What each action of an automation rule does to a ticket: the ordinary events it records, as
the system, with the rule named as the reason.

An action that has nothing to change records nothing (a rule that sets a tag the ticket
has does not trigger the rules about tags again); one that cannot apply now (a trigger the
state does not allow, a guard that refuses, a text or field the desk lacks) is skipped and
says why. Either way the rule has fired: it is not retried.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from deskflow import commands
from deskflow.actors import SYSTEM
from deskflow.approval import ApprovalOutcome, outcome
from deskflow.enums import TicketKind, Trigger, Visibility
from deskflow.events import CommentAdded, PriorityChanged, RuleNotified
from deskflow.exceptions import InvalidInput, InvalidTransition, PermissionDenied
from deskflow.fields import FieldsChanged, FieldValue, TagsChanged
from deskflow.rules import (
    Action,
    AddComment,
    AddTags,
    ApplyMacro,
    Assign,
    FireTrigger,
    Notify,
    RemoveTags,
    Route,
    SetFields,
    SetPriority,
    Stop,
)
from deskflow.texts import render_text
from deskflow.ticket import Ticket

if TYPE_CHECKING:
    from deskflow.desk import Desk


class Skipped(Exception):
    # The action cannot apply now; the message says why.
    pass


#: What an action raises when the ticket does not let it apply now.
REFUSALS = (Skipped, InvalidTransition, InvalidInput, PermissionDenied)


def label(action: Action) -> str:
    """
    The action as the audit trail names it: ``add_tags``, ``fire reopen``, ``reply``, ...
    """
    if isinstance(action, FireTrigger):
        return f"fire {action.trigger}"
    if isinstance(action, AddComment):
        return "note" if action.internal else "reply"
    if isinstance(action, ApplyMacro):
        return f"macro {action.macro}"
    if isinstance(action, Notify):
        return f"notify {action.template}"
    name = type(action).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def apply(
    desk: Desk, ticket: Ticket, rule: str, action: Action, now: datetime
) -> tuple[Ticket, str]:
    """
    ``ticket`` after ``action`` of rule ``rule``, and a line saying what it did (or why it
    was skipped).
    """
    what = label(action)
    if isinstance(action, Stop):
        return ticket, "stop"
    if not isinstance(action, Notify) and desk.workflow_for(ticket).is_final(ticket.state):
        return ticket, f"skipped {what}: ticket {ticket.id} is {ticket.state}, which is final"
    handler = _HANDLERS.get(type(action))
    if handler is None:
        return ticket, f"skipped {what}: deskflow does not know this action"
    try:
        changed = handler(desk, ticket, f"rule {rule}", action, now)
    except REFUSALS as why:
        return ticket, f"skipped {what}: {why}"
    if changed.version == ticket.version:
        return ticket, f"{what}: nothing to change"
    described = "; ".join(e.describe() for e in changed.history[ticket.version :])
    return changed, f"{what}: {described}"


def _set_fields(desk: Desk, ticket: Ticket, reason: str, action: Action, now: datetime) -> Ticket:
    assert isinstance(action, SetFields)
    changes: dict[str, FieldValue | None] = {}
    for name, value in action.values.items():
        spec = desk.fields.get(name)
        if spec is None:
            raise Skipped(f"this desk has no field {name!r}")
        checked = None if value is None else spec.check(value)
        if ticket.fields.get(name) != checked:
            changes[name] = checked
    if not changes:
        return ticket
    return ticket.record(FieldsChanged(at=now, actor=SYSTEM.id, changes=changes, reason=reason))


def _tags(desk: Desk, ticket: Ticket, reason: str, action: Action, now: datetime) -> Ticket:
    assert isinstance(action, AddTags | RemoveTags)
    if isinstance(action, AddTags):
        added = tuple(dict.fromkeys(t for t in action.tags if t not in ticket.tags))
        removed: tuple[str, ...] = ()
    else:
        added, removed = (), tuple(dict.fromkeys(t for t in action.tags if t in ticket.tags))
    if not added and not removed:
        return ticket
    return ticket.record(
        TagsChanged(at=now, actor=SYSTEM.id, added=added, removed=removed, reason=reason)
    )


def _priority(desk: Desk, ticket: Ticket, reason: str, action: Action, now: datetime) -> Ticket:
    assert isinstance(action, SetPriority)
    if ticket.priority == action.priority:
        return ticket
    event = PriorityChanged(
        at=now,
        actor=SYSTEM.id,
        priority=action.priority,
        previous=ticket.priority,
        reason=reason,
        rule=reason,
    )
    return ticket.record(event)


def _assign_to(
    desk: Desk,
    ticket: Ticket,
    now: datetime,
    group: str | None,
    assignee: str | None,
    reason: str,
) -> Ticket:
    policy = desk.approval
    if (
        policy is not None
        and ticket.kind is TicketKind.SERVICE_REQUEST
        and policy.needs_approval(ticket)
        and outcome(ticket) is not ApprovalOutcome.APPROVED
    ):
        raise Skipped(f"request {ticket.id} needs approval before it is assigned")
    if (group is None or group == ticket.group) and (
        assignee is None or assignee == ticket.assignee
    ):
        return ticket  # already so
    workflow = desk.workflow_for(ticket)
    return workflow.fire(
        ticket, Trigger.ASSIGN, actor=SYSTEM, at=now, group=group, assignee=assignee, reason=reason
    )


def _assign(desk: Desk, ticket: Ticket, reason: str, action: Action, now: datetime) -> Ticket:
    assert isinstance(action, Assign)
    return _assign_to(desk, ticket, now, action.group, action.assignee, reason)


def _route(desk: Desk, ticket: Ticket, reason: str, action: Action, now: datetime) -> Ticket:
    assert isinstance(action, Route)
    group = action.group or ticket.group
    if group is None:
        raise Skipped("the ticket has no group to route in")
    if desk.routing is None:
        raise Skipped("this desk has no routing policy")
    if desk.people is None:
        raise Skipped("this desk has no people directory to list candidates")
    decision = desk.routing.select(ticket, list(desk.people.candidates(group)), now)
    if decision.agent is None:
        raise Skipped(decision.reason or f"nobody in {group} can take it")
    why = f"{reason}: {decision.reason}" if decision.reason else reason
    return _assign_to(desk, ticket, now, group, decision.agent, why)


def _fire(desk: Desk, ticket: Ticket, reason: str, action: Action, now: datetime) -> Ticket:
    assert isinstance(action, FireTrigger)
    details: dict[str, str | int | None] = {"reason": reason, **action.details}
    workflow = desk.workflow_for(ticket)
    return workflow.fire(ticket, action.trigger, actor=SYSTEM, at=now, **details)


def _comment(desk: Desk, ticket: Ticket, reason: str, action: Action, now: datetime) -> Ticket:
    assert isinstance(action, AddComment)
    text = desk.texts.get(action.text)
    if text is None:
        raise Skipped(f"this desk has no text {action.text!r}")
    body = desk.limits.check("comment", render_text(text, ticket, desk.fields))
    event = CommentAdded(
        at=now,
        actor=SYSTEM.id,
        body=body,
        visibility=Visibility.INTERNAL if action.internal else Visibility.PUBLIC,
        author_role=SYSTEM.role.value,
    )
    return ticket.record(event)


def recipients(desk: Desk, ticket: Ticket, wanted: tuple[str, ...]) -> tuple[str, ...]:
    """
    The ids ``wanted`` names for ``ticket``: ids as given, and ``@requester``,
    ``@assignee``, ``@group``, ``@supervisor`` (of the group, else of ``*``) and
    ``@manager`` (of the assignee); those that resolve to nobody are dropped.
    """
    directory = desk.directory
    out: list[str | None] = []
    for name in wanted:
        if not name.startswith("@"):
            out.append(name)
        elif name == "@requester":
            out.append(ticket.requester)
        elif name == "@assignee":
            out.append(ticket.assignee)
        elif name == "@group":
            out.append(ticket.group)
        elif name == "@supervisor" and directory is not None:
            found = directory.supervisor_of(ticket.group) if ticket.group else None
            out.append(found or directory.supervisor_of("*"))
        elif name == "@manager" and directory is not None and ticket.assignee:
            out.append(directory.manager_of(ticket.assignee))
    return tuple(dict.fromkeys(i for i in out if i))


def _notify(desk: Desk, ticket: Ticket, reason: str, action: Action, now: datetime) -> Ticket:
    assert isinstance(action, Notify)
    found = recipients(desk, ticket, action.recipients)
    if not found:
        raise Skipped(f"nobody to notify among {', '.join(action.recipients)}")
    event = RuleNotified(
        at=now,
        actor=SYSTEM.id,
        rule=reason.removeprefix("rule "),
        template=action.template,
        recipients=found,
        audience=action.audience,
    )
    return ticket.record(event)


def _macro(desk: Desk, ticket: Ticket, reason: str, action: Action, now: datetime) -> Ticket:
    assert isinstance(action, ApplyMacro)
    if action.macro not in desk.macros:
        raise Skipped(f"this desk has no macro {action.macro!r}")
    # The desk's own rule applies it, not a person: no step is authorized for the system.
    return commands.apply_macro(ticket, SYSTEM, desk, now, macro=action.macro, authorize=False)


_Handler = Callable[["Desk", Ticket, str, Action, datetime], Ticket]
_HANDLERS: dict[type[Action], _Handler] = {
    SetFields: _set_fields,
    AddTags: _tags,
    RemoveTags: _tags,
    SetPriority: _priority,
    Assign: _assign,
    Route: _route,
    FireTrigger: _fire,
    AddComment: _comment,
    Notify: _notify,
    ApplyMacro: _macro,
}
