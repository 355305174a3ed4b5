"""
Builders the tests share: the instant most of them start at, the cast of actors, two business
calendars, small ticket factories and a help desk over the in-memory adapters.

A test file imports what it needs (`from builders import T0, LEE, incident`). A file whose start
is another instant on purpose (a Friday afternoon, a daylight-saving night) names its own, with
a comment saying why.

>>> incident().state, incident().requester, T0.isoformat()
('new', 'ann', '2026-03-02T09:00:00+00:00')
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from deskflow import INCIDENT, Actor, Role, Ticket, Trigger
from deskflow.adapters import InMemoryNotifier, InMemoryTicketRepository, ManualClock
from deskflow.calendars import BusinessCalendar
from deskflow.desk import Desk
from deskflow.ports import KnowledgeBase
from deskflow.service import DeliveryMode, HelpDesk

#: Monday 2 March 2026, 09:00 UTC: a working day, the minute the office opens.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S = timedelta(seconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
DAY = timedelta(days=1)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
#: Office hours, 09:00-17:00 on weekdays, as a calendar's week is written.
OFFICE_HOURS = {day: ["09:00-17:00"] for day in WEEKDAYS}
#: A calendar open 09:00-17:00 UTC on weekdays.
OFFICE = BusinessCalendar("UTC", OFFICE_HOURS)
#: A calendar that never closes (24x7).
ALWAYS = BusinessCalendar.always("UTC")

# The cast: the same names mean the same people in every test.
ANN = Actor("ann", Role.REQUESTER)
ZOE = Actor("zoe", Role.REQUESTER)
#: The first-line agent of the service desk.
LEE = Actor("lee", Role.AGENT, tier=1, groups={"service-desk"})
#: The second-line agent of the network group.
KIM = Actor("kim", Role.AGENT, tier=2, groups={"network"})
#: The supervisor of both groups.
SAM = Actor("sam", Role.SUPERVISOR, groups={"service-desk", "network"})
MAX, MIA, MO = (Actor(name, Role.APPROVER) for name in ("max", "mia", "mo"))
ADA = Actor("ada", Role.ADMIN)


def incident(
    ticket_id: str = "T-1",
    *,
    at: datetime = T0,
    requester: Actor | str = ANN,
    title: str = "VPN down",
    description: str = "",
    priority: str | None = None,
    group: str | None = None,
    tier: int = 1,
    impact: str | None = None,
    urgency: str | None = None,
    category: str | None = None,
    service: str | None = None,
) -> Ticket:
    """
    Ann's new incident "VPN down", logged at `T0`, unless the arguments say otherwise.
    """
    return INCIDENT.open(
        ticket_id,
        title=title,
        requester=requester,
        at=at,
        description=description,
        priority=priority,
        group=group,
        tier=tier,
        impact=impact,
        urgency=urgency,
        category=category,
        service=service,
    )


def working(
    ticket_id: str = "T-1",
    *,
    at: datetime = T0,
    priority: str | None = "P2",
    group: str = "service-desk",
) -> Ticket:
    """
    Ann's incident assigned to Lee in `group` and started, all at `at`.
    """
    t = incident(ticket_id, at=at, priority=priority)
    t = INCIDENT.fire(t, Trigger.ASSIGN, actor=LEE, at=at, group=group, assignee=LEE.id)
    return INCIDENT.fire(t, Trigger.START, actor=LEE, at=at)


class Rig(NamedTuple):
    """
    A help desk and the in-memory adapters behind it, for a test to drive and inspect.
    """

    desk: HelpDesk
    repo: InMemoryTicketRepository
    notifier: InMemoryNotifier
    clock: ManualClock


def helpdesk(
    desk: Desk | None = None,
    *,
    at: datetime = T0,
    knowledge_base: KnowledgeBase | None = None,
    deliver: DeliveryMode = "worker",
) -> Rig:
    """
    A `HelpDesk` configured by `desk` (the defaults if None) whose manual clock reads `at`;
    it delivers as ``deliver`` says (by default only when asked: `deliver_pending()`, `tick()`).
    """
    repo, notifier, clock = InMemoryTicketRepository(), InMemoryNotifier(), ManualClock(at)
    service = HelpDesk(repo, notifier, clock, desk, knowledge_base=knowledge_base, deliver=deliver)
    return Rig(service, repo, notifier, clock)
