"""
Guards: the rules a transition must pass before it fires.

A guard is any callable taking an [`Attempt`][deskflow.guards.Attempt] and returning None
(allowed) or the reason it refuses. The built-ins cover the rules help desks expect; a custom
workflow passes its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

import attrs

from deskflow.actors import Actor
from deskflow.enums import Role
from deskflow.ticket import Ticket

__all__ = [
    "AboveFirstLine",
    "Attempt",
    "GroupOrAssignee",
    "Guard",
    "HasAssignee",
    "HigherTier",
    "NotOwnRequest",
    "OneOf",
    "RequesterCancelsEarly",
    "Requires",
    "WithinWindow",
]


class Attempt(NamedTuple):
    """
    What a guard sees: the ticket, the trigger being fired, by whom, when, with what details.
    """

    ticket: Ticket
    trigger: str
    actor: Actor
    at: datetime
    details: Mapping[str, str | int]


class Guard(Protocol):
    """
    A rule a transition must pass. Return None to allow it, or the reason it is refused.
    """

    def __call__(self, attempt: Attempt) -> str | None:
        """
        Check ``attempt``; None means allowed, a string is the reason for refusing.
        """


@attrs.frozen
class Requires:
    """
    The transition needs these details, non-empty.
    """

    names: tuple[str, ...]

    def __call__(self, attempt: Attempt) -> str | None:
        missing = [n for n in self.names if _blank(attempt.details.get(n))]
        if missing:
            return f"{attempt.trigger} needs {', '.join(missing)}"
        return None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@attrs.frozen
class WithinWindow:
    """
    Allowed only within ``window`` of entering the current state (e.g. the reopen window).
    """

    window: timedelta

    def __call__(self, attempt: Attempt) -> str | None:
        since = attempt.ticket.state_since
        if attempt.at - since > self.window:
            return (
                f"{attempt.trigger} is only allowed within {self.window} of entering "
                f"{attempt.ticket.state} (entered at {since.isoformat()})"
            )
        return None


@attrs.frozen
class RequesterCancelsEarly:
    """
    A requester may cancel only their own ticket, and only while it is in ``states``.
    """

    states: frozenset[str]

    def __call__(self, attempt: Attempt) -> str | None:
        if attempt.actor.role is not Role.REQUESTER:
            return None
        if attempt.actor.id != attempt.ticket.requester:
            return "a requester may cancel only their own tickets"
        if attempt.ticket.state not in self.states:
            allowed = ", ".join(sorted(self.states))
            return f"a requester may cancel only while the ticket is {allowed}"
        return None


@attrs.frozen
class OneOf:
    """
    Detail ``name`` must be one of ``accepted``.
    """

    name: str
    accepted: tuple[str, ...]

    def __call__(self, attempt: Attempt) -> str | None:
        value = attempt.details.get(self.name)
        if value not in self.accepted:
            return f"{self.name} must be one of {', '.join(self.accepted)}; got {value!r}"
        return None


@attrs.frozen
class HigherTier:
    """
    An escalation must move the ticket to a higher tier than it is at.
    """

    def __call__(self, attempt: Attempt) -> str | None:
        tier = attempt.details.get("tier")
        if not isinstance(tier, int) or tier <= attempt.ticket.tier:
            return f"escalation needs a tier above the current tier {attempt.ticket.tier}"
        return None


@attrs.frozen
class AboveFirstLine:
    """
    Returning to the first line needs a ticket above tier 1.
    """

    def __call__(self, attempt: Attempt) -> str | None:
        if attempt.ticket.tier <= 1:
            return "the ticket is already at the first line"
        return None


@attrs.frozen
class HasAssignee:
    """
    The ticket must have an assignee, or the trigger must name one.
    """

    def __call__(self, attempt: Attempt) -> str | None:
        if attempt.ticket.assignee is None and not attempt.details.get("assignee"):
            return f"{attempt.trigger} needs an assignee"
        return None


@attrs.frozen
class GroupOrAssignee:
    """
    An assignment must name a group, an assignee, or both.
    """

    def __call__(self, attempt: Attempt) -> str | None:
        if not attempt.details.get("group") and not attempt.details.get("assignee"):
            return f"{attempt.trigger} needs a group or an assignee"
        return None


@attrs.frozen
class NotOwnRequest:
    """
    Nobody approves their own request (rejecting or withdrawing it stays possible).
    """

    def __call__(self, attempt: Attempt) -> str | None:
        if attempt.actor.id == attempt.ticket.requester:
            return "an approver may not approve their own request"
        return None
