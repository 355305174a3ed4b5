"""
Explain: why each rule fired or not on a ticket, condition by condition, when a time rule is
next checked, for staff only; and the JSON Schema of rules a host's rule editor uses.
"""

from __future__ import annotations

import importlib.util
import tomllib
from datetime import UTC, datetime
from typing import Any

import pytest

from builders import ANN, LEE, OFFICE, helpdesk
from deskflow import INCIDENT, SERVICE_REQUEST
from deskflow.automation import BUILTIN_TEXTS, builtin_rules, explain, rules_json_schema
from deskflow.config import DEFAULT_CONFIG
from deskflow.desk import Desk
from deskflow.enums import RuleTrigger, TicketKind
from deskflow.exceptions import InvalidInput, PermissionDenied
from deskflow.rules import AddTags, All, Field, Rule, RuleSet
from deskflow.sla import SlaPolicy

VPN = Rule(
    "tag vpn P1",
    frozenset({RuleTrigger.OPENED}),
    (AddTags(("vpn",)),),
    condition=All((Field("title", "contains", "VPN"), Field("priority", "eq", "P1"))),
)


def office_desk() -> Desk:
    sla = {
        TicketKind.INCIDENT: SlaPolicy.itil(OFFICE, workflow=INCIDENT),
        TicketKind.SERVICE_REQUEST: SlaPolicy.itil(OFFICE, workflow=SERVICE_REQUEST),
    }
    return Desk(sla=sla, rules=RuleSet((VPN, *builtin_rules())), texts=BUILTIN_TEXTS)


def test_an_event_rule_is_explained_condition_by_condition() -> None:
    """
    A rule that did not match on the opening says which condition failed, with its path.
    """
    rig = helpdesk(office_desk())
    ticket = rig.desk.open(ANN, title="VPN down", impact="high", urgency="medium")
    (found,) = rig.desk.explain(LEE, ticket.id, "tag vpn P1")
    assert (RuleTrigger.OPENED, 0, False, False) == (
        found.trigger,
        found.position,
        found.held,
        found.fired,
    )
    assert [(("if",), False), (("if", "all", 0), True), (("if", "all", 1), False)] == [
        (line.path, line.held) for line in found.lines
    ]
    assert "INC-1|rule|tag vpn P1|e0" == found.dedup_key


def test_a_fired_rule_says_so() -> None:
    """
    A rule whose condition held on its event has its dedup key in the history: fired.
    """
    rig = helpdesk(office_desk())
    ticket = rig.desk.open(ANN, title="VPN down", impact="high", urgency="high")
    (found,) = rig.desk.explain(LEE, ticket.id, "tag vpn P1")
    assert (True, True) == (found.held, found.fired)
    assert "fired" in str(found)


def test_a_time_rule_says_when_it_is_next_checked_then_that_it_fired() -> None:
    """
    Pending since Monday 09:00, the reminder is next checked Wednesday 09:00 (two business
    days on the office calendar); after the tick that fires it, it says it fired in this
    episode and waits for a new one.
    """
    rig = helpdesk(office_desk())
    ticket = rig.desk.open(ANN, title="Printer", impact="low", urgency="low")
    rig.desk.assign(LEE, ticket.id, group="service-desk", assignee="lee")
    rig.desk.request_info(LEE, ticket.id, question="Which floor?")
    (waiting,) = rig.desk.explain(LEE, ticket.id, "remind pending requester")
    assert datetime(2026, 3, 4, 9, 0, tzinfo=UTC) == waiting.next_check_at
    assert (RuleTrigger.TIME, False, False) == (waiting.trigger, waiting.held, waiting.fired)
    rig.clock.set(datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
    rig.desk.tick()
    (done,) = rig.desk.explain(LEE, ticket.id, "remind pending requester")
    assert (True, True, None) == (done.held, done.fired, done.next_check_at)


def test_the_desk_wide_form_explains_every_rule_in_order() -> None:
    """
    Without a rule name, every rule is explained, in the rule set's order; a rule that has
    not run yet says which event it waits for.
    """
    rig = helpdesk(office_desk())
    ticket = rig.desk.open(ANN, title="Printer", impact="low", urgency="low")
    everything = rig.desk.explain(LEE, ticket.id)
    assert [r.name for r in office_desk().rules.rules] == [e.rule for e in everything]
    (reopen,) = everything.of("reopen on requester reply")
    assert (None, "no requester_comment event yet") == (reopen.trigger, reopen.note)
    assert str(everything).startswith("INC-1 at 2026-03-02T09:00:00+00:00\nrule 'tag vpn P1'")


def test_a_rule_for_another_kind_says_it_does_not_apply() -> None:
    """
    A rule for service requests only, explained on an incident, says so.
    """
    rule = Rule("requests", frozenset({RuleTrigger.OPENED}), (AddTags(("x",)),),
                kinds=frozenset({"service_request"}))  # fmt: skip
    desk = Desk(rules=RuleSet((rule,)))
    rig = helpdesk(desk)
    ticket = rig.repo.get(rig.desk.open(ANN, title="Printer").id)
    (found,) = explain(desk, ticket, now=ticket.updated_at)
    assert "applies only to service_request tickets" == found.note


def test_explain_is_for_staff_and_names_known_rules() -> None:
    """
    A requester may not see why rules fired (tags, staff-only fields); an unknown rule name
    is InvalidInput naming the known ones.
    """
    rig = helpdesk(office_desk())
    ticket = rig.desk.open(ANN, title="Printer")
    with pytest.raises(PermissionDenied):
        rig.desk.explain(ANN, ticket.id)
    with pytest.raises(InvalidInput, match="no rule named 'nope'; known:"):
        rig.desk.explain(LEE, ticket.id, "nope")


def shipped_rules() -> list[dict[str, Any]]:
    with DEFAULT_CONFIG.open("rb") as file:
        rules: list[dict[str, Any]] = tomllib.load(file)["rules"]
    return rules


def test_the_json_schema_accepts_the_shipped_rules_and_refuses_bad_ones() -> None:
    """
    The generated schema validates the default desk's rules (with a JSON Schema validator
    where one is installed, as in the dev environment), and refuses a misspelled action.
    """
    schema, rules = rules_json_schema(), shipped_rules()
    assert rules
    bad = [{**rules[0], "then": [{"asign": {"group": "x"}}]}]
    if importlib.util.find_spec("jsonschema") is not None:
        import jsonschema

        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.validate(rules, schema, cls=jsonschema.Draft202012Validator)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema, cls=jsonschema.Draft202012Validator)
    else:  # the structure, at least: every key the rules use is a form of the schema
        defs = schema["$defs"]
        forms = {key for d in defs.values() for key in d.get("required", [])}
        assert {"name", "when", "then"} <= set(defs["RuleForm"]["required"])
        assert {key for rule in rules for action in rule["then"] for key in action} <= forms
    assert "https://json-schema.org/draft/2020-12/schema" == schema["$schema"]
    assert {"if", "then", "when", "kinds"} <= set(schema["$defs"]["RuleForm"]["properties"])


def test_the_schema_names_every_condition_and_action_form() -> None:
    """
    A rule editor finds each condition and action form in the schema, by its key.
    """
    defs = rules_json_schema()["$defs"]
    keys = {key for d in defs.values() for key in d.get("required", [])}
    assert {"field", "all", "any", "not", "event", "in_state", "since", "before_due"} <= keys
    assert {"set_fields", "add_tags", "remove_tags", "set_priority", "assign", "route", "fire",
            "reply", "note", "notify", "macro", "stop"} <= keys  # fmt: skip
