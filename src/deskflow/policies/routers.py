"""
The built-in routing policies: who gets the ticket.

Filters keep the candidates who may take a ticket (available, in the group, with capacity, with
the skills); rankers choose among them (longest idle, least loaded); a
[`Router`][deskflow.policies.routers.Router] chains filters, a ranker and a fallback;
[`SkillsBased`][deskflow.policies.routers.SkillsBased] ranks by skill level.
"""

from __future__ import annotations

__all__ = [
    "Available",
    "HasCapacity",
    "HasSkills",
    "InGroup",
    "LeastLoaded",
    "LongestIdle",
    "Router",
    "SkillsBased",
]

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Literal

import attrs

from deskflow._internal.routing_checks import skill_levels
from deskflow._internal.routing_support import checked_roster, listed
from deskflow.exceptions import ConfigError
from deskflow.routing import (
    AgentStatus,
    Candidate,
    CandidateFilter,
    Cursor,
    RoutingDecision,
    RoutingPolicy,
)
from deskflow.ticket import Ticket


def _assign(
    chosen: Candidate, roster: Sequence[Candidate], now: datetime, why: str
) -> RoutingDecision:
    # When the clock has not moved on since the latest assignment, step just past it, so
    # that assignments within one clock tick still rotate.
    seen = [c.last_assigned_at for c in roster if c.last_assigned_at is not None]
    at = max(now, max(seen) + timedelta(microseconds=1)) if seen else now
    return RoutingDecision(agent=chosen.id, reason=why, cursor=Cursor(chosen.id, at))


@attrs.frozen
class Available:
    """
    Keeps agents whose status is available.
    """

    def admits(self, ticket: Ticket, candidate: Candidate) -> bool:
        """
        True for an available agent.
        """
        return candidate.status is AgentStatus.AVAILABLE


@attrs.frozen
class InGroup:
    """
    Keeps members of ``group``, or of the ticket's group when ``group`` is None (anyone,
    if the ticket has no group yet).
    """

    group: str | None = None

    def admits(self, ticket: Ticket, candidate: Candidate) -> bool:
        """
        True for a member of the group.
        """
        group = self.group if self.group is not None else ticket.group
        return group is None or group in candidate.groups


@attrs.frozen
class HasCapacity:
    """
    Keeps agents below their capacity.
    """

    def admits(self, ticket: Ticket, candidate: Candidate) -> bool:
        """
        True for an agent with room for one more ticket.
        """
        return candidate.has_room


def _required(value: object) -> Mapping[str, int]:
    return skill_levels(value)


@attrs.frozen
class HasSkills:
    """
    Keeps agents with at least the given level in every required skill.

    >>> HasSkills({"network": 3}).admits(None, Candidate("ann", skills={"network": 4}))
    True
    """

    required: Mapping[str, int] = attrs.field(converter=_required, hash=False)

    def admits(self, ticket: Ticket | None, candidate: Candidate) -> bool:
        """
        True if the agent's level in each required skill is high enough.
        """
        return all(candidate.skills.get(s, 0) >= level for s, level in self.required.items())


@attrs.frozen
class LongestIdle:
    """
    Round-robin: the agent who has waited longest since an assignment (never assigned
    first; ties by id). The decision's cursor is the new ``last_assigned_at``.
    """

    def select(
        self, ticket: Ticket, candidates: Sequence[Candidate], now: datetime
    ) -> RoutingDecision:
        """
        Pick the longest idle agent.
        """
        roster = checked_roster(ticket, candidates, now)
        if not roster:
            return RoutingDecision(reason="no candidates")
        chosen = min(roster, key=_idle_order)
        last = chosen.last_assigned_at
        since = "never assigned" if last is None else f"last assigned {last.isoformat()}"
        return _assign(chosen, roster, now, f"{chosen.id} has waited longest ({since})")


def _idle_order(c: Candidate) -> tuple[bool, datetime | None, str]:
    # None sorts first; the tuple never compares None with a datetime as the flag differs.
    return (c.last_assigned_at is not None, c.last_assigned_at, c.id)


def _mode(value: object) -> Literal["absolute", "percentage"]:
    if value not in ("absolute", "percentage"):
        raise ConfigError(f"mode must be 'absolute' or 'percentage', got {value!r}")
    return value


