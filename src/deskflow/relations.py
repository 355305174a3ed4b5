"""
Relations between tickets, as pure decisions: link two tickets, merge a duplicate into
another, split one ticket into several.

Each returns every ticket it changed; the service saves them in one atomic write, so a
merge or a split happens whole or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from deskflow._internal import checks as _checks
from deskflow.actors import Actor
from deskflow.commands import open_ticket
from deskflow.desk import Desk
from deskflow.enums import LinkKind, Trigger
from deskflow.events import Linked
from deskflow.exceptions import InvalidInput, InvalidTransition
from deskflow.ticket import Link, Ticket

__all__ = ["LINKABLE", "link", "merge", "split"]

#: The link kinds the link command makes; merges and splits have commands of their own.
LINKABLE = (LinkKind.RELATED, LinkKind.DUPLICATE_OF, LinkKind.CAUSED_BY)
_INVERSE_LINKS = {
    LinkKind.MERGED_INTO: LinkKind.MERGED_FROM,
    LinkKind.SPLIT_INTO: LinkKind.SPLIT_FROM,
}


def _verb(kind: LinkKind) -> str:
    """
    The command a link kind is made by: ``merge`` for merged_into, ``split`` for split_into.
    """
    return {LinkKind.MERGED_INTO: "merge", LinkKind.SPLIT_INTO: "split"}.get(kind, "link")


def _pair(
    ticket: Ticket,
    other: Ticket,
    actor: Actor,
    desk: Desk,
    now: datetime,
    kind: LinkKind,
    then: str | None,
) -> tuple[Ticket, Ticket]:
    if ticket.id == other.id:
        raise InvalidInput("a ticket cannot be linked to itself")
    other_final = desk.workflow_for(other).is_final(other.state)
    if then is not None and other_final:
        raise InvalidTransition(
            f"cannot {_verb(kind)} {ticket.id} into {other.id}: it is {other.state}",
            trigger=then,
            state=ticket.state,
            allowed=desk.workflow_for(ticket).allowed(ticket.state),
            reason=f"{other.id} is final",
        )
    changed = ticket.record(Linked(at=now, actor=actor.id, other_id=other.id, link_kind=kind))
    if then is not None:
        reason = f"{kind.value.replace('_', ' ')} {other.id}"
        changed = desk.workflow_for(changed).fire(changed, then, actor=actor, at=now, reason=reason)
    if other_final:
        return changed, other  # a final ticket is left as it is
    back = _INVERSE_LINKS.get(kind, LinkKind.RELATED)
    linked_back = other.record(Linked(at=now, actor=actor.id, other_id=ticket.id, link_kind=back))
    return changed, linked_back


def link(
    ticket: Ticket,
    other: Ticket,
    actor: Actor,
    desk: Desk,
    now: datetime,
    *,
    kind: LinkKind | str = LinkKind.RELATED,
) -> tuple[Ticket, Ticket]:
    """
    Both tickets linked to each other (a final one is left as it is). Linking what is
    already linked so changes nothing: a retried request does not repeat the link.
    """
    link_kind = _checks.member("kind", LinkKind, kind)
    if link_kind not in LINKABLE:
        accepted = ", ".join(k.value for k in LINKABLE)
        raise InvalidInput(f"link kind must be one of {accepted}; use merge or split for {kind}")
    if Link(other.id, link_kind) in ticket.links:
        return ticket, other
    return _pair(ticket, other, actor, desk, now, link_kind, None)


def merge(
    ticket: Ticket, into: Ticket, actor: Actor, desk: Desk, now: datetime
) -> tuple[Ticket, Ticket]:
    """
    A duplicate merged into another ticket: linked both ways, the duplicate cancelled.
    """
    return _pair(ticket, into, actor, desk, now, LinkKind.MERGED_INTO, Trigger.CANCEL)


def split(
    source: Ticket,
    new_ids: Sequence[str],
    actor: Actor,
    desk: Desk,
    now: datetime,
    *,
    titles: Sequence[str],
) -> tuple[Ticket, list[Ticket]]:
    """
    One ticket per problem: a new ticket for each title (ids from ``new_ids``), with the
    source's requester, kind and classification, linked both ways to the source.
    """
    if isinstance(titles, str) or not isinstance(titles, Sequence) or not titles:
        raise InvalidInput("split needs a non-empty list of titles")
    if len(new_ids) != len(titles):
        raise InvalidInput(
            f"split needs one new id per title, got {len(new_ids)} for {len(titles)}"
        )
    parts = [
        open_ticket(
            new_id,
            actor,
            desk,
            now,
            title=_checks.text("title", title),
            kind=source.kind,
            requester=source.requester,
            category=source.category,
            service=source.service,
            impact=source.impact,
            urgency=source.urgency,
        ).record(Linked(at=now, actor=actor.id, other_id=source.id, link_kind=LinkKind.SPLIT_FROM))
        for new_id, title in zip(new_ids, titles, strict=True)
    ]
    changed = source
    for part in parts:
        changed = changed.record(
            Linked(at=now, actor=actor.id, other_id=part.id, link_kind=LinkKind.SPLIT_INTO)
        )
    return changed, parts
