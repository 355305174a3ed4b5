"""
Automation benchmark, as ratios in one run: a command (a comment, an assign) through
``HelpDesk`` on a desk with 200 rules of a realistic mix against the same desk with none —
goal within 2x. The rules are indexed by the kinds of event they watch, so a comment looks
only at the rules about comments.

The mix: rules on every event kind (opened, state changes, assignments, comments by
requester and agent, notes, priority, classification, fields, tags, SLA thresholds), with
conditions on priority, service, group, tags, custom fields and the triggering event
(all/any/not nesting), most of which do not hold for the ticket at hand, as on a real desk;
some fire (a tag on each agent reply, which in turn runs the rules about tags).
"""

from __future__ import annotations

from typing import Any

from harness import AGENT, ROUNDS, desk_with, history, interleaved

from deskflow.enums import FieldType, Priority, RuleTrigger
from deskflow.fields import CustomField
from deskflow.rules import (
    Action,
    AddTags,
    All,
    AnyOf,
    Assign,
    Condition,
    Field,
    Not,
    Notify,
    Rule,
    RuleSet,
    SetFields,
    SetPriority,
)

RULES = 200
FIELDS = {"contract": CustomField("contract", FieldType.CHOICE, options=("gold", "silver"))}
KINDS = [t for t in RuleTrigger if t is not RuleTrigger.TIME]


def _condition(n: int) -> Condition:
    services = ("network", "email", "erp", "printing", "vpn")
    shapes: list[Condition] = [
        All((Field("priority", "eq", Priority.P1), Field("service", "eq", services[n % 5]))),
        AnyOf((Field("tags", "contains", f"vip{n}"), Field("fields.contract", "eq", "gold"))),
        Not(Field("group", "in", frozenset({"service-desk", "network"}))),
        All((Field("state", "eq", "pending"), Field("requester.vip", "eq", True))),
        Field("category", "eq", f"category-{n}"),
    ]
    return shapes[n % len(shapes)]


def _actions(n: int) -> tuple[Action, ...]:
    shapes: list[tuple[Action, ...]] = [
        (Assign(group="netops"), Notify("p1_page", ("@supervisor",))),
        (AddTags((f"seen{n}",)),),
        (SetPriority(Priority.P2),),
        (SetFields({"contract": "silver"}), Notify("notice", ("@assignee",))),
    ]
    return shapes[n % len(shapes)]


def realistic_rules(count: int = RULES) -> RuleSet:
    """
    ``count`` rules spread over every event kind; on agent replies one always fires.
    """
    rules = [
        Rule("tag replies", frozenset({RuleTrigger.AGENT_REPLY}), (AddTags(("replied",)),)),
    ]
    for n in range(count - 1):
        when = frozenset({KINDS[n % len(KINDS)], KINDS[(n * 7 + 3) % len(KINDS)]})
        rules.append(Rule(f"rule {n}", when, _actions(n), condition=_condition(n)))
    return RuleSet(tuple(rules))


def command_with_rules(number: int = 200) -> list[dict[str, Any]]:
    """
    A comment and an assign through HelpDesk with 200 rules and with none, on tickets of
    20 events saved by an earlier command; medians of interleaved rounds.
    """
    ticket = history(20)
    copies = number * (ROUNDS + 1)
    ruled, ruled_ids = desk_with(ticket, copies * 2, fields=FIELDS, rules=realistic_rules())
    plain, plain_ids = desk_with(ticket, copies * 2, fields=FIELDS)
    for service, ids in ((ruled, ruled_ids), (plain, plain_ids)):
        for ticket_id in ids:  # the earlier command
            service.comment(AGENT, ticket_id, body="looking")
    rows = []
    for what, start in (("comment", 0), ("assign", copies)):
        pending = {"ruled": iter(ruled_ids[start:]), "plain": iter(plain_ids[start:])}

        def run(side: str, what: str = what, pending: dict[str, Any] = pending) -> None:
            service = ruled if side == "ruled" else plain
            ticket_id = next(pending[side])
            if what == "comment":
                service.comment(AGENT, ticket_id, body="Any news?")
            else:
                service.assign(AGENT, ticket_id, group="service-desk", assignee="kim")

        out = interleaved({"ruled": lambda: run("ruled"), "plain": lambda: run("plain")}, number)
        rows.append(
            {
                "what": f"{what} through HelpDesk, {RULES} rules vs none (20 events)",
                "deskflow": f"{out['ruled'] * 1e6:.0f} us",
                "baseline": f"{out['plain'] * 1e6:.0f} us",
                "ratio": out["ruled"] / out["plain"],
                "goal": "<= 2x",
            }
        )
    return rows


def main() -> None:
    """
    Print the automation benchmark.
    """
    print("| measurement | deskflow | baseline | ratio | goal |")
    print("|---|---|---|---|---|")
    for r in command_with_rules():
        print(
            f"| {r['what']} | {r['deskflow']} | {r['baseline']} | {r['ratio']:.2f}x | {r['goal']} |"
        )


if __name__ == "__main__":
    main()
