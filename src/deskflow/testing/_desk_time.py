"""
How a DeskStateMachine moves its clock: named steps a failing script shows as they were
drawn (``"+31m"``, ``"next closing"``, ``"next check"``...), each landing at, just before or
just after an instant that matters to the desk: business-hour boundaries, DST changes, the
next SLA threshold, escalation step or auto-close of any ticket.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from deskflow.calendars import BusinessCalendar
from deskflow.desk import Desk
from deskflow.escalation import EscalationPolicy
from deskflow.sla import SlaPolicy
from deskflow.ticket import Ticket

#: Fixed steps: across closing time, nights, weekends and reopen windows.
FIXED = {
    "+1m": timedelta(minutes=1),
    "+10m": timedelta(minutes=10),
    "+31m": timedelta(minutes=31),
    "+1h": timedelta(hours=1),
    "+4h": timedelta(hours=4),
    "+16h": timedelta(hours=16),
    "+2d16h": timedelta(days=2, hours=16),
    "+8d": timedelta(days=8),
}
#: Steps to the next instant of a kind.
TARGETED = ("next opening", "next closing", "next DST change", "next check", "last check")
#: How far before or after the instant a targeted step lands.
NUDGES = (timedelta(0), timedelta(minutes=-1), timedelta(minutes=1))


def steps() -> st.SearchStrategy[str]:
    """
    A step's name: a targeted one half the time.
    """
    return st.sampled_from(TARGETED) | st.sampled_from(tuple(FIXED))


def nudges() -> st.SearchStrategy[int]:
    """
    Minutes off the targeted instant: 0, -1 or +1 (fixed steps ignore it).
    """
    return st.sampled_from((0, -1, 1))


def _calendars(desk: Desk, tickets: Iterable[Ticket]) -> list[BusinessCalendar]:
    found: dict[int, BusinessCalendar] = {}
    for policy in desk.sla.values():
        if isinstance(policy.calendar, BusinessCalendar):
            found[id(policy.calendar)] = policy.calendar
    for ticket in tickets:
        calendar = desk.sla_for(ticket).calendar_for(ticket)
        found[id(calendar)] = calendar
    return list(found.values())


def _opening(calendar: BusinessCalendar, now: datetime) -> datetime:
    opening = calendar.next_open(now)
    return calendar.next_open(calendar.next_close(now)) if opening == now else opening


def next_dst_change(zone: ZoneInfo, now: datetime) -> datetime | None:
    """
    The first instant after ``now`` (within a year) at which ``zone``'s UTC offset changes.
    """
    here = now.astimezone(zone)
    offset = here.utcoffset()
    step = timedelta(days=1)
    probe = here
    for _ in range(366):
        ahead = (probe + step).astimezone(zone)
        if ahead.utcoffset() != offset:
            low, high = probe, ahead
            while high - low > timedelta(minutes=1):
                middle = (low + (high - low) / 2).astimezone(zone)
                if middle.utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            return high.replace(second=0, microsecond=0)
        probe = ahead
    return None


def next_checks(desk: Desk, ticket: Ticket, now: datetime) -> list[datetime]:
    """
    When anything about ``ticket`` next happens in time: an SLA threshold or breach, an
    escalation step, its auto-close.
    """
    workflow = desk.workflow_for(ticket)
    if workflow.is_final(ticket.state):
        return []
    at = max(now, ticket.updated_at)
    policy: SlaPolicy = desk.sla_for(ticket)
    report = policy.evaluate(ticket, at)
    found = [report.next_check_at]
    escalation: EscalationPolicy | None = desk.escalation_for(ticket)
    if escalation is not None:
        found.append(escalation.next_check_at(ticket, report, at))
    found.append(desk.auto_close_at(ticket))
    return [when for when in found if when is not None and when > now]


def target(step: str, nudge: int, now: datetime, desk: Desk, tickets: Iterable[Ticket]) -> datetime:
    """
    The instant a step drawn at ``now`` moves the clock to (never backwards).
    """
    if step in FIXED:
        return now + FIXED[step]
    tickets = list(tickets)
    calendars = _calendars(desk, tickets)
    candidates: list[datetime] = []
    for calendar in calendars:
        if calendar.always_open and step in ("next opening", "next closing"):
            continue
        if step == "next opening":
            candidates.append(_opening(calendar, now))
        elif step == "next closing":
            candidates.append(calendar.next_close(now))
        elif step == "next DST change":
            change = next_dst_change(ZoneInfo(calendar.timezone), now)
            if change is not None:
                candidates.append(change)
    if step in ("next check", "last check"):
        for ticket in tickets:
            candidates.extend(next_checks(desk, ticket, now))
    if not candidates:
        return now + timedelta(hours=1)
    # The last check: the latest of the tickets' next checks (an auto-close, say).
    chosen = max(candidates) if step == "last check" else min(candidates)
    return max(now, chosen + timedelta(minutes=nudge))
