"""
The ticket lifecycle: states, triggers, guards and workflows.

A [`Workflow`][deskflow.states.Workflow] is data — states, transitions with guards, final states
and which states pause or stop which SLA metric — validated when built and compiled into ONE
shared ``transitions.Machine`` (``model=None``, ``auto_transitions=False``,
``send_event=True``). Firing a trigger passes a tiny state holder to
``machine.events[name].trigger``; tickets are never attached to the machine and no machine is
built per ticket. A table compiled from the same machine answers
[`Workflow.allowed()`][deskflow.states.Workflow.allowed] in O(1).

Importing this module sets the ``transitions`` logger to WARNING, unless the host has set its
level already: ``transitions`` logs at INFO on every trigger, and a library is quiet by default.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Final

import attrs
from transitions import Machine, MachineError

from deskflow._internal import checks as _checks
from deskflow._internal.firing import Holder, as_condition, checked_details, optional_str
from deskflow._internal.mermaid import state_diagram
from deskflow.actors import Actor
from deskflow.enums import Impact, Metric, Priority, TicketKind, Urgency
from deskflow.events import StateChanged, TicketOpened
from deskflow.exceptions import ConfigError, InvalidInput, InvalidTransition
from deskflow.guards import (
    Attempt,
    Guard,
    Requires,
)
from deskflow.ticket import Ticket

__all__ = [
    "Transition",
    "Workflow",
]

# transitions logs every trigger at INFO; a library is quiet unless its host asks. A host
# that configured the logger (any level but NOTSET) keeps its choice.
_transitions_log = logging.getLogger("transitions")
if _transitions_log.level == logging.NOTSET:
    _transitions_log.setLevel(logging.WARNING)


#: The details a trigger may carry that map onto fields of the ticket.
KNOWN_DETAILS: Final = ("reason", "resolution", "hold_reason", "group", "assignee", "tier")


def _plain(value: object) -> str:
    # StrEnum members become plain strings: transitions names Enum states by member name.
    if not isinstance(value, str):
        raise ConfigError(f"state and trigger names must be strings, got {value!r}")
    return str(value)


def _sources(value: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (_plain(value),)
    if not isinstance(value, Iterable):
        raise ConfigError(f"source must be a state name or a list of them, got {value!r}")
    return tuple(map(_plain, value))


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(map(_plain, value))


def _name_set(value: Iterable[str]) -> frozenset[str]:
    return frozenset(map(_plain, value))


def _guards(value: Iterable[Guard]) -> tuple[Guard, ...]:
    return tuple(value)


@attrs.frozen
class Transition:
    """
    ``trigger`` moves a ticket from any of ``source`` to ``dest`` if every guard allows it.

    ``requires`` names details that must be given (e.g. a resolution text); ``sets`` fixes
    details the transition always sets (e.g. ``tier=1`` when returning to the first line).
    """

    trigger: str = attrs.field(converter=_plain)
    source: tuple[str, ...] = attrs.field(converter=_sources)
    dest: str = attrs.field(converter=_plain)
    guards: tuple[Guard, ...] = attrs.field(default=(), converter=_guards)
    requires: tuple[str, ...] = attrs.field(default=(), converter=_names)
    sets: Mapping[str, str | int] = attrs.field(factory=dict)

    @property
    def checked(self) -> bool:
        """
        True if firing this transition runs any check (a guard or a required detail).
        """
        return bool(self.guards or self.requires)


def _transitions(value: Iterable[Transition]) -> tuple[Transition, ...]:
    return tuple(value)


def _frozen_map(value: Mapping[str, Iterable[str]]) -> Mapping[str, frozenset[str]]:
    return {str(k): frozenset(map(_plain, v)) for k, v in dict(value).items()}


@attrs.frozen(eq=False)
class Workflow:
    """
    A lifecycle as data, validated when built and compiled into one shared machine.

    >>> wf = Workflow(
    ...     "triage",
    ...     states=["new", "triaged", "done"],
    ...     initial="new",
    ...     final=["done"],
    ...     transitions=[Transition("triage", "new", "triaged"),
    ...                  Transition("finish", ["new", "triaged"], "done")],
    ... )
    >>> wf.allowed("new")
    ('finish', 'triage')
    >>> print(wf.to_mermaid())
    stateDiagram-v2
        [*] --> new
        new --> done : finish
        new --> triaged : triage
        triaged --> done : finish
        done --> [*]
    """

    name: str
    states: tuple[str, ...] = attrs.field(converter=_names)
    initial: str = attrs.field(converter=_plain)
    final: frozenset[str] = attrs.field(converter=_name_set)
    transitions: tuple[Transition, ...] = attrs.field(converter=_transitions)
    pauses: Mapping[str, frozenset[str]] = attrs.field(factory=dict, converter=_frozen_map)
    stops: Mapping[str, frozenset[str]] = attrs.field(factory=dict, converter=_frozen_map)
    kind: TicketKind = TicketKind.INCIDENT
    _machine: Machine = attrs.field(init=False, repr=False)
    _table: dict[str, dict[str, str]] = attrs.field(init=False, repr=False)
    _allowed: dict[str, tuple[str, ...]] = attrs.field(init=False, repr=False)
    _specs: dict[tuple[str, str], Transition] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self._validate()
        machine = Machine(
            model=None,
            states=list(self.states),
            initial=self.initial,
            transitions=[
                {
                    "trigger": spec.trigger,
                    "source": list(spec.source),
                    "dest": spec.dest,
                    "conditions": [
                        as_condition(g)
                        for g in ((Requires(spec.requires),) if spec.requires else ()) + spec.guards
                    ],
                }
                for spec in self.transitions
            ],
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
            name=f"{self.name}: ",
        )
        # The table is read off the compiled machine, not off the specs, so the two cannot
        # disagree (a property test checks it too).
        table: dict[str, dict[str, str]] = {s: {} for s in self.states}
        for trigger, event in machine.events.items():
            for source, candidates in event.transitions.items():
                table[source][trigger] = str(candidates[0].dest)
        object.__setattr__(self, "_machine", machine)
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_allowed", {s: tuple(sorted(t)) for s, t in table.items()})
        object.__setattr__(
            self,
            "_specs",
            {(src, spec.trigger): spec for spec in self.transitions for src in spec.source},
        )

    def _validate(self) -> None:
        where = ("workflow", self.name)
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError("a workflow needs a name", path=("workflow",))
        states = self.states
        for s in states:
            if not isinstance(s, str) or not s:
                raise ConfigError(f"state names must be non-empty strings, got {s!r}", path=where)
        dupes = sorted({s for s in states if states.count(s) > 1})
        if dupes:
            raise ConfigError(f"duplicate states: {', '.join(dupes)}", path=where)
        known = set(states)

        def need(state: str, what: str) -> None:
            if state not in known:
                raise ConfigError(
                    f"{what} names the unknown state {state!r}; known: {', '.join(states)}",
                    path=where,
                )

        need(self.initial, "initial")
        for f in sorted(self.final):
            need(f, "final")
        seen: set[tuple[str, str]] = set()
        for spec in self.transitions:
            if not isinstance(spec, Transition):
                raise ConfigError(
                    f"transitions must be Transition objects, got {spec!r}", path=where
                )
            if not isinstance(spec.trigger, str) or not spec.trigger.isidentifier():
                raise ConfigError(
                    f"trigger names must be identifiers, got {spec.trigger!r}", path=where
                )
            if not spec.source:
                raise ConfigError(f"trigger {spec.trigger!r} has no source state", path=where)
            for src in spec.source:
                need(src, f"trigger {spec.trigger!r}")
                if (src, spec.trigger) in seen:
                    raise ConfigError(
                        f"duplicate trigger {spec.trigger!r} from state {src!r}", path=where
                    )
                seen.add((src, spec.trigger))
                if src in self.final:
                    raise ConfigError(
                        f"final state {src!r} has the way out {spec.trigger!r}; "
                        "final states are immutable",
                        path=where,
                    )
            need(spec.dest, f"trigger {spec.trigger!r}")
            for name in (*spec.requires, *spec.sets):
                if not isinstance(name, str) or not name.isidentifier():
                    raise ConfigError(
                        f"trigger {spec.trigger!r}: detail names must be identifiers, got {name!r}",
                        path=where,
                    )
        exits = {src for src, _ in seen}
        dead = [s for s in states if s not in self.final and s not in exits]
        if dead:
            raise ConfigError(
                f"states with no way out that are not final: {', '.join(dead)}", path=where
            )
        edges: dict[str, set[str]] = {s: set() for s in states}
        for spec in self.transitions:
            for src in spec.source:
                edges[src].add(spec.dest)
        reached = {self.initial}
        queue = deque([self.initial])
        while queue:
            for nxt in edges[queue.popleft()]:
                if nxt not in reached:
                    reached.add(nxt)
                    queue.append(nxt)
        unreachable = [s for s in states if s not in reached]
        if unreachable:
            raise ConfigError(
                f"states unreachable from {self.initial!r}: {', '.join(unreachable)}", path=where
            )
        for label, mapping in (("pauses", self.pauses), ("stops", self.stops)):
            for metric, metric_states in mapping.items():
                if metric not in Metric.__members__.values():
                    accepted = ", ".join(m.value for m in Metric)
                    raise ConfigError(
                        f"unknown metric {metric!r}; accepted: {accepted}",
                        path=(*where, label),
                    )
                for s in sorted(metric_states):
                    need(s, f"{label}[{metric}]")

    # -- queries ----------------------------------------------------------------------

    @property
    def machine(self) -> Machine:
        """
        The one shared ``transitions.Machine`` this workflow compiled into (model=None).
        """
        return self._machine

    @property
    def triggers(self) -> tuple[str, ...]:
        """
        Every trigger of the workflow, sorted.
        """
        return tuple(sorted({spec.trigger for spec in self.transitions}))

    def allowed(self, state: str) -> tuple[str, ...]:
        """
        The triggers that leave ``state`` (guards may still refuse them), sorted. O(1).
        """
        try:
            return self._allowed[state]
        except (KeyError, TypeError):
            raise InvalidInput(
                f"unknown state {state!r} for workflow {self.name!r}; "
                f"known: {', '.join(self.states)}"
            ) from None

    def destination(self, state: str, trigger: str) -> str | None:
        """
        Where ``trigger`` leads from ``state``, or None if it does not leave ``state``.
        """
        self.allowed(state)
        return self._table[state].get(trigger) if isinstance(trigger, str) else None

    def transition(self, state: str, trigger: str) -> Transition | None:
        """
        The transition ``trigger`` takes from ``state``, or None.
        """
        return self._specs.get((state, trigger))

    def is_final(self, state: str) -> bool:
        """
        True if ``state`` is final: closed, cancelled, rejected and the like.
        """
        return state in self.final

    def pauses_metric(self, state: str, metric: str) -> bool:
        """
        True if ``state`` pauses the SLA clock of ``metric``.
        """
        return state in self.pauses.get(metric, ())

    def stops_metric(self, state: str, metric: str) -> bool:
        """
        True if ``state`` stops the SLA clock of ``metric``.
        """
        return state in self.final or state in self.stops.get(metric, ())

    # -- commands ---------------------------------------------------------------------

    def open(
        self,
        ticket_id: str,
        *,
        title: str,
        requester: Actor | str,
        at: datetime,
        actor: Actor | None = None,
        description: str = "",
        category: str | None = None,
        service: str | None = None,
        impact: Impact | str | None = None,
        urgency: Urgency | str | None = None,
        priority: Priority | str | None = None,
        group: str | None = None,
        tier: int = 1,
        alert_key: str | None = None,
    ) -> Ticket:
        """
        Log a new ticket in this workflow's initial state.

        ``actor`` is who logged it (the requester by default, or an agent on their behalf).
        """
        requester_id = requester.id if isinstance(requester, Actor) else requester
        if actor is not None and not isinstance(actor, Actor):
            raise InvalidInput(f"actor must be an Actor, got {type(actor).__name__}")
        # TicketOpened checks and converts every field (naive times, blank titles, ...).
        return TicketOpened(
            at=at,
            actor=actor.id if actor is not None else requester_id,
            ticket_id=ticket_id,
            kind=self.kind,
            title=title,
            description=description,
            requester=requester_id,
            state=self.initial,
            category=category,
            service=service,
            # Strings are converted to the enums by TicketOpened's checks.
            impact=impact,  # type: ignore[arg-type]
            urgency=urgency,  # type: ignore[arg-type]
            priority=priority,  # type: ignore[arg-type]
            group=group,
            tier=tier,
            alert_key=alert_key,
        ).open()

    def fire(
        self,
        ticket: Ticket,
        trigger: str,
        *,
        actor: Actor,
        at: datetime,
        **details: str | int | None,
    ) -> Ticket:
        """
        Fire ``trigger`` on ``ticket``; return the new ticket with one more event.

        Details a transition knows (``reason``, ``resolution``, ``hold_reason``, ``group``,
        ``assignee``, ``tier``) set the ticket's fields; others are kept on the event. If the
        trigger does not leave the ticket's state or a guard refuses it, raise
        [`InvalidTransition`][deskflow.exceptions.InvalidTransition] naming what is allowed;
        ``ticket`` is immutable, so nothing has changed.
        """
        event = self.event_for(ticket, trigger, actor=actor, at=at, **details)
        return event.apply_to(ticket)

    def event_for(
        self,
        ticket: Ticket,
        trigger: str,
        *,
        actor: Actor,
        at: datetime,
        **details: str | int | None,
    ) -> StateChanged:
        """
        The event firing ``trigger`` would record, without applying it (see `fire()`).
        """
        if not isinstance(ticket, Ticket):
            raise InvalidInput(f"ticket must be a Ticket, got {type(ticket).__name__}")
        if not isinstance(actor, Actor):
            raise InvalidInput(f"actor must be an Actor, got {type(actor).__name__}")
        if type(at) is not datetime or at.tzinfo is None:
            _checks.aware("at", at)
        if at < ticket.updated_at:
            raise InvalidInput(
                f"at={at.isoformat()} is earlier than the ticket's last change at "
                f"{ticket.updated_at.isoformat()}"
            )
        state = ticket.state
        allowed = self._allowed.get(state)
        if allowed is None:
            raise InvalidInput(
                f"ticket {ticket.id} is in state {state!r}, which workflow {self.name!r} "
                "does not have"
            )
        event = self._machine.events.get(trigger) if isinstance(trigger, str) else None
        if event is None:
            raise InvalidTransition(
                f"unknown trigger {trigger!r} for workflow {self.name!r}; "
                f"allowed from {state!r}: {', '.join(allowed) or 'nothing (final state)'}",
                trigger=str(trigger),
                state=state,
                allowed=allowed,
            )
        spec = self._specs.get((state, trigger))
        merged: dict[str, str | int] = {}
        if details:
            checked_details(merged, details)
        if spec is not None and spec.sets:
            merged.update(spec.sets)  # what the transition always sets wins over the caller
        holder = Holder(state)
        refusals: list[str] = []
        try:
            if spec is not None and spec.checked:
                attempt = Attempt(ticket, trigger, actor, at, merged)
                fired = event.trigger(holder, attempt=attempt, refusals=refusals)
            else:
                # No guard will look: the hot path of plain transitions builds no context.
                fired = event.trigger(holder)
        except MachineError:
            fired = False
        if not fired:
            reason = refusals[0] if refusals else None
            why = f": {reason}" if reason else f" from state {state!r}"
            raise InvalidTransition(
                f"cannot {trigger} ticket {ticket.id}{why}; "
                f"allowed from {state!r}: {', '.join(allowed) or 'nothing (final state)'}",
                trigger=trigger,
                state=state,
                allowed=allowed,
                reason=reason,
            )
        if not merged:
            return StateChanged(
                at=at, actor=actor.id, trigger=trigger, source=state, dest=holder.state
            )
        tier = merged.get("tier")
        return StateChanged(
            at=at,
            actor=actor.id,
            trigger=trigger,
            source=state,
            dest=holder.state,
            reason=optional_str(merged.get("reason")),
            resolution=optional_str(merged.get("resolution")),
            hold_reason=optional_str(merged.get("hold_reason")),
            group=optional_str(merged.get("group")),
            assignee=optional_str(merged.get("assignee")),
            tier=tier if isinstance(tier, int) else None,
            extra=tuple(sorted((k, str(v)) for k, v in merged.items() if k not in KNOWN_DETAILS)),
        )

    def to_mermaid(self, *, group_from: int | None = 3) -> str:
        """
        The workflow as a Mermaid ``stateDiagram-v2``, drawn from the compiled table.

        A trigger that leads to one state from ``group_from`` states or more (``cancel``
        from every open state) would draw a fan of crossing edges. So the largest such set
        of source states is drawn as one box, ``any of these``, and every trigger it shares
        once, from the box. ``group_from=None`` draws each state's edges separately.
        """
        return state_diagram(
            self.states, self.initial, self.final, self._table, group_from=group_from
        )
