"""
The converters and checks of the event classes' fields (see [`deskflow.events`][deskflow.events]).

Events are built on hot paths from values already checked, so most fields are converted
cheaply (a type test, the full check only when it fails); the opening event, where untrusted
input enters, is checked whole by [`check_opened()`][deskflow._internal.event_fields.check_opened].
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from deskflow._internal import checks as _checks
from deskflow.enums import Impact, LinkKind, Metric, Priority, TicketKind, Urgency, Visibility
from deskflow.ticket import MAX_TIER, check_tier

if TYPE_CHECKING:
    from deskflow.events import TicketOpened

__all__ = [
    "assignee",
    "category",
    "check_opened",
    "group",
    "hold_reason",
    "impact",
    "link_kind",
    "metric",
    "other_id",
    "required_text",
    "service",
    "urgency",
    "visibility",
]


def impact(value: Impact | str | None) -> Impact | None:
    """
    ``value`` as an Impact (None kept).
    """
    if value is None or type(value) is Impact:
        return value
    return _checks.member("impact", Impact, value)


def urgency(value: Urgency | str | None) -> Urgency | None:
    """
    ``value`` as an Urgency (None kept).
    """
    if value is None or type(value) is Urgency:
        return value
    return _checks.member("urgency", Urgency, value)


def visibility(value: Visibility | str) -> Visibility:
    """
    ``value`` as a Visibility.
    """
    return value if type(value) is Visibility else _checks.member("visibility", Visibility, value)


def link_kind(value: LinkKind | str) -> LinkKind:
    """
    ``value`` as a LinkKind.
    """
    return value if type(value) is LinkKind else _checks.member("link_kind", LinkKind, value)


def priority(value: Priority | str) -> Priority:
    """
    ``value`` as a Priority.
    """
    return value if type(value) is Priority else _checks.member("priority", Priority, value)


def optional_priority(value: Priority | str | None) -> Priority | None:
    """
    ``value`` as a Priority, or None.
    """
    return None if value is None else priority(value)


def metric(value: Metric | str) -> Metric:
    """
    ``value`` as a Metric.
    """
    return value if type(value) is Metric else _checks.member("metric", Metric, value)


def required_text(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    """
    An attrs validator of free text: the field is a non-blank string, kept as given.
    """
    _checks.text(attribute.name, value, keep_whitespace=True)


def other_id(value: object) -> str:
    """
    The id of a linked ticket, checked and stripped.
    """
    return _checks.text("other_id", value)


def category(value: object) -> str | None:
    """
    An optional category name, checked and stripped.
    """
    return _checks.optional_text("category", value)


def service(value: object) -> str | None:
    """
    An optional service name, checked and stripped.
    """
    return _checks.optional_text("service", value)


def group(value: object) -> str | None:
    """
    An optional support group name, checked and stripped.
    """
    return _checks.optional_text("group", value)


def assignee(value: object) -> str | None:
    """
    An optional agent id, checked and stripped.
    """
    return _checks.optional_text("assignee", value)


def hold_reason(value: object) -> str | None:
    """
    An optional hold reason code (vendor, change, problem), checked and stripped.
    """
    return _checks.optional_text("hold_reason", value)


def check_opened(event: TicketOpened) -> None:
    """
    Check and convert every field of an opening event, in place.
    """
    # It is on the set-up path of every ticket: one inline test of the common case,
    # and the full checks (which convert or explain) only when it fails.
    at, title = event.at, event.title
    if (
        type(at) is datetime
        and at.tzinfo is not None
        and type(event.ticket_id) is str
        and event.ticket_id[:1].isalnum()
        and not event.ticket_id[-1].isspace()
        and type(event.requester) is str
        and event.requester[:1].isalnum()
        and not event.requester[-1].isspace()
        and type(event.actor) is str
        and event.actor[:1].isalnum()
        and not event.actor[-1].isspace()
        and type(event.state) is str
        and event.state[:1].isalnum()
        and not event.state[-1].isspace()
        and type(title) is str
        and title[:1].isalnum()
        and not title[-1].isspace()
        and type(event.description) is str
        and type(event.kind) is TicketKind
        and event.impact is None
        and event.urgency is None
        and event.priority is None
        and event.category is None
        and event.service is None
        and event.group is None
        and event.alert_key is None
        and type(event.tier) is int
        and 1 <= event.tier <= MAX_TIER
        and at.utcoffset() is not None
        and _checks.storable(
            event.ticket_id
            + event.requester
            + event.actor
            + event.state
            + title
            + event.description
        )
    ):
        return
    _check_all(event)


def _check_all(event: TicketOpened) -> None:
    _checks.aware("at", event.at)
    for field in ("ticket_id", "requester", "actor", "state", "title"):
        object.__setattr__(event, field, _checks.text(field, getattr(event, field)))
    _checks.text("description", event.description, allow_empty=True, keep_whitespace=True)
    for field in ("category", "service", "group", "alert_key"):
        object.__setattr__(event, field, _checks.optional_text(field, getattr(event, field)))
    object.__setattr__(event, "kind", _checks.member("kind", TicketKind, event.kind))
    for field, enum_type in (("impact", Impact), ("urgency", Urgency), ("priority", Priority)):
        value = getattr(event, field)
        if value is not None:
            object.__setattr__(event, field, _checks.member(field, enum_type, value))
    check_tier(event.tier)
