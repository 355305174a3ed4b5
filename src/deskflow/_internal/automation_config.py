"""
The automation sections of a desk's configuration — ``[fields.*]``, ``[texts]``,
``[automation]``, ``[[rules]]`` and ``[macros.*]`` — and how they become the model objects
of [`deskflow.fields`][deskflow.fields], [`deskflow.rules`][deskflow.rules] and
[`deskflow.macros`][deskflow.macros].

What the values mean (a field that exists, a text that is defined, a trigger the condition
allows) is checked when the [`Desk`][deskflow.desk.Desk] is built, so rules written in
Python are checked the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from deskflow._internal.automation_forms import (
    ActionForm,
    AddTagsAction,
    AllForm,
    AnyForm,
    AssignAction,
    BeforeDueForm,
    ConditionForm,
    EventForm,
    FieldTest,
    FireAction,
    InStateForm,
    MacroAction,
    NoteAction,
    NotForm,
    NotifyAction,
    RemoveTagsAction,
    ReplyAction,
    RouteAction,
    RuleForm,
    SetFieldsAction,
    SetPriorityAction,
    SinceForm,
    StopAction,
    parse_wait,
)
from deskflow._internal.config_models import ConfigModel, doc, docs
from deskflow._internal.config_problems import Problem, Problems
from deskflow.enums import FieldType, HitPolicy
from deskflow.exceptions import InvalidInput
from deskflow.fields import CustomField
from deskflow.macros import Macro, MacroStep
from deskflow.rules import (
    Action,
    AddComment,
    AddTags,
    All,
    AnyOf,
    ApplyMacro,
    Assign,
    BeforeDue,
    Condition,
    FireTrigger,
    InStateFor,
    Not,
    Notify,
    Op,
    RemoveTags,
    Route,
    Rule,
    RuleSet,
    SetFields,
    SetPriority,
    SinceEvent,
    Stop,
    Triggered,
)
from deskflow.rules import Field as FieldCondition

__all__ = ["AutomationSections", "automation_parts", "named_rule_paths"]


class FieldSpec(ConfigModel):
    """
    A custom field (``[fields.<name>]``): its type, the options of a choice, and whether
    only staff see and set it.
    """

    type: FieldType = doc("The type of the field.", "choice")
    options: list[str] = docs(
        "The options of a `choice` or `multi_choice` field.", ["gold", "silver"], list
    )
    staff_only: bool = doc("Only staff see and set it; requesters never see it.", True, False)
    description: str = doc("What the field is for, for people.", "The support contract", "")


class AutomationSpec(ConfigModel):
    """
    How the rules run: every matching rule or only the first, and how many times rules'
    changes may trigger rules again within one command.
    """

    hit_policy: HitPolicy = doc(
        "`all`: every matching rule in order; `first`: only the first.", "first", HitPolicy.ALL
    )
    max_cascade: Annotated[int, Field(strict=True, gt=0)] = doc(
        "How deep rules may trigger rules; deeper, the command is refused with the chain.",
        10,
        10,
    )


class MacroStepSpec(ConfigModel):
    """
    One command of a macro and its options (the command's keyword arguments; ``text``
    names a desk text where the command takes free text).
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    command: str = doc("The command.", "resolve")


class MacroSpec(ConfigModel):
    """
    A macro (``[macros.<name>]``): named steps applied in order as one atomic change.
    """

    description: str = doc("What the macro does, for people.", "Reset a password", "")
    steps: list[MacroStepSpec] = doc(
        "The commands, in order.",
        [{"command": "resolve", "text": "password_reset_done"}],
        min_length=1,
    )


class AutomationSections(ConfigModel):
    """
    The automation sections of a desk's configuration.
    """

    fields: dict[str, FieldSpec] = docs(
        "Custom fields by name.", {"contract": {"type": "choice", "options": ["gold"]}}, dict
    )
    texts: dict[str, str] = docs(
        "Text templates by name, for rules' replies and notes and for macros "
        "(`$id`, `$title`, `$requester`, ...).",
        {"pending_reminder": "Hello $requester, we still need your answer on $id."},
        dict,
    )
    automation: AutomationSpec = doc(
        "How the rules run.", {"hit_policy": "all", "max_cascade": 10}, AutomationSpec()
    )
    rules: list[RuleForm] = docs(
        "The automation rules, in order (an array of tables).",
        [{"name": "P1 to netops", "when": ["opened"], "then": [{"assign": {"group": "netops"}}]}],
        list,
    )
    macros: dict[str, MacroSpec] = docs(
        "Macros by name.", {"password_reset": {"steps": [{"command": "resolve"}]}}, dict
    )


def named_rule_paths(problems: Sequence[Problem], data: Mapping[str, Any]) -> list[Problem]:
    """
    The problems with each ``("rules", <index>, ...)`` path naming the rule instead, as
    every rule error does (the index where the rule has no name).
    """
    rules = data.get("rules")
    names: dict[int, str] = {}
    if isinstance(rules, list):
        for i, rule in enumerate(rules):
            name = rule.get("name") if isinstance(rule, Mapping) else None
            if isinstance(name, str) and name.strip():
                names[i] = name
    out: list[Problem] = []
    for where, message in problems:
        if len(where) > 1 and where[0] == "rules" and isinstance(where[1], int):
            where = ("rules", names.get(where[1], where[1]), *where[2:])
        out.append((where, message))
    return out


