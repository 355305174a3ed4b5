"""
The demo scenario: the seeds' help desk on the default desk configuration, in virtual time.

An incident: a requester opens it; level 1 classifies it, asks for more information, gets
the reply; as three quarters of the resolution target go by, the desk's escalation policy
hands it to level 2 and tells the assignee, their manager and the supervisor; level 2
resolves it; the requester closes it with feedback. A service request needing approval: its
requester, an approver himself, tries to approve it and is refused; another approver
approves; it is fulfilled and closed. A scheduler ticks every 15 virtual minutes, and each
tick delivers what the commands since the last one queued.

[`run()`][deskflow.demo.run] returns what happened; ``python -m deskflow demo`` prints it.
"""

from __future__ import annotations

from collections.abc import Callable
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
from deskflow.config import DEFAULT_CONFIG
from deskflow.enums import Role
from deskflow.exceptions import DeskflowError
from deskflow.notifications import Notification
from deskflow.service import HelpDesk
from deskflow.sla import SlaReport
from deskflow.ticket import Ticket

__all__ = ["START", "DemoResult", "run"]

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

    def at(day: int, hh: int, mm: int) -> None:
        # Time passes as a scheduler would see it: a tick every 15 minutes.
        target = (start + timedelta(days=day)).replace(hour=hh, minute=mm)
        while clock.now() < target:
            clock.set(min(clock.now() + timedelta(minutes=15), target))
            report = desk.tick()
            for line in (*report.actions, *report.closed):
                narration.append(f"{_when(clock.now())}  tick: {line}")

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
    step(
        "ann.requester closes it, 5/5",
        lambda: desk.close(ANN, incident, rating=5, comment="Quick, thanks"),
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
    return DemoResult(
        tickets=tickets,
        notifications=tuple(notifier.sent),
        reports=tuple(desk.sla(LEE, t.id) for t in tickets),
        narration=tuple(narration),
    )


def _when(instant: datetime) -> str:
    return instant.astimezone(LONDON).strftime("%a %d %b %H:%M")
