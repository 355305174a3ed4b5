"""
The automation engine: a desk's rules ([`deskflow.rules`][deskflow.rules]) run inside the
decision of the command that caused the event, so what they change is saved with it.

[`run_rules()`][deskflow.automation.run_rules] is a pure decision, like the commands and
``tick_ticket``: from the ticket before and after a command, it returns the ticket with the
rules' work, every firing recorded as a [`RuleFired`][deskflow.events.RuleFired] with its
dedup key. [`HelpDesk`][deskflow.service.HelpDesk] runs it on every ticket a command touched,
before the notifications are decided, so a rule's reply is notified like an agent's.

Loop safety is by construction:

- a rule fires at most once per episode: once per triggering event
  (``<ticket>|rule|<name>|e<position>``), once per episode of its time condition
  (``...|t<episode>``); evaluating again — a retry, a replay, another process — finds the
  key and does nothing;
- an action with nothing to change records nothing, so it triggers nothing;
- the changes rules make may trigger rules again, up to the rule set's ``max_cascade``
  (default 10); past it the command is refused with a
  [`RuleCascadeError`][deskflow.exceptions.RuleCascadeError] naming the chain of rules, and
  nothing is stored.

>>> from datetime import datetime, timezone
>>> from deskflow import INCIDENT, Desk
>>> from deskflow.enums import RuleTrigger
>>> from deskflow.rules import AddTags, Field, Rule, RuleSet
>>> vpn = Rule("tag vpn", frozenset({RuleTrigger.OPENED}), (AddTags(("vpn",)),),
...            condition=Field("title", "contains", "VPN"))
>>> desk = Desk(rules=RuleSet((vpn,)))
>>> now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
>>> ticket = run_rules(desk, None, INCIDENT.open("INC-1", title="VPN down", requester="ann",
...                                              at=now), now)
>>> sorted(ticket.tags), ticket.history[-1].describe()
(['vpn'], "rule 'tag vpn' fired: add_tags: tags +vpn (rule tag vpn)")
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from deskflow._internal import rule_engine
from deskflow._internal.builtin_rules import (
    BUILTIN_TEXTS,
    builtin_rules,
    pending_reminder_rules,
    reopen_on_reply_rule,
    unassigned_p1_rule,
)
from deskflow._internal.explain import Explanation, RuleExplanation, explain
from deskflow._internal.rule_schedule import next_rule_check
from deskflow._internal.rule_triggers import triggers_of
from deskflow.ticket import Ticket

if TYPE_CHECKING:
    from deskflow.desk import Desk

__all__ = [
    "BUILTIN_TEXTS",
    "Explanation",
    "RuleExplanation",
    "builtin_rules",
    "explain",
    "next_rule_check",
    "pending_reminder_rules",
    "reopen_on_reply_rule",
    "rules_json_schema",
    "run_rules",
    "triggers_of",
    "unassigned_p1_rule",
]


def run_rules(
    desk: Desk, before: Ticket | None, after: Ticket, now: datetime, *, timed: bool = False
) -> Ticket:
    """
    ``after`` with the work of ``desk``'s rules on the events it has beyond ``before`` (all
    of them for a new ticket, ``before=None``), decided at ``now``; with ``timed`` (the
    time-based work of a tick) also the time rules whose time has come.

    Each event raises its triggers (`triggers_of`); the rules of those triggers run in their
    declared order, each reading the ticket as the earlier events and firings left it. A
    rule fires when its condition holds and its dedup key is not in the history: its
    actions record ordinary events as the system, with ``rule <name>`` as their reason, then
    a [`RuleFired`][deskflow.events.RuleFired]. With the hit policy ``first`` only the first
    rule that fires for an event does; a ``Stop`` action ends the event's rules. An action
    that cannot apply now is skipped and says why in the ``RuleFired``; the rule has fired
    all the same. The events a firing recorded run the rules again, one level deeper; a
    firing deeper than the rule set's ``max_cascade`` raises
    [`RuleCascadeError`][deskflow.exceptions.RuleCascadeError] with the chain of rules.

    Running the rules again over their own result changes nothing:
    ``run_rules(desk, before, run_rules(desk, before, after, now), now)`` is the same ticket.
    """
    return rule_engine.run(desk, before, after, now, timed=timed)


def rules_json_schema() -> dict[str, Any]:
    """
    The JSON Schema (draft 2020-12) of a desk's ``rules`` — an array of rules with their
    conditions and actions — generated from the forms the configuration is checked with, for
    a host's rule editor (loads pydantic on first use).

    >>> rules_json_schema()["items"]
    {'$ref': '#/$defs/RuleForm'}
    """
    from deskflow._internal import automation_forms

    return automation_forms.rules_json_schema()
