"""
The demo scenario: the seeds' help-desk process, walked through in virtual time.

A requester opens a ticket; level 1 classifies and assigns it, asks for more information,
gets the reply and escalates to level 2; level 2 resolves it; the requester closes it.
:func:`run` returns the resulting tickets; the CLI (``python -m deskflow demo``) prints
their audit trail.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from deskflow.actors import Actor, Role
from deskflow.events import Classified, CommentAdded, FeedbackGiven
from deskflow.states import Trigger
from deskflow.ticket import Ticket, Visibility
from deskflow.workflows import INCIDENT

__all__ = ["START", "run"]

#: When the virtual day starts: a Monday morning in London, the week clocks go back.
START = datetime(2026, 10, 19, 8, 55, tzinfo=ZoneInfo("Europe/London"))

REQUESTER = Actor("ann.requester", Role.REQUESTER)
LEVEL_1 = Actor("lee.l1", Role.AGENT, tier=1, groups={"service-desk"})
LEVEL_2 = Actor("kim.l2", Role.AGENT, tier=2, groups={"network"})


def run(start: datetime = START) -> list[Ticket]:
    """
    Walk the scenario from ``start``; return the tickets it produced.
    """
    clock = start

    def later(minutes: int) -> datetime:
        nonlocal clock
        clock += timedelta(minutes=minutes)
        return clock

    wf = INCIDENT
    t = wf.open(
        "INC-1001",
        title="Cannot connect to the VPN",
        description="Since this morning the VPN client times out.",
        requester=REQUESTER,
        at=clock,
    )
    t = t.record(
        Classified(
            at=later(4),
            actor=LEVEL_1.id,
            category="network",
            service="vpn",
            impact="medium",
            urgency="high",
        )
    )
    t = wf.fire(
        t, Trigger.ASSIGN, actor=LEVEL_1, at=later(1), group="service-desk", assignee=LEVEL_1.id
    )
    t = wf.fire(t, Trigger.START, actor=LEVEL_1, at=later(2))
    t = t.record(
        CommentAdded(
            at=later(3),
            actor=LEVEL_1.id,
            body="Which VPN client version do you run, and from which network?",
            author_role=Role.AGENT,
        )
    )
    t = wf.fire(t, Trigger.REQUEST_INFO, actor=LEVEL_1, at=clock, reason="client version")
    t = t.record(
        CommentAdded(
            at=later(45),
            actor=REQUESTER.id,
            body="Version 5.2, from the hotel wifi.",
            author_role=Role.REQUESTER,
        )
    )
    t = wf.fire(t, Trigger.REPLY, actor=REQUESTER, at=clock)
    t = t.record(
        CommentAdded(
            at=later(20),
            actor=LEVEL_1.id,
            body="Known-good config; suspect the concentrator. Over to network.",
            visibility=Visibility.INTERNAL,
            author_role=Role.AGENT,
        )
    )
    t = wf.fire(
        t, Trigger.ESCALATE, actor=LEVEL_1, at=clock, tier=2, group="network", reason="beyond L1"
    )
    t = wf.fire(t, Trigger.START, actor=LEVEL_2, at=later(30), assignee=LEVEL_2.id)
    t = wf.fire(
        t,
        Trigger.RESOLVE,
        actor=LEVEL_2,
        at=later(95),
        resolution="Renewed the expired certificate on the VPN concentrator.",
    )
    t = wf.fire(t, Trigger.CLOSE, actor=REQUESTER, at=later(60))
    t = t.record(FeedbackGiven(at=clock, actor=REQUESTER.id, rating=5, comment="Quick, thanks"))
    return [t]
