"""
The demo scenario: the seeds' help desk on the default desk configuration, in virtual time.

An incident: a requester opens it; level 1 classifies it, asks for more information, gets
the reply; as three quarters of the resolution target go by, the desk's escalation policy
hands it to level 2 and tells the assignee, their manager and the supervisor; level 2
resolves it; the requester closes it, is sent a satisfaction survey and answers it. A
service request needing approval: its requester, an approver himself, tries to approve it
and is refused; another approver approves; it is fulfilled and closed with a rating (so no
survey). A scheduler ticks every 15 virtual minutes, and each tick delivers what the
commands since the last one queued.

The people come from the desk's ``[people]`` tables: the requester of the incident reads
German in Berlin, the staff British English in London. [`run()`][deskflow.demo.run]
returns what happened; ``python -m deskflow demo`` prints it, with each message as its
recipient reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs

from deskflow.actors import Actor
from deskflow.adapters import (
    InMemoryKnowledgeBase,
    InMemoryNotifier,
    InMemoryTicketRepository,
    ManualClock,
)
from deskflow.calendars import BusinessCalendar
from deskflow.config import DEFAULT_CONFIG
from deskflow.enums import Role, TicketKind
from deskflow.events import ActionFired, Escalated, NotificationQueued, SlaThresholdReached
from deskflow.exceptions import DeskflowError
from deskflow.notifications import Notification
from deskflow.service import HelpDesk
from deskflow.sla import SlaReport
from deskflow.surveys import SurveySent
from deskflow.ticket import Event, Ticket

__all__ = ["START", "DemoResult", "readable", "run"]

LONDON = ZoneInfo("Europe/London")
#: When the virtual day starts: a Monday morning in London.
START = datetime(2026, 10, 19, 8, 55, tzinfo=LONDON)

ANN = Actor("ann.requester", Role.REQUESTER)
LEE = Actor("lee.l1", Role.AGENT, tier=1, groups={"service-desk"})
KIM = Actor("kim.l2", Role.AGENT, tier=2, groups={"network"})
MAX = Actor("max.approver", Role.APPROVER)
MIA = Actor("mia.manager", Role.APPROVER)


@attrs.frozen
class DemoResult:
    """
    What the scenario produced: the tickets (as staff see them), every notification sent,
    the SLA report of each ticket at the end, and a narration of the steps, refusals included.
    """

    tickets: tuple[Ticket, ...]
    notifications: tuple[Notification, ...]
    reports: tuple[SlaReport, ...]
    narration: tuple[str, ...]
    #: The IANA zone of the desk's SLA calendar: the narration's and SLA reports' times.
    zone: str = "Europe/London"
    #: What the desk's directory says of each recipient (name, locale, timezone, email).
    people: Mapping[str, Mapping[str, object]] = attrs.field(factory=dict)


def readable(event: Event, zone: ZoneInfo = LONDON) -> str:
    """
    One line saying what ``event`` did, for a person: without the dedup keys and ISO
    instants of the audit trail's own descriptions (the trail shows the time beside it),
    any other instant in ``zone``.
    """
    if isinstance(event, SurveySent):
        until = event.expires_at.astimezone(zone).strftime("%a %d %b %H:%M")
        return f"satisfaction survey sent, open until {until}"
    if isinstance(event, SlaThresholdReached):
        clock = event.metric.value.replace("_", " ")
        if event.threshold == "100%":
            return f"SLA: the {clock} target was breached"
        return f"SLA: {event.threshold} of the {clock} target used"
    if isinstance(event, Escalated):
        return f"{event.template} sent to {', '.join(event.notified)}"
    if isinstance(event, ActionFired):
        return f"escalation policy: {event.action}"
    return event.describe()


def run(config: str | Path = DEFAULT_CONFIG, start: datetime = START) -> DemoResult:
    """
    Walk the scenario on the desk described by ``config``, starting at ``start``.
    """
    repo, notifier = InMemoryTicketRepository(), InMemoryNotifier()
    clock = ManualClock(start)
    desk = HelpDesk.from_config(
        config,
        repository=repo,
        notifier=notifier,
        clock=clock,
        knowledge_base=InMemoryKnowledgeBase(),
    )
    narration: list[str] = []
    known: list[str] = []
    # The zone of the incidents' SLA calendar (one chosen per ticket: the start's zone).
    calendar = desk.desk.sla[TicketKind.INCIDENT].calendar
    zone = (
        ZoneInfo(calendar.timezone)
        if isinstance(calendar, BusinessCalendar)
        else start.tzinfo
        if isinstance(start.tzinfo, ZoneInfo)
        else LONDON
    )

    def _when(instant: datetime) -> str:
        return instant.astimezone(zone).strftime("%a %d %b %H:%M")

    def at(day: int, hh: int, mm: int) -> None:
        # Time passes as a scheduler would see it: a tick every 15 minutes. What a tick
        # did is told from the events it recorded.
        target = (start + timedelta(days=day)).replace(hour=hh, minute=mm)
        while clock.now() < target:
            clock.set(min(clock.now() + timedelta(minutes=15), target))
            before = {ticket_id: repo.get(ticket_id).version for ticket_id in known}
            for ticket_id in desk.tick().saved:
                for event in repo.get(ticket_id).history[before.get(ticket_id, 0) :]:
                    if not isinstance(event, NotificationQueued | ActionFired):
                        line = f"tick: {ticket_id} {readable(event, zone)}"
                        narration.append(f"{_when(clock.now())}  {line}")

    def step(text: str, command: Callable[[], object]) -> None:
        try:
            command()
        except DeskflowError as error:
            narration.append(f"{_when(clock.now())}  {text}: REFUSED ({error})")
        else:
            narration.append(f"{_when(clock.now())}  {text}")

    incident = desk.open(
        ANN,
        title="Cannot connect to the VPN",
        description="Since this morning the VPN client times out.",
    ).id
    known.append(incident)
    narration.append(f"{_when(clock.now())}  ann.requester opens {incident}")
    at(0, 9, 2)
    step(
        "lee.l1 classifies it: network / vpn, impact medium, urgency high",
        lambda: desk.classify(
            LEE, incident, category="network", service="vpn", impact="medium", urgency="high"
        ),
    )
    step(
        "lee.l1 takes it",
        lambda: desk.assign(LEE, incident, group="service-desk", assignee=LEE.id),
    )
    step("lee.l1 starts work", lambda: desk.start(LEE, incident))
    at(0, 9, 5)
    step(
        "lee.l1 asks for the client version",
        lambda: desk.request_info(
            LEE, incident, question="Which VPN client version, and from which network?"
        ),
    )
    at(0, 9, 50)
    step(
        "ann.requester replies",
        lambda: desk.reply(ANN, incident, body="Version 5.2, from the hotel wifi."),
    )
    at(0, 10, 10)
    step(
        "lee.l1 answers",
        lambda: desk.comment(LEE, incident, body="Thanks, checking the VPN gateway now."),
    )
    step(
        "lee.l1 adds an internal note",
        lambda: desk.comment(
            LEE,
            incident,
            body="Client config is fine; suspect the concentrator certificate.",
            internal=True,
        ),
    )
    at(0, 16, 0)
    step("kim.l2 picks it up", lambda: desk.start(KIM, incident))
    at(0, 16, 40)
    step(
        "kim.l2 replies",
        lambda: desk.comment(KIM, incident, body="Renewed a certificate; please try again."),
    )
    step(
        "kim.l2 resolves it",
        lambda: desk.resolve(
            KIM, incident, resolution="Renewed the expired certificate on the VPN concentrator."
        ),
    )
    at(1, 9, 30)
    step("ann.requester closes it", lambda: desk.close(ANN, incident))
    at(1, 9, 45)
    step(
        "ann.requester answers the satisfaction survey, 5/5",
        lambda: desk.answer_survey(ANN, incident, rating=5, comment="Quick, thanks"),
    )

    at(1, 10, 0)
    request = desk.open(
        MAX,
        title="Local admin rights on my laptop",
        kind="service_request",
        category="access",
        impact="low",
        urgency="medium",
    ).id
    known.append(request)
    narration.append(f"{_when(clock.now())}  max.approver requests {request}")
    at(1, 10, 5)
    step("lee.l1 asks for approval", lambda: desk.request_approval(LEE, request))
    at(1, 10, 10)
    step("max.approver approves his own request", lambda: desk.approve(MAX, request))
    at(1, 10, 30)
    step(
        "mia.manager approves it",
        lambda: desk.approve(MIA, request, comment="For 30 days"),
    )
    at(1, 10, 40)
    step(
        "lee.l1 takes it",
        lambda: desk.assign(LEE, request, group="service-desk", assignee=LEE.id),
    )
    step("lee.l1 starts work", lambda: desk.start(LEE, request))
    at(1, 11, 0)
    step(
        "lee.l1 fulfils it",
        lambda: desk.resolve(LEE, request, resolution="Granted local admin for 30 days."),
    )
    at(1, 11, 20)
    step("max.approver closes it, 4/5", lambda: desk.close(MAX, request, rating=4))
    desk.deliver_pending()
    tickets = tuple(repo.get(ticket_id) for ticket_id in (incident, request))
    directory = desk.desk.people
    recipients = sorted({r for n in notifier.sent for r in n.recipients})
    return DemoResult(
        tickets=tickets,
        notifications=tuple(notifier.sent),
        reports=tuple(desk.sla(LEE, t.id) for t in tickets),
        narration=tuple(narration),
        zone=str(zone),
        people={
            r: dict(directory.attributes(r)) if directory is not None else {} for r in recipients
        },
    )
