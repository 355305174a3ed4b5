"""
Automation rules as data: when a rule runs, what it checks and what it does.

A [`Rule`][deskflow.rules.Rule] names the events it watches (``when``: kinds of
[`RuleTrigger`][deskflow.enums.RuleTrigger], or ``time``), a condition tree (field tests,
"changed", the triggering event, time in business hours; ``All`` / ``AnyOf`` / ``Not``) and
its actions. A [`RuleSet`][deskflow.rules.RuleSet] holds the rules in their explicit order with
a hit policy and a cascade bound. The same objects come from a desk's TOML configuration.

The engine ([`deskflow.automation`][deskflow.automation]) runs the rules inside the decision of
the command that caused the event, so what they change is saved with it; each firing carries
a dedup key (rule, ticket, episode), so no rule fires twice for one episode.

This module is the model: pure values and how a condition reads a ticket. It imports no
engine, no desk and no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TypeAlias

import attrs

from deskflow._internal import rule_conditions as _conditions
from deskflow._internal import rule_time as _time
from deskflow.enums import Audience, HitPolicy, Metric, Priority, RuleTrigger
from deskflow.fields import FieldValue
from deskflow.ticket import Event, Ticket

if TYPE_CHECKING:
    from deskflow.calendars import BusinessCalendar
    from deskflow.routing import Candidate
    from deskflow.sla import SlaPolicy

__all__ = [
    "Action",
    "AddComment",
    "AddTags",
    "All",
    "AnyOf",
    "ApplyMacro",
    "Assign",
    "BeforeDue",
    "BusinessDays",
    "Condition",
    "ConditionResult",
    "Field",
    "FireTrigger",
    "InStateFor",
    "Not",
    "Notify",
    "Op",
    "PeopleDirectory",
    "RemoveTags",
    "Route",
    "Rule",
    "RuleContext",
    "RuleSet",
    "SetFields",
    "SetPriority",
    "SinceEvent",
    "Stop",
    "TimeCondition",
    "Triggered",
    "Wait",
    "walk",
]

#: A value a condition compares with: a field value, a priority, None (unset), or a set of
#: them (for ``in`` / ``not_in`` / ``contains``).
Operand: TypeAlias = FieldValue | Priority | frozenset[object] | None


class PeopleDirectory(Protocol):
    """
    What the host knows of people, for rules: their attributes (``vip``, ``organization``,
    ``locale``, ...), read by conditions on ``requester.<attribute>`` and
    ``assignee.<attribute>``, and the agents of a group, for the ``route`` action.
    """

    def attributes(self, person_id: str) -> Mapping[str, object]:
        """
        The attributes of ``person_id`` (an empty mapping for someone unknown).
        """
        ...

    def candidates(self, group: str) -> Sequence[Candidate]:
        """
        The agents who may get a ticket of ``group``, for the routing policy.
        """
        ...


@attrs.frozen
class BusinessDays:
    """
    A number of business days on the ticket's calendar (``"2bd"`` in a configuration): the
    same point of the working day, ``days`` business days later (Monday 15:00 plus 2
    business days is Wednesday 15:00 on a Monday-to-Friday calendar; from outside business
    hours, counted from the next opening). Time conditions take it or a ``timedelta`` of
    business time.
    """

    days: int


#: How long a time condition waits: business time, or whole business days.
Wait: TypeAlias = timedelta | BusinessDays


@attrs.frozen
class RuleContext:
    """
    What a condition reads: the ticket as it is now (after every event so far, rules'
    changes included), the instant, what the rule is evaluated for (``trigger``; ``time``
    for a time rule), the triggering ``event`` and the ticket just ``before`` it (None for
    an opening and for time rules: nothing "changed"), the ticket's SLA ``calendar`` and
    ``sla`` policy (business time), and the host's ``people`` directory.
    """

    ticket: Ticket
    now: datetime
    trigger: RuleTrigger
    event: Event | None = None
    before: Ticket | None = None
    calendar: BusinessCalendar | None = None
    sla: SlaPolicy | None = None
    people: PeopleDirectory | None = None


@attrs.frozen
class ConditionResult:
    """
    One line of an explanation: the ``path`` of a condition in its rule (``("all", 0)``),
    what it tests in words, and whether it held.
    """

    path: tuple[str | int, ...]
    text: str
    held: bool


class Op:
    """
    The operators of a [`Field`][deskflow.rules.Field] condition, as the strings a
    configuration uses.
    """

    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"
    IS_SET = "is_set"
    IS_NOT_SET = "is_not_set"
    CHANGED = "changed"
    CHANGED_FROM = "changed_from"
    CHANGED_TO = "changed_to"

    #: The operators that take no value.
    UNARY: frozenset[str] = frozenset({IS_SET, IS_NOT_SET, CHANGED})
    #: Every operator.
    ALL: frozenset[str] = UNARY | {EQ, NE, IN, NOT_IN, CONTAINS, NOT_CONTAINS, GT, GE, LT, LE}
    ALL |= {CHANGED_FROM, CHANGED_TO}


class Condition:
    """
    The base of every condition. ``test`` says whether it holds in a context; ``explain``
    says so part by part. A host may subclass it.
    """

    def test(self, context: RuleContext) -> bool:
        """
        Whether the condition holds in ``context``.
        """
        raise NotImplementedError

    def explain(
        self, context: RuleContext, path: tuple[str | int, ...] = ()
    ) -> list[ConditionResult]:
        """
        Whether each part of the condition held, in order, with its path: this one's line,
        then its children's (a time condition also says when it comes true).
        """
        lines = [ConditionResult(path, _conditions.describe(self, context), self.test(context))]
        for index, child in enumerate(self.children()):
            lines += child.explain(context, _conditions.child_path(self, path, index))
        return lines

    def children(self) -> tuple[Condition, ...]:
        """
        The conditions nested in this one (none for a leaf).
        """
        return ()


class TimeCondition(Condition):
    """
    A condition that comes true with time: after some business time in a state, since an
    event, or before an SLA clock is due. ``ready_at`` is the instant it comes true in the
    current episode (None: not in this episode), which feeds the ticket's next check time,
    so time rules need no sweep; ``episode`` names the episode (the event that started it),
    so a time rule fires once per episode.
    """

    def ready_at(self, context: RuleContext) -> datetime | None:
        """
        When the condition comes (or came) true in the current episode, or None.
        """
        raise NotImplementedError

    def episode(self, context: RuleContext) -> str | None:
        """
        A name for the current episode (e.g. ``"e7"``: the event at position 7 started it),
        or None when there is none (the ticket is not in the state).
        """
        raise NotImplementedError


@attrs.frozen
class Field(Condition):
    """
    A test of one field of the ticket. ``path`` is a built-in field (``state``, ``kind``,
    ``priority``, ``impact``, ``urgency``, ``category``, ``service``, ``group``,
    ``assignee``, ``tier``, ``requester``, ``title``, ``hold_reason``, ``tags``), a custom
    field (``fields.<name>``) or a person's attribute the host supplies
    (``requester.<attribute>``, ``assignee.<attribute>``). ``op`` is one of
    [`Op`][deskflow.rules.Op]; ``changed``, ``changed_from`` and ``changed_to`` compare the
    ticket before and after the triggering event.
    """

    path: str
    op: str = Op.EQ
    value: Operand = None

    def test(self, context: RuleContext) -> bool:
        """
        Whether the field's value passes ``op`` (``changed``: differs from before the event).
        """
        return _conditions.field_holds(self.path, self.op, self.value, context)


@attrs.frozen
class Triggered(Condition):
    """
    The rule is being evaluated for one of these kinds of event (useful inside ``AnyOf``).
    """

    triggers: frozenset[RuleTrigger]

    def test(self, context: RuleContext) -> bool:
        """
        Whether the rule runs for one of ``triggers``.
        """
        return context.trigger in self.triggers


@attrs.frozen
class All(Condition):
    """
    Every condition holds (an empty list holds).
    """

    conditions: tuple[Condition, ...]

    def test(self, context: RuleContext) -> bool:
        return all(c.test(context) for c in self.conditions)

    def children(self) -> tuple[Condition, ...]:
        return self.conditions


@attrs.frozen
class AnyOf(Condition):
    """
    At least one condition holds.
    """

    conditions: tuple[Condition, ...]

    def test(self, context: RuleContext) -> bool:
        return any(c.test(context) for c in self.conditions)

    def children(self) -> tuple[Condition, ...]:
        return self.conditions


@attrs.frozen
class Not(Condition):
    """
    The condition does not hold.
    """

    condition: Condition

    def test(self, context: RuleContext) -> bool:
        return not self.condition.test(context)

    def children(self) -> tuple[Condition, ...]:
        return (self.condition,)


@attrs.frozen
class InStateFor(_time.InStateForTimes, TimeCondition):
    """
    The ticket has been in ``state`` for at least ``duration`` of business time (on its SLA
    calendar); the episode is the ticket's entry into the state.
    """

    state: str
    duration: Wait


@attrs.frozen
class SinceEvent(_time.SinceEventTimes, TimeCondition):
    """
    At least ``duration`` of business time has passed since the last event of kind
    ``event``; the episode is that event.
    """

    event: RuleTrigger
    duration: Wait


@attrs.frozen
class BeforeDue(_time.BeforeDueTimes, TimeCondition):
    """
    The ``metric``'s SLA clock is running and due within ``duration`` of business time;
    the episode is the clock's cycle.
    """

    metric: Metric
    duration: Wait


class Action:
    """
    The base of every action a rule takes. Its changes are recorded as ordinary events
    (with the rule named as the reason) in the command's own save.
    """


@attrs.frozen
class SetFields(Action):
    """
    Set custom fields (None clears one).
    """

    values: Mapping[str, FieldValue | None] = attrs.field(hash=False)


@attrs.frozen
class AddTags(Action):
    """
    Add tags.
    """

    tags: tuple[str, ...]


@attrs.frozen
class RemoveTags(Action):
    """
    Remove tags.
    """

    tags: tuple[str, ...]


@attrs.frozen
class SetPriority(Action):
    """
    Set the priority (recorded with the rule as the reason).
    """

    priority: Priority


@attrs.frozen
class Assign(Action):
    """
    Hand the ticket to a group and/or an assignee (the workflow's ``assign``).
    """

    group: str | None = None
    assignee: str | None = None


@attrs.frozen
class Route(Action):
    """
    Let the desk's routing policy pick an assignee among the candidates of ``group`` (the
    ticket's group if None) that the people directory lists.
    """

    group: str | None = None


@attrs.frozen
class FireTrigger(Action):
    """
    Fire a workflow trigger with its details (``resolution`` for ``resolve``,
    ``hold_reason`` for ``hold``, ...).
    """

    trigger: str
    details: Mapping[str, str | int] = attrs.field(factory=dict, hash=False)


@attrs.frozen
class AddComment(Action):
    """
    Add a public reply (``internal=False``) or an internal note from the desk's text
    template ``text``.
    """

    text: str
    internal: bool = False


@attrs.frozen
class Notify(Action):
    """
    Queue a notification with ``template`` for ``recipients``: person or group ids, or
    ``@requester``, ``@assignee``, ``@group``, ``@supervisor`` (of the ticket's group) and
    ``@manager`` (of the assignee). A requester audience is told only what a requester may
    see.
    """

    template: str
    recipients: tuple[str, ...]
    audience: Audience = Audience.STAFF


@attrs.frozen
class ApplyMacro(Action):
    """
    Apply the desk's macro ``macro`` (its steps, as the system).
    """

    macro: str


@attrs.frozen
class Stop(Action):
    """
    Stop: no later rule of the rule set runs for this event.
    """


@attrs.frozen
class Rule:
    """
    A named rule: the kinds of event it runs on (``when``; ``time`` for a time rule),
    its condition (None: always), its actions in order, and which ticket kinds it applies
    to (None: all).
    """

    name: str
    when: frozenset[RuleTrigger]
    actions: tuple[Action, ...]
    condition: Condition | None = None
    description: str = ""
    kinds: frozenset[str] | None = None


@attrs.frozen
class RuleSet:
    """
    A desk's rules in their explicit order, with the hit policy and the cascade bound: how
    many times rules' changes may trigger rules again within one command (default 10).
    """

    rules: tuple[Rule, ...] = attrs.field(default=(), converter=tuple[Rule, ...])
    hit_policy: HitPolicy = HitPolicy.ALL
    max_cascade: int = 10
    _index: _conditions.RuleIndex = attrs.field(init=False, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_index", _conditions.RuleIndex(self.rules))

    def for_trigger(self, trigger: RuleTrigger) -> tuple[Rule, ...]:
        """
        The rules that run on ``trigger``, in order (an index: a comment does not look at
        rules about priority changes).
        """
        return self._index.by_trigger.get(trigger, ())

    def position(self, name: str) -> int:
        """
        Where the rule called ``name`` is in the order (0 first); InvalidInput if none is.
        """
        return self._index.position(name)

    def named(self, name: str) -> Rule:
        """
        The rule called ``name``; InvalidInput naming the known rules otherwise.
        """
        return self.rules[self._index.position(name)]


def walk(condition: Condition | None) -> Iterable[Condition]:
    """
    ``condition`` and every condition nested in it, depth first.
    """
    if condition is None:
        return
    stack = [condition]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))
