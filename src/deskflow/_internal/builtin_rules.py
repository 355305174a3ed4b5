"""
The built-in rules, as Python: the special cases of a help desk written as ordinary rules
(the default desk ships the same rules in its TOML), so a team sees how to write its own.

- ``pending_reminder_rules()``: remind the requester after 2 business days pending, resolve
  after 5;
- ``reopen_on_reply_rule()``: reopen a resolved ticket when its requester replies (the
  workflow's reopen window decides whether it still may be);
- ``unassigned_p1_rule()``: tell the supervisor when a P1 is still unassigned after 10
  business minutes (the default supervisor, ``supervisor_of("*")``, when it has no group).

Their texts are in ``BUILTIN_TEXTS``: give them to the desk (``Desk(texts=...)``).
"""

from __future__ import annotations

from datetime import timedelta

from deskflow.enums import Priority, RuleTrigger
from deskflow.rules import (
    AddComment,
    All,
    BusinessDays,
    Field,
    FireTrigger,
    InStateFor,
    Notify,
    Op,
    Rule,
    SinceEvent,
    Wait,
)

__all__ = [
    "BUILTIN_TEXTS",
    "builtin_rules",
    "pending_reminder_rules",
    "reopen_on_reply_rule",
    "unassigned_p1_rule",
]

#: The texts the built-in rules use, by name.
BUILTIN_TEXTS: dict[str, str] = {
    "pending_reminder": (
        "Hello $requester, we are still waiting for your answer on $id ($title). "
        "Reply to this message and we carry on."
    ),
}

_TIME = frozenset({RuleTrigger.TIME})
#: The default waits: remind after 2 business days pending, resolve after 5.
REMIND_AFTER = BusinessDays(2)
RESOLVE_AFTER = BusinessDays(5)


def pending_reminder_rules(
    remind_after: Wait = REMIND_AFTER,
    resolve_after: Wait = RESOLVE_AFTER,
    *,
    text: str = "pending_reminder",
    resolution: str = "Resolved automatically: no answer from the requester.",
    state: str = "pending",
) -> tuple[Rule, Rule]:
    """
    Two time rules: "remind pending requester" (a public reply from the desk's text
    ``text`` once the ticket has been in ``state`` for ``remind_after``) and "resolve
    pending" (resolve it with ``resolution`` after ``resolve_after``). Each fires once per
    stay in the state: a ticket answered and asked again is reminded again.

    >>> remind, resolve = pending_reminder_rules()
    >>> remind.name, remind.condition
    ('remind pending requester', InStateFor(state='pending', duration=BusinessDays(days=2)))
    """
    remind = Rule(
        "remind pending requester",
        _TIME,
        (AddComment(text),),
        InStateFor(state, remind_after),
        description="Remind the requester of a question still unanswered.",
    )
    resolve = Rule(
        "resolve pending",
        _TIME,
        (FireTrigger("resolve", {"resolution": resolution}),),
        InStateFor(state, resolve_after),
        description="Resolve a ticket whose requester never answered.",
    )
    return remind, resolve


def reopen_on_reply_rule(state: str = "resolved") -> Rule:
    """
    "reopen on requester reply": a public comment of the requester on a ticket in ``state``
    fires ``reopen``; past the workflow's reopen window the trigger is refused and the
    action skipped (listed as such in the rule's firing).

    >>> reopen_on_reply_rule().when
    frozenset({<RuleTrigger.REQUESTER_COMMENT: 'requester_comment'>})
    """
    return Rule(
        "reopen on requester reply",
        frozenset({RuleTrigger.REQUESTER_COMMENT}),
        (FireTrigger("reopen", {"reason": "the requester replied"}),),
        Field("state", Op.EQ, state),
        description="Reopen a resolved ticket when its requester replies.",
    )


def unassigned_p1_rule(
    after: Wait = timedelta(minutes=10),
    *,
    template: str = "unassigned_p1",
    recipients: tuple[str, ...] = ("@supervisor",),
) -> Rule:
    """
    "unassigned P1 notice": a P1 with no assignee ``after`` business time since it was
    opened notifies ``recipients`` with ``template`` (the group's supervisor, or the default
    supervisor when it has no group), once per ticket.

    >>> unassigned_p1_rule().condition.conditions[2]
    SinceEvent(event=<RuleTrigger.OPENED: 'opened'>, duration=datetime.timedelta(seconds=600))
    """
    return Rule(
        "unassigned P1 notice",
        _TIME,
        (Notify(template, recipients),),
        All(
            (
                Field("priority", Op.EQ, Priority.P1),
                Field("assignee", Op.IS_NOT_SET),
                SinceEvent(RuleTrigger.OPENED, after),
            )
        ),
        description="Tell the supervisor of a P1 nobody has taken.",
    )


def builtin_rules() -> tuple[Rule, ...]:
    """
    Every built-in rule with its defaults, in the order the default desk lists them.

    >>> [rule.name for rule in builtin_rules()]  # doctest: +NORMALIZE_WHITESPACE
    ['remind pending requester', 'resolve pending', 'reopen on requester reply',
     'unassigned P1 notice']
    """
    return (*pending_reminder_rules(), reopen_on_reply_rule(), unassigned_p1_rule())
