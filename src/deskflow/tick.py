"""
Time-based work: what a tick does to one due ticket, and what a whole tick did.

[`tick_ticket()`][deskflow.tick.tick_ticket] is a pure decision: from a ticket, the desk's
policies and the instant, it records the SLA thresholds the clocks passed, carries out the
escalation actions due (each action applies itself) and closes a resolved ticket whose
auto-close time has come. [`HelpDesk.tick`][deskflow.service.HelpDesk.tick] runs it for each
due ticket through the same pipeline as every command and gathers a
[`TickReport`][deskflow.tick.TickReport]: what was saved is reported, what lost a race or
failed is listed apart, and one failing ticket never stops the others.
"""

from __future__ import annotations

from datetime import UTC, datetime

import attrs

from deskflow.actors import SYSTEM
from deskflow.dedup import record_fired
from deskflow.desk import Desk
from deskflow.enums import Trigger
from deskflow.escalation import ActionSkipped, EscalationAction
from deskflow.events import SlaThresholdReached
from deskflow.exceptions import InvalidTransition
from deskflow.outbox import Delivery
from deskflow.sla import SlaReport
from deskflow.ticket import Ticket

__all__ = ["TickOutcome", "TickReport", "tick_ticket"]


@attrs.frozen
class TickOutcome:
    """
    What the time-based work did to one ticket: the dedup keys of the thresholds recorded,
    the actions carried out and those skipped (each with why), and whether it was closed.
    """

    thresholds: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    closed: bool = False


@attrs.define
class TickReport:
    """
    What one tick did: tickets checked (those it claimed), thresholds recorded, actions
    carried out or skipped (with why), tickets closed automatically, saves that lost a race
    (retried next tick), tickets whose work failed (``"<id>: <error>"``, retried after a
    backoff), tickets whose time-based work was saved, and the delivery round that followed.

    Only what was saved is reported: the work of a ticket that lost its race or failed is in
    ``conflicts`` or ``failed`` alone.
    """

    at: datetime
    checked: list[str] = attrs.Factory(list)
    thresholds: list[str] = attrs.Factory(list)
    actions: list[str] = attrs.Factory(list)
    skipped: list[str] = attrs.Factory(list)
    closed: list[str] = attrs.Factory(list)
    conflicts: list[str] = attrs.Factory(list)
    failed: list[str] = attrs.Factory(list)
    saved: list[str] = attrs.Factory(list)
    delivery: Delivery | None = None

    def add(self, ticket_id: str, outcome: TickOutcome) -> None:
        """
        Count the saved work of one ticket.
        """
        self.saved.append(ticket_id)
        self.thresholds.extend(outcome.thresholds)
        self.actions.extend(outcome.actions)
        self.skipped.extend(outcome.skipped)
        if outcome.closed:
            self.closed.append(ticket_id)

    def to_dict(self) -> dict[str, object]:
        """
        The report as JSON-safe values: the instant as ISO 8601 in UTC, lists of ids and keys,
        and the delivery round as ``{"sent": [...], "failed": [...], "dead": [...]}`` (or
        None).

        >>> from datetime import datetime, timezone
        >>> report = TickReport(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc), checked=["INC-1"])
        >>> report.to_dict()["at"], report.to_dict()["checked"]
        ('2026-03-02T09:00:00+00:00', ['INC-1'])
        """
        out: dict[str, object] = {"at": self.at.astimezone(UTC).isoformat()}
        for name in (
            "checked",
            "thresholds",
            "actions",
            "skipped",
            "closed",
            "conflicts",
            "failed",
            "saved",
        ):
            out[name] = list(getattr(self, name))
        out["delivery"] = (
            None
            if self.delivery is None
            else {
                "sent": list(self.delivery.sent),
                "failed": list(self.delivery.failed),
                "dead": list(self.delivery.dead),
            }
        )
        return out


def _record_thresholds(ticket: Ticket, sla: SlaReport, now: datetime) -> tuple[Ticket, list[str]]:
    recorded = {e.dedup_key for e in ticket.history if isinstance(e, SlaThresholdReached)}
    keys: list[str] = []
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
            keys.append(key)
    return ticket, keys


def _carry_out(
    desk: Desk, ticket: Ticket, actions: list[EscalationAction], now: datetime
) -> tuple[Ticket, list[str], list[str]]:
    workflow = desk.workflow_for(ticket)
    done: list[str] = []
    skipped: list[str] = []
    for action in actions:
        try:
            ticket = action.apply_to(ticket, workflow, now)
        except (ActionSkipped, InvalidTransition) as why:
            # Recorded as fired all the same: a refused action is not retried every tick.
            skipped.append(f"{action.dedup_key}: {why}")
        else:
            done.append(f"{action.dedup_key}: {action.describe()}")
    fired = [a for a in actions if not a.records_itself]
    return record_fired(ticket, fired, at=now), done, skipped


def tick_ticket(desk: Desk, ticket: Ticket, now: datetime) -> tuple[Ticket, TickOutcome]:
    """
    Return ``ticket`` after the time-based work due at ``now``, and what that work was.

    A final ticket is returned as it is.
    """
    workflow = desk.workflow_for(ticket)
    if workflow.is_final(ticket.state):
        return ticket, TickOutcome()
    sla = desk.sla_for(ticket).evaluate(ticket, now)
    ticket, thresholds = _record_thresholds(ticket, sla, now)
    done: list[str] = []
    skipped: list[str] = []
    escalation = desk.escalation_for(ticket)
    if escalation is not None:
        ticket, done, skipped = _carry_out(desk, ticket, escalation.evaluate(ticket, sla, now), now)
    closes_at = desk.auto_close_at(ticket)
    closed = closes_at is not None and closes_at <= now
    if closed:
        ticket = workflow.fire(
            ticket,
            Trigger.CLOSE,
            actor=SYSTEM,
            at=now,
            reason=f"closed automatically after {desk.auto_close_after} of business time",
        )
    return ticket, TickOutcome(tuple(thresholds), tuple(done), tuple(skipped), closed)
