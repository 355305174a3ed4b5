"""
Why a desk's rules did or did not fire on a ticket, condition by condition, and when a time
rule will next be checked.

An event rule is explained on the last event of the ticket it runs on: the ticket as the
command that recorded the event left it, and as it was just before the event. A time rule is
explained at the instant asked about, in its current episode. Each explanation says whether
the condition held, each part's line (from
[`Condition.explain`][deskflow.rules.Condition.explain], with its path as a configuration
writes it: ``if.all.0``), whether the rule fired for that event or episode (its dedup key is
in the history), and for a time rule when it will next be checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import attrs

from deskflow._internal.checks import aware
from deskflow._internal.rule_schedule import (
    fired_keys,
    ready_of,
    rule_episode,
    time_context,
    time_key,
)
from deskflow._internal.rule_triggers import triggers_of
from deskflow.desk import Desk
from deskflow.enums import RuleTrigger
from deskflow.exceptions import InvalidInput
from deskflow.rules import ConditionResult, Rule, RuleContext
from deskflow.ticket import Event, Ticket

__all__ = ["Explanation", "RuleExplanation", "explain"]

_ROOT: tuple[str | int, ...] = ("if",)


@attrs.frozen
class RuleExplanation:
    """
    How one rule reads a ticket: what it was evaluated for (``trigger``: the kind of the
    event at ``position`` in the history, ``time`` for a time rule, None when it has not
    run), whether its condition ``held``, each part of the condition (``lines``), whether
    it ``fired`` (its ``dedup_key`` is in the history), when a time rule will next be
    checked (``next_check_at``; None: not before another event), and a ``note`` in words.
    """

    rule: str
    trigger: RuleTrigger | None
    held: bool
    fired: bool
    lines: tuple[ConditionResult, ...] = ()
    position: int | None = None
    dedup_key: str | None = None
    next_check_at: datetime | None = None
    note: str = ""

    def __str__(self) -> str:
        on = "time" if self.trigger is RuleTrigger.TIME else self.trigger
        head = f"rule {self.rule!r}"
        if on is not None:
            head += f" on {on}" + (f" (event {self.position})" if self.position is not None else "")
        verdict = "held" if self.held else "did not hold"
        head += f": {verdict}, {'fired' if self.fired else 'not fired'}"
        if self.note:
            head += f"; {self.note}"
        body = [
            f"  [{'x' if line.held else ' '}] {'.'.join(map(str, line.path))}: {line.text}"
            for line in self.lines
        ]
        return "\n".join([head, *body])


@attrs.frozen
class Explanation:
    """
    The explanations of a desk's rules (or of one) on a ticket at an instant, in the rule
    set's order; ``str()`` gives them as text, one line per condition.
    """

    ticket_id: str
    at: datetime
    rules: tuple[RuleExplanation, ...]

    def __iter__(self) -> Iterator[RuleExplanation]:
        return iter(self.rules)

    def __str__(self) -> str:
        head = f"{self.ticket_id} at {self.at.isoformat()}"
        return "\n".join([head, *(str(r) for r in self.rules)]) if self.rules else head

    def of(self, rule: str) -> tuple[RuleExplanation, ...]:
        """
        The explanations of the rule named ``rule`` (two for a rule that runs on events and
        on time).
        """
        found = tuple(r for r in self.rules if r.rule == rule)
        if not found:
            raise InvalidInput(f"no explanation of a rule named {rule!r}")
        return found


def explain(desk: Desk, ticket: Ticket, rule: str | None = None, *, now: datetime) -> Explanation:
    """
    Why ``desk``'s rules (or only the rule named ``rule``) did or did not fire on
    ``ticket``, condition by condition, at ``now``; see
    [`Explanation`][deskflow._internal.explain.Explanation].
    """
    now = aware("now", now)
    if not isinstance(ticket, Ticket):
        raise InvalidInput(f"expected a Ticket, got {type(ticket).__name__}")
    rules = (desk.rules.named(rule),) if rule is not None else desk.rules.rules
    fired = fired_keys(ticket)
    out: list[RuleExplanation] = []
    for each in rules:
        if each.kinds is not None and ticket.kind.value not in each.kinds:
            kinds = ", ".join(sorted(each.kinds))
            out.append(
                RuleExplanation(
                    each.name, None, False, False, note=f"applies only to {kinds} tickets"
                )
            )
            continue
        if each.when - {RuleTrigger.TIME}:
            out.append(_on_event(desk, ticket, each, fired))
        if RuleTrigger.TIME in each.when:
            out.append(_on_time(desk, ticket, each, fired, now))
    return Explanation(ticket.id, now, tuple(out))


def _last_event(
    ticket: Ticket, when: frozenset[RuleTrigger]
) -> tuple[int, Event, Ticket | None, Ticket, frozenset[RuleTrigger]] | None:
    """
    The last event of ``ticket`` that raises one of ``when``: its position, the event, the
    ticket just before it and as the command that recorded it left it (the events of the
    same instant, rules' work included, as the engine read it), and the triggers raised.
    """
    history = ticket.history
    prefixes: list[Ticket] = []  # prefixes[k]: the ticket after k + 1 events
    for event in history:
        prefixes.append(event.apply_to(prefixes[-1]) if prefixes else history[0].open())
    for position in range(len(history) - 1, -1, -1):
        event, before = history[position], prefixes[position - 1] if position else None
        raised = triggers_of(event, before) & when
        if raised:
            end = position
            while end + 1 < len(history) and history[end + 1].at == event.at:
                end += 1
            return position, event, before, prefixes[end], raised
    return None


def _on_event(desk: Desk, ticket: Ticket, rule: Rule, fired: frozenset[str]) -> RuleExplanation:
    events = rule.when - {RuleTrigger.TIME}
    last = _last_event(ticket, frozenset(events))
    if last is None:
        said = ", ".join(sorted(events))
        return RuleExplanation(rule.name, None, False, False, note=f"no {said} event yet")
    position, event, before, after, raised = last
    sla = desk.sla_for(after)
    contexts = [
        RuleContext(
            after,
            event.at,
            trigger,
            event=event,
            before=before,
            calendar=sla.calendar_for(after),
            sla=sla,
            people=desk.people,
        )
        for trigger in sorted(raised)
    ]
    # The engine tries each trigger the event raised: the rule holds if it holds for one.
    context = next(
        (c for c in contexts if rule.condition is None or rule.condition.test(c)), contexts[0]
    )
    held = rule.condition is None or rule.condition.test(context)
    lines = tuple(rule.condition.explain(context, _ROOT)) if rule.condition is not None else ()
    key = f"{ticket.id}|rule|{rule.name}|e{position}"
    note = "" if rule.condition is not None else "no condition: runs on every such event"
    return RuleExplanation(
        rule.name,
        context.trigger,
        held,
        key in fired,
        lines,
        position=position,
        dedup_key=key,
        note=note,
    )


def _on_time(
    desk: Desk, ticket: Ticket, rule: Rule, fired: frozenset[str], now: datetime
) -> RuleExplanation:
    context = time_context(desk, ticket, now)
    held = rule.condition is None or rule.condition.test(context)
    lines = tuple(rule.condition.explain(context, _ROOT)) if rule.condition is not None else ()
    episode = rule_episode(rule, context)
    if desk.workflow_for(ticket).is_final(ticket.state):
        return RuleExplanation(
            rule.name, RuleTrigger.TIME, held, False, lines, note="the ticket is closed for good"
        )
    if episode is None:
        return RuleExplanation(
            rule.name,
            RuleTrigger.TIME,
            held,
            False,
            lines,
            note="not in an episode: it waits for the ticket to enter one",
        )
    key = time_key(ticket, rule, episode)
    if key in fired:
        return RuleExplanation(
            rule.name,
            RuleTrigger.TIME,
            held,
            True,
            lines,
            dedup_key=key,
            note=f"fired once in episode {episode}; it fires again in a new episode",
        )
    ready = ready_of(rule.condition, context)
    next_at: datetime | None = None
    if ready is not None and ready > now:
        next_at, note = ready, f"next checked at {ready.isoformat()}"
    elif ready is not None and held:
        next_at, note = now, "due now: the next tick fires it"
    else:
        note = "its time came while another condition did not hold: the next event checks again"
    return RuleExplanation(
        rule.name,
        RuleTrigger.TIME,
        held,
        False,
        lines,
        dedup_key=key,
        next_check_at=next_at,
        note=note,
    )
