"""
What a template reads, built from a [`MessageRequest`][deskflow.messages.MessageRequest]
alone (the reader's view of the ticket and the event as the reader sees it), and the Babel
filters that show instants and durations in the reader's zone and locale.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time, format_timedelta
from jinja2 import pass_context
from jinja2.runtime import Context

from deskflow._internal.template_catalog import ALL_EVENT_NAMES, event_names
from deskflow.messages import MessageRequest

__all__ = ["FILTERS", "babel_locale", "context_of"]


def babel_locale(name: str) -> Locale | None:
    """
    The Babel locale ``name`` reads as (``"de_AT"``, ``"en-GB"``), or None if it is none.
    """
    try:
        return Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def _plain(value: object) -> object:
    # Template values: enums as their values, tuples as lists, the rest as it is.
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list | frozenset | set):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, frozenset | set) else items
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _ticket(request: MessageRequest) -> dict[str, Any]:
    view = request.ticket
    return {
        "id": view.id,
        # One line: the subject is the template's first line, and a header is one line.
        "title": " ".join(view.title.split()),
        "description": view.description,
        "kind": view.kind.value,
        "state": view.state,
        "priority": None if view.priority is None else view.priority.value,
        "category": view.category,
        "service": view.service,
        "group": view.group,
        "assignee": request.name(view.assignee) or None,
        "requester": request.name(view.requester),
        "resolution": view.resolution,
        "hold_reason": view.hold_reason,
        "tier": view.tier,
        "created_at": view.created_at,
        "updated_at": view.updated_at,
        "fields": {k: _plain(v) for k, v in view.fields.items()},
        "tags": sorted(view.tags),
        "comments": [
            {"at": c.at, "author": request.name(c.author), "body": c.body} for c in view.comments
        ],
    }


def _event(request: MessageRequest) -> dict[str, Any]:
    event = request.event
    out: dict[str, Any] = {}
    for field in attrs.fields(type(event)):
        out[field.name] = _plain(getattr(event, field.name))
    out.update(
        type=type(event).__name__,
        at=event.at,
        actor=request.name(event.actor),
        summary=event.describe(),
    )
    for who in ("assignee",):
        if isinstance(out.get(who), str):
            out[who] = request.name(out[who])
    if isinstance(out.get("notified"), list):
        out["notified"] = [request.name(p) for p in out["notified"]]
    return out


#: An ISO 8601 instant as escalation reasons write them ("... passed 100% at 2026-03-02T...").
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})")


#: "next_response passed 50% at <when>" as SLA notices and tiers write their reasons.
_PASSED = re.compile(
    r"(first_response|next_response|periodic_update|resolution) passed (\S+) at (.+)"
)
_TIER = re.compile(r"tier (\d+)")
_METRICS_DE = {
    "first_response": "Erstreaktion",
    "next_response": "Folgereaktion",
    "periodic_update": "Regelmäßige Rückmeldung",
    "resolution": "Lösung",
}


def _readable(text: str, locale: str, zone: str) -> str:
    # The audit line's instants, as the reader reads times: in their zone and locale.
    def local(match: re.Match[str]) -> str:
        at = datetime.fromisoformat(match.group(0).replace("Z", "+00:00"))
        return _instant(at, babel_locale(locale) or Locale("en"), ZoneInfo(zone))

    text = _ISO.sub(local, text)
    passed = _PASSED.fullmatch(text)
    if passed is None:
        return text
    metric, threshold, where = passed.groups()
    if (babel_locale(locale) or Locale("en")).language == "de":
        label = _METRICS_DE[metric]
        amount = threshold.replace("%", " %") if threshold[:-1].isdigit() else threshold
        tier = _TIER.fullmatch(where)
        place = f"auf Stufe {tier.group(1)}" if tier else f"am {where}"
        return f"{label}: {amount} der Zielzeit erreicht {place}"
    return f"{metric.replace('_', ' ')} time passed {threshold} at {where}"


def context_of(request: MessageRequest, locale: str, template: str) -> dict[str, Any]:
    """
    The variables of ``template``, from ``request`` and nothing else; an ``event.<name>``
    the template may use that this event does not carry is None.
    """
    names = [request.name(r) for r in request.recipients]
    event = _event(request)
    for name in event_names(template) or ALL_EVENT_NAMES:
        event.setdefault(name, None)
    if isinstance(event.get("reason"), str):
        event["reason"] = _readable(event["reason"], locale, str(request.time_zone))
    return {
        "ticket": _ticket(request),
        "event": event,
        "recipient": names[0] if len(names) == 1 else "",
        "recipients": names,
        "audience": request.audience.value,
        "now": request.at,
        "locale": locale,
        "zone": str(request.time_zone),
    }


def _where(context: Context) -> tuple[Locale, ZoneInfo]:
    locale = babel_locale(str(context.get("locale", "en"))) or Locale("en")
    return locale, ZoneInfo(str(context.get("zone", "UTC")))


def _instant(value: datetime, locale: Locale, zone: ZoneInfo) -> str:
    # The long date, the short time and the zone: "30 March 2026, 10:15 CEST".
    local = value.astimezone(zone)
    day = format_date(local.date(), "long", locale=locale)
    pattern = f"{locale.time_formats['short'].pattern} z"
    return f"{day}, {format_time(local, pattern, tzinfo=zone, locale=locale)}"


@pass_context
def _datetime(context: Context, value: datetime | None, format: str | None = None) -> str:
    if value is None:
        return ""
    locale, zone = _where(context)
    if format is None:
        return _instant(value, locale, zone)
    return format_datetime(value.astimezone(zone), format, tzinfo=zone, locale=locale)


@pass_context
def _date(context: Context, value: datetime | date | None, format: str = "long") -> str:
    if value is None:
        return ""
    locale, zone = _where(context)
    if isinstance(value, datetime):
        value = value.astimezone(zone).date()
    return format_date(value, format, locale=locale)


@pass_context
def _time(context: Context, value: datetime | None, format: str = "short") -> str:
    if value is None:
        return ""
    locale, zone = _where(context)
    return format_time(value.astimezone(zone), format, tzinfo=zone, locale=locale)


@pass_context
def _duration(context: Context, value: timedelta | None, threshold: float = 0.85) -> str:
    if value is None:
        return ""
    locale, _ = _where(context)
    return format_timedelta(value, threshold=threshold, locale=locale)


#: The filters templates may use: ``{{ ticket.created_at|datetime }}``, ``|date``,
#: ``|time`` (in the reader's zone and locale) and ``|duration``.
FILTERS: Mapping[str, Any] = {
    "datetime": _datetime,
    "date": _date,
    "time": _time,
    "duration": _duration,
}
