"""
The check of a desk's automation when the [`Desk`][deskflow.desk.Desk] is built: its custom
fields, texts, rules and macros, whether written in TOML or in Python.

Every problem names where it is, as a configuration file writes it: a rule by its name
(``rules.<name>.if.all.0.field``, ``rules.<name>.then.1.fire``), a field or a text by its
key. Beyond what each part is (a field that exists, an operator, an option of a choice, a
text, a macro, a trigger, a state, a metric), it finds what can never work: a time rule
without a time condition, a time condition in a rule that only runs on events, a ``changed``
test in a time rule, and an action the condition never allows (firing
``reopen`` when the condition requires the state ``closed``).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from deskflow._internal.macro_checks import macro_problems
from deskflow.enums import (
    Audience,
    FieldType,
    HitPolicy,
    Impact,
    Metric,
    Priority,
    RuleTrigger,
    TicketKind,
    Urgency,
)
from deskflow.exceptions import ConfigError, InvalidInput
from deskflow.rules import (
    Action,
    AddComment,
    AddTags,
    All,
    AnyOf,
    ApplyMacro,
    Assign,
    BeforeDue,
    BusinessDays,
    Condition,
    Field,
    FireTrigger,
    InStateFor,
    Not,
    Notify,
    Op,
    RemoveTags,
    Route,
    Rule,
    SetFields,
    SetPriority,
    SinceEvent,
    TimeCondition,
    Triggered,
    walk,
)
from deskflow.texts import check_text

if TYPE_CHECKING:
    from deskflow.desk import Desk
    from deskflow.fields import CustomField
    from deskflow.states import Workflow

__all__ = ["automation_problems", "check_automation"]

Path = tuple[str | int, ...]
#: One problem: where, and what is wrong.
Problem = tuple[Path, str]
#: The built-in fields a condition reads, and what they hold.
_BUILTIN = {
    "state": "state",
    "kind": "kind",
    "priority": "priority",
    "impact": "impact",
    "urgency": "urgency",
    "tier": "number",
    "tags": "tags",
    **dict.fromkeys(
        ("category", "service", "group", "assignee", "requester", "title", "hold_reason"), "text"
    ),
}
_ENUMS: dict[str, type[Priority] | type[Impact] | type[Urgency] | type[TicketKind]] = {
    "priority": Priority,
    "impact": Impact,
    "urgency": Urgency,
    "kind": TicketKind,
}
_ORDERED = {Op.GT, Op.GE, Op.LT, Op.LE}
#: The deepest cascade a rule set may allow.
MAX_CASCADE = 1000
_CONTAINING = {Op.CONTAINS, Op.NOT_CONTAINS}
_SETS = {Op.IN, Op.NOT_IN}
_CHANGES = {Op.CHANGED, Op.CHANGED_FROM, Op.CHANGED_TO}
_RECIPIENTS = ("@requester", "@assignee", "@group", "@supervisor", "@manager")


def _hint(word: object, known: Iterable[str]) -> str:
    names = sorted(known)
    close = difflib.get_close_matches(str(word), names, n=1)
    if close:
        return f" (did you mean `{close[0]}`?)"
    return f"; known: {', '.join(names)}" if names else ""


def check_automation(desk: Desk) -> None:
    """
    Raise one [`ConfigError`][deskflow.exceptions.ConfigError] listing every problem of the
    desk's automation, if it has any.
    """
    problems = automation_problems(desk)
    if problems:
        raise ConfigError.from_problems(dict.fromkeys(problems))


def automation_problems(desk: Desk) -> list[Problem]:
    """
    Every problem of the desk's custom fields, texts, rules and macros, with its path.
    """
    if not (desk.fields or desk.texts or desk.rules.rules or desk.macros):
        return []
    checker = _Checker(desk)
    checker.check()
    return checker.found


class _Checker:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.found: list[Problem] = []

    def add(self, where: Path, message: str) -> None:
        self.found.append((where, message))

    def check(self) -> None:
        for key, spec in self.desk.fields.items():
            self.custom_field(key, spec)
        for name, text in self.desk.texts.items():
            try:
                check_text(name, text, self.desk.fields)
            except ConfigError as error:
                self.found.extend(error.problems)
        rules = self.desk.rules
        if not isinstance(rules.hit_policy, HitPolicy):
            self.add(
                ("automation", "hit_policy"), f"expected all or first, got {rules.hit_policy!r}"
            )
        cascade = rules.max_cascade
        if isinstance(cascade, bool) or not isinstance(cascade, int) or cascade < 1:
            self.add(("automation", "max_cascade"), f"must be a positive number, got {cascade!r}")
        elif cascade > MAX_CASCADE:
            # A bound nobody reaches is no bound: rules that undo each other would run on.
            self.add(("automation", "max_cascade"), f"must be at most {MAX_CASCADE}, got {cascade}")
        seen: set[str] = set()
        for rule in rules.rules:
            if rule.name in seen:
                self.add(("rules", rule.name), f"two rules are named {rule.name!r}")
            seen.add(rule.name)
            self.rule(rule)
        self.macros()

    def macros(self) -> None:
        self.found.extend(macro_problems(self.desk))

    # -- custom fields ---------------------------------------------------------------------

    def custom_field(self, key: str, spec: CustomField) -> None:
        # A CustomField checks itself when built; the desk checks it is filed under its name.
        if spec.name != key:
            self.add(("fields", key, "name"), f"the field under {key!r} is named {spec.name!r}")

    # -- rules -----------------------------------------------------------------------------

    def workflows(self, rule: Rule) -> list[Workflow]:
        kinds = rule.kinds
        return [
            wf for kind, wf in self.desk.workflows.items() if kinds is None or kind.value in kinds
        ]

    def rule(self, rule: Rule) -> None:
        where: Path = ("rules", rule.name)
        if not isinstance(rule.name, str) or not rule.name.strip():
            self.add(where, "a rule needs a name")
        if not rule.when:
            self.add((*where, "when"), "say when the rule runs: event kinds, or time")
        for trigger in rule.when:
            if not isinstance(trigger, RuleTrigger):
                self.add(
                    (*where, "when"), f"unknown event kind {trigger!r}{_hint(trigger, RuleTrigger)}"
                )
        for kind in rule.kinds or ():
            if kind not in {k.value for k in self.desk.workflows}:
                known = [k.value for k in self.desk.workflows]
                self.add((*where, "kinds"), f"unknown ticket kind {kind!r}{_hint(kind, known)}")
        if not self.workflows(rule):
            return
        timed = [c for c in walk(rule.condition) if isinstance(c, TimeCondition)]
        if RuleTrigger.TIME in rule.when and not timed:
            self.add(
                (*where, "when"),
                "a time rule needs a time condition (in_state, since or before_due) "
                "saying when it comes true",
            )
        if rule.condition is not None:
            self.condition(rule, rule.condition, (*where, "if"))
        pinned = _pinned_states(rule.condition, self.workflows(rule))
        for i, action in enumerate(rule.actions):
            self.action(rule, action, (*where, "then", i), pinned)

    def condition(self, rule: Rule, condition: Condition, where: Path) -> None:
        time_only = rule.when == {RuleTrigger.TIME}
        if isinstance(condition, TimeCondition) and RuleTrigger.TIME not in rule.when:
            self.add(
                where,
                "a time condition in a rule that runs only on events never waits: "
                "add `time` to `when` (a time rule)",
            )
        if isinstance(condition, All | AnyOf):
            key = "all" if isinstance(condition, All) else "any"
            for i, child in enumerate(condition.conditions):
                self.condition(rule, child, (*where, key, i))
        elif isinstance(condition, Not):
            self.condition(rule, condition.condition, (*where, "not"))
        elif isinstance(condition, Field):
            self.field_test(rule, condition, where, time_only)
        elif isinstance(condition, Triggered):
            self.triggered(rule, condition, where)
        elif isinstance(condition, InStateFor):
            self.state(rule, condition.state, (*where, "in_state"))
            self.wait(condition.duration, (*where, "for"))
        elif isinstance(condition, SinceEvent):
            if not isinstance(condition.event, RuleTrigger) or condition.event is RuleTrigger.TIME:
                known = [t.value for t in RuleTrigger if t is not RuleTrigger.TIME]
                self.add(
                    (*where, "since"),
                    f"unknown event kind {condition.event!r}{_hint(condition.event, known)}",
                )
            self.wait(condition.duration, (*where, "for"))
        elif isinstance(condition, BeforeDue):
            self.metric(rule, condition.metric, (*where, "before_due"))
            self.wait(condition.duration, (*where, "within"))

    def triggered(self, rule: Rule, condition: Triggered, where: Path) -> None:
        for trigger in condition.triggers:
            if not isinstance(trigger, RuleTrigger):
                self.add(
                    (*where, "event"),
                    f"unknown event kind {trigger!r}{_hint(trigger, RuleTrigger)}",
                )

    def wait(self, wait: object, where: Path) -> None:
        if isinstance(wait, BusinessDays):
            ok = isinstance(wait.days, int) and not isinstance(wait.days, bool) and wait.days >= 0
        else:
            ok = isinstance(wait, timedelta) and wait >= timedelta(0)
        if not ok:
            self.add(where, f"a wait is a duration or BusinessDays, not negative, got {wait!r}")

    def state(self, rule: Rule, state: object, where: Path) -> None:
        states = {s for wf in self.workflows(rule) for s in wf.states}
        if state not in states:
            self.add(where, f"unknown state {state!r}{_hint(state, states)}")

    def metric(self, rule: Rule, metric: object, where: Path) -> None:
        if not isinstance(metric, Metric):
            self.add(where, f"unknown SLA metric {metric!r}{_hint(metric, Metric)}")
            return
        kinds = [k for k in self.desk.workflows if rule.kinds is None or k.value in rule.kinds]
        if not any(metric in self.desk.sla[k].metrics for k in kinds if k in self.desk.sla):
            self.add(where, f"the desk's SLA does not measure {metric.value}")

    # -- field tests -----------------------------------------------------------------------

    def field_test(self, rule: Rule, test: Field, where: Path, time_only: bool) -> None:
        kind = self.field_kind(test.path)
        if kind is None:
            known = [*_BUILTIN, *(f"fields.{n}" for n in self.desk.fields)]
            self.add((*where, "field"), f"unknown field {test.path!r}{_hint(test.path, known)}")
            return
        op = test.op
        at: Path = (*where, op if isinstance(op, str) else "field")
        if op not in Op.ALL:
            self.add(at, f"unknown operator {op!r}{_hint(op, Op.ALL)}")
            return
        if time_only and op in _CHANGES:
            self.add(at, f"{op} never holds in a time rule: nothing changes at a tick")
        if op in Op.UNARY:
            if test.value is not None:
                self.add(at, f"{op} takes no value, got {test.value!r}")
            return
        spec = self.desk.fields.get(test.path.removeprefix("fields."))
        if op in _ORDERED and kind not in ("priority", "impact", "urgency", "number", "ordered"):
            self.add(at, f"{op} compares numbers, dates and priorities, not {test.path}")
            return
        if op in _CONTAINING and kind not in ("tags", "text", "multi", "person"):
            self.add(at, f"{op} looks into tags, texts and multi-choice fields, not {test.path}")
            return
        if op in _SETS:
            if not isinstance(test.value, Collection) or isinstance(test.value, str):
                self.add(at, f"{op} needs a set of values, got {test.value!r}")
                return
            values: list[object] = list(test.value)
        elif op in _CONTAINING and kind == "multi":
            values = [test.value]
            kind = "choice"
        else:
            values = [test.value]
        for value in values:
            self.field_value(rule, test.path, kind, spec, value, at)

    def field_kind(self, path: object) -> str | None:
        if not isinstance(path, str):
            return None
        if path in _BUILTIN:
            return _BUILTIN[path]
        head, _, rest = path.partition(".")
        if head in ("requester", "assignee") and rest:
            return "person"
        if head == "fields" and rest in self.desk.fields:
            ftype = self.desk.fields[rest].type
            if ftype in (FieldType.INTEGER, FieldType.DECIMAL, FieldType.DATE):
                return "ordered"
            return {FieldType.CHOICE: "choice", FieldType.MULTI_CHOICE: "multi"}.get(
                ftype, "text" if ftype in (FieldType.TEXT, FieldType.USER) else "custom"
            )
        return None

    def field_value(
        self,
        rule: Rule,
        path: str,
        kind: str,
        spec: CustomField | None,
        value: object,
        at: Path,
    ) -> None:
        if kind == "state":
            self.state(rule, value, at)
        elif kind in _ENUMS:
            enum = _ENUMS[kind]
            if value not in {m.value for m in enum}:
                self.add(at, f"unknown {kind} {value!r}{_hint(value, [m.value for m in enum])}")
        elif kind == "number" and (isinstance(value, bool) or not isinstance(value, int)):
            self.add(at, f"{path} is a whole number, got {value!r}")
        elif kind in ("choice", "multi") and spec is not None:
            items = value if isinstance(value, tuple | list | frozenset | set) else (value,)
            for item in items:
                if item not in spec.options:
                    close = difflib.get_close_matches(str(item), spec.options, n=1)
                    said = f" (did you mean `{close[0]}`?)" if close else ""
                    self.add(
                        at,
                        f"{item!r} is not an option of {spec.name}{said}; "
                        f"options: {', '.join(spec.options)}",
                    )
        elif spec is not None and value is not None:
            try:
                spec.check(value)
            except InvalidInput as error:
                self.add(at, str(error))
            except NotImplementedError:
                pass

    # -- actions ---------------------------------------------------------------------------

    def action(
        self, rule: Rule, action: Action, where: Path, pinned: frozenset[str] | None
    ) -> None:
        if isinstance(action, SetFields):
            for name, value in dict(action.values).items():
                spec = self.desk.fields.get(name)
                at: Path = (*where, "set_fields", name)
                if spec is None:
                    self.add(at, f"unknown field {name!r}{_hint(name, self.desk.fields)}")
                elif value is not None:
                    kind = self.field_kind(f"fields.{name}") or "custom"
                    self.field_value(rule, name, kind, spec, value, at)
        elif isinstance(action, AddTags | RemoveTags):
            key = "add_tags" if isinstance(action, AddTags) else "remove_tags"
            if not action.tags or not all(isinstance(t, str) and t.strip() for t in action.tags):
                self.add((*where, key), "tags are non-empty names")
        elif isinstance(action, SetPriority):
            if action.priority not in {p.value for p in Priority}:
                self.add((*where, "set_priority"), f"unknown priority {action.priority!r}")
        elif isinstance(action, Assign | Route):
            key = "assign" if isinstance(action, Assign) else "route"
            if isinstance(action, Assign) and action.group is None and action.assignee is None:
                self.add((*where, key), "name a group, an assignee or both")
            if isinstance(action, Route) and self.desk.routing is None:
                self.add((*where, key), "route needs the desk's routing policy, and it has none")
            self.allowed(rule, "assign", (*where, key), pinned)
        elif isinstance(action, FireTrigger):
            self.allowed(rule, action.trigger, (*where, "fire"), pinned)
        elif isinstance(action, AddComment):
            key = "note" if action.internal else "reply"
            if action.text not in self.desk.texts:
                self.add(
                    (*where, key),
                    f"unknown text {action.text!r}{_hint(action.text, self.desk.texts)}",
                )
        elif isinstance(action, Notify):
            self.notify(action, (*where, "notify"))
        elif isinstance(action, ApplyMacro) and action.macro not in self.desk.macros:
            self.add(
                (*where, "macro"),
                f"unknown macro {action.macro!r}{_hint(action.macro, self.desk.macros)}",
            )

    def notify(self, action: Notify, where: Path) -> None:
        if not isinstance(action.template, str) or not action.template.strip():
            self.add((*where, "template"), "a notification needs a template name")
        if not action.recipients:
            self.add((*where, "to"), "name at least one recipient")
        for recipient in action.recipients:
            if isinstance(recipient, str) and recipient.startswith("@"):
                if recipient not in _RECIPIENTS:
                    self.add(
                        (*where, "to"),
                        f"unknown recipient {recipient!r}{_hint(recipient, _RECIPIENTS)}",
                    )
            elif not isinstance(recipient, str) or not recipient.strip():
                self.add((*where, "to"), f"a recipient is an id or an @name, got {recipient!r}")
        if not isinstance(action.audience, Audience):
            self.add((*where, "audience"), f"expected staff or requester, got {action.audience!r}")

    def allowed(self, rule: Rule, trigger: str, where: Path, pinned: frozenset[str] | None) -> None:
        workflows = self.workflows(rule)
        known = {t for wf in workflows for t in wf.triggers}
        if trigger not in known:
            self.add(where, f"unknown trigger {trigger!r}{_hint(trigger, known)}")
            return
        leaving = {s for wf in workflows for s in wf.states if trigger in wf.allowed(s)}
        if pinned is not None and not pinned & leaving:
            self.add(
                where,
                f"can never fire {trigger}: the condition requires the state "
                f"{' or '.join(sorted(pinned)) or '(none)'}, and {trigger} leaves only "
                f"{', '.join(sorted(leaving))}",
            )


def _pinned_states(condition: Condition | None, workflows: list[Workflow]) -> frozenset[str] | None:
    """
    The states the ticket can be in when ``condition`` holds, or None when it does not say.
    """
    every = frozenset(s for wf in workflows for s in wf.states)
    if isinstance(condition, InStateFor):
        return frozenset({condition.state})
    if isinstance(condition, Field) and condition.path == "state":
        value = condition.value
        named = (
            frozenset(value)
            if isinstance(value, Collection) and not isinstance(value, str)
            else frozenset({value})
        )
        if condition.op in (Op.EQ, Op.IN):
            return frozenset(s for s in named if isinstance(s, str))
        if condition.op in (Op.NE, Op.NOT_IN):
            return every - named
        return None
    if isinstance(condition, All):
        found = [_pinned_states(c, workflows) for c in condition.conditions]
        parts = [p for p in found if p is not None]
        return frozenset.intersection(*parts) if parts else None
    if isinstance(condition, AnyOf):
        either = [_pinned_states(c, workflows) for c in condition.conditions]
        if not either or any(p is None for p in either):
            return None
        return frozenset().union(*(p for p in either if p is not None))
    return None
