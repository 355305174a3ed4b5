"""
The forms of conditions and actions in a desk's configuration (``[[rules]]``'s ``if`` and
``then``), as pydantic models: what the file may say, checked at the edge, and the JSON Schema
a host's rule editor uses (``rules_json_schema()``).

Each form is a table named by one key: a condition ``{ all = [...] }`` or
``{ field = "priority", eq = "P1" }``, an action ``{ assign = { group = "netops" } }``. The
key picks the form; a misspelled key is reported with the key it stands for.
"""

from __future__ import annotations

import difflib
import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, Union

from pydantic import AfterValidator, ConfigDict, Discriminator, Tag, TypeAdapter, model_validator

from deskflow._internal.config_models import ConfigModel, doc
from deskflow._internal.config_text import parse_duration
from deskflow.enums import Audience, Metric, Priority, RuleTrigger, TicketKind
from deskflow.rules import BusinessDays, Op, Wait

__all__ = [
    "ActionForm",
    "ConditionForm",
    "FieldTest",
    "RuleForm",
    "parse_wait",
    "rules_json_schema",
]

_BUSINESS_DAYS = re.compile(r"^\s*(\d+)\s*bd\s*$", re.IGNORECASE)


def parse_wait(value: object) -> Wait:
    """
    A wait as a configuration writes it: ``"2bd"`` (business days) or a duration of business
    time (``"10m"``, ``"16h"``, ``"1h30m"``), not negative.

    >>> parse_wait("2bd"), parse_wait("16h")
    (BusinessDays(days=2), datetime.timedelta(seconds=57600))
    """
    if isinstance(value, str) and (match := _BUSINESS_DAYS.match(value)):
        return BusinessDays(int(match.group(1)))
    try:
        wait = parse_duration(value)
    except ValueError as error:
        raise ValueError(f"{error}, or business days such as '2bd'") from None
    if wait < timedelta(0):
        raise ValueError(f"a wait must not be negative, got {value!r}")
    return wait


def _checked_wait(value: str) -> str:
    parse_wait(value)
    return value


#: A wait as written: "2bd", "10m", "16h".
WaitText = Annotated[str, AfterValidator(_checked_wait)]
#: A value a condition compares with, as a file writes it.
Scalar = str | int | float | bool | date
Value = Scalar | list[Scalar]


