"""
Routing: which agent or group gets a ticket, and which ticket an agent takes next.

A [`RoutingPolicy`][deskflow.routing.RoutingPolicy] picks from the candidates the host passes in
(its roster, with each agent's status, capacity and load) and returns a
[`RoutingDecision`][deskflow.routing.RoutingDecision] saying who and why. Policies hold no
hidden state: round-robin returns a [`Cursor`][deskflow.routing.Cursor] the host stores as the
agent's ``last_assigned_at``. The built-ins are filters and a ranker composed by a
[`Router`][deskflow.policies.routers.Router], as Zendesk's and Jira Service Management's
round-robin and capacity-based routing work; a [`RuleTable`][deskflow.policies.queues.RuleTable]
maps category and service to a group; [`next_ticket()`][deskflow.policies.queues.next_ticket] is
the pull queue ("give me the next ticket").
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final, Protocol

import attrs

from deskflow._internal import checks as _checks
from deskflow._internal.routing_checks import checked_count, config_error, skill_levels
from deskflow.exceptions import ConfigError, InvalidInput
from deskflow.ticket import Ticket
from deskflow.workflows import INCIDENT, SERVICE_REQUEST

__all__ = [
    "FINAL_STATES",
    "AgentStatus",
    "Candidate",
    "CandidateFilter",
    "Cursor",
    "RoutingDecision",
    "RoutingPolicy",
]

#: The states in which the built-in workflows are done with a ticket.
FINAL_STATES: Final = INCIDENT.final | SERVICE_REQUEST.final


class AgentStatus(enum.StrEnum):
    """
    Whether an agent takes new work right now.
    """

    AVAILABLE = "available"
    AWAY = "away"
    BUSY = "busy"


def _id(value: object) -> str:
    with _checks.config_path("candidate", "id"):
        return _checks.text("agent id", value)


def _groups(value: object) -> frozenset[str]:
    with _checks.config_path("candidate", "groups"):
        return frozenset(_checks.names("group", value))


def _status(value: object) -> AgentStatus:
    try:
        return _checks.member("status", AgentStatus, value)
    except InvalidInput as exc:
        raise config_error("status", str(exc)) from None


def _capacity(value: object) -> int:
    return checked_count("capacity", value)


def _load(value: object) -> int:
    return checked_count("load", value)


@attrs.frozen
class Candidate:
    """
    An agent who might get the ticket: groups, skill levels, status, capacity (how many
    open tickets the agent takes; 1 unless given), load (how many the agent has) and when
    the agent last got one.

    >>> ann = Candidate("ann", groups={"network"}, skills={"vpn": 3}, capacity=5, load=2)
    >>> ann.spare, ann.has_room
    (3, True)
    """

    id: str = attrs.field(converter=_id)
    groups: frozenset[str] = attrs.field(default=frozenset(), converter=_groups)
    skills: Mapping[str, int] = attrs.field(factory=dict, converter=skill_levels, hash=False)
    status: AgentStatus = attrs.field(default=AgentStatus.AVAILABLE, converter=_status)
    capacity: int = attrs.field(default=1, converter=_capacity, kw_only=True)
    load: int = attrs.field(default=0, converter=_load, kw_only=True)
    last_assigned_at: datetime | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.last_assigned_at is not None:
            try:
                _checks.aware("last_assigned_at", self.last_assigned_at)
            except InvalidInput as exc:
                raise ConfigError(str(exc), path=("candidate", self.id)) from None

    @property
    def spare(self) -> int:
        """
        How many more tickets the agent can take (negative when over capacity).
        """
        return self.capacity - self.load

    @property
    def has_room(self) -> bool:
        """
        True while the agent is below capacity.
        """
        return self.load < self.capacity


@attrs.frozen
class Cursor:
    """
    The round-robin position after an assignment: store ``at`` as the agent's
    ``last_assigned_at``.
    """

    agent: str
    at: datetime


@attrs.frozen
class RoutingDecision:
    """
    Who gets the ticket (an agent, a group, or nobody), which rule decided, and why.
    """

    agent: str | None = None
    group: str | None = None
    reason: str = ""
    rule: str | None = None
    cursor: Cursor | None = None

    @property
    def routed(self) -> bool:
        """
        True if the decision names an agent or a group.
        """
        return self.agent is not None or self.group is not None


class RoutingPolicy(Protocol):
    """
    Chooses who gets a ticket among the candidates.
    """

    def select(
        self, ticket: Ticket, candidates: Sequence[Candidate], now: datetime
    ) -> RoutingDecision:
        """
        Decide who gets ``ticket`` at ``now``; an empty decision says why nobody does.
        """
        ...


class CandidateFilter(Protocol):
    """
    Keeps the candidates who may get a ticket.
    """

    def admits(self, ticket: Ticket, candidate: Candidate) -> bool:
        """
        True if ``candidate`` may get ``ticket``.
        """
        ...
