"""
What each party is told: notifications derived from the events a command recorded.

Notifications are decided from events, never from the command that caused them, so a replay
decides the same ones. Each carries a dedup key made of the ticket id, the position of its
event in the history and the template, so queuing it again — after a retry, or from another
process — is a no-op. A requester is only ever told about events that are not internal,
and the text comes from those events alone: an internal note cannot leak into a message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import attrs

from deskflow.enums import Audience
from deskflow.events import (
    ApprovalRequested,
    CommentAdded,
    Escalated,
    Event,
    NotificationQueued,
    RuleNotified,
    StateChanged,
    TicketOpened,
)
from deskflow.messages import MessageRenderer, PlainRenderer, render_notifications
from deskflow.notifications import Notification
from deskflow.surveys import SurveySent
from deskflow.ticket import Ticket
from deskflow.views import TicketView

if TYPE_CHECKING:
    from deskflow.fields import CustomField
    from deskflow.rules import PeopleDirectory

__all__ = [
    "DEFAULT_RULES",
    "Delivery",
    "DeliveryFailure",
    "NotificationRule",
    "OutboxItem",
    "queue_notifications",
]


@attrs.frozen
class Delivery:
    """
    What one delivery round did: the dedup keys sent, those that failed and will be retried,
    and those that failed for the last time and are now dead letters.
    """

    sent: tuple[str, ...]
    failed: tuple[str, ...]
    dead: tuple[str, ...] = ()


@attrs.frozen
class OutboxItem:
    """
    A notification in a repository's outbox, with its delivery bookkeeping: how many
    attempts failed, when it may be tried next (None: now), the last error, and whether it
    is a dead letter (given up on after too many attempts, until ``retry_dead``).
    """

    notification: Notification
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    dead: bool = False

    @property
    def dedup_key(self) -> str:
        """
        The key of the notification.
        """
        return self.notification.dedup_key


@attrs.frozen
class DeliveryFailure:
    """
    One failed delivery, as the service reports it to the repository: the item's key, the
    error, and when to try again (None: never, the item becomes a dead letter).
    """

    dedup_key: str
    error: str
    retry_at: datetime | None


_UTC = ZoneInfo("UTC")

#: Who hears about an event: (template, audience, recipients) for each message, or none.
NotificationRule = Callable[[Ticket, Event], Sequence[tuple[str, Audience, tuple[str, ...]]]]

_REQUESTER_TEMPLATES = {
    "resolve": "ticket_resolved",
    "fulfil": "request_fulfilled",
    "request_info": "information_requested",
    "cancel": "ticket_cancelled",
    "approve": "request_approved",
    "reject": "request_rejected",
}


def _staff(*ids: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in ids if i))


def default_rule(ticket: Ticket, event: Event) -> list[tuple[str, Audience, tuple[str, ...]]]:
    """
    The messages a desk usually sends for ``event``.

    The requester hears that the ticket was received, every public reply, a request for
    information, the resolution, a cancellation, approval decisions and a satisfaction survey
    (``satisfaction_survey``); the assignee hears of
    assignments and requester messages; hierarchical escalations, approval requests and
    automation rules' notices go to whom they name. (Approval outcomes reach the requester
    as the approve/reject state change.)
    """
    out: list[tuple[str, Audience, tuple[str, ...]]] = []
    requester = (ticket.requester,)
    if isinstance(event, TicketOpened):
        out.append(("ticket_received", Audience.REQUESTER, requester))
    elif isinstance(event, StateChanged):
        template = _REQUESTER_TEMPLATES.get(event.trigger)
        if template is not None:
            out.append((template, Audience.REQUESTER, requester))
        if event.assignee and event.assignee != event.actor:
            out.append(("ticket_assigned", Audience.STAFF, (event.assignee,)))
        elif event.group and not event.assignee and ticket.assignee is None:
            # Handed to a group with nobody named: the group's queue hears of it.
            out.append(("ticket_queued", Audience.STAFF, (event.group,)))
        if event.trigger == "reopen" and ticket.assignee:
            out.append(("ticket_reopened", Audience.STAFF, (ticket.assignee,)))
    elif isinstance(event, CommentAdded) and not event.internal:
        if event.author_role == "requester":
            if ticket.assignee:
                out.append(("requester_replied", Audience.STAFF, (ticket.assignee,)))
        elif event.actor != ticket.requester:
            out.append(("public_reply", Audience.REQUESTER, requester))
    elif isinstance(event, Escalated):
        out.append((event.template, Audience.STAFF, _staff(*event.notified)))
    elif isinstance(event, RuleNotified):
        out.append((event.template, event.audience, _staff(*event.recipients)))
    elif isinstance(event, SurveySent):
        out.append((event.template, Audience.REQUESTER, requester))
    elif isinstance(event, ApprovalRequested):
        # Nobody is asked to approve what they may not approve: their own request, or one
        # they benefit from, as the approval policy said when it asked (they may still reject
        # it or withdraw it). The requester also for histories recorded before ``barred``.
        barred = {ticket.requester, *event.barred}
        asked = [a for a in event.approvers if a not in barred]
        out.append(("approval_requested", Audience.STAFF, _staff(*asked)))
    return [(t, a, r) for t, a, r in out if r]


#: The rules the service applies unless a host passes its own.
DEFAULT_RULES: tuple[NotificationRule, ...] = (default_rule,)


def queue_notifications(
    before: Ticket | None,
    after: Ticket,
    at: datetime,
    *,
    rules: Sequence[NotificationRule] = DEFAULT_RULES,
    renderer: MessageRenderer | None = None,
    people: PeopleDirectory | None = None,
    fields: Mapping[str, CustomField] | None = None,
    zone: ZoneInfo | None = None,
) -> tuple[Ticket, list[Notification]]:
    """
    Decide the notifications for the events ``after`` has beyond ``before`` (all of them
    for a new ticket, ``before=None``).

    Each is written by ``renderer`` (plain messages unless given) for its audience from
    that audience's view of the ticket alone, in the locale and time zone of its recipients
    in ``people`` (``zone`` for those without one; UTC unless given); ``fields`` are the
    desk's custom field declarations, which say what a requester may see (see
    [`render_notifications()`][deskflow.messages.render_notifications]).

    Returns the ticket with one [`NotificationQueued`][deskflow.events.NotificationQueued] event per
    notification (the audit trail of who was told what) and the notifications, for the
    repository's outbox in the same save.
    """
    notifications: list[Notification] = []
    writer = renderer if renderer is not None else PlainRenderer()
    views: dict[Audience, TicketView] = {}  # each audience's view of ``after``, made once
    start = 0 if before is None else before.version
    for position in range(start, after.version):
        event = after.history[position]
        if isinstance(event, NotificationQueued):
            continue
        for rule in rules:
            for template, audience, recipients in rule(after, event):
                if audience is Audience.REQUESTER and event.internal:
                    continue  # requesters never hear of staff-only entries
                notifications.extend(
                    render_notifications(
                        after,
                        position,
                        template,
                        audience,
                        recipients,
                        at,
                        renderer=writer,
                        people=people,
                        fields=fields,
                        zone=zone or _UTC,
                        views=views,
                    )
                )
    ticket = after
    for notification in notifications:
        ticket = ticket.record(
            NotificationQueued(
                at=at,
                actor="system",
                dedup_key=notification.dedup_key,
                recipients=notification.recipients,
                template=notification.template,
                internal_only=notification.audience is Audience.STAFF,
            )
        )
    return ticket, notifications