class _Form(ConfigModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FieldTest(_Form):
    """
    A test of one field: ``{ field = PATH, <operator> = VALUE }`` with exactly one operator
    (``is_set``, ``is_not_set`` and ``changed`` take ``true``).
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        json_schema_extra={"minProperties": 2, "maxProperties": 2},
    )

    field: str = doc(
        "A ticket field (`priority`, `state`, `tags`, ...), a custom field "
        "(`fields.<name>`) or a person's attribute (`requester.vip`).",
        "priority",
    )
    eq: Value | None = doc("Equal to.", "P1", None)
    ne: Value | None = doc("Not equal to.", "P5", None)
    in_: list[Scalar] | None = doc("One of.", ["P1", "P2"], None, alias="in")
    not_in: list[Scalar] | None = doc("None of.", ["P4", "P5"], None)
    contains: Scalar | None = doc("Holds (a tag, an option, a part of a text).", "vip", None)
    not_contains: Scalar | None = doc("Does not hold.", "spam", None)
    gt: Scalar | None = doc("Greater than.", 3, None)
    ge: Scalar | None = doc("Greater than or equal to.", 3, None)
    lt: Scalar | None = doc("Less than.", 3, None)
    le: Scalar | None = doc("Less than or equal to.", 3, None)
    is_set: Literal[True] | None = doc("Has a value.", True, None)
    is_not_set: Literal[True] | None = doc("Has no value.", True, None)
    changed: Literal[True] | None = doc("The triggering event changed it.", True, None)
    changed_from: Value | None = doc("The triggering event changed it from.", "P3", None)
    changed_to: Value | None = doc("The triggering event changed it to.", "P1", None)

    @model_validator(mode="after")
    def _one_operator(self) -> FieldTest:
        given = self.operators()
        if len(given) != 1:
            said = "none" if not given else ", ".join(given)
            raise ValueError(
                f"write exactly one operator with `field` (got {said}); "
                f"operators: {', '.join(sorted(Op.ALL))}"
            )
        return self

    def operators(self) -> list[str]:
        """
        The operators given, by their names in the file.
        """
        return [
            info.alias or name
            for name, info in type(self).model_fields.items()
            if name != "field" and name in self.model_fields_set
        ]


class AllForm(_Form):
    """
    Every condition holds: ``{ all = [...] }``.
    """

    all: list[ConditionForm] = doc("The conditions.", [{"field": "priority", "eq": "P1"}])


class AnyForm(_Form):
    """
    At least one condition holds: ``{ any = [...] }``.
    """

    any: list[ConditionForm] = doc("The conditions.", [{"field": "priority", "eq": "P1"}])


class NotForm(_Form):
    """
    The condition does not hold: ``{ not = {...} }``.
    """

    not_: ConditionForm = doc("The condition.", {"field": "assignee", "is_set": True}, alias="not")


class EventForm(_Form):
    """
    The rule runs for one of these kinds of event: ``{ event = ["requester_comment"] }``.
    """

    event: list[RuleTrigger] = doc("The kinds of event.", ["requester_comment"], min_length=1)


class InStateForm(_Form):
    """
    In a state for at least a business time: ``{ in_state = "pending", for = "2bd" }``.
    """

    in_state: str = doc("The state.", "pending")
    for_: WaitText = doc("How long, in business time.", "2bd", alias="for")


class SinceForm(_Form):
    """
    A business time since the last event of a kind: ``{ since = "agent_reply", for = "3bd" }``.
    """

    since: RuleTrigger = doc("The kind of event.", "agent_reply")
    for_: WaitText = doc("How long, in business time.", "3bd", alias="for")


class BeforeDueForm(_Form):
    """
    An SLA clock due within a business time: ``{ before_due = "resolution", within = "1h" }``.
    """

    before_due: Metric = doc("The SLA metric.", "resolution")
    within: WaitText = doc("How long before it is due.", "1h")


class AssignSpec(_Form):
    """
    Who gets the ticket: a group, an assignee, or both.
    """

    group: str | None = doc("The group.", "netops", None)
    assignee: str | None = doc("The agent.", "lee.l1", None)

    @model_validator(mode="after")
    def _someone(self) -> AssignSpec:
        if self.group is None and self.assignee is None:
            raise ValueError("name a group, an assignee or both")
        return self


class RouteSpec(_Form):
    """
    The group whose candidates the routing policy picks from (unset: the ticket's).
    """

    group: str | None = doc("The group.", "service-desk", None)


class FireSpec(_Form):
    """
    A workflow trigger and its details (``resolution``, ``reason``, ``hold_reason``, ...).
    """

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[str, str | int]

    trigger: str = doc("The workflow trigger.", "resolve")


class NotifySpec(_Form):
    """
    A notification: its template, its recipients and who it is written for.
    """

    template: str = doc("The notification template.", "p1_page", min_length=1)
    to: list[str] = doc(
        "Ids, or `@requester`, `@assignee`, `@group`, `@supervisor`, `@manager`.",
        ["@supervisor"],
        min_length=1,
    )
    audience: Audience = doc("Who it is written for.", "staff", Audience.STAFF)


class SetFieldsAction(_Form):
    """
    Set custom fields: ``{ set_fields = { contract = "gold" } }``.
    """

    set_fields: dict[str, Value] = doc("Field values by name.", {"contract": "gold"})


class AddTagsAction(_Form):
    """
    Add tags: ``{ add_tags = ["vip"] }``.
    """

    add_tags: list[str] = doc("The tags.", ["vip"], min_length=1)


class RemoveTagsAction(_Form):
    """
    Remove tags: ``{ remove_tags = ["waiting"] }``.
    """

    remove_tags: list[str] = doc("The tags.", ["waiting"], min_length=1)


class SetPriorityAction(_Form):
    """
    Set the priority: ``{ set_priority = "P1" }``.
    """

    set_priority: Priority = doc("The priority.", "P1")


class AssignAction(_Form):
    """
    Hand the ticket over: ``{ assign = { group = "netops" } }``.
    """

    assign: AssignSpec = doc("Group and/or assignee.", {"group": "netops"})


class RouteAction(_Form):
    """
    Let the routing policy pick an assignee: ``{ route = { group = "service-desk" } }``.
    """

    route: RouteSpec = doc("The group to route in.", {"group": "service-desk"})


class FireAction(_Form):
    """
    Fire a workflow trigger: ``{ fire = { trigger = "resolve", resolution = "..." } }``.
    """

    fire: FireSpec = doc("The trigger and its details.", {"trigger": "reopen", "reason": "reply"})


class ReplyAction(_Form):
    """
    Add a public reply from a desk text: ``{ reply = "pending_reminder" }``.
    """

    reply: str = doc("The name of a `[texts]` entry.", "pending_reminder")


class NoteAction(_Form):
    """
    Add an internal note from a desk text: ``{ note = "p1_checklist" }``.
    """

    note: str = doc("The name of a `[texts]` entry.", "p1_checklist")


class NotifyAction(_Form):
    """
    Queue a notification: ``{ notify = { template = "p1_page", to = ["@supervisor"] } }``.
    """

    notify: NotifySpec = doc("The notification.", {"template": "p1_page", "to": ["@group"]})


class MacroAction(_Form):
    """
    Apply a macro: ``{ macro = "password_reset" }``.
    """

    macro: str = doc("The name of a `[macros]` entry.", "password_reset")


class StopAction(_Form):
    """
    No later rule runs for this event: ``{ stop = true }``.
    """

    stop: Literal[True] = doc("Stop processing.", True)


#: The key that names each form, and the form.
_CONDITIONS: dict[str, type[_Form]] = {
    "field": FieldTest,
    "all": AllForm,
    "any": AnyForm,
    "not": NotForm,
    "event": EventForm,
    "in_state": InStateForm,
    "since": SinceForm,
    "before_due": BeforeDueForm,
}
_ACTIONS: dict[str, type[_Form]] = {
    "set_fields": SetFieldsAction,
    "add_tags": AddTagsAction,
    "remove_tags": RemoveTagsAction,
    "set_priority": SetPriorityAction,
    "assign": AssignAction,
    "route": RouteAction,
    "fire": FireAction,
    "reply": ReplyAction,
    "note": NoteAction,
    "notify": NotifyAction,
    "macro": MacroAction,
    "stop": StopAction,
}


def _picker(forms: dict[str, type[_Form]]) -> Any:
    def pick(value: object) -> str | None:
        if isinstance(value, _Form):
            return type(value).__name__
        if not isinstance(value, dict):
            return None
        for key, form in forms.items():
            if key in value:
                return form.__name__
        # A misspelled key: the form it stands for reports it, with the key it meant.
        for key in value:
            close = difflib.get_close_matches(str(key), list(forms), n=1)
            if close:
                return forms[close[0]].__name__
        return None

    return pick


def _union(forms: dict[str, type[_Form]], what: str, example: str) -> Any:
    branches = tuple(Annotated[form, Tag(form.__name__)] for form in forms.values())
    keys = ", ".join(forms)
    return Annotated[
        Union[branches],  # noqa: UP007  # a union built from a tuple of types
        Discriminator(
            _picker(forms),
            custom_error_type=f"{what}_form",
            custom_error_message=f"expected {what} table such as {example}; keys: {keys}",
        ),
    ]


if TYPE_CHECKING:
    ConditionForm: TypeAlias = (
        FieldTest
        | AllForm
        | AnyForm
        | NotForm
        | EventForm
        | InStateForm
        | SinceForm
        | BeforeDueForm
    )
    ActionForm: TypeAlias = (
        SetFieldsAction
        | AddTagsAction
        | RemoveTagsAction
        | SetPriorityAction
        | AssignAction
        | RouteAction
        | FireAction
        | ReplyAction
        | NoteAction
        | NotifyAction
        | MacroAction
        | StopAction
    )
else:
    ConditionForm = _union(_CONDITIONS, "a condition", '{ field = "priority", eq = "P1" }')
    ActionForm = _union(_ACTIONS, "an action", '{ assign = { group = "netops" } }')
for _model in (AllForm, AnyForm, NotForm):
    _model.model_rebuild()


class RuleForm(_Form):
    """
    One automation rule: its name, when it runs, its condition and its actions, in the
    rule set's order (``[[rules]]``).
    """

    name: str = doc("The rule's name, unique in the desk.", "P1 network to netops", min_length=1)
    description: str = doc("What the rule is for, for people.", "Page netops on P1s", "")
    when: list[RuleTrigger] = doc(
        "The kinds of event it runs on, or `time` for a time rule.",
        ["opened", "priority_changed"],
        min_length=1,
    )
    kinds: list[TicketKind] | None = doc(
        "The kinds of ticket it applies to; unset, every kind.", ["incident"], None
    )
    if_: ConditionForm | None = doc(
        "The condition; unset, always.", {"field": "priority", "eq": "P1"}, None, alias="if"
    )
    then: list[ActionForm] = doc(
        "The actions, in order.", [{"assign": {"group": "netops"}}], min_length=1
    )


_RULES: TypeAdapter[list[RuleForm]] = TypeAdapter(list[RuleForm])


def rules_json_schema() -> dict[str, Any]:
    """
    The JSON Schema (draft 2020-12) of a desk's ``rules`` (an array of rules, with their
    conditions and actions), generated from the forms the configuration is checked with, for
    a host's rule editor.

    >>> schema = rules_json_schema()
    >>> schema["type"], sorted(schema["$defs"]["RuleForm"]["required"])
    ('array', ['name', 'then', 'when'])
    """
    schema = _RULES.json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "deskflow automation rules",
        **schema,
    }
