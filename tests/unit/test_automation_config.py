"""
The automation sections of a desk's configuration: TOML and JSON forms of custom fields,
texts, the rule set's settings, rules and macros, and the problems a bad one reports.
"""

from __future__ import annotations

import json
import tomllib
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from deskflow.config import load_desk
from deskflow.enums import Audience, FieldType, HitPolicy, Metric, Priority, RuleTrigger
from deskflow.exceptions import ConfigError
from deskflow.fields import CustomField
from deskflow.macros import Macro, MacroStep
from deskflow.rules import (
    AddComment,
    AddTags,
    All,
    AnyOf,
    ApplyMacro,
    Assign,
    BeforeDue,
    BusinessDays,
    Field,
    FireTrigger,
    InStateFor,
    Not,
    Notify,
    RemoveTags,
    Route,
    Rule,
    SetFields,
    SetPriority,
    SinceEvent,
    Stop,
    Triggered,
)

#: The example of the shared design, as a desk admin writes it.
EXAMPLE = """
[fields.asset_tag]
type = "text"
[fields.contract]
type = "choice"
options = ["gold", "silver"]
staff_only = true

[texts]
pending_reminder = "Hello $requester, we still need your answer on $id ($title)."
password_reset_done = "Your password was reset."
p1_checklist = "P1: page the on-call."

[automation]
hit_policy = "first"
max_cascade = 5

[[rules]]
name = "P1 network to netops"
when = ["opened", "priority_changed", "classified"]
kinds = ["incident"]
if = { all = [ { field = "priority", eq = "P1" }, { field = "service", eq = "network" } ] }
then = [ { assign = { group = "netops" } },
         { notify = { template = "p1_page", to = ["@supervisor"] } } ]

[[rules]]
name = "remind pending requester"
when = ["time"]
if = { in_state = "pending", for = "2bd" }
then = [ { reply = "pending_reminder" } ]

[macros.password_reset]
description = "Reset a password and resolve"
steps = [ { command = "comment", text = "password_reset_done" },
          { command = "classify", category = "access" },
          { command = "resolve", text = "password_reset_done" } ]
"""


def problems(config: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ConfigError) as info:
        load_desk(config)
    return list(info.value.problems)


def rule(**more: Any) -> dict[str, Any]:
    return {"name": "r", "when": ["opened"], "then": [{"add_tags": ["x"]}], **more}


def test_the_shared_example_builds_its_objects(tmp_path: Path) -> None:
    """
    The example of the design loads into custom fields, texts, a rule set and macros.
    """
    path = tmp_path / "desk.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    desk = load_desk(path)
    assert CustomField("asset_tag", FieldType.TEXT) == desk.fields["asset_tag"]
    assert (
        CustomField("contract", FieldType.CHOICE, options=("gold", "silver"), staff_only=True)
        == (desk.fields["contract"])
    )
    assert desk.texts["pending_reminder"].startswith("Hello $requester")
    assert HitPolicy.FIRST == desk.rules.hit_policy
    assert 5 == desk.rules.max_cascade
    assert (
        Rule(
            "P1 network to netops",
            frozenset({RuleTrigger.OPENED, RuleTrigger.PRIORITY_CHANGED, RuleTrigger.CLASSIFIED}),
            (
                Assign(group="netops"),
                Notify("p1_page", ("@supervisor",), audience=Audience.STAFF),
            ),
            condition=All((Field("priority", "eq", "P1"), Field("service", "eq", "network"))),
            kinds=frozenset({"incident"}),
        )
        == desk.rules.rules[0]
    )
    assert (
        Rule(
            "remind pending requester",
            frozenset({RuleTrigger.TIME}),
            (AddComment("pending_reminder"),),
            condition=InStateFor("pending", BusinessDays(2)),
        )
        == desk.rules.rules[1]
    )
    assert (
        Macro(
            "password_reset",
            (
                MacroStep("comment", {"text": "password_reset_done"}),
                MacroStep("classify", {"category": "access"}),
                MacroStep("resolve", {"text": "password_reset_done"}),
            ),
            description="Reset a password and resolve",
        )
        == desk.macros["password_reset"]
    )


