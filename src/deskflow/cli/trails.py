"""
What ``deskflow demo`` prints: the demo's narration, each ticket's audit trail, every message
as its recipient reads it (in their language and time zone) and the SLA clocks, as plain
lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deskflow import demo
from deskflow.notifications import Notification
from deskflow.sla import ClockState, ClockStatus, SlaReport
from deskflow.ticket import Ticket

__all__ = ["audit_trail", "demo_lines", "message_lines", "sla_table"]


def _when(instant: datetime | None, zone: str = "Europe/London") -> str:
    if instant is None:
        return "-"
    return instant.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M")


def _span(value: timedelta | None) -> str:
    if value is None:
        return "-"
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}"


def audit_trail(ticket: Ticket, zone: str = "Europe/London") -> list[str]:
    """
    The ticket's history as readable lines (the staff view: internal entries marked), its
    times in ``zone``.
    """
    lines = [
        f"{ticket.id} — {ticket.title} [{ticket.state}, {ticket.priority or 'no priority'}, "
        f"tier {ticket.tier}]"
    ]
    for event in ticket.history:
        flag = "  (internal)" if event.internal else ""
        what = demo.readable(event, ZoneInfo(zone))
        lines.append(f"  {_when(event.at, zone)}  {event.actor:<15} {what}{flag}")
    return lines


def _outcome(clock: ClockStatus, zone: str) -> str:
    # Which came first, said in words: a clock met after its breach was met late.
    breached, met = clock.breached_at, clock.met_at
    if breached is not None and met is not None:
        return f"breached {_when(breached, zone)}, then met late {_when(met, zone)}"
    if breached is not None:
        return f"breached {_when(breached, zone)}, not met yet"
    if met is not None:
        return f"met in time {_when(met, zone)}"
    return "-"


def sla_table(report: SlaReport, zone: str = "Europe/London") -> list[str]:
    """
    One line per SLA clock of a report, its times in ``zone``: the state (``met late`` for
    a clock met after it breached) and the outcome in words, breach before meeting.
    """
    lines = [
        f"{report.ticket_id} as of {_when(report.at, zone)}",
        f"  {'metric':<16} {'state':<11} {'target':>7} {'elapsed':>8} {'paused':>7}  "
        f"{'due':<17} outcome",
    ]
    for metric, clock in report.clocks.items():
        state = clock.state.value.replace("_", " ")
        if clock.state is ClockState.MET and clock.breached_at is not None:
            state = "met late"
        lines.append(
            f"  {metric.value.replace('_', ' '):<16} {state:<11} {_span(clock.target):>7} "
            f"{_span(clock.elapsed):>8} {_span(clock.paused):>7}  "
            f"{_when(clock.due_at, zone):<17} {_outcome(clock, zone)}"
        )
    return lines


def _zone(name: object, default: str) -> ZoneInfo:
    try:
        return ZoneInfo(str(name)) if name else ZoneInfo(default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def _local_time(instant: datetime, locale: str, zone: ZoneInfo) -> str:
    # In the reader's language and zone, as a mail client shows it: "Mo., 19. Okt., 10:55".
    try:
        from babel import Locale, UnknownLocaleError
        from babel.dates import format_skeleton, format_time
    except ImportError:  # without the templates extra: the same instant, in English
        return instant.astimezone(zone).strftime("%a %d %b %H:%M")
    try:
        where = Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        where = Locale("en")
    day = format_skeleton("MMMEd", instant, tzinfo=zone, locale=where)
    return f"{day}, {format_time(instant, 'short', tzinfo=zone, locale=where)}"


def message_lines(
    recipient: str,
    messages: list[Notification],
    attributes: Mapping[str, object],
    default_zone: str = "Europe/London",
) -> list[str]:
    """
    What ``recipient`` received, as they read it: who they are (name, language, zone), then
    each message with its time in their zone and language, its subject and its body.
    """
    name = str(attributes.get("name") or recipient)
    first = messages[0] if messages else None
    locale = (first.locale if first else None) or str(attributes.get("locale") or "en")
    zone = _zone((first.time_zone if first else None) or attributes.get("timezone"), default_zone)
    count = f"{len(messages)} message{'s' if len(messages) != 1 else ''}"
    who = name if name == recipient else f"{name} ({recipient})"
    lines = [f"{who} — reads {locale}, in {zone.key} — {count}", ""]
    for message in messages:
        where = _zone(message.time_zone, zone.key)
        when = _local_time(message.created_at, message.locale or locale, where)
        lines.append(f"  {when}  {message.subject}")
        lines.extend(f"  | {line}".rstrip() for line in message.body.splitlines())
        lines.append("")
    return lines


def demo_lines(config: Path | None) -> list[str]:
    """
    Run the demo scenario (on ``config``, or the shipped desk) and return what it prints.
    """
    result = demo.run() if config is None else demo.run(config)
    zone = result.zone
    lines = [f"== What happened (virtual time in {zone}, a scheduler ticking every 15 minutes)"]
    lines.extend(["", *result.narration])
    lines.extend(["", f"== Audit trails (the staff view, times in {zone})", ""])
    for ticket in result.tickets:
        lines.extend([*audit_trail(ticket, zone), ""])
    lines.extend(["== What each person received, as they read it", ""])
    received: dict[str, list[Notification]] = defaultdict(list)
    for note in result.notifications:
        for recipient in note.recipients:
            received[recipient].append(note)
    for recipient in sorted(received):
        attributes = result.people.get(recipient, {})
        lines.extend(message_lines(recipient, received[recipient], attributes, zone))
    lines.extend([f"== SLA clocks (times in {zone}, the zone of the desk's calendar)", ""])
    for report in result.reports:
        lines.extend([*sla_table(report, zone), ""])
    return lines
