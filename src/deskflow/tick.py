"""
The time-based work of one due ticket: record SLA thresholds, carry out escalation actions,
auto-close. Private: [`deskflow.service.HelpDesk.tick()`][deskflow.service.HelpDesk.tick] runs
it for the due tickets.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from deskflow.actors import SYSTEM
from deskflow.dedup import record_fired
from deskflow.desk import Desk
from deskflow.enums import Trigger
from deskflow.escalation import EscalationAction, Fire, Notify, RaisePriority, Reassign, SetTier
from deskflow.events import Escalated, PriorityChanged, SlaThresholdReached
from deskflow.exceptions import InvalidTransition
from deskflow.outbox import Delivery
from deskflow.sla import SlaReport
from deskflow.ticket import Ticket

__all__ = ["TickReport", "tick_one"]


@attrs.define
class TickReport:
    """
    What one tick did: tickets checked, thresholds recorded, actions carried out or skipped
    (with why), tickets closed automatically, saves that lost a race (retried next tick),
    and the delivery round that followed.
    """

    at: datetime
    checked: list[str] = attrs.Factory(list)
    thresholds: list[str] = attrs.Factory(list)
    actions: list[str] = attrs.Factory(list)
    skipped: list[str] = attrs.Factory(list)
    closed: list[str] = attrs.Factory(list)
    conflicts: list[str] = attrs.Factory(list)
    delivery: Delivery | None = None


def _record_thresholds(ticket: Ticket, sla: SlaReport, now: datetime, report: TickReport) -> Ticket:
    recorded = {e.dedup_key for e in ticket.history if isinstance(e, SlaThresholdReached)}
    for metric, clock in sla.clocks.items():
        for reached in clock.thresholds:
            key = f"{ticket.id}|sla|{metric.value}|c{reached.cycle}|{reached.name}"
            if key in recorded:
                continue
            recorded.add(key)
            ticket = ticket.record(
                SlaThresholdReached(
                    at=now, actor=SYSTEM.id, metric=metric, threshold=reached.name, dedup_key=key
                )
            )
            report.thresholds.append(key)
    return ticket


def _carry_out(
    desk: Desk, ticket: Ticket, actions: list[EscalationAction], now: datetime, report: TickReport
) -> Ticket:
    workflow = desk.workflow_for(ticket)
    for action in actions:
        try:
            if isinstance(action, Notify):
                ticket = ticket.record(
                    Escalated(
                        at=now,
                        actor=SYSTEM.id,
                        notified=action.recipients,
                        reason=action.reason,
                        dedup_key=action.dedup_key,
                        template=action.template,
                    )
                )
            elif isinstance(action, SetTier):
                if action.tier > ticket.tier:
                    ticket = workflow.fire(
                        ticket,
                        Trigger.ESCALATE,
                        actor=SYSTEM,
                        at=now,
                        tier=action.tier,
                        group=action.group,
                        reason=action.reason,
                    )
                elif action.tier == 1 and ticket.tier > 1:
                    ticket = workflow.fire(
                        ticket,
                        Trigger.RETURN_TO_FIRST_LINE,
                        actor=SYSTEM,
                        at=now,
                        group=action.group,
                        reason=action.reason,
                    )
                else:
                    report.skipped.append(f"{action.dedup_key}: already at tier {ticket.tier}")
                    continue
            elif isinstance(action, Reassign):
                ticket = workflow.fire(
                    ticket,
                    Trigger.ASSIGN,
                    actor=SYSTEM,
                    at=now,
                    group=action.group,
                    assignee=action.agent,
                    reason=action.reason,
                )
            elif isinstance(action, RaisePriority):
                if ticket.priority is not None and action.priority <= ticket.priority:
                    report.skipped.append(f"{action.dedup_key}: priority already {ticket.priority}")
                    continue
                ticket = ticket.record(
                    PriorityChanged(
                        at=now,
                        actor=SYSTEM.id,
                        priority=action.priority,
                        previous=ticket.priority,
                        reason=action.reason,
                        rule="escalation",
                    )
                )
            elif isinstance(action, Fire):
                ticket = workflow.fire(
                    ticket, action.trigger, actor=SYSTEM, at=now, **action.details
                )
            report.actions.append(f"{action.dedup_key}: {action.describe()}")
        except InvalidTransition as error:
            # Recorded as fired all the same: a refused action is not retried every tick.
            report.skipped.append(f"{action.dedup_key}: {error}")
    # A notice is already on record as its Escalated event (which carries its dedup key).
    return record_fired(ticket, [a for a in actions if not isinstance(a, Notify)], at=now)


def tick_one(desk: Desk, ticket: Ticket, now: datetime, report: TickReport) -> Ticket:
    """
    Return ``ticket`` after the time-based work due at ``now``.
    """
    report.checked.append(ticket.id)
    workflow = desk.workflow_for(ticket)
    if workflow.is_final(ticket.state):
        return ticket
    sla = desk.sla_for(ticket).evaluate(ticket, now)
    ticket = _record_thresholds(ticket, sla, now, report)
    escalation = desk.escalation_for(ticket)
    if escalation is not None:
        ticket = _carry_out(desk, ticket, escalation.evaluate(ticket, sla, now), now, report)
    closes_at = desk.auto_close_at(ticket)
    if closes_at is not None and closes_at <= now:
        ticket = workflow.fire(
            ticket,
            Trigger.CLOSE,
            actor=SYSTEM,
            at=now,
            reason=f"closed automatically after {desk.auto_close_after} of business time",
        )
        report.closed.append(ticket.id)
    return ticket
