"""
Every notification template the desk sends: who reads it, when it is sent, and the event
variables it may use beyond those every template has. The shipped templates, their checks
and the documentation all read this one table.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import attrs

__all__ = [
    "ALL_EVENT_NAMES",
    "CATALOG",
    "COMMON",
    "EVENT_COMMON",
    "FALLBACK",
    "TICKET",
    "TemplateInfo",
    "event_names",
]


@attrs.frozen
class TemplateInfo:
    """
    One template: its audience (``requester`` or ``staff``), when it is sent, and the
    ``event.<name>`` variables its event carries.
    """

    audience: str
    when: str
    event: tuple[str, ...] = ()


#: The variables every template has, with what they hold.
COMMON: Final[Mapping[str, str]] = MappingProxyType(
    {
        "ticket": "the ticket as the reader may see it (see TICKET)",
        "event": "what happened, as the reader may see it (see EVENT_COMMON and each template)",
        "recipient": "the reader's name when the message goes to one person, else empty",
        "recipients": "the names of everyone the message goes to",
        "audience": "'requester' or 'staff'",
        "now": "when the message was written (an aware datetime)",
        "locale": "the locale the message is written in ('de', 'en_GB')",
        "zone": "the time zone its times are shown in ('Europe/Berlin')",
    }
)

#: ``ticket.<name>``: the ticket as the reader's view holds it.
TICKET: Final[Mapping[str, str]] = MappingProxyType(
    {
        "id": "the ticket's id ('INC-7')",
        "title": "its title",
        "description": "its description",
        "kind": "'incident' or 'service_request'",
        "state": "its state ('in_progress')",
        "priority": "'P1'..'P5', or None",
        "category": "its category, or None",
        "service": "its service, or None",
        "group": "the group working on it, or None",
        "assignee": "the name of the agent working on it, or None",
        "requester": "the requester's name",
        "resolution": "how it was resolved, or None",
        "hold_reason": "why it is on hold, or None",
        "tier": "its support tier (1, 2, ...)",
        "created_at": "when it was opened",
        "updated_at": "its last change the reader may see",
        "fields": "the custom field values the reader may see, by name",
        "tags": "its tags (staff only: empty for requesters)",
        "comments": "the comments the reader may see: each with at, author, body",
    }
)

#: ``event.<name>`` every event has.
EVENT_COMMON: Final[Mapping[str, str]] = MappingProxyType(
    {
        "type": "the event's class name ('StateChanged')",
        "at": "when it happened",
        "actor": "the name of who did it",
        "summary": "its one-line audit description",
    }
)

_STATE = ("trigger", "source", "dest", "reason", "resolution", "hold_reason", "group", "assignee")
_NOTICE = ("notified", "reason", "template", "dedup_key")

CATALOG: Final[Mapping[str, TemplateInfo]] = MappingProxyType(
    {
        # The requester's.
        "ticket_received": TemplateInfo(
            "requester",
            "a ticket was opened",
            ("title", "description", "kind", "priority", "category", "service"),
        ),
        "information_requested": TemplateInfo(
            "requester", "an agent asked the requester a question (pending)", _STATE
        ),
        "public_reply": TemplateInfo(
            "requester", "staff wrote a public comment", ("body", "author_role")
        ),
        "ticket_resolved": TemplateInfo("requester", "an incident was resolved", _STATE),
        "request_fulfilled": TemplateInfo("requester", "a service request was fulfilled", _STATE),
        "ticket_cancelled": TemplateInfo("requester", "the ticket was cancelled", _STATE),
        "request_approved": TemplateInfo("requester", "a request was approved", _STATE),
        "request_rejected": TemplateInfo("requester", "a request was rejected", _STATE),
        "satisfaction_survey": TemplateInfo(
            "requester", "a satisfaction survey was sent (surveys)", ("expires_at",)
        ),
        # Staff's.
        "ticket_assigned": TemplateInfo("staff", "the ticket was assigned to the reader", _STATE),
        "ticket_queued": TemplateInfo(
            "staff", "the ticket was handed to a group with nobody named", _STATE
        ),
        "ticket_reopened": TemplateInfo("staff", "the requester reopened the ticket", _STATE),
        "requester_replied": TemplateInfo(
            "staff", "the requester wrote a comment", ("body", "author_role")
        ),
        "approval_requested": TemplateInfo(
            "staff", "the reader is asked to approve a request", ("approvers", "stage", "rule")
        ),
        "escalation_notice": TemplateInfo("staff", "a hierarchical escalation", _NOTICE),
        "sla-warning": TemplateInfo(
            "staff", "an SLA clock passed a warning threshold (sla_notices)", _NOTICE
        ),
        "sla-breach": TemplateInfo("staff", "an SLA target was breached (sla_notices)", _NOTICE),
        "escalation-notice": TemplateInfo(
            "staff", "a hierarchical escalation threshold was passed (hierarchical)", _NOTICE
        ),
        "escalation-breach": TemplateInfo(
            "staff", "a hierarchical escalation on a breach (hierarchical)", _NOTICE
        ),
        "priority-notice": TemplateInfo(
            "staff", "a high-priority ticket is open (hierarchical)", _NOTICE
        ),
        "ladder-page": TemplateInfo("staff", "an on-call ladder pages someone (ladder)", _NOTICE),
        "unassigned_p1": TemplateInfo(
            "staff", "a P1 is still unassigned (the shipped desk's rule)", ("rule", "template")
        ),
        "notice": TemplateInfo(
            "staff", "any other template name (a rule's own): the fallback", ("reason", "rule")
        ),
    }
)

#: Every ``event.<name>`` some template uses: the fallback's event may carry any of them.
ALL_EVENT_NAMES: Final = frozenset(
    (*EVENT_COMMON, *(name for info in CATALOG.values() for name in info.event))
)

#: The template written for a name that has none of its own.
FALLBACK: Final = "notice"


def event_names(template: str) -> frozenset[str] | None:
    """
    The ``event.<name>`` variables ``template`` may use; None (any) for a name the catalog
    does not know and for the fallback, whose event is not known in advance.
    """
    info = CATALOG.get(template)
    if info is None or template == FALLBACK:
        return None
    return frozenset((*EVENT_COMMON, *info.event))
