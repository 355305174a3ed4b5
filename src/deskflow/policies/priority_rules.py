"""
Priority policies built on others, and recording priority changes.

Weighted scores, one policy per service, a VIP floor and rule chains all implement
[`PriorityPolicy`][deskflow.priority.PriorityPolicy];
[`reprioritize()`][deskflow.policies.priority_rules.reprioritize] and
[`override_priority()`][deskflow.policies.priority_rules.override_priority] record what changed,
with actor and reason, in the history.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import attrs

from deskflow._internal import checks as _checks
from deskflow._internal.priority_support import config_priority, listed, named, priority_policy
from deskflow.actors import Actor
from deskflow.enums import Priority
from deskflow.exceptions import ConfigError, InvalidInput
from deskflow.priority import PriorityDecision, PriorityFacts, PriorityMatrix, PriorityPolicy

if TYPE_CHECKING:
    from deskflow.ticket import Ticket

__all__ = [
    "PerService",
    "Rule",
    "RuleChain",
    "ScoreBand",
    "VipFloor",
    "WeightedScore",
    "override_priority",
    "reprioritize",
]


def _score(value: object) -> int:
    return _checks.config_int(value, "scores and weights must be ints")


def _band_priority(value: object) -> Priority:
    return config_priority(value, "band")


@attrs.frozen
class ScoreBand:
    """
    Scores from ``low`` to ``high`` (both included) give ``priority``.
    """

    low: int = attrs.field(converter=_score)
    high: int = attrs.field(converter=_score)
    priority: Priority = attrs.field(converter=_band_priority)

    def __attrs_post_init__(self) -> None:
        if self.low > self.high:
            raise ConfigError(f"score band {self} runs backwards")

    def __str__(self) -> str:
        return f"{self.low}..{self.high} -> {self.priority}"


def _bands(values: Iterable[object]) -> tuple[ScoreBand, ...]:
    listed("bands", values)
    bands: list[ScoreBand] = []
    for value in values:
        if isinstance(value, tuple | list) and len(value) == 3:
            value = ScoreBand(*value)
        if not isinstance(value, ScoreBand):
            raise ConfigError(f"expected a ScoreBand or (low, high, priority), got {value!r}")
        bands.append(value)
    return tuple(sorted(bands, key=lambda b: b.low))


def _weights(value: object) -> Mapping[str, int]:
    if not isinstance(value, Mapping) or not value or not all(map(named, value)):
        raise ConfigError(f"expected a mapping of level -> weight, got {value!r}")
    return {str(level): _score(weight) for level, weight in value.items()}


@attrs.frozen
class WeightedScore:
    """
    Impact weight plus urgency weight is a score; the band holding the score gives the
    priority. Validated when built: bands do not overlap, cover every reachable score, and
    a higher score never gives a lower priority.

    >>> policy = WeightedScore({"high": 3, "medium": 2, "low": 1},
    ...                        {"high": 3, "medium": 2, "low": 1},
    ...                        [(6, 6, "P1"), (5, 5, "P2"), (4, 4, "P3"), (2, 3, "P4")])
    >>> policy.prioritize(PriorityFacts("high", "low")).priority
    <Priority.P3: 'P3'>
    """

    impact_weights: Mapping[str, int] = attrs.field(converter=_weights, hash=False)
    urgency_weights: Mapping[str, int] = attrs.field(converter=_weights, hash=False)
    bands: tuple[ScoreBand, ...] = attrs.field(converter=_bands)
    name: str = "weighted"

    def __attrs_post_init__(self) -> None:
        for before, after in itertools.pairwise(self.bands):
            if after.low <= before.high:
                raise ConfigError(f"score band {after} overlaps {before}", path=[self.name])
            if after.priority < before.priority:
                raise ConfigError(
                    f"score band {after} is lower than {before}; a higher score must never "
                    "give a lower priority",
                    path=[self.name],
                )
        for impact, iw in self.impact_weights.items():
            for urgency, uw in self.urgency_weights.items():
                if self._band(iw + uw) is None:
                    raise ConfigError(
                        f"score {iw + uw} of (impact={impact}, urgency={urgency}) is in no band",
                        path=[self.name, impact, urgency],
                    )

    def prioritize(self, facts: PriorityFacts) -> PriorityDecision:
        """
        Add the two weights and find the score's band.
        """
        iw, uw = (
            self._weight(axis, weights, level)
            for axis, weights, level in (
                ("impact", self.impact_weights, facts.impact),
                ("urgency", self.urgency_weights, facts.urgency),
            )
        )
        band = self._band(iw + uw)
        assert band is not None  # every reachable score was checked when built
        return PriorityDecision(
            band.priority,
            self.name,
            f"score {iw + uw} (impact {facts.impact}={iw} + urgency {facts.urgency}={uw}) "
            f"is in band {band}",
        )

    def _band(self, score: int) -> ScoreBand | None:
        at = bisect.bisect_right([b.low for b in self.bands], score) - 1
        return self.bands[at] if at >= 0 and score <= self.bands[at].high else None

    def _weight(self, axis: str, weights: Mapping[str, int], level: str) -> int:
        if level not in weights:
            known = ", ".join(weights)
            raise InvalidInput(f"{axis} {level!r} has no weight in {self.name} ({known})")
        return weights[level]


@attrs.frozen
class PerService:
    """
    One policy per service, and a default for every other service (or none).

    >>> policy = PerService({"payroll": PriorityMatrix.five_by_five()}, PriorityMatrix.itil())
    >>> policy.prioritize(PriorityFacts("high", "high", service="payroll")).rule
    'payroll/five_by_five'
    """

    services: Mapping[str, PriorityPolicy] = attrs.field(hash=False)
    default: PriorityPolicy

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.services, Mapping):
            raise ConfigError(f"services must map a service to a policy, got {self.services!r}")
        for service, policy in self.services.items():
            priority_policy(policy, "services", service)
        priority_policy(self.default, "default")

    def prioritize(self, facts: PriorityFacts) -> PriorityDecision:
        """
        Ask the service's own policy, or the default one.
        """
        policy = self.services.get(facts.service) if facts.service is not None else None
        if policy is None:
            return self.default.prioritize(facts)
        return _prefixed(str(facts.service), policy.prioritize(facts))


def _floor(value: object) -> Priority:
    return config_priority(value, "floor")


@attrs.frozen
class VipFloor:
    """
    VIP requesters never get a priority below ``floor``; everyone else gets ``inner``'s.

    >>> policy = VipFloor(PriorityMatrix.itil(), floor=Priority.P2)
    >>> policy.prioritize(PriorityFacts("low", "low", vip=True)).explanation
    'impact low and urgency low give P5 in the itil matrix; raised to P2: the requester is a VIP'
    """

    inner: PriorityPolicy
    floor: Priority = attrs.field(default=Priority.P2, converter=_floor)

    def __attrs_post_init__(self) -> None:
        priority_policy(self.inner, "inner")

    def prioritize(self, facts: PriorityFacts) -> PriorityDecision:
        """
        The inner decision, lifted to the floor for a VIP.
        """
        decision = self.inner.prioritize(facts)
        if not facts.vip or decision.priority >= self.floor:
            return decision
        why = f"{decision.explanation}; raised to {self.floor}: the requester is a VIP"
        return PriorityDecision(self.floor, "vip_floor", why)


@attrs.frozen
class Rule:
    """
    A named step of a [`RuleChain`][deskflow.policies.priority_rules.RuleChain]: when
    ``when(facts)`` holds, ``policy`` decides.
    """

    name: str
    when: Callable[[PriorityFacts], bool]
    policy: PriorityPolicy

    def __attrs_post_init__(self) -> None:
        if not named(self.name) or not callable(self.when):
            raise ConfigError(f"a rule needs a name and a predicate, got {self!r}")
        priority_policy(self.policy, "rules", self.name)


def _rules(values: Iterable[object]) -> tuple[Rule, ...]:
    listed("rules", values)
    rules: list[Rule] = []
    for n, value in enumerate(values, start=1):
        if isinstance(value, tuple) and len(value) == 2:
            value = Rule(f"rule{n}", *value)
        if not isinstance(value, Rule):
            raise ConfigError(f"expected a Rule or (predicate, policy), got {value!r}")
        rules.append(value)
    return tuple(rules)


def _mode(value: object) -> Literal["first", "highest"]:
    if value not in ("first", "highest"):
        raise ConfigError(f"mode must be 'first' or 'highest', got {value!r}")
    return value


def _default(value: object) -> PriorityPolicy:
    return priority_policy(value, "default")


@attrs.frozen
class RuleChain:
    """
    Rules tried in order: the first match decides (``mode="first"``), or the most urgent of
    all matches (``mode="highest"``); ``default`` decides when none matches.

    >>> chain = RuleChain([Rule("vip", lambda f: f.vip, VipFloor(PriorityMatrix.itil()))])
    >>> chain.prioritize(PriorityFacts("low", "low", vip=True)).rule
    'vip/vip_floor'
    >>> chain.prioritize(PriorityFacts("low", "low")).rule
    'default/itil'
    """

    rules: tuple[Rule, ...] = attrs.field(converter=_rules)
    mode: Literal["first", "highest"] = attrs.field(default="first", converter=_mode)
    default: PriorityPolicy = attrs.field(factory=PriorityMatrix.itil, converter=_default)

    def prioritize(self, facts: PriorityFacts) -> PriorityDecision:
        """
        Apply the matching rule(s), else the default.
        """
        best: PriorityDecision | None = None
        for rule in self.rules:
            if rule.when(facts):
                decision = _prefixed(rule.name, rule.policy.prioritize(facts))
                if self.mode == "first":
                    return decision
                # Strictly more urgent: among equal matches the earlier rule wins.
                if best is None or decision.priority > best.priority:
                    best = decision
        return best or _prefixed("default", self.default.prioritize(facts))


def _prefixed(prefix: str, decision: PriorityDecision) -> PriorityDecision:
    rule, why = f"{prefix}/{decision.rule}", f"{prefix}: {decision.explanation}"
    return PriorityDecision(decision.priority, rule, why)


def reprioritize(
    ticket: Ticket,
    policy: PriorityPolicy,
    *,
    actor: Actor,
    at: datetime,
    reason: str | None = None,
    vip: bool = False,
) -> Ticket:
    """
    Re-assess the ticket's priority with ``policy``; record a change only if it differs.

    The [`PriorityChanged`][deskflow.events.PriorityChanged] carries the deciding rule, the previous
    priority and the decision's explanation (after ``reason``, when given).
    """
    from deskflow.events import PriorityChanged

    actor_id = _actor_id(actor)
    _checks.aware("at", at)
    if reason is not None:
        reason = _checks.text("reason", reason).strip()
    decision = policy.prioritize(PriorityFacts.of(ticket, vip=vip))
    if decision.priority == ticket.priority:
        return ticket
    why = decision.explanation if reason is None else f"{reason}: {decision.explanation}"
    return ticket.record(
        PriorityChanged(
            at=at,
            actor=actor_id,
            priority=decision.priority,
            previous=ticket.priority,
            reason=why,
            rule=decision.rule,
        )
    )


def override_priority(
    ticket: Ticket, priority: Priority | str, *, actor: Actor, at: datetime, reason: str
) -> Ticket:
    """
    Set the priority by hand, with a required reason kept in the history.

    Whether ``actor`` may do so (it takes the right role) is the service's decision.
    """
    from deskflow.events import PriorityChanged

    event = PriorityChanged(
        at=_checks.aware("at", at),
        actor=_actor_id(actor),
        priority=_checks.member("priority", Priority, priority),
        previous=ticket.priority,
        reason=_checks.text("reason", reason).strip(),
        manual=True,
    )
    return ticket.record(event)


def _actor_id(actor: object) -> str:
    if not isinstance(actor, Actor):
        raise InvalidInput(f"actor must be an Actor, got {type(actor).__name__}")
    return actor.id
