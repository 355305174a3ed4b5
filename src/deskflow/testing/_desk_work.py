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

#: The triggers a run should reach often, put first.
FIRST = frozenset({"approve", "reopen"})


def next_trigger(allowed: Sequence[str], which: int) -> str | None:
    """
    The ``which``-th (cyclically) trigger allowed, approving and reopening first,
    cancelling only when nothing else is.
    """
    known = [t for t in allowed if t in COMMANDS or t == "assign"]
    onward = [t for t in known if t != "cancel"] or known
    # Approving and reopening first: of two choices, they get the even ``which``.
    onward.sort(key=lambda t: t not in FIRST)
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