def test_json_gives_the_same_desk_as_toml(tmp_path: Path) -> None:
    """
    The same configuration as JSON builds the same rules, fields, texts and macros.
    """
    data = tomllib.loads(EXAMPLE)
    (tmp_path / "desk.toml").write_text(EXAMPLE, encoding="utf-8")
    (tmp_path / "desk.json").write_text(json.dumps(data), encoding="utf-8")
    toml, js = load_desk(tmp_path / "desk.toml"), load_desk(tmp_path / "desk.json")
    assert (toml.rules, toml.fields, toml.texts, toml.macros) == (
        js.rules,
        js.fields,
        js.texts,
        js.macros,
    )


def test_every_condition_form_becomes_its_condition() -> None:
    """
    Each condition form of the file (field tests with every operator, all/any/not, event,
    in_state, since, before_due) becomes the model's condition.
    """
    condition = {
        "any": [
            {"field": "priority", "in": ["P1", "P2"]},
            {"field": "tags", "contains": "vip"},
            {"field": "tier", "ge": 2},
            {"field": "assignee", "is_set": True},
            {"field": "priority", "changed_to": "P1"},
            {"not": {"field": "group", "is_not_set": True}},
            {"event": ["requester_comment"]},
            {"field": "fields.amount", "gt": 1.5},
        ]
    }
    desk = load_desk(
        {
            "fields": {"amount": {"type": "decimal"}},
            "rules": [rule(when=["opened", "requester_comment"], **{"if": condition})],
        }
    )
    parsed = desk.rules.rules[0].condition
    assert (
        AnyOf(
            (
                Field("priority", "in", frozenset({"P1", "P2"})),
                Field("tags", "contains", "vip"),
                Field("tier", "ge", 2),
                Field("assignee", "is_set", None),
                Field("priority", "changed_to", "P1"),
                Not(Field("group", "is_not_set", None)),
                Triggered(frozenset({RuleTrigger.REQUESTER_COMMENT})),
                Field("fields.amount", "gt", Decimal("1.5")),
            )
        )
        == parsed
    )


def test_time_condition_forms_and_waits() -> None:
    """
    ``in_state``/``since``/``before_due`` take business days (``2bd``) or business time.
    """
    condition = {
        "all": [
            {"in_state": "pending", "for": "16h"},
            {"since": "agent_reply", "for": "3bd"},
            {"before_due": "resolution", "within": "30m"},
        ]
    }
    desk = load_desk({"rules": [rule(when=["time"], **{"if": condition})]})
    assert (
        All(
            (
                InStateFor("pending", timedelta(hours=16)),
                SinceEvent(RuleTrigger.AGENT_REPLY, BusinessDays(3)),
                BeforeDue(Metric.RESOLUTION, timedelta(minutes=30)),
            )
        )
        == desk.rules.rules[0].condition
    )


def test_every_action_form_becomes_its_action() -> None:
    """
    Each action form of the file becomes the model's action, in order.
    """
    then = [
        {"set_fields": {"contract": "gold"}},
        {"add_tags": ["vip"]},
        {"remove_tags": ["waiting"]},
        {"set_priority": "P2"},
        {"assign": {"group": "netops", "assignee": "kim"}},
        {"fire": {"trigger": "hold", "hold_reason": "vendor"}},
        {"reply": "hello"},
        {"note": "hello"},
        {"notify": {"template": "t", "to": ["@group", "sam"], "audience": "requester"}},
        {"macro": "m"},
        {"stop": True},
    ]
    desk = load_desk(
        {
            "fields": {"contract": {"type": "choice", "options": ["gold"]}},
            "texts": {"hello": "Hello $requester"},
            "macros": {"m": {"steps": [{"command": "classify", "category": "access"}]}},
            "rules": [rule(then=then)],
        }
    )
    assert (
        SetFields({"contract": "gold"}),
        AddTags(("vip",)),
        RemoveTags(("waiting",)),
        SetPriority(Priority.P2),
        Assign(group="netops", assignee="kim"),
        FireTrigger("hold", {"hold_reason": "vendor"}),
        AddComment("hello"),
        AddComment("hello", internal=True),
        Notify("t", ("@group", "sam"), audience=Audience.REQUESTER),
        ApplyMacro("m"),
        Stop(),
    ) == desk.rules.rules[0].actions


def test_route_needs_the_desks_routing_policy() -> None:
    """
    A ``route`` action builds with a routing policy and is refused without one.
    """
    desk = load_desk(
        {"routing": {"name": "round_robin"}, "rules": [rule(then=[{"route": {"group": "g"}}])]}
    )
    assert (Route(group="g"),) == desk.rules.rules[0].actions
    assert [
        (
            ("rules", "r", "then", 0, "route"),
            "route needs the desk's routing policy, and it has none",
        )
    ] == problems({"rules": [rule(then=[{"route": {}}])]})


