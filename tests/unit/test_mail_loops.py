"""
Mail loops: two desks answering each other, an auto-responder that never stops, and the
per-sender limit that holds across processes sharing one store.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
import sqlalchemy

from builders import T0, Rig, helpdesk
from deskflow.adapters import InMemoryNotifier, ManualClock
from deskflow.adapters.sql import SqlTicketRepository, engine_for
from deskflow.mail import EmailIntake, IntakeAction, IntakeResult, MailIds
from deskflow.notifications import Notification
from deskflow.queries import TicketQuery
from deskflow.service import HelpDesk

A, B = "support@a.example", "support@b.example"
_numbers = itertools.count()


def outbound(n: Notification, sender: str, ids: MailIds, *, deskflow: bool) -> bytes:
    """
    A notification as mail: with deskflow's headers (our Message-ID, References,
    Auto-Submitted) as the desk's SMTP notifier writes them, or as a naive desk would.
    """
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(n.recipients)
    msg["Subject"] = n.subject
    if deskflow:
        msg["Message-ID"] = ids.message_id(n.dedup_key)
        msg["References"] = ids.thread_id(n.ticket_id)
        msg["Auto-Submitted"] = "auto-generated"
    else:
        msg["Message-ID"] = f"<naive{next(_numbers)}@{sender.split('@')[1]}>"
    msg.set_content(n.body)
    return msg.as_bytes(policy=SMTP)


def first_mail(sender: str, to: str) -> bytes:
    """
    The mail that starts it all.
    """
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, "Your order"
    msg["Message-ID"] = f"<start{next(_numbers)}@example.com>"
    msg.set_content("hello")
    return msg.as_bytes(policy=SMTP)


def sent(rig: Rig, to: str) -> list[Notification]:
    """
    The rig's pending notifications to ``to``, marked delivered (all of them).
    """
    pending = rig.repo.pending_notifications(1000)
    rig.repo.mark_delivered([n.dedup_key for n in pending])
    return [n for n in pending if to in n.recipients]


def test_two_deskflow_desks_stop_at_the_first_automatic_mail() -> None:
    """
    Desk B's address writes to desk A; A's acknowledgement carries Auto-Submitted, so B
    ignores it: one ticket in all, and the exchange ends.
    """
    a, b = helpdesk(), helpdesk()
    ids_a, ids_b = MailIds("a.example", b"a" * 16), MailIds("b.example", b"b" * 16)
    intake_a = EmailIntake(a.desk, ids_a, addresses=[A])
    intake_b = EmailIntake(b.desk, ids_b, addresses=[B])
    inbox = [("a", first_mail(B, A))]
    actions: list[IntakeAction] = []
    while inbox and len(actions) < 50:
        where, raw = inbox.pop(0)
        rig, intake, me, other, ids = (
            (a, intake_a, A, B, ids_a) if where == "a" else (b, intake_b, B, A, ids_b)
        )
        actions.append(intake.handle(raw).action)
        for n in sent(rig, other):
            inbox.append(("b" if where == "a" else "a", outbound(n, me, ids, deskflow=True)))
    assert [IntakeAction.OPENED, IntakeAction.IGNORED] == actions
    assert 0 == len(b.repo.find(TicketQuery()).items)


def test_an_endless_auto_responder_is_stopped_by_the_rate_limit() -> None:
    """
    A naive desk acknowledges every mail under its own ticket number, with no header that
    says so: each acknowledgement would open a ticket and be acknowledged again. The
    per-sender limit ends it after five tickets.
    """
    a = helpdesk()
    intake_a = EmailIntake(a.desk, MailIds("a.example", b"a" * 16), addresses=[A], max_per_sender=5)

    def responder() -> bytes:
        msg = EmailMessage()
        msg["From"], msg["To"] = B, A
        msg["Subject"] = f"We received your message (ticket B-{next(_numbers)})"
        msg["Message-ID"] = f"<ack{next(_numbers)}@b.example>"
        msg.set_content("Thank you for contacting us. We will reply within 2 days.")
        return msg.as_bytes(policy=SMTP)

    inbox = [first_mail(B, A)]
    results: list[IntakeResult] = []
    while inbox and len(results) < 100:
        result = intake_a.handle(inbox.pop(0))
        results.append(result)
        inbox.extend(responder() for _ in sent(a, B))
    assert [IntakeAction.OPENED] * 5 + [IntakeAction.REFUSED] == [r.action for r in results]
    assert "rate limit" in results[-1].reasons[-1]
    assert 5 == len(a.repo.find(TicketQuery()).items)


@pytest.fixture
def shared_store(tmp_path: Path) -> Iterator[Callable[[], HelpDesk]]:
    """
    Help desks standing for separate processes: each its own engine on one SQLite file.
    """
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    engines: list[sqlalchemy.Engine] = []
    clock = ManualClock(T0)

    def process() -> HelpDesk:
        engine = engine_for(url)
        engines.append(engine)
        repository = SqlTicketRepository(engine, migrate=True)
        return HelpDesk(repository, InMemoryNotifier(), clock)

    yield process
    for engine in engines:
        engine.dispose()


def test_the_rate_limit_holds_across_processes(shared_store: Callable[[], HelpDesk]) -> None:
    """
    Two intakes on two engines over one database: the count is the store's, so the limit
    is three in all, not three each.
    """
    ids = MailIds("a.example", b"a" * 16)
    intakes = [EmailIntake(shared_store(), ids, max_per_sender=3) for _ in range(2)]
    actions = [intakes[n % 2].handle(first_mail("ann@example.com", A)).action for n in range(5)]
    assert [IntakeAction.OPENED] * 3 + [IntakeAction.REFUSED] * 2 == actions
