"""
Routing: which agent or group gets a ticket, and which ticket an agent takes next.

A :class:`RoutingPolicy` picks from the candidates the host passes in (its roster, with
each agent's status, capacity and load) and returns a :class:`RoutingDecision` saying who
and why. Policies hold no hidden state: round-robin returns a :class:`Cursor` the host
stores as the agent's ``last_assigned_at``. The built-ins are filters and a ranker composed
by a :class:`Router`, as Zendesk's and Jira Service Management's round-robin and
capacity-based routing work; a :class:`RuleTable` maps category and service to a group;
:func:`next_ticket` is the pull queue ("give me the next ticket").
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from fractions import Fraction
from types import MappingProxyType
from typing import Final, Literal, Protocol

import attrs

from deskflow import _checks
from deskflow.exceptions import ConfigError, InvalidInput
from deskflow.ticket import Ticket
from deskflow.workflows import INCIDENT, SERVICE_REQUEST

__all__ = [
    "FINAL_STATES",
    "AgentStatus",
    "Available",
    "Candidate",
    "CandidateFilter",
    "Cursor",
    "HasCapacity",
    "HasSkills",
    "InGroup",
    "LeastLoaded",
    "LongestIdle",
    "Router",
    "RoutingDecision",
    "RoutingPolicy",
    "SkillsBased",
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


def _config_error(field: str, message: str) -> ConfigError:
    return ConfigError(message, path=("candidate", field))


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"must be an int >= 0, got {value!r}", path=[name])
    return value


def _groups(value: object) -> frozenset[str]:
    # A lone string would otherwise be split into its characters.
    names = (value,) if isinstance(value, str) else value
    if not isinstance(names, Iterable) or not all(isinstance(g, str) and g for g in names):
        raise _config_error("groups", f"expected group names, got {value!r}")
    return frozenset(names)


def _skills(value: object) -> Mapping[str, int]:
    if not isinstance(value, Mapping) or not all(isinstance(s, str) and s for s in value):
        raise _config_error("skills", f"expected a mapping of skill -> level, got {value!r}")
    return MappingProxyType({s: _count(f"skills.{s}", level) for s, level in value.items()})


def _status(value: object) -> AgentStatus:
    try:
        return _checks.member("status", AgentStatus, value)
    except InvalidInput as exc:
        raise _config_error("status", str(exc)) from None


def _capacity(value: object) -> int:
    return _count("capacity", value)


def _load(value: object) -> int:
    return _count("load", value)


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

    id: str
    groups: frozenset[str] = attrs.field(default=frozenset(), converter=_groups)
    skills: Mapping[str, int] = attrs.field(factory=dict, converter=_skills, hash=False)
    status: AgentStatus = attrs.field(default=AgentStatus.AVAILABLE, converter=_status)
    capacity: int = attrs.field(default=1, converter=_capacity, kw_only=True)
    load: int = attrs.field(default=0, converter=_load, kw_only=True)
    last_assigned_at: datetime | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise _config_error("id", f"an agent id must be a non-empty string, got {self.id!r}")
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


def _roster(ticket: object, candidates: Iterable[object], now: object) -> tuple[Candidate, ...]:
    if not isinstance(ticket, Ticket):
        raise InvalidInput(f"ticket must be a Ticket, got {type(ticket).__name__}")
    _checks.aware("now", now)
    roster: list[Candidate] = []
    for c in candidates:
        if not isinstance(c, Candidate):
            raise InvalidInput(f"candidates must be Candidate objects, got {c!r}")
        roster.append(c)
    if len({c.id for c in roster}) != len(roster):
        raise InvalidInput(f"candidate ids repeat: {sorted(c.id for c in roster)}")
    return tuple(roster)


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
    return _skills(value)


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
        roster = _roster(ticket, candidates, now)
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
        roster = _roster(ticket, candidates, now)
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


def _listed(name: str, values: object) -> None:
    if isinstance(values, str | Mapping) or not isinstance(values, Iterable):
        raise ConfigError(f"expected a list, got {values!r}", path=[name])


def _filters(value: Iterable[CandidateFilter]) -> tuple[CandidateFilter, ...]:
    _listed("filters", value)
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
        roster = _roster(ticket, candidates, now)
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
