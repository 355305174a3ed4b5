"""
The check of a desk's automation when the desk is built: every problem names the rule (or
field, text, macro) and the path of the bad part, as a configuration file writes it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from deskflow.desk import Desk
from deskflow.enums import FieldType, Metric, RuleTrigger
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
    Condition,
    Field,
    FireTrigger,
    InStateFor,
    Not,
    Notify,
    Rule,
    RuleSet,
    SetFields,
    SinceEvent,
    Triggered,
)

OPENED = frozenset({RuleTrigger.OPENED})
TIME = frozenset({RuleTrigger.TIME})
TAG = (AddTags(("x",)),)
FIELDS = {
    "contract": CustomField("contract", FieldType.CHOICE, options=("gold", "silver")),
    "count": CustomField("count", FieldType.INTEGER),
    "note": CustomField("note", FieldType.TEXT),
}


def when(condition: Condition | None, actions: Any = TAG, on: Any = OPENED) -> Rule:
    return Rule("r", on, tuple(actions), condition=condition)


def found(*rules: Rule, **desk: Any) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ConfigError) as info:
        Desk(rules=RuleSet(rules), fields=FIELDS, **desk)
    return list(info.value.problems)


CASES = [
    pytest.param(
        when(All((Field("priority", "eq", "P1"), Field("stat", "eq", "new")))),
        ("rules", "r", "if", "all", 1, "field"),
        "unknown field 'stat' (did you mean `state`?)",
        id="unknown field",
    ),
    pytest.param(
        when(Field("fields.contrct", "eq", "gold")),
        ("rules", "r", "if", "field"),
        "unknown field 'fields.contrct' (did you mean `fields.contract`?)",
        id="unknown custom field",
    ),
    pytest.param(
        when(Field("priority", "eqq", "P1")),
        ("rules", "r", "if", "eqq"),
        "unknown operator 'eqq' (did you mean `eq`?)",
        id="unknown operator",
    ),
    pytest.param(
        when(AnyOf((Field("fields.contract", "eq", "platinum"),))),
        ("rules", "r", "if", "any", 0, "eq"),
        "'platinum' is not an option of contract; options: gold, silver",
        id="choice value not an option",
    ),
    pytest.param(
        when(Field("fields.contract", "in", frozenset({"gold", "silvr"}))),
        ("rules", "r", "if", "in"),
        "'silvr' is not an option of contract (did you mean `silver`?); options: gold, silver",
        id="choice value in a set",
    ),
    pytest.param(
        when(Field("fields.count", "eq", "many")),
        ("rules", "r", "if", "eq"),
        "field 'count'",
        id="value the custom field refuses",
    ),
    pytest.param(
        when(Field("priority", "in", "P1")),
        ("rules", "r", "if", "in"),
        "in needs a set of values, got 'P1'",
        id="in without a set",
    ),
    pytest.param(
        when(Field("priority", "eq", "P9")),
        ("rules", "r", "if", "eq"),
        "unknown priority 'P9'",
        id="unknown priority",
    ),
    pytest.param(
        when(Field("state", "eq", "pendng")),
        ("rules", "r", "if", "eq"),
        "unknown state 'pendng' (did you mean `pending`?)",
        id="unknown state in a field test",
    ),
    pytest.param(
        when(Field("title", "gt", "a")),
        ("rules", "r", "if", "gt"),
        "gt compares numbers, dates and priorities, not title",
        id="ordering a text",
    ),
    pytest.param(
        when(Field("priority", "contains", "P")),
        ("rules", "r", "if", "contains"),
        "contains looks into tags, texts and multi-choice fields, not priority",
        id="contains on a priority",
    ),
    pytest.param(
        when(Field("assignee", "is_set", "lee")),
        ("rules", "r", "if", "is_set"),
        "is_set takes no value, got 'lee'",
        id="unary operator with a value",
    ),
    pytest.param(
        when(Triggered(frozenset({"agent_replied"}))),  # type: ignore[arg-type]
        ("rules", "r", "if", "event"),
        "unknown event kind 'agent_replied' (did you mean `agent_reply`?)",
        id="unknown event kind of a triggered test",
    ),
    pytest.param(
        when(InStateFor("pendin", BusinessDays(2)), on=TIME),
        ("rules", "r", "if", "in_state"),
        "unknown state 'pendin' (did you mean `pending`?)",
        id="unknown state in a time condition",
    ),
    pytest.param(
        when(InStateFor("pending", timedelta(hours=-1)), on=TIME),
        ("rules", "r", "if", "for"),
        "a wait is a duration or BusinessDays, not negative",
        id="negative wait",
    ),
    pytest.param(
        when(BeforeDue("resolutoin", timedelta(hours=1)), on=TIME),  # type: ignore[arg-type]
        ("rules", "r", "if", "before_due"),
        "unknown SLA metric 'resolutoin' (did you mean `resolution`?)",
        id="unknown metric",
    ),
    pytest.param(
        when(Not(SinceEvent("tim", timedelta(hours=1))), on=TIME),  # type: ignore[arg-type]
        ("rules", "r", "if", "not", "since"),
        "unknown event kind 'tim'",
        id="unknown event kind of since",
    ),
    pytest.param(
        when(Field("priority", "eq", "P1"), on=TIME),
        ("rules", "r", "when"),
        "a time rule needs a time condition (in_state, since or before_due)",
        id="time rule without a time condition",
    ),
    pytest.param(
        when(All((Field("priority", "eq", "P1"), InStateFor("new", timedelta(minutes=10))))),
        ("rules", "r", "if", "all", 1),
        "a time condition in a rule that runs only on events never waits",
        id="event rule with a time condition",
    ),
    pytest.param(
        when(
            All((InStateFor("pending", BusinessDays(1)), Field("priority", "changed", None))),
            on=TIME,
        ),
        ("rules", "r", "if", "all", 1, "changed"),
        "changed never holds in a time rule: nothing changes at a tick",
        id="changed in a time rule",
    ),
    pytest.param(
        when(None, (AddComment("thanks"),)),
        ("rules", "r", "then", 0, "reply"),
        "unknown text 'thanks'",
        id="unknown text of a reply",
    ),
    pytest.param(
        when(None, (AddComment("thanks", internal=True),)),
        ("rules", "r", "then", 0, "note"),
        "unknown text 'thanks'",
        id="unknown text of a note",
    ),
    pytest.param(
        when(None, (ApplyMacro("reset"),)),
        ("rules", "r", "then", 0, "macro"),
        "unknown macro 'reset'",
        id="unknown macro",
    ),
    pytest.param(
        when(None, (AddTags(("x",)), FireTrigger("resolv"))),
        ("rules", "r", "then", 1, "fire"),
        "unknown trigger 'resolv' (did you mean `resolve`?)",
        id="unknown trigger",
    ),
    pytest.param(
        when(Field("state", "eq", "closed"), (FireTrigger("reopen"),)),
        ("rules", "r", "then", 0, "fire"),
        "can never fire reopen: the condition requires the state closed, and reopen leaves "
        "only fulfilled, resolved",
        id="trigger the pinned state never allows",
    ),
    pytest.param(
        when(
            All((Field("priority", "eq", "P1"), Field("state", "in", frozenset({"closed"})))),
            (Assign(group="netops"),),
        ),
        ("rules", "r", "then", 0, "assign"),
        "can never fire assign: the condition requires the state closed",
        id="assign on a closed ticket",
    ),
    pytest.param(
        when(
            AnyOf((Field("state", "eq", "closed"), Field("state", "eq", "cancelled"))),
            (FireTrigger("reopen"),),
        ),
        ("rules", "r", "then", 0, "fire"),
        "can never fire reopen: the condition requires the state cancelled or closed",
        id="trigger no state of an any allows",
    ),
    pytest.param(
        when(None, (Notify("page", ("@supervsor",)),)),
        ("rules", "r", "then", 0, "notify", "to"),
        "unknown recipient '@supervsor' (did you mean `@supervisor`?)",
        id="unknown recipient",
    ),
    pytest.param(
        when(None, (Notify("", ("sam",)),)),
        ("rules", "r", "then", 0, "notify", "template"),
        "a notification needs a template name",
        id="notification without a template",
    ),
    pytest.param(
        when(None, (SetFields({"contrct": "gold"}),)),
        ("rules", "r", "then", 0, "set_fields", "contrct"),
        "unknown field 'contrct' (did you mean `contract`?)",
        id="setting an unknown field",
    ),
    pytest.param(
        when(None, (SetFields({"contract": "bronze"}),)),
        ("rules", "r", "then", 0, "set_fields", "contract"),
        "'bronze' is not an option of contract",
        id="setting a value not an option",
    ),
    pytest.param(
        when(None, (Assign(),)),
        ("rules", "r", "then", 0, "assign"),
        "name a group, an assignee or both",
        id="assign to nobody",
    ),
]


@pytest.mark.parametrize(("rule", "path", "message"), CASES)
def test_each_problem_names_the_rule_and_the_path(
    rule: Rule, path: tuple[str | int, ...], message: str
) -> None:
    """
    A desk whose rule has this problem is refused, at this path, with this message.
    """
    problems = found(rule)
    assert [path] == [where for where, _ in problems]
    assert message in problems[0][1]


def test_a_sound_rule_set_builds() -> None:
    """
    Rules using every part correctly build a desk.
    """
    rules = (
        Rule(
            "reopen on reply",
            frozenset({RuleTrigger.REQUESTER_COMMENT}),
            (FireTrigger("reopen", {"reason": "reply"}),),
            condition=Field("state", "eq", "resolved"),
        ),
        Rule(
            "remind",
            TIME,
            (AddComment("remind"),),
            condition=All(
                (InStateFor("pending", BusinessDays(2)), Field("fields.contract", "eq", "gold"))
            ),
        ),
        Rule("tag", OPENED, TAG, condition=Field("fields.count", "ge", 3)),
        Rule(
            "watch",
            TIME,
            (Notify("due_soon", ("@assignee",)),),
            condition=BeforeDue(Metric.RESOLUTION, timedelta(hours=1)),
        ),
    )
    desk = Desk(rules=RuleSet(rules), fields=FIELDS, texts={"remind": "Hello $requester"})
    assert 4 == len(desk.rules.rules)


def test_every_problem_is_listed_at_once() -> None:
    """
    Two rules with a problem each, a duplicate name and a bad text: one error lists all.
    """
    with pytest.raises(ConfigError) as info:
        Desk(
            rules=RuleSet(
                (
                    Rule("a", OPENED, (ApplyMacro("m"),)),
                    Rule("b", OPENED, (AddComment("t"),)),
                    Rule("b", OPENED, TAG),
                )
            ),
            texts={"greeting": "Dear $name"},
        )
    assert [
        ("texts", "greeting"),
        ("rules", "a", "then", 0, "macro"),
        ("rules", "b", "then", 0, "reply"),
        ("rules", "b"),
    ] == [where for where, _ in info.value.problems]
    assert "two rules are named 'b'" == info.value.problems[-1][1]


def test_rule_kinds_must_be_ticket_kinds() -> None:
    """
    A rule for a kind of ticket the desk does not have is refused at its ``kinds``.
    """
    rule = Rule("r", OPENED, TAG, kinds=frozenset({"incidnt"}))
    assert [
        (("rules", "r", "kinds"), "unknown ticket kind 'incidnt' (did you mean `incident`?)")
    ] == (found(rule))


def test_a_trigger_is_checked_against_the_rules_kinds() -> None:
    """
    ``fulfil`` exists for service requests only: a rule for incidents may not fire it.
    """
    rule = Rule("r", OPENED, (FireTrigger("fulfil"),), kinds=frozenset({"incident"}))
    assert [("rules", "r", "then", 0, "fire")] == [w for w, _ in found(rule)]
    Desk(rules=RuleSet((Rule("r", OPENED, (FireTrigger("fulfil"),)),)))


def test_a_custom_field_is_filed_under_its_name() -> None:
    """
    A field under a key that is not its name is refused at that key.
    """
    with pytest.raises(ConfigError) as info:
        Desk(fields={"c": CustomField("d", FieldType.TEXT)})
    assert [(("fields", "c", "name"), "the field under 'c' is named 'd'")] == list(
        info.value.problems
    )


def test_macro_problems_are_part_of_the_check() -> None:
    """
    The macros' own checks run with the rest: an unknown command is refused at its step.
    """
    with pytest.raises(ConfigError) as info:
        Desk(macros={"m": Macro("m", (MacroStep("resolv"),))})
    assert ("macros", "m", "steps", 0, "command") == info.value.problems[0][0]


def test_a_desk_without_automation_checks_nothing() -> None:
    """
    The default desk has no rules, fields, texts or macros, and builds as before.
    """
    assert () == Desk().rules.rules
