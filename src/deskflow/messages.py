"""
What people are told, written for them: the request to write one message, the message
written, and the renderers that write it.

The outbox asks a [`MessageRenderer`][deskflow.messages.MessageRenderer] to write each
notification for its audience and recipients. What the renderer is given is built ONLY from
the one read projection for that audience ([`visible()`][deskflow.views.visible]: the
requester's view for a requester, a staff view for staff) and the event as that audience sees
it ([`seen_event()`][deskflow.views.seen_event]), so an internal note cannot reach a
requester's message, however careless a template is.

``Desk.messages`` is the desk's renderer. None means the shipped templates
([`deskflow.templates`][deskflow.templates], in English and German) when the ``templates``
extra (Jinja2 and Babel) is installed, and [`PlainRenderer`][deskflow.messages.PlainRenderer]
otherwise: subject ``[id] title``, body the event's audit line.

Recipients of one notification are grouped by the locale and time zone their message is
written in (``locale`` and ``timezone`` of ``desk.people``; else the renderer's default locale
and the zone of the ticket's SLA calendar). One group keeps the dedup key
``"<ticket>#<position>:<template>"``; when the recipients fall into several groups, each
group's notification has the key ``"<ticket>#<position>:<template>@<locale>/<zone>"``
(``"INC-7#3:sla-breach@de/Europe/Berlin"``), so the keys stay deterministic from the history.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from deskflow.actors import SYSTEM, Actor
from deskflow.enums import Audience, Role
from deskflow.events import Event
from deskflow.fields import CustomField
from deskflow.notifications import Notification
from deskflow.ticket import Ticket
from deskflow.views import TicketView, seen_event, visible

if TYPE_CHECKING:
    from deskflow.desk import Desk
    from deskflow.rules import PeopleDirectory

__all__ = [
    "MessageRenderer",
    "MessageRequest",
    "PlainRenderer",
    "RenderedMessage",
    "default_renderer",
    "render_notifications",
]

log = logging.getLogger("deskflow.messages")

_UTC = ZoneInfo("UTC")


@attrs.frozen(kw_only=True)
class MessageRequest:
    """
    What a renderer writes one message from: the template name, the audience and recipients,
    the locale to write in (None: the renderer's own choice) and the time zone to show times
    in, the ticket as that audience sees it, the event as that audience sees it, the instant
    the message is written, and the display names of the people the message may name (ids to
    names, from the people directory's ``name``).
    """

    template: str
    audience: Audience
    recipients: tuple[str, ...]
    locale: str | None
    time_zone: ZoneInfo
    ticket: TicketView
    event: Event
    at: datetime
    names: Mapping[str, str] = attrs.field(factory=dict, hash=False)

    def name(self, person_id: str | None) -> str:
        """
        How ``person_id`` is named in the message: their display name, else their id.
        """
        if person_id is None:
            return ""
        return self.names.get(person_id, person_id)


@attrs.frozen
class RenderedMessage:
    """
    A message written: its subject (one line), plain-text body, HTML body if the template has
    one, and the locale it is written in (None for a renderer without locales).
    """

    subject: str
    body: str
    html: str | None = None
    locale: str | None = None


class MessageRenderer(Protocol):
    """
    Writes the desk's messages.
    """

    def render(self, request: MessageRequest) -> RenderedMessage:
        """
        The message ``request`` asks for.
        """
        ...

    def locale_for(self, wanted: str | None) -> str | None:
        """
        The locale a message for someone asking for ``wanted`` is written in (None: none).
        """
        ...

    def check(self, desk: Desk) -> None:
        """
        Raise ConfigError if a template the desk may send cannot be rendered.
        """
        ...


@attrs.frozen
class PlainRenderer:
    """
    Messages without templates: subject ``[id] title``, body the event's audit line.

    >>> from datetime import datetime, timezone
    >>> from deskflow import INCIDENT
    >>> from deskflow.views import visible
    >>> at = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> t = INCIDENT.open("INC-1", title="VPN down", requester="ann", at=at)
    >>> view = visible(SYSTEM, t)
    >>> request = MessageRequest(template="ticket_received", audience=Audience.REQUESTER,
    ...     recipients=("ann",), locale=None, time_zone=_UTC, ticket=view,
    ...     event=t.history[0], at=at)
    >>> PlainRenderer().render(request).subject
    '[INC-1] VPN down'
    """

    def render(self, request: MessageRequest) -> RenderedMessage:
        """
        Today's plain message: the ticket's id and title, and what happened.
        """
        return RenderedMessage(
            subject=f"[{request.ticket.id}] {request.ticket.title}",
            body=request.event.describe(),
        )

    def locale_for(self, wanted: str | None) -> str | None:
        """
        None: plain messages are not written for a locale.
        """
        return None

    def check(self, desk: Desk) -> None:
        """
        Nothing to check.
        """


_SHIPPED: list[MessageRenderer] = []


def default_renderer() -> MessageRenderer:
    """
    The shipped templates when the ``templates`` extra is installed, else PlainRenderer.
    """
    if not _SHIPPED:
        try:
            templates = importlib.import_module("deskflow.templates")
        except ImportError:
            _SHIPPED.append(PlainRenderer())
        else:
            _SHIPPED.append(templates.Templates())
    return _SHIPPED[0]


def _zone(name: object, default: ZoneInfo) -> ZoneInfo:
    if not isinstance(name, str) or not name.strip():
        return default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r in the people directory; using %s", name, default)
        return default


def _viewer(ticket: Ticket, audience: Audience) -> Actor:
    if audience is Audience.REQUESTER:
        return Actor(ticket.requester, Role.REQUESTER)
    return SYSTEM


def _names(
    people: PeopleDirectory | None, view: TicketView, event: Event, recipients: Sequence[str]
) -> dict[str, str]:
    if people is None:
        return {}
    out: dict[str, str] = {}
    for person in (*recipients, view.requester, view.assignee, event.actor):
        if person and person not in out:
            name = people.attributes(person).get("name")
            if isinstance(name, str) and name.strip():
                out[person] = name
    return out


def _group_order(group: tuple[tuple[str | None, str], list[str]]) -> tuple[str, str]:
    (locale, zone_name), _ = group
    return (locale or "", zone_name)


def render_notifications(
    ticket: Ticket,
    position: int,
    template: str,
    audience: Audience,
    recipients: tuple[str, ...],
    at: datetime,
    *,
    renderer: MessageRenderer,
    people: PeopleDirectory | None = None,
    fields: Mapping[str, CustomField] | None = None,
    zone: ZoneInfo = _UTC,
    views: dict[Audience, TicketView] | None = None,
) -> list[Notification]:
    """
    The notifications telling ``recipients`` (as ``audience``) about the event at
    ``position`` of ``ticket``'s history: one per (locale, zone) group of recipients, none
    when the audience may not see the event.

    A renderer that fails is logged and the message falls back to the plain one (from the
    same projection): the change it reports is not refused because a template broke.
    ``views`` keeps the audiences' views of ``ticket`` between calls for the same ticket.
    """
    role = Role.REQUESTER if audience is Audience.REQUESTER else Role.SYSTEM
    event = seen_event(role, ticket.history[position], fields=fields)
    if event is None:
        return []
    views = {} if views is None else views
    view = views.get(audience)
    if view is None:
        view = views[audience] = visible(_viewer(ticket, audience), ticket, fields=fields)
    groups: dict[tuple[str | None, str], list[str]] = {}
    zones: dict[str, ZoneInfo] = {}
    for recipient in recipients:
        held = people.attributes(recipient) if people is not None else {}
        wanted = held.get("locale")
        locale = renderer.locale_for(wanted if isinstance(wanted, str) else None)
        # A renderer without locales shows no times of its own: one group for everyone.
        where = _zone(held.get("timezone"), zone) if locale is not None else zone
        zones[str(where)] = where
        groups.setdefault((locale, str(where)), []).append(recipient)
    base = f"{ticket.id}#{position}:{template}"
    out: list[Notification] = []
    for (locale, zone_name), members in sorted(groups.items(), key=_group_order):
        request = MessageRequest(
            template=template,
            audience=audience,
            recipients=tuple(members),
            locale=locale,
            time_zone=zones[zone_name],
            ticket=view,
            event=event,
            at=at,
            names=_names(people, view, event, members),
        )
        try:
            message = renderer.render(request)
        except Exception:
            log.exception("template %r failed for %s; sending the plain message", template, base)
            message = PlainRenderer().render(request)
        key = base if len(groups) == 1 else f"{base}@{locale or '-'}/{zone_name}"
        out.append(
            Notification(
                dedup_key=key,
                ticket_id=ticket.id,
                recipients=tuple(members),
                template=template,
                audience=audience,
                # One line whatever wrote it (CR, NEL, U+2028 are line breaks to mail).
                subject=" ".join(message.subject.split()),
                body=message.body,
                html=message.html,
                locale=message.locale,
                time_zone=zone_name if message.locale is not None else None,
                created_at=at,
            )
        )
    return out
