"""
The model run behind TicketRepositoryContract's property test: a repository and a plain
dict model driven through the same steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from deskflow.actors import Actor
from deskflow.enums import Role
from deskflow.events import CommentAdded
from deskflow.exceptions import ConcurrencyError, NotFound
from deskflow.notifications import Notification
from deskflow.ports import TicketRepository
from deskflow.ticket import Ticket
from deskflow.workflows import INCIDENT

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AGENT = Actor("lee", Role.AGENT)
FINAL = INCIDENT.final


def open_ticket(
    ticket_id: str,
    *,
    at: datetime = T0,
    requester: str = "ann",
    alert_key: str | None = None,
) -> Ticket:
    return INCIDENT.open(
        ticket_id, title="VPN down", requester=requester, at=at, alert_key=alert_key
    )


def commented(ticket: Ticket, body: str = "Looking into it.") -> Ticket:
    return ticket.record(CommentAdded(at=ticket.updated_at, actor=AGENT.id, body=body))


def after_hours(n: int) -> datetime:
    return T0 + timedelta(hours=n)


def ids(tickets: Sequence[Ticket]) -> list[str]:
    return [t.id for t in tickets]


def make_notification(dedup_key: str, *, ticket_id: str = "T-1", at: datetime = T0) -> Notification:
    """
    Return a valid notification with key ``dedup_key``, for tests of ports and adapters.
    """
    return Notification(
        dedup_key=dedup_key,
        ticket_id=ticket_id,
        recipients=("ann",),
        template="ticket_updated",
        audience="requester",
        subject=f"{ticket_id} was updated",
        body="An agent replied to your ticket.",
        created_at=at,
    )


#: One step of the model-based test: (operation, ticket index, version skew, next check in
#: hours or None, outbox key index or None, minutes for the notification's created_at).


class ModelRun:
    """
    Drive a repository and a plain-dict model through the same steps; compare after each.
    """

    def __init__(self, repo: TicketRepository) -> None:
        self.repo = repo
        self.tickets: dict[str, Ticket] = {}
        self.checks: dict[str, datetime] = {}
        self.pending: list[Notification] = []
        self.queued: set[str] = set()

    def run(self, steps: list[tuple[str, int, int, int | None, int | None, int]]) -> None:
        for op, index, skew, hours, key, minutes in steps:
            ticket_id = f"T-{index}"
            at = None if hours is None else after_hours(hours)
            outbox = []
            if key is not None:
                created = T0 + timedelta(minutes=minutes)
                outbox.append(make_notification(f"k-{key}", ticket_id=ticket_id, at=created))
            if op == "add":
                self.add(ticket_id, at, outbox)
            elif op == "save":
                self.save(ticket_id, skew, at, outbox)
            elif op == "due":
                now = after_hours(hours or 0)
                expected = [
                    i for _, i in sorted((c, i) for i, c in self.checks.items() if c <= now)
                ]
                assert expected[:index] == self.repo.due(now, limit=index)
            else:
                keys = [] if key is None else [f"k-{key}"]
                self.repo.mark_delivered(keys)
                self.pending = [n for n in self.pending if n.dedup_key not in keys]
            self.compare()

    def add(self, ticket_id: str, at: datetime | None, outbox: list[Notification]) -> None:
        ticket = open_ticket(ticket_id)
        if ticket_id in self.tickets:
            with pytest.raises(ConcurrencyError):
                self.repo.add(ticket, next_check_at=at, outbox=outbox)
            return
        self.repo.add(ticket, next_check_at=at, outbox=outbox)
        self.write(ticket, at, outbox)

    def save(
        self, ticket_id: str, skew: int, at: datetime | None, outbox: list[Notification]
    ) -> None:
        stored = self.tickets.get(ticket_id)
        if stored is None:
            with pytest.raises(NotFound):
                self.repo.save(open_ticket(ticket_id), 1, next_check_at=at, outbox=outbox)
            return
        changed = commented(stored)
        if skew:
            with pytest.raises(ConcurrencyError):
                self.repo.save(changed, stored.version + skew, next_check_at=at, outbox=outbox)
            return
        self.repo.save(changed, stored.version, next_check_at=at, outbox=outbox)
        self.write(changed, at, outbox)

    def write(self, ticket: Ticket, at: datetime | None, outbox: list[Notification]) -> None:
        self.tickets[ticket.id] = ticket
        if at is None:
            self.checks.pop(ticket.id, None)
        else:
            self.checks[ticket.id] = at
        for note in outbox:
            if note.dedup_key not in self.queued:
                self.queued.add(note.dedup_key)
                self.pending.append(note)

    def compare(self) -> None:
        for ticket_id, ticket in self.tickets.items():
            assert ticket == self.repo.get(ticket_id)
        expected_due = [i for _, i in sorted((c, i) for i, c in self.checks.items())]
        assert expected_due == self.repo.due(after_hours(1000), limit=100)
        # A stable sort: equal created_at keep their queue order.
        expected_pending = sorted(self.pending, key=lambda n: n.created_at)
        assert expected_pending == self.repo.pending_notifications(limit=100)
