"""
The ``work`` step of a DeskStateMachine: the next thing the workflow allows on a ticket, done
by someone the desk permits to do it, so runs reach deep states (approvals, escalations,
reopen, auto-close) that independent random commands seldom string together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from deskflow.actors import Actor
from deskflow.authorization import AuthorizationPolicy, action_for
from deskflow.exceptions import InvalidInput
from deskflow.ticket import Ticket

#: The command firing each trigger, with plain arguments.
COMMANDS: dict[str, tuple[str, dict[str, Any]]] = {
    "start": ("start", {}),
    "request_info": ("request_info", {"question": "which floor?"}),
    "reply": ("reply", {"body": "second floor"}),
    "hold": ("hold", {"reason": "vendor"}),
    "resume": ("resume", {}),
    "escalate": ("escalate", {"reason": "needs the next tier"}),
    "return_to_first_line": ("return_to_first_line", {"reason": "not ours"}),
    "resolve": ("resolve", {"resolution": "fixed"}),
    "fulfil": ("resolve", {"resolution": "delivered"}),
    "close": ("close", {"rating": 5}),
    "reopen": ("reopen", {"reason": "still broken"}),
    "cancel": ("cancel", {"reason": "no longer needed"}),
    "request_approval": ("request_approval", {}),
    "approve": ("approve", {}),
    "reject": ("reject", {"comment": "not this year"}),
}

#: The triggers in the order ``which`` counts them: onward along the lifecycle first, so
#: the few values of ``which`` reach approvals, reopens, escalations and resolutions.
RANK = (
    "approve",
    "reopen",
    "request_approval",
    "start",
    "reply",
    "resume",
    "resolve",
    "fulfil",
    "escalate",
    "assign",
    "close",
    "reject",
    "request_info",
    "hold",
    "return_to_first_line",
)


def next_trigger(allowed: Sequence[str], which: int) -> str | None:
    """
    The ``which``-th (cyclically, in ``RANK`` order) trigger allowed, cancelling only when
    nothing else is.
    """
    known = [t for t in allowed if t in COMMANDS or t == "assign"]
    onward = [t for t in known if t != "cancel"] or known
    onward.sort(key=lambda t: RANK.index(t) if t in RANK else len(RANK))
    return onward[which % len(onward)] if onward else None


def permitted(
    policy: AuthorizationPolicy, cast: Sequence[Actor], trigger: str, ticket: Ticket
) -> list[Actor]:
    """
    The cast members the desk lets fire ``trigger`` on ``ticket``.
    """
    try:
        action = action_for(trigger)
    except InvalidInput:
        return list(cast)
    return [a for a in cast if policy.authorize(a, action, ticket).allowed]


def command_for(
    trigger: str, actor: Actor, assignees: Sequence[Actor], who: int
) -> tuple[str, dict[str, Any]]:
    """
    The HelpDesk command (name and options) that fires ``trigger``; an assignment goes to
    the ``who``-th assignee, in one of their groups.
    """
    if trigger == "assign":
        if not assignees:
            return "assign", {"assignee": actor.id}
        assignee = assignees[who % len(assignees)]
        group = min(assignee.groups) if assignee.groups else None
        return "assign", {"group": group, "assignee": assignee.id}
    name, options = COMMANDS[trigger]
    return name, dict(options)