@attrs.frozen
class LeastLoaded:
    """
    Capacity routing: the agent with the most spare capacity (``mode="absolute"``) or the
    lowest load as a share of capacity (``mode="percentage"``); ties go to the longest idle.
    An agent at capacity is never picked while one with room exists.
    """

    mode: Literal["absolute", "percentage"] = attrs.field(default="absolute", converter=_mode)

    def select(
        self, ticket: Ticket, candidates: Sequence[Candidate], now: datetime
    ) -> RoutingDecision:
        """
        Pick the least loaded agent.
        """
        roster = checked_roster(ticket, candidates, now)
        if not roster:
            return RoutingDecision(reason="no candidates")
        chosen = min(roster, key=lambda c: (self._load(c), _idle_order(c)))
        share = f"{chosen.load} of {chosen.capacity}"
        if self.mode == "absolute":
            why = f"{chosen.id} has the most spare capacity ({share} taken)"
        else:
            why = f"{chosen.id} has the lowest share of capacity taken ({share})"
        return _assign(chosen, roster, now, why)

    def _load(self, c: Candidate) -> Fraction:
        if self.mode == "absolute":
            return Fraction(-c.spare)
        # Capacity 0 means no room at all: rank it after every agent with room.
        return Fraction(c.load, c.capacity) if c.capacity else Fraction(c.load + 1)


def _filters(value: Iterable[CandidateFilter]) -> tuple[CandidateFilter, ...]:
    listed("filters", value)
    filters = tuple(value)
    for f in filters:
        if not callable(getattr(f, "admits", None)):
            raise ConfigError(f"a filter needs admits(ticket, candidate), got {f!r}")
    return filters


def _policy(value: object, where: str) -> None:
    if value is not None and not callable(getattr(value, "select", None)):
        raise ConfigError(f"{where} must be a routing policy, got {value!r}")


@attrs.frozen
class Router:
    """
    Filters, then a ranker; if no candidate passes every filter, the fallback decides.

    >>> from datetime import datetime, timezone
    >>> from deskflow import INCIDENT
    >>> now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> ticket = INCIDENT.open("T-1", title="VPN down", requester="ann", at=now)
    >>> router = Router([Available(), HasCapacity()], LeastLoaded())
    >>> router.select(ticket, [Candidate("kim", capacity=3, load=2),
    ...                        Candidate("lee", capacity=3, load=0)], now).agent
    'lee'
    """

    filters: tuple[CandidateFilter, ...] = attrs.field(converter=_filters)
    ranker: RoutingPolicy = attrs.field(factory=LongestIdle)
    fallback: RoutingPolicy | None = None

    def __attrs_post_init__(self) -> None:
        _policy(self.ranker, "ranker")
        _policy(self.fallback, "fallback")

    def select(
        self, ticket: Ticket, candidates: Sequence[Candidate], now: datetime
    ) -> RoutingDecision:
        """
        Keep the candidates every filter admits and let the ranker choose among them.
        """
        roster = checked_roster(ticket, candidates, now)
        left, steps = roster, [f"{len(roster)} candidates"]
        for f in self.filters:
            left = tuple(c for c in left if f.admits(ticket, c))
            steps.append(f"{f!r} left {len(left)}")
        trail = ", ".join(steps)
        if left:
            decision = self.ranker.select(ticket, left, now)
            return attrs.evolve(decision, reason=f"{decision.reason} [{trail}]")
        if self.fallback is not None:
            decision = self.fallback.select(ticket, roster, now)
            return attrs.evolve(decision, reason=f"fallback: {decision.reason} [{trail}]")
        return RoutingDecision(reason=f"no candidate passed the filters [{trail}]")


def _ranker(value: RoutingPolicy | None) -> RoutingPolicy:
    return LeastLoaded() if value is None else value


@attrs.frozen
class SkillsBased:
    """
    Skills routing: available agents with room and at least the required skill levels,
    least loaded first (or by ``ranker``); ``fallback`` decides when nobody qualifies.
    """

    required: Mapping[str, int] = attrs.field(converter=_required, hash=False)
    fallback: RoutingPolicy | None = None
    ranker: RoutingPolicy = attrs.field(default=None, converter=_ranker, kw_only=True)
    _router: Router = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        filters = (Available(), HasCapacity(), HasSkills(self.required))
        object.__setattr__(self, "_router", Router(filters, self.ranker, self.fallback))

    def select(
        self, ticket: Ticket, candidates: Sequence[Candidate], now: datetime
    ) -> RoutingDecision:
        """
        Route among the qualified agents.
        """
        return self._router.select(ticket, candidates, now)
