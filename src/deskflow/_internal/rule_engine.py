"""
The automation engine behind [`deskflow.automation.run_rules`][deskflow.automation.run_rules].

The new events of a command form a queue, in history order. Each event raises its triggers;
the rules of those triggers run in their declared order. A rule fires when its condition
holds and its dedup key (ticket, rule, the event's position or the time episode) is not in
the history: it applies its actions, then records a ``RuleFired``. What a firing recorded
joins the queue one level deeper; past the rule set's bound the command is refused with the
chain of rules.

A rule fires at most once per occasion: the command's own events are one, and the events
each firing recorded are one (so rules that undo each other still cascade, and are refused
past the bound). A rule's condition reads the ticket as it was when the rule's turn came:
every event before, and the firings that came earlier in the order. The history says which firings
those were (each ``RuleFired`` knows its cause and how many events it recorded), so
running the rules again over a history they already ran on, or replaying it, sees the same
tickets and decides nothing new.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from deskflow._internal import rule_actions
from deskflow._internal.rule_schedule import rule_episode, time_key
from deskflow._internal.rule_triggers import triggers_of
from deskflow.actors import SYSTEM
from deskflow.enums import HitPolicy, RuleTrigger
from deskflow.events import RuleFired, StateChanged
from deskflow.exceptions import InvalidInput, RuleCascadeError
from deskflow.rules import Rule, RuleContext, Stop
from deskflow.ticket import Event, Ticket

if TYPE_CHECKING:
    from collections.abc import Callable

    from deskflow.desk import Desk

#: The place of a turn (or of a stretch of history) in the order rules run: (position of
#: the event, 0 for a command's own events and time rules / 1 for event rules, rank).
_Key = tuple[int, int, int]


class _Prefixes:
    # The tickets of a history's prefixes, built forward from a known one and cached.
    def __init__(self, base: Ticket | None, history: Callable[[], tuple[Event, ...]]) -> None:
        self._base = base
        self._history = history
        self._at: Ticket | None = base

    def at(self, length: int) -> Ticket | None:
        history = self._history()
        if length == 0:
            return None
        current = self._at
        if current is None or current.version > length:
            current = self._base
            if current is None or current.version > length:
                current = history[0].open()
        while current.version < length:
            current = history[current.version].apply_to(current)
        self._at = current
        return current


class Engine:
    """
    One run of a desk's rules over the new events of a ticket.
    """

    def __init__(self, desk: Desk, before: Ticket | None, after: Ticket, now: datetime) -> None:
        self.desk = desk
        self.rules = desk.rules
        self.now = max(now, after.updated_at)
        self.ticket = after
        self.start = 0 if before is None else before.version
        self.first = self.rules.hit_policy is HitPolicy.FIRST
        self._fired: set[str] | None = None
        self._before = _Prefixes(before, lambda: self.ticket.history)
        self._seen = _Prefixes(before, lambda: self.ticket.history)
        # The stretches of the new history in run order: (start, key); firings of an
        # earlier run included. Every position's depth and chain of rules.
        self._units: list[tuple[int, _Key]] = []
        self._unit = 0
        self._depth: dict[int, int] = {}
        self._chain: dict[int, tuple[str, ...]] = {}
        # The occasion of each position: the firing whose events it is among (the position
        # where they start), or -1 for the command's own events. A rule fires at most once
        # per occasion: an opening that also records its priority pages once, not twice.
        self._occasion: dict[int, int] = {}
        self._fired_on: set[tuple[str, int]] = set()
        self.time_group: int | None = None
        self._merged = _merged_rules(self.rules)
        self.next_event = self.start
        #: True when the rules already ran over some of these events (a retry, a replay).
        self.rerun = False
        # Rules that trigger each other several at a time branch out before they go deep:
        # the firings of one run are bounded too, as many as every rule at every level.
        self.firings = 0
        self.budget = self.rules.max_cascade * (len(self.rules.rules) + after.version - self.start)
        self._read_history()
        sla = desk.sla_for(after)
        self._sla, self._calendar = sla, sla.calendar_for(after)

    # -- what an earlier run left -----------------------------------------------------------

    def _rank(self, name: str) -> int:
        try:
            return self.rules.position(name)
        except InvalidInput:  # a rule of an earlier rule set: after every rule of this one
            return len(self.rules.rules)

    def _read_history(self) -> None:
        history = self.ticket.history
        blocks: dict[int, RuleFired] = {}
        for position in range(self.start, len(history)):
            event = history[position]
            if isinstance(event, RuleFired) and position - event.recorded >= self.start:
                blocks[position - event.recorded] = event
        self.rerun = bool(blocks)
        position, group_end = self.start, None
        while position < len(history):
            fired = blocks.get(position)
            if fired is None:
                end = position
                while end < len(history) and end not in blocks:
                    end += 1
                self._units.append((position, (position, 0, 0)))
                position = end
                continue
            end = position + fired.recorded + 1
            if fired.cause is None:  # a time rule's: one group per run, after the queue
                if group_end != position:
                    self.time_group = position
                group_end = end
                group = self.time_group if self.time_group is not None else position
                self._units.append((position, (group, 0, self._rank(fired.rule) + 1)))
                chain: tuple[str, ...] = (fired.rule,)
            else:
                self._units.append((position, (fired.cause, 1, self._rank(fired.rule))))
                chain = (*self._chain.get(fired.cause, ()), fired.rule)
            if fired.cause is not None:
                self._fired_on.add((fired.rule, self._occasion.get(fired.cause, -1)))
            for inside in range(position, end):
                self._depth[inside] = fired.depth
                self._chain[inside] = chain
                self._occasion[inside] = position
            position = end

    def fired(self) -> set[str]:
        """
        The dedup keys of every rule fired on the ticket.
        """
        if self._fired is None:
            self._fired = {e.dedup_key for e in self.ticket.history if isinstance(e, RuleFired)}
        return self._fired

    def seen(self, key: _Key) -> Ticket:
        """
        The ticket as it was at the turn ``key``: the history before the first stretch that
        came later in the run.
        """
        if not self.rerun:
            return self.ticket  # no later firing is in the history yet
        units = self._units
        while self._unit < len(units) and units[self._unit][1] < key:
            self._unit += 1
        if self._unit == len(units):
            return self.ticket
        seen = self._seen.at(units[self._unit][0])
        assert seen is not None
        return seen

    # -- running -----------------------------------------------------------------------------

    def run_events(self, until: int | None = None) -> None:
        """
        Run the event rules of every queued event (up to position ``until``).
        """
        position = self.next_event
        while position < len(self.ticket.history) and (until is None or position < until):
            event = self.ticket.history[position]
            # Only a state change needs the ticket before it to know its triggers.
            changes = isinstance(event, StateChanged)
            before = self._before.at(position) if changes else None
            triggers = triggers_of(event, before)
            if triggers:
                rules = self._candidates(triggers)
                if rules:
                    if not changes:
                        before = self._before.at(position)
                    self._run_event(position, event, before, triggers, rules)
            position += 1
        self.next_event = position

    def _candidates(self, triggers: frozenset[RuleTrigger]) -> tuple[Rule, ...]:
        kind = self.ticket.kind.value
        key = (triggers, kind)
        found = self._merged.get(key)
        if found is None:
            seen: dict[int, Rule] = {}
            for trigger in triggers:
                for rule in self.rules.for_trigger(trigger):
                    if rule.kinds is None or kind in rule.kinds:
                        seen.setdefault(id(rule), rule)
            found = tuple(sorted(seen.values(), key=lambda r: self._rank(r.name)))
            self._merged[key] = found
        return found

    def _run_event(
        self,
        position: int,
        event: Event,
        before: Ticket | None,
        triggers: frozenset[RuleTrigger],
        rules: tuple[Rule, ...],
    ) -> None:
        depth = self._depth.get(position, 0)
        occasion = self._occasion.get(position, -1)
        # One context per trigger, for every rule that reads the same ticket.
        contexts: dict[RuleTrigger, RuleContext] = {}
        for rule in rules:
            key = f"{self.ticket.id}|rule|{rule.name}|e{position}"
            if self.rerun and key in self.fired():
                if self._ends_turn(rule):
                    return
                continue
            if (rule.name, occasion) in self._fired_on:
                continue  # it fired on an earlier event of the same change
            ticket = self.seen((position, 1, self._rank(rule.name))) if self.rerun else self.ticket
            if not self._holds(rule, ticket, event, before, triggers, contexts):
                continue
            chain = (*self._chain.get(position, ()), rule.name)
            self._fired_on.add((rule.name, occasion))
            self._fire(rule, key, position, depth + 1, chain)
            if self._ends_turn(rule):
                return

    def _holds(
        self,
        rule: Rule,
        ticket: Ticket,
        event: Event,
        before: Ticket | None,
        triggers: frozenset[RuleTrigger],
        contexts: dict[RuleTrigger, RuleContext],
    ) -> bool:
        condition = rule.condition
        if condition is None:
            return True
        for trigger in _ordered(triggers):
            if trigger not in rule.when:
                continue
            context = contexts.get(trigger)
            if context is None or context.ticket is not ticket:
                context = contexts[trigger] = self.context(ticket, trigger, event, before)
            if condition.test(context):
                return True
        return False

    def context(
        self,
        ticket: Ticket,
        trigger: RuleTrigger,
        event: Event | None = None,
        before: Ticket | None = None,
    ) -> RuleContext:
        """
        What a condition reads for ``ticket``.
        """
        return RuleContext(
            ticket=ticket,
            now=self.now,
            trigger=trigger,
            event=event,
            before=before,
            calendar=self._calendar,
            sla=self._sla,
            people=self.desk.people,
        )

    def _ends_turn(self, rule: Rule) -> bool:
        return self.first or any(isinstance(a, Stop) for a in rule.actions)

    def run_time_rules(self) -> None:
        """
        Run the time rules, once, at this point of the queue.
        """
        if self.desk.workflow_for(self.ticket).is_final(self.ticket.state):
            return
        group = len(self.ticket.history) if self.time_group is None else self.time_group
        kind = self.ticket.kind.value
        for rule in self.rules.for_trigger(RuleTrigger.TIME):
            if rule.kinds is not None and kind not in rule.kinds:
                continue
            seen = self.seen((group, 0, self._rank(rule.name) + 1))
            context = self.context(seen, RuleTrigger.TIME)
            # The same episode and key as the next check time's (rule_schedule).
            episode = rule_episode(rule, context)
            if episode is None:
                continue
            key = time_key(self.ticket, rule, episode)
            if key in self.fired():
                # Fired at this tick (a rerun): it ends the turn as it did; fired at an
                # earlier tick: it is not this tick's first match.
                if self._ends_turn(rule) and self._fired_in_group(key):
                    return
                continue
            if rule.condition is None or not rule.condition.test(context):
                continue
            self._fire(rule, key, None, 1, (rule.name,), group=group)
            if self._ends_turn(rule):
                return

    def _fired_in_group(self, key: str) -> bool:
        # Whether the time rule of ``key`` fired in this run's group of time firings.
        if self.time_group is None:
            return False
        return any(
            isinstance(e, RuleFired) and e.cause is None and e.dedup_key == key
            for e in self.ticket.history[self.time_group :]
        )

    def _fire(
        self,
        rule: Rule,
        key: str,
        cause: int | None,
        depth: int,
        chain: tuple[str, ...],
        group: int = 0,
    ) -> None:
        bound = self.rules.max_cascade
        self.firings += 1
        if depth > bound or self.firings > self.budget:
            past = f"the cascade bound of {bound}" if depth > bound else f"{self.budget} firings"
            raise RuleCascadeError(
                f"automation rules kept triggering each other past {past}: "
                f"{' -> '.join(chain)}; the command is refused and nothing is stored",
                chain=chain,
            )
        start = len(self.ticket.history)
        ticket, done = self.ticket, []
        for action in rule.actions:
            ticket, line = rule_actions.apply(self.desk, ticket, rule.name, action, self.now)
            done.append(line)
        recorded = ticket.version - start
        self.ticket = ticket.record(
            RuleFired(
                at=self.now,
                actor=SYSTEM.id,
                rule=rule.name,
                dedup_key=key,
                cause=cause,
                depth=depth,
                actions=tuple(done),
                recorded=recorded,
            )
        )
        self.fired().add(key)
        unit: _Key = (
            (group, 0, self._rank(rule.name) + 1)
            if cause is None
            else (cause, 1, self._rank(rule.name))
        )
        self._units.append((start, unit))
        for position in range(start, len(self.ticket.history)):
            self._depth[position] = depth
            self._chain[position] = chain
            self._occasion[position] = start


_ORDERS: dict[frozenset[RuleTrigger], tuple[RuleTrigger, ...]] = {}


def _ordered(triggers: frozenset[RuleTrigger]) -> tuple[RuleTrigger, ...]:
    # The triggers of an event in a fixed order (a rule is tried for each it watches).
    found = _ORDERS.get(triggers)
    if found is None:
        found = _ORDERS[triggers] = tuple(sorted(triggers))
    return found


#: The rules of each (triggers, ticket kind), per rule set, for the last few rule sets.
_MERGED: dict[int, tuple[object, dict[tuple[frozenset[RuleTrigger], str], tuple[Rule, ...]]]] = {}


def _merged_rules(
    rules: object,
) -> dict[tuple[frozenset[RuleTrigger], str], tuple[Rule, ...]]:
    held = _MERGED.get(id(rules))
    if held is not None and held[0] is rules:
        return held[1]
    if len(_MERGED) >= 8:
        _MERGED.pop(next(iter(_MERGED)))
    merged: dict[tuple[frozenset[RuleTrigger], str], tuple[Rule, ...]] = {}
    _MERGED[id(rules)] = (rules, merged)
    return merged


def run(desk: Desk, before: Ticket | None, after: Ticket, now: datetime, *, timed: bool) -> Ticket:
    """
    ``after`` with the rules' work on its new events (and, ``timed``, the time rules').
    """
    nothing_new = before is not None and before.version >= after.version
    if not desk.rules.rules or (nothing_new and not timed):
        return after
    engine = Engine(desk, before, after, now)
    if timed:
        engine.run_events(until=engine.time_group)
        engine.run_time_rules()
    engine.run_events()
    return engine.ticket
