"""
End-to-end scenarios of the seeds' help desk through HelpDesk, in virtual time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from builders import ANN, KIM, LEE, OFFICE, SAM, ZOE, H, M, Rig, helpdesk
from deskflow import (
    ConcurrencyError,
    InvalidInput,
    InvalidTransition,
    Metric,
    NotFound,
    PermissionDenied,
    Priority,
    Ticket,
)
from deskflow.actors import Actor
from deskflow.adapters import (
    InMemoryKnowledgeBase,
    InMemoryNotifier,
    InMemoryTicketRepository,
    ManualClock,
)
from deskflow.approval import ApprovalPolicy, ApprovalStage
from deskflow.desk import Desk
from deskflow.enums import Role
from deskflow.service import HelpDesk
from deskflow.sla import SlaPolicy
from deskflow.workflows import INCIDENT, SERVICE_REQUEST

#: Five minutes before the office opens on a Monday (`T0` is the opening minute itself): the
#: scenarios start outside business hours on purpose.
MONDAY = datetime(2026, 3, 2, 8, 55, tzinfo=UTC)


def make_desk(**overrides: Any) -> Rig:
    """
    The seeds' desk (ITIL SLAs on office hours, an any-of-two approval) at `MONDAY`.
    """
    settings: dict[str, Any] = {
        "sla": {
            "incident": SlaPolicy.itil(OFFICE, workflow=INCIDENT),
            "service_request": SlaPolicy.itil(OFFICE, workflow=SERVICE_REQUEST),
        },
        "approval": ApprovalPolicy([ApprovalStage(["max", "mia"], required="any")]),
    }
    settings.update(overrides)
    return helpdesk(Desk(**settings), at=MONDAY, knowledge_base=InMemoryKnowledgeBase())


def test_the_seeds_incident_from_opening_to_feedback() -> None:
    """
    Open, classify, ask, reply, escalate, resolve, close with feedback; all documented.
    """
    desk, repo, notifier, clock = make_desk()
    t = desk.open(ANN, title="Cannot reach the VPN", description="Times out since 8am")
    clock.advance(5 * M)
    desk.classify(LEE, t.id, category="network", service="vpn", impact="medium", urgency="high")
    desk.assign(LEE, t.id, group="service-desk", assignee="lee")
    desk.start(LEE, t.id)
    desk.request_info(LEE, t.id, question="Which client version?")
    clock.advance(H)
    desk.reply(ANN, t.id, body="5.2, from the hotel")
    desk.comment(LEE, t.id, body="Concentrator certificate looks expired", internal=True)
    desk.escalate(LEE, t.id, tier=2, group="network", reason="needs the network team")
    clock.advance(30 * M)
    desk.start(KIM, t.id)
    clock.advance(H)
    desk.resolve(KIM, t.id, resolution="Renewed the concentrator certificate")
    closed = desk.close(ANN, t.id, rating=5, comment="Quick")
    stored = repo.get(t.id)
    assert ("closed", 5, Priority.P2, 2) == (
        closed.state,
        closed.feedback.rating if closed.feedback else None,
        stored.priority,
        stored.tier,
    )
    assert Ticket.replay(stored.history) == stored
    assert [] == notifier.sent  # commands return after their save; a worker delivers
    desk.deliver_pending()
    sent = {(n.template, n.recipients) for n in notifier.sent}
    assert ("ticket_received", ("ann",)) in sent
    assert ("information_requested", ("ann",)) in sent
    assert ("requester_replied", ("lee",)) in sent
    assert ("ticket_resolved", ("ann",)) in sent
    assert [] == repo.pending_notifications(10)
    # The requester's view and messages never carry the internal note.
    assert all("certificate looks expired" not in c.body for c in closed.comments)
    assert all(
        "certificate looks expired" not in n.body for n in notifier.sent if "ann" in n.recipients
    )
    assert desk.knowledge_base is not None


def test_a_request_needing_approval_refuses_self_approval() -> None:
    """
    A service request waits for approval; its requester cannot approve it; another can.
    """
    desk, repo, _, _ = make_desk()
    self_approving = Actor("max", Role.APPROVER)
    r = desk.open(self_approving, title="Admin rights on my laptop", kind="service_request")
    desk.request_approval(LEE, r.id)
    with pytest.raises(PermissionDenied):
        desk.approve(self_approving, r.id)
    assert "awaiting_approval" == repo.get(r.id).state
    assert "approved" == desk.approve(Actor("mia", Role.APPROVER), r.id, comment="ok").state


def test_repeated_alerts_add_to_the_open_ticket() -> None:
    """
    The same alert key opens one ticket; repeats are internal notes until it is closed.
    """
    desk, repo, _, _ = make_desk()
    monitor = Actor("nagios", Role.AGENT, tier=1, groups={"service-desk"})
    first = desk.open_from_alert(
        monitor, alert_key="disk:db1", title="Disk 95% on db1", impact="high", urgency="high"
    )
    again = desk.open_from_alert(monitor, alert_key="disk:db1", title="Disk 97% on db1")
    assert first.id == again.id
    assert 1 == len(repo.by_state("new"))
    assert Priority.P1 == repo.get(first.id).priority
    desk.cancel(monitor, first.id, reason="cleaned up")
    assert first.id != desk.open_from_alert(monitor, alert_key="disk:db1", title="Disk 99%").id


def test_failing_notifier_loses_nothing() -> None:
    """
    A notifier that fails keeps notifications pending; the state change is saved; the next
    delivery sends each exactly once.
    """
    desk, repo, notifier, _ = make_desk()
    notifier.fail_always()
    t = desk.open(ANN, title="Printer jam")
    assert "new" == repo.get(t.id).state
    pending = [n.dedup_key for n in repo.pending_notifications(10)]
    assert 1 == len(pending)
    notifier.recover()
    assert tuple(pending) == desk.deliver_pending().sent
    assert () == desk.deliver_pending().sent
    assert pending == [n.dedup_key for n in notifier.sent]


def test_failed_commands_store_and_send_nothing() -> None:
    """
    NotFound, PermissionDenied, InvalidTransition and bad input leave store and outbox alone.
    """
    desk, repo, notifier, _ = make_desk()
    t = desk.open(ANN, title="Printer jam")
    desk.deliver_pending()
    before, sent = repo.get(t.id), len(notifier.sent)
    with pytest.raises(NotFound):
        desk.start(LEE, "INC-404")
    with pytest.raises(PermissionDenied):
        desk.view(ZOE, t.id)
    with pytest.raises(PermissionDenied):
        desk.resolve(ANN, t.id, resolution="fixed it myself")
    with pytest.raises(PermissionDenied, match="requesters may only close"):
        desk.close(ANN, t.id)
    with pytest.raises(InvalidTransition):
        desk.close(LEE, t.id)
    with pytest.raises(InvalidInput):
        desk.comment(LEE, t.id, body="   ")
    with pytest.raises(InvalidInput):
        desk.start("lee", t.id)  # type: ignore[arg-type]
    assert before == repo.get(t.id)
    assert [] == repo.pending_notifications(10)
    assert sent == len(notifier.sent)


class RacingRepository(InMemoryTicketRepository):
    """
    A repository where another process saves the ticket between our load and our save.
    """

    def __init__(self, rival: Actor) -> None:
        super().__init__()
        self.rival = rival
        self.armed = False

    def get(self, ticket_id: str) -> Ticket:
        ticket = super().get(ticket_id)
        if self.armed:
            self.armed = False
            changed = INCIDENT.fire(
                ticket, "assign", actor=self.rival, at=ticket.updated_at, group="network"
            )
            super().save(changed, expected_version=ticket.version)
        return ticket


def test_a_lost_race_is_a_concurrency_error_and_writes_nothing() -> None:
    """
    A stale save raises ConcurrencyError; the rival's change stands and nothing is queued.
    """
    repo = RacingRepository(KIM)
    desk = HelpDesk(repo, InMemoryNotifier(), ManualClock(MONDAY))
    t = desk.open(ANN, title="VPN")
    desk.deliver_pending()
    repo.armed = True
    with pytest.raises(ConcurrencyError):
        desk.assign(LEE, t.id, group="service-desk", assignee="lee")
    assert ("network", None) == (repo.get(t.id).group, repo.get(t.id).assignee)
    assert [] == repo.pending_notifications(10)


def test_tick_records_thresholds_once_and_auto_closes() -> None:
    """
    Ticks record each SLA threshold once and close resolved tickets after the business delay.
    """
    desk, repo, _, clock = make_desk(auto_close_after=timedelta(hours=8))
    t = desk.open(ANN, title="Laptop slow", impact="low", urgency="low")
    clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=UTC))
    first = desk.tick()
    assert t.id in first.checked
    assert f"{t.id}|sla|first_response|c1|50%" in first.thresholds
    assert [] == desk.tick().thresholds
    desk.resolve(LEE, t.id, resolution="Cleared the cache")
    clock.set(datetime(2026, 3, 5, 11, 59, tzinfo=UTC))
    assert [] == desk.tick().closed
    clock.set(datetime(2026, 3, 5, 12, 0, tzinfo=UTC))
    assert [t.id] == desk.tick().closed
    assert "closed" == repo.get(t.id).state
    assert repo.due(datetime(2030, 1, 1, tzinfo=UTC), 10) == []


def test_tick_touches_only_due_tickets() -> None:
    """
    A tick checks the tickets whose next check has come, not every open ticket.
    """
    desk, _, _, clock = make_desk()
    for n in range(20):
        desk.open(ANN, title=f"Ticket {n}", impact="low", urgency="low")
    clock.advance(M)
    assert [] == desk.tick().checked
    first_check = desk.sla(SAM, "INC-1")[Metric.FIRST_RESPONSE].next_check_at
    assert first_check is not None
    clock.set(first_check)
    assert 20 == len(desk.tick().checked)


def test_merge_split_and_link() -> None:
    """
    Merging cancels the duplicate and links both ways; splitting opens linked tickets.
    """
    desk, repo, _, _ = make_desk()
    a = desk.open(ANN, title="Mail down")
    b = desk.open(ANN, title="Mail down again")
    desk.merge(LEE, b.id, into=a.id)
    assert "cancelled" == repo.get(b.id).state
    assert ("merged_from", b.id) in [
        (link.kind.value, link.other_id) for link in repo.get(a.id).links
    ]
    parts = desk.split(LEE, a.id, titles=["Outlook crashes", "Phone mail fails"])
    assert 2 == len(parts)
    assert {p.id for p in parts} <= {link.other_id for link in repo.get(a.id).links}
    desk.link(LEE, parts[0].id, other_id=parts[1].id)
    assert "related" == repo.get(parts[1].id).links[-1].kind
    with pytest.raises(InvalidInput):
        desk.link(LEE, a.id, other_id=a.id)


def test_requester_sees_only_their_own_tickets_and_no_internal_entries() -> None:
    """
    Changing the id does not show another requester's ticket; internal notes stay hidden.
    """
    desk, _, _, _ = make_desk()
    mine = desk.open(ANN, title="VPN")
    theirs = desk.open(ZOE, title="Badge")
    desk.comment(LEE, mine.id, body="Root cause: our fault", internal=True)
    with pytest.raises(PermissionDenied):
        desk.view(ANN, theirs.id)
    view = desk.view(ANN, mine.id)
    assert all(not event.internal for event in view.history)
    assert len(desk.view(SAM, mine.id).history) > len(view.history)
