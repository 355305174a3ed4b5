"""
Dedup keys and work cycles: what makes each escalation action happen once.

Every action an [`EscalationPolicy`][deskflow.escalation.EscalationPolicy] returns carries a
dedup key built from (ticket, policy, metric or subject, cycle, threshold or level) by
[`action_key()`][deskflow.dedup.action_key]. What was carried out is recorded on the ticket
in the same save ([`record_fired()`][deskflow.dedup.record_fired]), and no policy returns an
action whose key [`fired_keys()`][deskflow.dedup.fired_keys] lists, so evaluating again, at any
later instant, in any process, never repeats an action. A reopened ticket starts a new
[`WorkCycle`][deskflow.dedup.WorkCycle], and with it fresh keys.

>>> from datetime import datetime, timezone
>>> from deskflow import INCIDENT
>>> from deskflow.escalation import Notify
>>> opened = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
>>> ticket = INCIDENT.open("INC-1", title="VPN down", requester="ann", at=opened)
>>> page = Notify(recipients=["kim"], template="page", reason="P1 opened",
...               dedup_key=action_key("INC-1", "on-call", "ladder", 1, "level1-loop0"))
>>> ticket = record_fired(ticket, [page], at=opened)
>>> ticket.history[-1].describe()
'escalation action notify kim (page): P1 opened [INC-1|on-call|ladder|c1|level1-loop0]'
>>> page.dedup_key in fired_keys(ticket)
True
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from deskflow._internal import checks as _checks
from deskflow.actors import Actor
from deskflow.enums import Metric
from deskflow.escalation import ACTION_TYPES, EscalationAction
from deskflow.events import ActionFired, Escalated, StateChanged, TicketOpened
from deskflow.exceptions import InvalidInput
from deskflow.states import Workflow
from deskflow.ticket import Ticket
from deskflow.workflows import INCIDENT

__all__ = ["WorkCycle", "action_key", "current_cycle", "fired_keys", "record_fired"]


def action_key(ticket_id: str, policy: str, subject: str, cycle: int, mark: str) -> str:
    """
    The dedup key of an action: ticket, policy, metric (or subject), cycle, threshold/level.

    >>> action_key("INC-1", "sla-notices", "resolution", 1, "75%")
    'INC-1|sla-notices|resolution|c1|75%'
    """
    return f"{ticket_id}|{policy}|{subject}|c{cycle}|{mark}"


def fired_keys(ticket: Ticket) -> frozenset[str]:
    """
    The dedup keys of every action recorded on ``ticket`` (and of keyed escalation notes).
    """
    if not isinstance(ticket, Ticket):
        raise InvalidInput(f"ticket must be a Ticket, got {type(ticket).__name__}")
    return frozenset(
        event.dedup_key
        for event in ticket.history
        if isinstance(event, ActionFired | Escalated) and event.dedup_key is not None
    )


def record_fired(
    ticket: Ticket,
    actions: Iterable[EscalationAction],
    *,
    at: datetime,
    actor: str | Actor = "system",
) -> Ticket:
    """
    Return ``ticket`` with one [`ActionFired`][deskflow.events.ActionFired] per action appended.

    Call it in the same save that carries the actions out (which may record events of its
    own with the same keys, such as [`Escalated`][deskflow.events.Escalated]). A key that already
    has its ``ActionFired``, or is repeated in ``actions``, is recorded once only.
    """
    if not isinstance(ticket, Ticket):
        raise InvalidInput(f"ticket must be a Ticket, got {type(ticket).__name__}")
    _checks.aware("at", at)
    actor_id = actor.id if isinstance(actor, Actor) else _checks.text("actor", actor)
    if isinstance(actions, ACTION_TYPES) or not isinstance(actions, Iterable):
        raise InvalidInput(f"actions must be a list of actions, got {actions!r}")
    seen = {e.dedup_key for e in ticket.history if isinstance(e, ActionFired)}
    for action in actions:
        if not isinstance(action, ACTION_TYPES):
            raise InvalidInput(f"expected an escalation action, got {type(action).__name__}")
        if action.dedup_key in seen:
            continue
        seen.add(action.dedup_key)
        event = ActionFired(
            at=at, actor=actor_id, dedup_key=action.dedup_key, action=action.describe()
        )
        ticket = ticket.record(event)
    return ticket


@attrs.frozen
class WorkCycle:
    """
    One run of work on a ticket: from its opening, or from a reopen, until it is resolved.

    ``number`` matches the resolution clock's dedup cycle; ``start`` is the index in the
    history of the event that began it.
    """

    number: int
    started_at: datetime
    start: int


def current_cycle(ticket: Ticket, workflow: Workflow = INCIDENT) -> WorkCycle:
    """
    The ticket's current work cycle: a reopen (leaving a state that stops the resolution
    clock for one that does not) begins a new one.
    """
    cycle = WorkCycle(0, ticket.created_at, 0)
    for index, event in enumerate(ticket.history):
        if isinstance(event, TicketOpened):
            cycle = WorkCycle(1, event.at, index)
        elif (
            isinstance(event, StateChanged)
            and workflow.stops_metric(event.source, Metric.RESOLUTION)
            and not workflow.stops_metric(event.dest, Metric.RESOLUTION)
        ):
            cycle = WorkCycle(cycle.number + 1, event.at, index)
    return cycle
