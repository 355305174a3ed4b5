"""
Escalation: what happens to a ticket as its SLA clocks run and nobody acts.

An [`EscalationPolicy`][deskflow.escalation.EscalationPolicy] reads a ticket and its
[`SlaReport`][deskflow.sla.SlaReport] and returns
[`EscalationAction`][deskflow.escalation.EscalationAction] values —
[`Notify`][deskflow.escalation.Notify], [`SetTier`][deskflow.escalation.SetTier],
[`Reassign`][deskflow.escalation.Reassign],
[`RaisePriority`][deskflow.escalation.RaisePriority], [`Fire`][deskflow.escalation.Fire] — that
the host carries out. Every action carries a dedup key built from (ticket, policy, metric,
cycle, threshold or level); the host records what it carried out with
[`record_fired()`][deskflow.dedup.record_fired] in the same save, and no policy ever
returns an action whose key is recorded. So evaluating again, at any later instant, in any
process, never repeats an action, while a reopened ticket (a new cycle) starts fresh.

The built-in policies follow the products desks run, one module per kind of escalation:
ServiceNow's SLA notifications and ITIL hierarchical notices in
[`deskflow.policies.notices`][deskflow.policies.notices], ITIL functional escalation from tier
to tier in [`deskflow.policies.tiers`][deskflow.policies.tiers], the PagerDuty-style ladder in
[`deskflow.policies.ladders`][deskflow.policies.ladders];
[`CompositePolicy`][deskflow.escalation.CompositePolicy] runs several as one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import ClassVar, Final, Protocol, TypeAlias

import attrs

from deskflow._internal import checks as _checks
from deskflow._internal.escalation_support import soonest
from deskflow.actors import SYSTEM
from deskflow.enums import Metric, Priority, Trigger
from deskflow.events import Escalated, PriorityChanged
from deskflow.exceptions import ConfigError, DeskflowError, InvalidInput
from deskflow.sla import ClockStatus, SlaPolicy, SlaReport
from deskflow.states import Workflow
from deskflow.ticket import Ticket, check_tier

__all__ = [
    "ActionSkipped",
    "CompositePolicy",
    "EscalationAction",
    "EscalationPolicy",
    "Fire",
    "Notify",
    "RaisePriority",
    "Reassign",
    "SetTier",
    "WatchesThresholds",
    "check_evaluation",
    "check_thresholds",
    "next_check_without_report",
    "passed_at",
]


# -- actions ------------------------------------------------------------------------------


def _text(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    _checks.text(attribute.name, value)


def _optional_text(
    _instance: object, attribute: attrs.Attribute[str | None], value: object
) -> None:
    _checks.optional_text(attribute.name, value)


def _recipients(value: str | Iterable[str]) -> tuple[str, ...]:
    # A lone string would otherwise be split into its characters.
    if not isinstance(value, str | Iterable):
        raise InvalidInput(f"recipients must be ids, got {value!r}")
    names = (value,) if isinstance(value, str) else tuple(value)
    if not names:
        raise InvalidInput("a notice needs at least one recipient")
    for name in names:
        _checks.text("recipient", name)
    return names


def _details(value: Mapping[str, str | int]) -> Mapping[str, str | int]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"details must be a mapping, got {type(value).__name__}")
    for name, detail in value.items():
        _checks.text("detail name", name)
        if isinstance(detail, bool) or not isinstance(detail, str | int):
            raise InvalidInput(f"detail {name!r} must be a string or an int, got {detail!r}")
    return MappingProxyType(dict(value))


def _trigger(value: str) -> str:
    # A Trigger member is stored as the plain name the workflow fires.
    return str(_checks.text("trigger", value))


def _tier(_instance: object, _attribute: attrs.Attribute[int], value: object) -> None:
    check_tier(value)


def _priority(value: Priority | str) -> Priority:
    return _checks.member("priority", Priority, value)


class ActionSkipped(DeskflowError):
    """
    An escalation action found nothing to do: the ticket is already at that tier or already
    as urgent. It is recorded as fired all the same, so it is not retried on every tick.
    """


@attrs.frozen(kw_only=True)
class _Action:
    # Every action says why it happens and carries the key that makes it happen once, and
    # carries itself out: apply_to(ticket, workflow, at) returns the changed ticket (or
    # raises ActionSkipped, or the workflow's InvalidTransition).
    dedup_key: str = attrs.field(validator=_text)
    reason: str = attrs.field(validator=_text)

    #: False: the tick records an [`ActionFired`][deskflow.events.ActionFired] for it.
    records_itself: ClassVar[bool] = False


@attrs.frozen(kw_only=True)
class Notify(_Action):
    """
    Tell ``recipients`` (agent or group ids) about the ticket with message ``template``.

    ``internal`` notices go to staff only and never reach the requester.
    """

    recipients: tuple[str, ...] = attrs.field(converter=_recipients)
    template: str = attrs.field(validator=_text)
    internal: bool = True

    #: Its [`Escalated`][deskflow.events.Escalated] event carries the dedup key: no
    #: [`ActionFired`][deskflow.events.ActionFired] is needed to remember it.
    records_itself: ClassVar[bool] = True

    def apply_to(self, ticket: Ticket, workflow: Workflow, at: datetime) -> Ticket:
        """
        Record the notice: the outbox tells the recipients.
        """
        return ticket.record(
            Escalated(
                at=at,
                actor=SYSTEM.id,
                notified=self.recipients,
                reason=self.reason,
                dedup_key=self.dedup_key,
                template=self.template,
            )
        )

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        return f"notify {', '.join(self.recipients)} ({self.template}): {self.reason}"


@attrs.frozen(kw_only=True)
class SetTier(_Action):
    """
    Move the ticket to support tier ``tier`` (and to ``group`` if given).
    """

    tier: int = attrs.field(validator=_tier)
    group: str | None = attrs.field(default=None, validator=_optional_text)

    def apply_to(self, ticket: Ticket, workflow: Workflow, at: datetime) -> Ticket:
        """
        Escalate to a higher tier, or return to the first line; ActionSkipped if already there.
        """
        if self.tier > ticket.tier:
            return workflow.fire(
                ticket,
                Trigger.ESCALATE,
                actor=SYSTEM,
                at=at,
                tier=self.tier,
                group=self.group,
                reason=self.reason,
            )
        if self.tier == 1 and ticket.tier > 1:
            return workflow.fire(
                ticket,
                Trigger.RETURN_TO_FIRST_LINE,
                actor=SYSTEM,
                at=at,
                group=self.group,
                reason=self.reason,
            )
        raise ActionSkipped(f"already at tier {ticket.tier}")

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        to = f" ({self.group})" if self.group else ""
        return f"set tier {self.tier}{to}: {self.reason}"


@attrs.frozen(kw_only=True)
class Reassign(_Action):
    """
    Give the ticket to ``group`` and/or ``agent``.
    """

    group: str | None = attrs.field(default=None, validator=_optional_text)
    agent: str | None = attrs.field(default=None, validator=_optional_text)

    def __attrs_post_init__(self) -> None:
        if self.group is None and self.agent is None:
            raise InvalidInput("a reassignment needs a group, an agent, or both")

    def apply_to(self, ticket: Ticket, workflow: Workflow, at: datetime) -> Ticket:
        """
        Fire the workflow's assign trigger with the group and agent.
        """
        return workflow.fire(
            ticket,
            Trigger.ASSIGN,
            actor=SYSTEM,
            at=at,
            group=self.group,
            assignee=self.agent,
            reason=self.reason,
        )

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        to = " / ".join(x for x in (self.group, self.agent) if x)
        return f"reassign to {to}: {self.reason}"


@attrs.frozen(kw_only=True)
class RaisePriority(_Action):
    """
    Raise the ticket's priority to ``priority``.
    """

    priority: Priority = attrs.field(converter=_priority)

    def apply_to(self, ticket: Ticket, workflow: Workflow, at: datetime) -> Ticket:
        """
        Record the higher priority; ActionSkipped if the ticket is already as urgent.
        """
        if ticket.priority is not None and self.priority <= ticket.priority:
            raise ActionSkipped(f"priority already {ticket.priority}")
        return ticket.record(
            PriorityChanged(
                at=at,
                actor=SYSTEM.id,
                priority=self.priority,
                previous=ticket.priority,
                reason=self.reason,
                rule="escalation",
            )
        )

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        return f"raise priority to {self.priority}: {self.reason}"


@attrs.frozen(kw_only=True)
class Fire(_Action):
    """
    Fire workflow ``trigger`` with ``details``, e.g. ``escalate`` with ``tier`` and ``group``.
    """

    trigger: str = attrs.field(converter=_trigger)
    details: Mapping[str, str | int] = attrs.field(factory=dict, converter=_details, hash=False)

    def apply_to(self, ticket: Ticket, workflow: Workflow, at: datetime) -> Ticket:
        """
        Fire the trigger with the details, as the system.
        """
        return workflow.fire(ticket, self.trigger, actor=SYSTEM, at=at, **self.details)

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        shown = ", ".join(f"{k}={v}" for k, v in self.details.items())
        return f"fire {self.trigger}" + (f" ({shown})" if shown else "") + f": {self.reason}"


#: What an escalation policy asks the host to do.
EscalationAction: TypeAlias = Notify | SetTier | Reassign | RaisePriority | Fire
#: The action classes, for isinstance checks.
ACTION_TYPES: Final = (Notify, SetTier, Reassign, RaisePriority, Fire)


class EscalationPolicy(Protocol):
    """
    Decides what to do about a ticket as its clocks run.
    """

    def evaluate(self, ticket: Ticket, sla: SlaReport, now: datetime) -> list[EscalationAction]:
        """
        The actions due at ``now`` whose dedup keys are not recorded on ``ticket`` yet.
        """
        ...

    def next_check_at(self, ticket: Ticket, sla: SlaReport, now: datetime) -> datetime | None:
        """
        When `evaluate()` may next return something new (``now`` if it does already),
        or None if nothing is scheduled unless the ticket changes.
        """
        ...


def next_check_without_report(
    policy: object, ticket: Ticket, now: datetime
) -> tuple[bool, datetime | None]:
    """
    ``(True, policy.next_check_at(ticket, sla, now))`` computed without the SLA report, if
    ``policy`` can: it has the optional method ``next_check_without_report(ticket, now)``
    (whose answer must equal ``next_check_at`` for the ticket's report at ``now``), and it
    did not return ``NotImplemented``. ``(False, None)`` otherwise: build the report.
    """
    method = getattr(policy, "next_check_without_report", None)
    if method is None:
        return False, None
    found = method(ticket, now)
    if found is NotImplemented:
        return False, None
    return True, found


# -- deduplication ------------------------------------------------------------------------


def check_evaluation(ticket: Ticket, sla: SlaReport, now: datetime) -> None:
    """
    Raise [`InvalidInput`][deskflow.exceptions.InvalidInput] unless the arguments of an evaluation
    fit together: a ticket, its own SLA report, and an aware ``now`` not before its last change.
    """
    if not isinstance(ticket, Ticket):
        raise InvalidInput(f"ticket must be a Ticket, got {type(ticket).__name__}")
    if not isinstance(sla, SlaReport):
        raise InvalidInput(f"sla must be an SlaReport, got {type(sla).__name__}")
    _checks.aware("now", now)
    if sla.ticket_id != ticket.id:
        raise InvalidInput(f"the SLA report is for ticket {sla.ticket_id}, not {ticket.id}")
    if now < ticket.updated_at:
        raise InvalidInput(
            f"now={now.isoformat()} precedes the ticket's last change at "
            f"{ticket.updated_at.isoformat()}"
        )


# -- thresholds ---------------------------------------------------------------------------


def passed_at(clock: ClockStatus, threshold: str, now: datetime) -> datetime | None:
    """
    When ``clock`` passed ``threshold`` in its current cycle, if it did by ``now``.
    """
    for reached in clock.thresholds:
        if reached.name == threshold and reached.cycle == clock.cycle and reached.at <= now:
            return reached.at
    return None


class WatchesThresholds(Protocol):
    """
    A policy that acts on named SLA thresholds and can list them.
    """

    def watched(self) -> frozenset[tuple[Metric, str]]:
        """
        The (metric, threshold name) pairs the policy acts on.
        """
        ...


def check_thresholds(policy: WatchesThresholds, sla: SlaPolicy) -> None:
    """
    Raise [`ConfigError`][deskflow.exceptions.ConfigError] if ``policy`` watches a metric or a
    threshold that ``sla`` does not report, so the policy could never act on it.
    """
    if not isinstance(sla, SlaPolicy):
        raise InvalidInput(f"sla must be an SlaPolicy, got {type(sla).__name__}")
    for metric, name in sorted(policy.watched()):
        metric_policy = sla.metrics.get(metric)
        if metric_policy is None:
            raise ConfigError(f"SLA policy {sla.name!r} has no {metric} clock", path=(metric, name))
        known = [t.name for t in metric_policy.thresholds]
        if name not in known:
            raise ConfigError(
                f"SLA policy {sla.name!r} reports no threshold {name} for {metric}; "
                f"it reports {', '.join(known) or 'none'}",
                path=(metric, name),
            )


# -- several policies as one --------------------------------------------------------------


def _policies(value: Iterable[object]) -> tuple[EscalationPolicy, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ConfigError(f"expected a list of policies, got {value!r}", path=["policies"])
    out = tuple(value)
    if not out:
        raise ConfigError("a composite needs at least one policy", path=["policies"])
    for index, policy in enumerate(out):
        if not callable(getattr(policy, "evaluate", None)) or not callable(
            getattr(policy, "next_check_at", None)
        ):
            raise ConfigError(
                f"{policy!r} is not an escalation policy (it needs evaluate() and next_check_at())",
                path=("policies", index),
            )
    return out  # type: ignore[return-value]


@attrs.frozen
class CompositePolicy:
    """
    Several policies run as one: their actions merged (a key once), the soonest next check.

    >>> class Quiet:
    ...     def evaluate(self, ticket, sla, now):
    ...         return []
    ...     def next_check_at(self, ticket, sla, now):
    ...         return None
    >>> len(CompositePolicy([Quiet(), Quiet()]).policies)
    2
    """

    policies: tuple[EscalationPolicy, ...] = attrs.field(converter=_policies)

    def evaluate(self, ticket: Ticket, sla: SlaReport, now: datetime) -> list[EscalationAction]:
        """
        Every policy's actions, in order; a key two policies share is kept once.
        """
        check_evaluation(ticket, sla, now)
        out: list[EscalationAction] = []
        keys: set[str] = set()
        for policy in self.policies:
            for action in policy.evaluate(ticket, sla, now):
                if not isinstance(action, ACTION_TYPES):
                    raise InvalidInput(
                        f"{policy!r} returned {action!r}, which is not an escalation action"
                    )
                if action.dedup_key not in keys:
                    keys.add(action.dedup_key)
                    out.append(action)
        return out

    def next_check_at(self, ticket: Ticket, sla: SlaReport, now: datetime) -> datetime | None:
        """
        The soonest next check of any policy.
        """
        check_evaluation(ticket, sla, now)
        return soonest(*(p.next_check_at(ticket, sla, now) for p in self.policies))

    def next_check_without_report(self, ticket: Ticket, now: datetime) -> datetime | None:
        """
        `next_check_at()` without the SLA report if every policy can do without it, else
        ``NotImplemented``.
        """
        found: list[datetime | None] = []
        for policy in self.policies:
            known, at = next_check_without_report(policy, ticket, now)
            if not known:
                return NotImplemented  # type: ignore[no-any-return]
            found.append(at)
        return soonest(*found)
