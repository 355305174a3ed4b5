"""
Queues: which group a ticket belongs to by rule, and which ticket an agent takes next.

A [`RuleTable`][deskflow.policies.queues.RuleTable] maps category and service to a group (lowest
order wins), as ServiceNow's assignment rules do;
[`next_ticket()`][deskflow.policies.queues.next_ticket] is the pull queue — "give me the next
ticket": priority first, then waiting time.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Final

import attrs

from deskflow._internal import checks as _checks
from deskflow._internal.routing_support import checked_roster, listed
from deskflow.exceptions import ConfigError, InvalidInput
from deskflow.routing import FINAL_STATES, Candidate, RoutingDecision
from deskflow.ticket import Ticket

__all__ = [
    "RoutingRule",
    "RuleTable",
    "next_ticket",
]


def _order(value: object) -> int:
    return _checks.config_int(value, "a rule's order must be an int")


@attrs.frozen(kw_only=True)
class RoutingRule:
    """
    Tickets of ``category`` and ``service`` (None matches any) go to ``group``; lower
    ``order`` is tried first.
    """

    order: int = attrs.field(converter=_order)
    group: str = attrs.field()
    category: str | None = attrs.field(default=None)
    service: str | None = attrs.field(default=None)

    def __attrs_post_init__(self) -> None:
        for name in ("category", "service"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise ConfigError(
                    f"must be a non-empty string or None, got {value!r}",
                    path=["rule", self.order, name],
                )
        if not isinstance(self.group, str) or not self.group:
            raise ConfigError(
                f"must be a group name, got {self.group!r}", path=["rule", self.order, "group"]
            )

    def matches(self, ticket: Ticket) -> bool:
        """
        True if the ticket's category and service fit the rule.
        """
        return (self.category is None or self.category == ticket.category) and (
            self.service is None or self.service == ticket.service
        )

    def __str__(self) -> str:
        fits = [
            f"{n}={v}" for n, v in (("category", self.category), ("service", self.service)) if v
        ]
        return f"rule {self.order} ({', '.join(fits) or 'any ticket'})"


def _routing_rules(values: Iterable[object]) -> tuple[RoutingRule, ...]:
    listed("rules", values)
    rules: list[RoutingRule] = []
    for value in values:
        if isinstance(value, Mapping):
            fields = dict(value)
            try:
                value = RoutingRule(**fields)
            except TypeError as exc:  # unknown or missing fields
                raise ConfigError(f"bad rule {fields!r}: {exc}", path=["rules"]) from None
        if not isinstance(value, RoutingRule):
            raise ConfigError(f"expected a RoutingRule or a mapping, got {value!r}", path=["rules"])
        rules.append(value)
    return tuple(sorted(rules, key=lambda r: r.order))


@attrs.frozen
class RuleTable:
    """
    Category and service to group: the matching rule with the lowest order wins.

    >>> from datetime import datetime, timezone
    >>> from deskflow import INCIDENT
    >>> now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> table = RuleTable([RoutingRule(order=10, category="network", group="netops"),
    ...                    {"order": 99, "group": "service-desk"}])
    >>> ticket = INCIDENT.open("T-1", title="VPN down", requester="ann", at=now,
    ...                        category="network")
    >>> table.select(ticket, [], now).reason
    "rule 10 (category=network) routes to group 'netops'"
    """

    rules: tuple[RoutingRule, ...] = attrs.field(converter=_routing_rules)

    def __attrs_post_init__(self) -> None:
        if not self.rules:
            raise ConfigError("a rule table needs at least one rule", path=["rules"])
        for before, after in itertools.pairwise(self.rules):
            if before.order == after.order:
                raise ConfigError(f"{before} and {after} share order {after.order}", path=["rules"])

    def select(
        self, ticket: Ticket, candidates: Sequence[Candidate], now: datetime
    ) -> RoutingDecision:
        """
        The group of the first matching rule; no group if none matches.
        """
        checked_roster(ticket, candidates, now)
        for rule in self.rules:
            if rule.matches(ticket):
                why = f"{rule} routes to group {rule.group!r}"
                return RoutingDecision(group=rule.group, reason=why, rule=f"rule {rule.order}")
        return RoutingDecision(
            reason=f"no rule matches category={ticket.category}, service={ticket.service}"
        )


_NO_SKIPS: Final[Mapping[str, str]] = MappingProxyType({})


def next_ticket(
    agent: Candidate,
    tickets: Iterable[Ticket],
    now: datetime,
    *,
    skip: Mapping[str, str] = _NO_SKIPS,
    final: Collection[str] = FINAL_STATES,
) -> Ticket | None:
    """
    The pull queue: the next ticket ``agent`` should take, or None.

    Only open tickets (state not in ``final``) of the agent's groups or of no group yet,
    not owned by another agent; the most urgent priority first (no priority last), then
    the one waiting longest (oldest first), then by id. Skipping a ticket takes a reason:
    ``skip`` maps ticket ids to non-empty reasons.
    """
    if not isinstance(agent, Candidate):
        raise InvalidInput(f"agent must be a Candidate, got {type(agent).__name__}")
    _checks.aware("now", now)
    if not isinstance(skip, Mapping):
        raise InvalidInput(f"skip must map ticket ids to reasons, got {type(skip).__name__}")
    for ticket_id, reason in skip.items():
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidInput(f"skipping ticket {ticket_id!r} needs a reason, got {reason!r}")
    best: tuple[tuple[int, datetime, str], Ticket] | None = None
    for ticket in tickets:
        if not isinstance(ticket, Ticket):
            raise InvalidInput(f"tickets must be Ticket objects, got {type(ticket).__name__}")
        if (
            ticket.state in final
            or ticket.id in skip
            or (ticket.group is not None and ticket.group not in agent.groups)
            or (ticket.assignee is not None and ticket.assignee != agent.id)
        ):
            continue
        # Rank 6 puts tickets without a priority after P5.
        key = (ticket.priority.rank if ticket.priority else 6, ticket.created_at, ticket.id)
        if best is None or key < best[0]:
            best = (key, ticket)
    return None if best is None else best[1]
