"""
How a [`Field`][deskflow.rules.Field] condition reads a ticket and compares: the values of
its paths (built-in fields, custom fields, people's attributes) and its operators.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from deskflow._internal.rule_time import explained
from deskflow.enums import Priority, RuleTrigger
from deskflow.exceptions import InvalidInput

if TYPE_CHECKING:
    from deskflow.rules import Condition, PeopleDirectory, Rule, RuleContext
    from deskflow.ticket import Ticket

#: The built-in fields a path may name, and how to read each.
BUILT_IN: Mapping[str, Callable[[Ticket], object]] = {
    "state": lambda t: t.state,
    "kind": lambda t: t.kind.value,
    "priority": lambda t: t.priority,
    "impact": lambda t: t.impact,
    "urgency": lambda t: t.urgency,
    "category": lambda t: t.category,
    "service": lambda t: t.service,
    "group": lambda t: t.group,
    "assignee": lambda t: t.assignee,
    "tier": lambda t: t.tier,
    "requester": lambda t: t.requester,
    "title": lambda t: t.title,
    "hold_reason": lambda t: t.hold_reason,
    "tags": lambda t: t.tags,
}

#: The prefixes of paths to a custom field and to a person's attribute.
PREFIXES = ("fields.", "requester.", "assignee.")


def read(path: str, ticket: Ticket | None, people: PeopleDirectory | None) -> object:
    """
    The value ``path`` names on ``ticket`` (None for no ticket, an unset value, an unknown
    person or attribute).
    """
    if ticket is None:
        return None
    reader = BUILT_IN.get(path)
    if reader is not None:
        return reader(ticket)
    head, _, rest = path.partition(".")
    if head == "fields":
        return ticket.fields.get(rest)
    if head in ("requester", "assignee") and rest:
        person = ticket.requester if head == "requester" else ticket.assignee
        if person is None or people is None:
            return None
        return people.attributes(person).get(rest)
    return None


def operand(path: str, value: object) -> object:
    """
    ``value`` in the type the field at ``path`` holds (a priority's name as a Priority, so
    ``ge P2`` compares by urgency).
    """
    if path != "priority":
        return value
    if isinstance(value, str) and not isinstance(value, Priority):
        try:
            return Priority(value)
        except ValueError:
            return value
    if isinstance(value, frozenset | set | tuple | list):
        return frozenset(operand(path, v) for v in value)
    return value


def _collection(value: object) -> bool:
    return isinstance(value, frozenset | set | tuple | list)


def _members(value: object) -> frozenset[object]:
    if isinstance(value, frozenset | set | tuple | list):
        return frozenset(value)
    return frozenset({value})


def is_set(value: object) -> bool:
    """
    True for a value that is there: not None, not an empty text or collection.
    """
    if value is None:
        return False
    if isinstance(value, str | frozenset | set | tuple | list):
        return bool(value)
    return True


def contains(actual: object, value: object) -> bool:
    """
    A collection holds every member of ``value``; a text holds ``value`` as a substring.
    """
    if actual is None:
        return False
    if _collection(actual):
        return _members(value) <= _members(actual)
    if isinstance(actual, str) and isinstance(value, str):
        return value in actual
    return False


def among(actual: object, value: object) -> bool:
    """
    ``actual`` is one of ``value`` (for a collection: one of its members is).
    """
    if actual is None:
        return False
    accepted = _members(value)
    if _collection(actual):
        return bool(_members(actual) & accepted)
    return actual in accepted


def ordered(op: str, actual: object, value: object) -> bool:
    """
    ``actual`` compared with ``value`` by ``gt``/``ge``/``lt``/``le``; False when either is
    unset or they do not compare (a text with a number).
    """
    if actual is None or value is None:
        return False
    try:
        if op == "gt":
            return bool(actual > value)  # type: ignore[operator]
        if op == "ge":
            return bool(actual >= value)  # type: ignore[operator]
        if op == "lt":
            return bool(actual < value)  # type: ignore[operator]
        return bool(actual <= value)  # type: ignore[operator]
    except TypeError:
        return False


def compare(op: str, actual: object, value: object, previous: object, changed: bool) -> bool:
    """
    Whether ``op`` holds for ``actual`` (and, for the ``changed`` operators, the value
    ``previous`` the field had before the event, and whether there was a before).
    """
    if op == "eq":
        return bool(actual == value)
    if op == "ne":
        return bool(actual != value)
    if op == "in":
        return among(actual, value)
    if op == "not_in":
        return not among(actual, value)
    if op == "contains":
        return contains(actual, value)
    if op == "not_contains":
        return not contains(actual, value)
    if op in ("gt", "ge", "lt", "le"):
        return ordered(op, actual, value)
    if op == "is_set":
        return is_set(actual)
    if op == "is_not_set":
        return not is_set(actual)
    moved = changed and previous != actual
    if op == "changed":
        return moved
    if op == "changed_from":
        return moved and bool(previous == value)
    if op == "changed_to":
        return moved and bool(actual == value)
    raise InvalidInput(f"unknown operator {op!r}")


def shown(value: object) -> str:
    """
    A value as an explanation writes it.
    """
    if value is None:
        return "(unset)"
    if isinstance(value, frozenset | set | tuple | list):
        return "[" + ", ".join(sorted(str(v) for v in value)) + "]"
    return str(value)


def field_holds(path: str, op: str, value: object, context: RuleContext) -> bool:
    """
    Whether the field at ``path`` passes ``op`` with ``value`` in ``context``.
    """
    actual = read(path, context.ticket, context.people)
    if op == "eq":  # the common case first (a priority's name equals the Priority)
        return bool(actual == value)
    if op in ("changed", "changed_from", "changed_to"):
        previous = read(path, context.before, context.people)
        return compare(op, actual, value, previous, context.before is not None)
    if op in _ORDERED:
        value = operand(path, value)  # priorities compare by urgency, not by name
    return compare(op, actual, value, None, False)


_ORDERED = frozenset({"gt", "ge", "lt", "le"})


def _built_in(condition: Condition) -> str | None:
    # The name of the built-in condition class ``condition`` is (or derives from).
    for klass in type(condition).__mro__:
        if klass.__module__ == "deskflow.rules":
            return klass.__name__
    return None


def describe(condition: Condition, context: RuleContext) -> str:
    """
    What ``condition`` tests, in words, with what it found.
    """
    kind = _built_in(condition)
    if kind == "Field":
        path, op, value = condition.path, condition.op, condition.value  # type: ignore[attr-defined]
        actual = shown(read(path, context.ticket, context.people))
        if op in ("changed", "changed_from", "changed_to"):
            before = shown(read(path, context.before, context.people))
            actual = f"{before} -> {actual}" if context.before is not None else "no before"
        wanted = "" if op in ("is_set", "is_not_set", "changed") else f" {shown(value)}"
        return f"{path} {op}{wanted} (is {actual})"
    if kind == "Triggered":
        wanted = ", ".join(sorted(condition.triggers))  # type: ignore[attr-defined]
        return f"triggered by {wanted} (is {context.trigger})"
    if kind in ("All", "AnyOf"):
        return f"{'all' if kind == 'All' else 'any'} of {len(condition.children())}"
    if kind == "Not":
        return "not"
    if callable(getattr(condition, "ready_at", None)):  # a time condition: when, too
        return explained(condition, context)[0]  # type: ignore[arg-type]
    return repr(condition)


_LABELS = {"All": "all", "AnyOf": "any"}


def child_path(
    condition: Condition, path: tuple[str | int, ...], index: int
) -> tuple[str | int, ...]:
    """
    The path of the ``index``-th child of ``condition`` at ``path``, as a configuration
    writes it: ``("all", 0)``, ``("any", 1)``, ``("not",)``.
    """
    kind = _built_in(condition)
    if kind == "Not":
        return (*path, "not")
    label = _LABELS.get(kind or "")
    return (*path, label, index) if label else (*path, index)


class RuleIndex:
    """
    A rule set's rules by trigger (in order) and the position of each by name.
    """

    def __init__(self, rules: Sequence[Rule]) -> None:
        by_trigger: dict[RuleTrigger, list[Rule]] = {}
        self.positions: dict[str, int] = {}
        for position, rule in enumerate(rules):
            self.positions.setdefault(rule.name, position)
            for trigger in sorted(rule.when):
                by_trigger.setdefault(RuleTrigger(trigger), []).append(rule)
        self.by_trigger = {t: tuple(r) for t, r in by_trigger.items()}

    def position(self, name: str) -> int:
        """
        Where the rule ``name`` is in the order; InvalidInput naming the known rules.
        """
        try:
            return self.positions[name]
        except (KeyError, TypeError):
            known = ", ".join(sorted(self.positions)) or "none"
            raise InvalidInput(f"no rule named {name!r}; known: {known}") from None