def test_a_misspelled_operator_names_the_rule_and_the_operator_it_meant() -> None:
    """
    An unknown key of a field test is reported at its path under the rule's name, with
    the operator it stands for.
    """
    bad = rule(**{"if": {"all": [{"field": "priority", "eqq": "P1"}]}})
    assert [
        (("rules", "r", "if", "all", 0, "eqq"), "unknown field `eqq` (did you mean `eq`?)")
    ] == problems({"rules": [bad]})


def test_a_misspelled_form_key_is_one_problem_with_the_key_it_meant() -> None:
    """
    ``asign`` for ``assign`` and ``nott`` for ``not`` are reported once, with a did-you-mean.
    """
    bad = rule(**{"if": {"nott": {"field": "x", "eq": 1}}, "then": [{"asign": {"group": "g"}}]})
    assert [
        (("rules", "r", "if", "nott"), "unknown field `nott` (did you mean `not`?)"),
        (("rules", "r", "then", 0, "asign"), "unknown field `asign` (did you mean `assign`?)"),
    ] == problems({"rules": [bad]})


def test_a_table_that_is_no_form_lists_the_forms() -> None:
    """
    A condition or action with no known key says which keys there are.
    """
    found = problems({"rules": [rule(**{"if": {"zzz": 1}, "then": ["stop"]})]})
    assert [("rules", "r", "if"), ("rules", "r", "then", 0)] == [p for p, _ in found]
    assert "keys: field, all, any, not" in found[0][1]
    assert "keys: set_fields, add_tags" in found[1][1]


def test_a_field_test_needs_exactly_one_operator() -> None:
    """
    ``{ field = ... }`` with no operator, or two, is refused with the operators listed.
    """
    for test in ({"field": "priority"}, {"field": "priority", "eq": "P1", "ne": "P2"}):
        [(where, message)] = problems({"rules": [rule(**{"if": test})]})
        assert ("rules", "r", "if") == where
        assert message.startswith("write exactly one operator with `field`")


def test_bad_waits_enums_and_empty_lists_name_their_path() -> None:
    """
    A wait that is no duration, an unknown event kind, an empty ``then`` and a rule
    without a name are each reported where they are (a nameless rule by its index).
    """
    found = problems(
        {
            "rules": [
                rule(when=["time"], **{"if": {"in_state": "pending", "for": "2xd"}}),
                {"name": "b", "when": ["opend"], "then": []},
                {"when": ["opened"], "then": [{"stop": True}]},
            ]
        }
    )
    assert [
        ("rules", "r", "if", "for"),
        ("rules", "b", "when", 0),
        ("rules", "b", "then"),
        ("rules", 2, "name"),
    ] == [p for p, _ in found]
    assert "or business days such as '2bd'" in found[0][1]
    assert "(did you mean `opened`?)" in found[1][1]


def test_automation_settings_are_checked() -> None:
    """
    A misspelled setting, an unknown hit policy and a cascade bound below one are refused.
    """
    assert [
        (("automation", "hit_polcy"), "unknown field `hit_polcy` (did you mean `hit_policy`?)")
    ] == problems({"automation": {"hit_polcy": "first"}})
    assert [("automation", "hit_policy"), ("automation", "max_cascade")] == [
        p for p, _ in problems({"automation": {"hit_policy": "some", "max_cascade": 0}})
    ]


def test_field_and_macro_shapes_are_checked() -> None:
    """
    A field of an unknown type and a macro without steps are refused at their paths.
    """
    found = problems(
        {"fields": {"x": {"type": "texte"}}, "macros": {"m": {"steps": []}}},
    )
    assert [("fields", "x", "type"), ("macros", "m", "steps")] == [p for p, _ in found]
    assert "(did you mean `text`?)" in found[0][1]
    assert [(("fields", "c", "options"), "a choice field needs options")] == problems(
        {"fields": {"c": {"type": "choice"}}}
    )


def test_the_default_desk_loads_with_its_rules() -> None:
    """
    The shipped desk builds, its automation checked.
    """
    from deskflow.config import DEFAULT_CONFIG

    desk = load_desk(DEFAULT_CONFIG)
    assert all(r.name for r in desk.rules.rules)