def automation_parts(config: AutomationSections) -> dict[str, Any]:
    """
    The keyword arguments of [`Desk`][deskflow.desk.Desk] the sections describe: its
    ``fields``, ``texts``, ``rules`` and ``macros``.
    """
    problems = Problems()
    fields: dict[str, CustomField] = {}
    for name, spec in config.fields.items():
        with problems.at("fields", name):
            fields[name] = CustomField(
                name,
                spec.type,
                options=tuple(spec.options),
                staff_only=spec.staff_only,
                description=spec.description,
            )
    problems.raise_any()
    rules = tuple(_rule(form, fields) for form in config.rules)
    macros = {
        name: Macro(
            name,
            tuple(MacroStep(s.command, dict(s.model_extra or {})) for s in spec.steps),
            description=spec.description,
        )
        for name, spec in config.macros.items()
    }
    return {
        "fields": fields,
        "texts": dict(config.texts),
        "rules": RuleSet(
            rules,
            hit_policy=config.automation.hit_policy,
            max_cascade=config.automation.max_cascade,
        ),
        "macros": macros,
    }


def _rule(form: RuleForm, fields: Mapping[str, CustomField]) -> Rule:
    return Rule(
        form.name,
        frozenset(form.when),
        tuple(_action(a, fields) for a in form.then),
        condition=_condition(form.if_, fields) if form.if_ is not None else None,
        description=form.description,
        kinds=frozenset(k.value for k in form.kinds) if form.kinds is not None else None,
    )


def _value(path: str, value: object, fields: Mapping[str, CustomField]) -> Any:
    """
    A value as the file writes it, in the form the field holds (a decimal, a sorted tuple of
    options) where the field is declared and accepts it; the desk's check reports the rest.
    """
    spec = fields.get(path.removeprefix("fields.")) if path.startswith("fields.") else None
    if spec is not None:
        if spec.type is FieldType.DECIMAL and isinstance(value, float):
            value = str(value)  # a file's 1.5 is the decimal 1.5, not the float's binary digits
        try:
            return spec.check(value)
        except (InvalidInput, NotImplementedError):
            pass
    return tuple(value) if isinstance(value, list) else value


def _condition(form: ConditionForm, fields: Mapping[str, CustomField]) -> Condition:
    if isinstance(form, FieldTest):
        op = form.operators()[0]
        raw = getattr(form, "in_" if op == Op.IN else op)
        value: Any
        if op in Op.UNARY:
            value = None
        elif op in (Op.IN, Op.NOT_IN):
            value = frozenset(_value(form.field, item, fields) for item in raw)
        elif op in (Op.CONTAINS, Op.NOT_CONTAINS):
            value = raw
        else:
            value = _value(form.field, raw, fields)
        return FieldCondition(form.field, op, value)
    if isinstance(form, AllForm):
        return All(tuple(_condition(c, fields) for c in form.all))
    if isinstance(form, AnyForm):
        return AnyOf(tuple(_condition(c, fields) for c in form.any))
    if isinstance(form, NotForm):
        return Not(_condition(form.not_, fields))
    if isinstance(form, EventForm):
        return Triggered(frozenset(form.event))
    if isinstance(form, InStateForm):
        return InStateFor(form.in_state, parse_wait(form.for_))
    if isinstance(form, SinceForm):
        return SinceEvent(form.since, parse_wait(form.for_))
    assert isinstance(form, BeforeDueForm)
    return BeforeDue(form.before_due, parse_wait(form.within))


def _action(form: ActionForm, fields: Mapping[str, CustomField]) -> Action:
    if isinstance(form, SetFieldsAction):
        return SetFields({k: _value(f"fields.{k}", v, fields) for k, v in form.set_fields.items()})
    if isinstance(form, AddTagsAction):
        return AddTags(tuple(form.add_tags))
    if isinstance(form, RemoveTagsAction):
        return RemoveTags(tuple(form.remove_tags))
    if isinstance(form, SetPriorityAction):
        return SetPriority(form.set_priority)
    if isinstance(form, AssignAction):
        return Assign(group=form.assign.group, assignee=form.assign.assignee)
    if isinstance(form, RouteAction):
        return Route(group=form.route.group)
    if isinstance(form, FireAction):
        return FireTrigger(form.fire.trigger, dict(form.fire.model_extra or {}))
    if isinstance(form, ReplyAction):
        return AddComment(form.reply)
    if isinstance(form, NoteAction):
        return AddComment(form.note, internal=True)
    if isinstance(form, NotifyAction):
        spec = form.notify
        return Notify(spec.template, tuple(spec.to), audience=spec.audience)
    if isinstance(form, MacroAction):
        return ApplyMacro(form.macro)
    assert isinstance(form, StopAction)
    return Stop()
