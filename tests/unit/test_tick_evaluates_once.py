"""
A tick evaluates each due ticket's SLA clocks once: the report it acted on is handed, with
the ticket, to the save's next check, unless what the tick did changed a clock.
"""

from __future__ import annotations

from typing import Any

import pytest

import deskflow.sla
from builders import ANN, LEE, OFFICE, T0, H, M, S, helpdesk, working
from deskflow import Priority, Ticket
from deskflow.desk import Desk
from deskflow.enums import TicketKind
from deskflow.events import CommentAdded, PriorityChanged, SlaThresholdReached
from deskflow.policies.ladders import Ladder, LadderLevel, LadderPolicy
from deskflow.policies.notices import SlaNotices
from deskflow.policies.tiers import FunctionalTiers
from deskflow.sla import SlaPolicy


@pytest.fixture
def statuses(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """
    The metrics of every clock status the SLA code works out, in order.
    """
    seen: list[object] = []
    real = deskflow.sla._status

    def counted(clock: Any, *args: Any) -> deskflow.sla.ClockStatus:
        seen.append(clock.metric)
        return real(clock, *args)

    monkeypatch.setattr(deskflow.sla, "_status", counted)
    return seen


def _desk(sla: SlaPolicy, escalation: object) -> Desk:
    # The policy for incidents; the defaults' for the other kinds.
    return Desk(sla={**Desk().sla, TicketKind.INCIDENT: sla}, escalation=escalation)


@pytest.mark.parametrize(
    "escalation", [None, SlaNotices({"resolution": {"50%": "assignee"}})], ids=["none", "notices"]
)
def test_a_tick_evaluates_a_due_ticket_once(
    statuses: list[object], escalation: SlaNotices | None
) -> None:
    sla = SlaPolicy.itil(OFFICE)
    rig = helpdesk(_desk(sla, escalation))
    t = rig.desk.open(ANN, title="VPN down", impact="medium", urgency="medium")
    rig.desk.assign(LEE, t.id, group="service-desk", assignee=LEE.id)
    rig.clock.set(T0 + 5 * H)  # past 50% of resolution, and first response breached
    statuses.clear()
    report = rig.desk.tick()
    assert report.checked == [t.id]
    assert report.thresholds
    assert len(statuses) == len(sla.metrics)  # one report, for the work and the save
    saved = rig.repo.get(t.id)
    fresh = Ticket.replay(saved.history)
    assert rig.desk._next_check(saved, rig.clock.now()) == rig.desk._next_check(
        fresh, rig.clock.now()
    )


def test_a_tick_that_escalates_evaluates_again_for_the_save(statuses: list[object]) -> None:
    # The escalation moves the ticket to tier 2: the report the tick acted on no longer
    # describes it, so the save's next check comes from the clocks after the change.
    sla = SlaPolicy.itil(OFFICE)
    tiers = FunctionalTiers(["service-desk", "network"])
    rig = helpdesk(_desk(sla, tiers))
    t = rig.desk.open(ANN, title="VPN down", impact="medium", urgency="medium")
    rig.desk.assign(LEE, t.id, group="service-desk", assignee=LEE.id)
    rig.desk.start(LEE, t.id)
    rig.clock.set(T0 + 52 * H)  # 20 business hours: past 75% of 24
    report = rig.desk.tick()
    assert report.actions
    saved = rig.repo.get(t.id)
    assert saved.tier == 2
    now = rig.clock.now()
    assert rig.desk._next_check(saved, now) == rig.desk._next_check(
        Ticket.replay(saved.history), now
    )


def _opened() -> Ticket:
    return working(priority="P3")


def test_a_report_is_reused_after_events_no_clock_reads() -> None:
    policy = SlaPolicy.itil(OFFICE)
    t = _opened()
    now = T0 + 3 * H
    report = policy.evaluate(t, now)
    later = t.record(
        SlaThresholdReached(
            at=now, actor="system", metric="resolution", threshold="50%", dedup_key="k"
        )
    ).record(
        CommentAdded(at=now, actor="lee", body="note", visibility="internal", author_role="agent")
    )
    assert policy.evaluate(later, now) is report
    assert policy.evaluate(later, now) == policy.evaluate(Ticket.replay(later.history), now)
    assert policy.next_check_at(later, now) == report.next_check_at


@pytest.mark.parametrize(
    "event",
    [
        PriorityChanged(at=T0 + 3 * H, actor="sam", priority=Priority.P1, previous=Priority.P3),
        CommentAdded(at=T0 + 3 * H, actor="lee", body="on it", author_role="agent"),
    ],
    ids=["priority", "public-reply"],
)
def test_a_report_is_not_reused_after_an_event_a_clock_reads(event: object) -> None:
    policy = SlaPolicy.itil(OFFICE)
    t = _opened()
    now = T0 + 3 * H
    report = policy.evaluate(t, now)
    later = t.record(event)  # type: ignore[arg-type]
    again = policy.evaluate(later, now)
    assert again is not report
    assert again == policy.evaluate(Ticket.replay(later.history), now)
    assert policy.next_check_at(later, now) == again.next_check_at
    assert policy.evaluate(t, now + M) == policy.evaluate(Ticket.replay(t.history), now + M)


def test_a_command_under_a_ladder_builds_no_report(statuses: list[object]) -> None:
    ladder = LadderPolicy(Ladder([LadderLevel(["kim"], delay=15 * M), LadderLevel(["mia"])]))
    rig = helpdesk(_desk(SlaPolicy.itil(OFFICE), ladder))
    t = rig.desk.open(ANN, title="Site down", impact="high", urgency="high")
    statuses.clear()
    rig.desk.comment(LEE, t.id, body="looking")
    assert statuses == []
    saved = rig.repo.get(t.id)
    now = rig.clock.now()
    report = SlaPolicy.itil(OFFICE).evaluate(saved, now)
    expected = min(
        c for c in (report.next_check_at, ladder.next_check_at(saved, report, now)) if c is not None
    )
    assert rig.desk._next_check(saved, now) == max(expected, now + S)
