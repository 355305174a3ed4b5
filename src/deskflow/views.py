"""
The one read projection of a ticket: what a given actor may see of it.

Every read path — views, notifications, exports — goes through
[`visible()`][deskflow.views.visible] (a whole ticket) or
[`visible_events()`][deskflow.views.visible_events] /
[`audience_may_see()`][deskflow.views.audience_may_see] (single entries), so internal notes and
staff-only events reach a requester through none of them. Staff (agents, supervisors, admins and
the system) see everything; everyone else (requesters, approvers) sees the ticket without its
internal comments and internal events, without the custom fields that are staff-only (or
that the desk does not declare) and without tags.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from deskflow._internal import checks as _checks
from deskflow._internal.json_forms import json_form
from deskflow.actors import Actor
from deskflow.authorization import AuthorizationPolicy, DefaultAuthorization, Permission, require
from deskflow.enums import Impact, Priority, Role, TicketKind, Urgency
from deskflow.events import Event
from deskflow.exceptions import InvalidInput
from deskflow.fields import CustomField, FieldsChanged
from deskflow.ticket import Comment, Feedback, FieldValues, Link, Ticket

__all__ = [
    "STAFF",
    "TicketView",
    "audience_may_see",
    "seen_event",
    "sees_internal",
    "visible",
    "visible_comments",
    "visible_events",
]

#: The roles that see internal comments and internal events.
STAFF: Final = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM})

_DEFAULT_POLICY: Final = DefaultAuthorization()


@attrs.frozen(kw_only=True)
class TicketView:
    """
    A ticket as one actor may see it: its public fields, and the comments and history
    entries visible to that actor. ``includes_internal`` is True for staff views.

    >>> from datetime import datetime, timezone
    >>> from deskflow import INCIDENT, Actor, Role
    >>> from deskflow.enums import Visibility
    >>> from deskflow.events import CommentAdded
    >>> at = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> t = INCIDENT.open("T-1", title="VPN down", requester="ann", at=at)
    >>> t = t.record(CommentAdded(at=at, actor="lee", body="Router flaky again",
    ...                           visibility=Visibility.INTERNAL))
    >>> view = visible(Actor("ann", Role.REQUESTER), t)
    >>> view.title, view.comments, len(view.history)
    ('VPN down', (), 1)
    """

    id: str
    kind: TicketKind
    title: str
    description: str
    requester: str
    state: str
    created_at: datetime
    updated_at: datetime
    category: str | None
    service: str | None
    impact: Impact | None
    urgency: Urgency | None
    priority: Priority | None
    hold_reason: str | None
    tier: int
    group: str | None
    assignee: str | None
    resolution: str | None
    #: The custom field values the actor may see.
    fields: FieldValues
    #: The ticket's tags: staff only (empty for everyone else).
    tags: frozenset[str]
    links: tuple[Link, ...]
    feedback: Feedback | None
    comments: tuple[Comment, ...]
    history: tuple[Event, ...]
    includes_internal: bool

    def to_dict(self) -> dict[str, Any]:
        """
        The view as JSON values: one key per field above, in that order.

        Instants are ISO 8601 UTC strings ending in ``Z``, enums their values; ``links``,
        ``comments`` and ``history`` are lists of dicts (a comment: ``at``, ``author``,
        ``body``, ``visibility``, ``author_role``, ``internal``; an event: ``type``, its class
        name, then its fields); ``feedback`` is None or ``{"rating", "comment"}``. Only what
        the view holds is written, so a requester's dict has no internal note. ``fields`` is a
        dict of the field values (a decimal as a string, a date as ``YYYY-MM-DD``, a
        multi-choice as a list), ``tags`` a sorted list.
        """
        return json_form(self)


def _role(audience: Actor | Role | str) -> Role:
    if isinstance(audience, Actor):
        return audience.role
    return _checks.member("audience", Role, audience)


def sees_internal(audience: Actor | Role | str) -> bool:
    """
    True if ``audience`` (an actor or a role) may see internal comments and events.
    """
    return _role(audience) in STAFF


def audience_may_see(audience: Actor | Role | str, event: Event) -> bool:
    """
    True if ``audience`` may see ``event``: staff see every event, others no internal one.

    Notifications use it to decide what to tell whom.

    >>> from datetime import datetime, timezone
    >>> from deskflow.events import Escalated
    >>> note = Escalated(at=datetime(2026, 3, 2, tzinfo=timezone.utc), actor="system",
    ...                  notified=("sam",), reason="P1 breach")
    >>> audience_may_see("requester", note), audience_may_see("supervisor", note)
    (False, True)
    """
    if not isinstance(event, Event):
        raise InvalidInput(f"expected a deskflow Event, got {type(event).__name__}")
    return sees_internal(audience) or not event.internal


def visible_events(audience: Actor | Role | str, events: Iterable[Event]) -> tuple[Event, ...]:
    """
    The ``events`` that ``audience`` may see, in order.

    It filters only; whether the audience may see the ticket at all is
    [`visible()`][deskflow.views.visible]'s question.
    """
    if sees_internal(audience):
        return tuple(events)
    return tuple(e for e in events if audience_may_see(audience, e))


def visible_comments(
    audience: Actor | Role | str, comments: Iterable[Comment]
) -> tuple[Comment, ...]:
    """
    The ``comments`` that ``audience`` may read, in order.
    """
    if sees_internal(audience):
        return tuple(comments)
    return tuple(c for c in comments if not c.internal)


def _public_fields(
    ticket: Ticket, fields: Mapping[str, CustomField] | None
) -> tuple[FieldValues, frozenset[str]]:
    # The values a requester may see, and the names of the fields they may see.
    public = frozenset(name for name, spec in (fields or {}).items() if not spec.staff_only)
    return FieldValues((k, v) for k, v in ticket.fields.items() if k in public), public


def _redacted(events: tuple[Event, ...], public: frozenset[str]) -> tuple[Event, ...]:
    # A field change recorded as public shows only the fields public now; none left: gone.
    out: list[Event] = []
    for event in events:
        if isinstance(event, FieldsChanged) and not public.issuperset(event.changes):
            shown = {k: v for k, v in event.changes.items() if k in public}
            if not shown:
                continue
            event = attrs.evolve(event, changes=shown)
        out.append(event)
    return tuple(out)


def seen_event(
    audience: Actor | Role | str,
    event: Event,
    *,
    fields: Mapping[str, CustomField] | None = None,
) -> Event | None:
    """
    ``event`` as ``audience`` sees it in [`visible()`][deskflow.views.visible]'s history:
    as it is for staff; for anyone else None when it is internal, and a field change showing
    only the public fields (None when it changes no public field).
    """
    if not audience_may_see(audience, event):
        return None
    if sees_internal(audience):
        return event
    public = frozenset(name for name, spec in (fields or {}).items() if not spec.staff_only)
    shown = _redacted((event,), public)
    return shown[0] if shown else None


def visible(
    actor: Actor,
    ticket: Ticket,
    *,
    policy: AuthorizationPolicy = _DEFAULT_POLICY,
    fields: Mapping[str, CustomField] | None = None,
) -> TicketView:
    """
    What ``actor`` may see of ``ticket``; PermissionDenied if they may not view it at all.

    ``fields`` are the desk's custom field declarations: staff see every value and tag;
    anyone else only the values of the declared fields that are not staff-only (none
    without ``fields``), no tag, and no field change of another field in the history.
    """
    if not isinstance(actor, Actor):
        raise InvalidInput(f"actor must be an Actor, got {type(actor).__name__}")
    if not isinstance(ticket, Ticket):
        raise InvalidInput(f"ticket must be a Ticket, got {type(ticket).__name__}")
    require(policy, actor, Permission.VIEW, ticket)
    history = visible_events(actor, ticket.history)
    staff = sees_internal(actor)
    if staff:
        values, tags = ticket.fields, ticket.tags
    else:
        values, public = _public_fields(ticket, fields)
        tags = frozenset()
        history = _redacted(history, public)
    return TicketView(
        id=ticket.id,
        kind=ticket.kind,
        title=ticket.title,
        description=ticket.description,
        requester=ticket.requester,
        state=ticket.state,
        created_at=ticket.created_at,
        # The last change the actor can see: an internal note must not show as activity.
        updated_at=history[-1].at,
        category=ticket.category,
        service=ticket.service,
        impact=ticket.impact,
        urgency=ticket.urgency,
        priority=ticket.priority,
        hold_reason=ticket.hold_reason,
        tier=ticket.tier,
        group=ticket.group,
        assignee=ticket.assignee,
        resolution=ticket.resolution,
        fields=values,
        tags=tags,
        links=ticket.links,
        feedback=ticket.feedback,
        comments=visible_comments(actor, ticket.comments),
        history=history,
        includes_internal=staff,
    )
