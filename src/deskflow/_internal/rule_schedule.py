"""
When a desk's time rules are next worth checking on a ticket: the instants their time
conditions come true, composed through ``All`` / ``AnyOf`` / ``Not``, and the episode that
names each firing (so a time rule fires once per episode).

This is what makes time rules need no sweep: the earliest instant goes into the ticket's
``next_check_at``, so ``tick()`` claims the ticket exactly when a rule may fire on it, and a
desk with no due work is not ticked at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from deskflow.desk import Desk
from deskflow.enums import RuleTrigger
from deskflow.events import RuleFired
from deskflow.rules import AnyOf, Condition, Not, Rule, RuleContext, TimeCondition, walk
from deskflow.ticket import Ticket

__all__ = [
    "fired_keys",
    "next_rule_check",
    "ready_of",
    "rule_episode",
    "time_context",
    "time_key",
    "time_rules",
]


class _NoTime:
    # A condition without a time condition inside: it never delays a rule.
    pass


_NO_TIME = _NoTime()


def ready_of(condition: Condition | None, context: RuleContext) -> datetime | None:
    """
    The instant the time part of ``condition`` comes (or came) true in this episode: a time
    condition's own ``ready_at``; the latest of an ``All``'s time children (None if one of
    them is None); the earliest of an ``AnyOf``'s; a ``Not`` delays nothing. None when the
    condition has no time part or cannot come true in this episode.
    """
    found = _ready(condition, context)
    return None if isinstance(found, _NoTime) else found


def _ready(condition: Condition | None, context: RuleContext) -> datetime | _NoTime | None:
    if condition is None:
        return _NO_TIME
    if isinstance(condition, TimeCondition):
        return condition.ready_at(context)
    if isinstance(condition, Not):
        # "not yet in state X for D" comes true at no instant worth waking for: it never
        # delays a rule; the rule's test decides when it fires.
        return _NO_TIME
    parts = [_ready(child, context) for child in condition.children()]
    times = [part for part in parts if not isinstance(part, _NoTime)]
    if not times:
        return _NO_TIME
    known = [t for t in times if t is not None]
    if isinstance(condition, AnyOf):
        return min(known) if known else None
    # All, and any host condition with children: every time part must be ready.
    return max(known) if len(known) == len(times) else None


def rule_episode(rule: Rule, context: RuleContext) -> str | None:
    """
    The episode a time rule is in: the episodes of its time conditions joined with ``+``
    (``-`` for one that has none), or None when none of them has one.
    """
    episodes = [c.episode(context) for c in walk(rule.condition) if isinstance(c, TimeCondition)]
    if not any(e is not None for e in episodes):
        return None
    return "+".join(e if e is not None else "-" for e in episodes)


def time_key(ticket: Ticket, rule: Rule, episode: str) -> str:
    """
    The dedup key of ``rule`` firing on ``ticket`` in ``episode``.
    """
    return f"{ticket.id}|rule|{rule.name}|t{episode}"


def fired_keys(ticket: Ticket) -> frozenset[str]:
    """
    The dedup keys of every rule firing in ``ticket``'s history.
    """
    return frozenset(e.dedup_key for e in ticket.history if isinstance(e, RuleFired))


def time_rules(desk: Desk, ticket: Ticket) -> Iterable[Rule]:
    """
    The desk's time rules that apply to ``ticket``'s kind, in order.
    """
    kind = ticket.kind.value
    for rule in desk.rules.rules:
        if RuleTrigger.TIME in rule.when and (rule.kinds is None or kind in rule.kinds):
            yield rule


def time_context(desk: Desk, ticket: Ticket, now: datetime) -> RuleContext:
    """
    What a time rule reads on ``ticket`` at ``now``: no triggering event, nothing "before",
    the ticket's SLA policy and calendar, the desk's people directory.
    """
    sla = desk.sla_for(ticket)
    return RuleContext(
        ticket,
        now,
        RuleTrigger.TIME,
        calendar=sla.calendar_for(ticket),
        sla=sla,
        people=desk.people,
    )


def next_rule_check(desk: Desk, ticket: Ticket, now: datetime) -> datetime | None:
    """
    When a time rule of ``desk`` may next fire on ``ticket``: the earliest instant after
    ``now`` at which the time part of a rule not yet fired in its current episode comes
    true; ``now`` itself for such a rule whose whole condition holds already (the next tick
    fires it). A rule whose instant passed while its other conditions were false is not
    waited for: the next event on the ticket computes this again. None: nothing to wait for.
    """
    rules = list(time_rules(desk, ticket))
    if not rules:
        return None
    context = time_context(desk, ticket, now)
    fired = fired_keys(ticket)
    best: datetime | None = None
    for rule in rules:
        episode = rule_episode(rule, context)
        if episode is None or time_key(ticket, rule, episode) in fired:
            continue
        at = ready_of(rule.condition, context)
        if at is None:
            continue
        if at <= now:
            if rule.condition is None or not rule.condition.test(context):
                continue
            at = now
        if best is None or at < best:
            best = at
    return best
