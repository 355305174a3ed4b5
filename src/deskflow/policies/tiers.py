"""
Functional escalation: the ticket moves up the support tiers, L1 -> L2 -> L3.

[`FunctionalTiers`][deskflow.policies.tiers.FunctionalTiers] is ITIL's functional escalation as
a table of tiers, each a support group. It fires ``escalate`` to the next tier when a watched
SLA clock passes its threshold while the ticket sits at a tier, gives the details for escalating
by hand, and the action that returns a ticket to the first line when the resolver group cannot
place it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs

from deskflow._internal import escalation_support as support
from deskflow.dedup import action_key, current_cycle, fired_keys
from deskflow.enums import Metric, Trigger
from deskflow.escalation import EscalationAction, Fire, check_evaluation, passed_at
from deskflow.events import StateChanged
from deskflow.exceptions import ConfigError, InvalidTransition
from deskflow.sla import ClockStatus, SlaReport
from deskflow.states import Workflow
from deskflow.ticket import Ticket
from deskflow.workflows import INCIDENT

__all__ = ["FunctionalTiers"]


def _level(value: object, path: Sequence[str | int]) -> int:
    # Configuration files written in JSON can only have string keys.
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"a tier is an int >= 1, got {value!r}", path=path)
    return value


def _tier_table(value: object) -> Mapping[int, str]:
    items = list(value.items()) if isinstance(value, Mapping) else None
    if items is None and isinstance(value, Sequence) and not isinstance(value, str):
        items = list(enumerate(value, start=1))
    if not items:
        raise ConfigError(
            f"expected {{tier: group}} or a list of groups, got {value!r}", path=["tiers"]
        )
    table: dict[int, str] = {}
    last = 0
    for given, group in items:
        path = ("tiers", str(given))
        level = _level(given, path)
        if level <= last:
            raise ConfigError(
                f"tiers must be ints increasing from 1, got {level!r} after {last}", path=path
            )
        if not isinstance(group, str) or not group.strip():
            raise ConfigError(f"a tier needs a group name, got {group!r}", path=path)
        table[level] = group
        last = level
    if 1 not in table:
        raise ConfigError("the tiers must start with the first line, tier 1", path=["tiers"])
    return MappingProxyType(table)


@attrs.frozen
class FunctionalTiers:
    """
    ITIL functional escalation: L1 -> L2 -> L3, each tier a support group.

    ``tiers`` maps each tier to its group (or lists the groups from tier 1 up).
    ``escalate_on`` maps a tier to ``{metric: threshold}``: when one of those clocks passes
    its threshold after the ticket reached that tier, the policy fires ``escalate`` to the next
    tier. By default tier 1 escalates when resolution passes 75%.

    >>> from datetime import datetime, timezone
    >>> opened = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> ticket = INCIDENT.open("T-1", title="VPN down", requester="ann", at=opened)
    >>> tiers = FunctionalTiers(["service-desk", "network", "vendor"])
    >>> tiers.escalate_details(ticket)
    {'tier': 2, 'group': 'network'}
    """

    tiers: Mapping[int, str] = attrs.field(converter=_tier_table, hash=False)
    escalate_on: Mapping[int | str, Mapping[Metric | str, Any]] | None = attrs.field(
        default=None, eq=False, hash=False
    )
    workflow: Workflow = attrs.field(default=INCIDENT, repr=support.workflow_repr)
    name: str = attrs.field(default="functional-tiers", validator=support.config_text)
    # Compared parsed, so equal rules written differently compare equal.
    _rules: Mapping[int, tuple[tuple[Metric, str], ...]] = attrs.field(
        init=False, repr=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        given = self.escalate_on
        if given is None:
            given = {min(self.tiers): {Metric.RESOLUTION: "75%"}}
        if not isinstance(given, Mapping):
            raise ConfigError(
                f"expected {{tier: {{metric: threshold}}}}, got {given!r}", path=["escalate_on"]
            )
        rules: dict[int, tuple[tuple[Metric, str], ...]] = {}
        top = max(self.tiers)
        for key, table in given.items():
            path: tuple[str, ...] = ("escalate_on", str(key))
            level = _level(key, path)
            if level not in self.tiers or level == top:
                raise ConfigError(
                    f"tier {level!r} is not a tier below the top one ({top})", path=path
                )
            if not isinstance(table, Mapping) or not table:
                raise ConfigError(f"expected {{metric: threshold}}, got {table!r}", path=path)
            rules[level] = tuple(
                (
                    support.config_metric(m, (*path, str(m))),
                    support.config_threshold(t, (*path, str(m))).name,
                )
                for m, t in table.items()
            )
        object.__setattr__(self, "_rules", rules)

    def watched(self) -> frozenset[tuple[Metric, str]]:
        """
        The (metric, threshold) pairs escalated on; see
        [`check_thresholds()`][deskflow.escalation.check_thresholds].
        """
        return frozenset(pair for rules in self._rules.values() for pair in rules)

    def next_tier(self, ticket: Ticket) -> int | None:
        """
        The tier above the ticket's, or None at the top.
        """
        return min((level for level in self.tiers if level > ticket.tier), default=None)

    def escalate_details(self, ticket: Ticket) -> dict[str, str | int]:
        """
        The details to fire ``escalate`` with by hand: the next tier and its group.
        """
        level = self.next_tier(ticket)
        if level is None:
            raise self._refused(ticket, Trigger.ESCALATE, f"tier {ticket.tier} is the top tier")
        return {"tier": level, "group": self.tiers[level]}

    def return_to_first_line(self, ticket: Ticket, *, reason: str = "") -> Fire:
        """
        The action that sends the ticket back to the first line's group, for when the
        resolver group cannot place it.
        """
        if ticket.tier <= 1:
            raise self._refused(ticket, Trigger.RETURN_TO_FIRST_LINE, "it is at the first line")
        cycle = current_cycle(ticket, self.workflow).number
        return Fire(
            trigger=Trigger.RETURN_TO_FIRST_LINE,
            details={"group": self.tiers[1]},
            dedup_key=action_key(ticket.id, self.name, "return", cycle, f"v{ticket.version}"),
            reason=reason or f"tier {ticket.tier} cannot place it; back to {self.tiers[1]}",
        )

    def _refused(self, ticket: Ticket, trigger: str, why: str) -> InvalidTransition:
        allowed = self.workflow.allowed(ticket.state)
        return InvalidTransition(
            f"cannot {trigger} ticket {ticket.id}: {why}",
            trigger=trigger,
            state=ticket.state,
            allowed=allowed,
            reason=why,
        )

    def _tier_since(self, ticket: Ticket) -> datetime:
        since = ticket.created_at
        for event in ticket.history:
            if isinstance(event, StateChanged) and event.tier is not None:
                since = event.at
        return since

    def _watched(self, ticket: Ticket, sla: SlaReport) -> list[tuple[Metric, str, ClockStatus]]:
        # Nothing to do at the top tier, or in a state that cannot escalate (it will be
        # looked at again when the ticket changes).
        level = self.next_tier(ticket)
        if level is None or self.workflow.destination(ticket.state, Trigger.ESCALATE) is None:
            return []
        return [
            (metric, threshold, clock)
            for metric, threshold in self._rules.get(ticket.tier, ())
            if (clock := support.live_clock(sla, metric)) is not None
        ]

    def evaluate(self, ticket: Ticket, sla: SlaReport, now: datetime) -> list[EscalationAction]:
        """
        ``escalate`` to the next tier, once a watched clock passed its threshold at this tier.
        """
        check_evaluation(ticket, sla, now)
        since = self._tier_since(ticket)
        fired = fired_keys(ticket)
        for metric, threshold, clock in self._watched(ticket, sla):
            at = passed_at(clock, threshold, now)
            mark = f"{threshold}@tier{ticket.tier}"
            key = action_key(ticket.id, self.name, metric, clock.cycle, mark)
            # Strictly after reaching the tier: one instant never escalates twice in a row.
            if at is None or at <= since or key in fired:
                continue
            details = self.escalate_details(ticket)
            # One escalation at a time: the next tier has rules of its own.
            return [
                Fire(
                    trigger=Trigger.ESCALATE,
                    details=details,
                    dedup_key=key,
                    reason=f"{metric} passed {threshold} at tier {ticket.tier}",
                )
            ]
        return []

    def next_check_at(self, ticket: Ticket, sla: SlaReport, now: datetime) -> datetime | None:
        """
        ``now`` if an escalation is due, else the next change of a watched clock.
        """
        if self.evaluate(ticket, sla, now):
            return now
        return support.soonest(
            *(support.pending_at(clock, t) for _, t, clock in self._watched(ticket, sla))
        )
