"""
Delivery: out of the command path by default, claimed by worker, retried with backoff, dead
letters after the last attempt; inline delivery for simple hosts that never fails a command.
"""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta

import pytest

from builders import ANN, LEE, T0, ZOE, H, helpdesk
from deskflow import HelpDesk, InvalidInput
from deskflow.adapters import InMemoryNotifier, InMemoryTicketRepository, ManualClock
from deskflow.notifications import Notification
from deskflow.outbox import Delivery, OutboxItem
from deskflow.retry import RetryPolicy

NO_JITTER = RetryPolicy(jitter=0.0, max_attempts=3)


class Picky:
    """
    A notifier that refuses everything for one ticket, raising a plain error.
    """

    def __init__(self, refuse: str) -> None:
        self.refuse = refuse
        self.sent: list[str] = []

    def send(self, notification: Notification) -> None:
        """
        Record the notification, or fail as a broken client library would.
        """
        if notification.ticket_id == self.refuse:
            raise ConnectionResetError("peer reset")
        self.sent.append(notification.dedup_key)


def test_by_default_a_command_returns_without_delivering() -> None:
    """
    With the default ``deliver="worker"`` a command leaves its notifications in the outbox;
    the next delivery round sends them.
    """
    rig = helpdesk()
    assert "worker" == rig.desk.deliver
    rig.desk.open(ANN, title="VPN down")
    assert [] == rig.notifier.sent
    assert ["INC-1#0:ticket_received"] == [n.dedup_key for n in rig.repo.pending_notifications(9)]
    assert ("INC-1#0:ticket_received",) == rig.desk.deliver_pending().sent
    assert ["ticket_received"] == [n.template for n in rig.notifier.sent]


def test_inline_delivery_sends_after_each_save() -> None:
    """
    With ``deliver="inline"`` each command runs one delivery round after its save.
    """
    rig = helpdesk(deliver="inline")
    rig.desk.open(ANN, title="VPN down")
    assert ["ticket_received"] == [n.template for n in rig.notifier.sent]


class BrokenOutbox(InMemoryTicketRepository):
    """
    A repository that stores tickets but cannot read its outbox (a corrupt payload, say).
    """

    def claim_notifications(
        self, now: datetime, limit: int, *, owner: str, lease: timedelta
    ) -> list[OutboxItem]:
        """
        Fail as a row that does not decode would.
        """
        raise ValueError("corrupt outbox payload")


def test_an_inline_delivery_that_fails_never_fails_the_saved_command() -> None:
    """
    The command is saved before its delivery round: a round that raises is logged, and the
    command returns as if delivery had gone well.
    """
    repo = BrokenOutbox()
    desk = HelpDesk(repo, InMemoryNotifier(), ManualClock(T0), deliver="inline")
    view = desk.open(ANN, title="VPN down")
    assert "VPN down" == repo.get(view.id).title
    with pytest.raises(ValueError, match="corrupt"):
        desk.deliver_pending()  # an explicit call does say what went wrong


def test_a_failing_item_does_not_hold_up_the_others() -> None:
    """
    A notifier that raises (anything, not only a DeskflowError) for one ticket's items fails
    those; every other item is delivered in the same round.
    """
    notifier = Picky(refuse="INC-1")
    desk = HelpDesk(InMemoryTicketRepository(), notifier, ManualClock(T0), retry_policy=NO_JITTER)
    for n in range(4):
        desk.open(ANN, title=f"Problem {n}")
    delivery = desk.deliver_pending()
    assert ("INC-1#0:ticket_received",) == delivery.failed
    assert ["INC-2", "INC-3", "INC-4"] == [k.split("#")[0] for k in delivery.sent]
    assert delivery.sent == tuple(notifier.sent)


def test_a_failed_item_waits_for_its_backoff_then_becomes_a_dead_letter() -> None:
    """
    A failed item is not claimed again before its next attempt time; after max_attempts
    failures it is a dead letter with its error, and ``retry_dead`` puts it back.
    """
    notifier = Picky(refuse="INC-1")
    clock = ManualClock(T0)
    desk = HelpDesk(InMemoryTicketRepository(), notifier, clock, retry_policy=NO_JITTER)
    desk.open(ANN, title="Bounces")
    key = "INC-1#0:ticket_received"
    assert Delivery((), (key,), ()) == desk.deliver_pending()
    assert Delivery((), (), ()) == desk.deliver_pending()  # 30 s have not passed
    clock.advance(timedelta(seconds=30))
    assert Delivery((), (key,), ()) == desk.deliver_pending()
    clock.advance(timedelta(seconds=60))
    assert Delivery((), (), (key,)) == desk.deliver_pending()  # the third and last attempt
    clock.advance(H * 24)
    assert Delivery((), (), ()) == desk.deliver_pending()
    [dead] = desk.dead_letters()
    assert (key, 3, True) == (dead.dedup_key, dead.attempts, dead.dead)
    assert "ConnectionResetError: peer reset" == dead.last_error
    notifier.refuse = "nothing"
    assert 1 == desk.retry_dead()
    assert (key,) == desk.deliver_pending().sent
    assert [] == desk.dead_letters()


def test_two_workers_hand_each_key_to_a_notifier_once() -> None:
    """
    Help desks delivering the same outbox from several threads claim their items, so each
    dedup key reaches a notifier exactly once.
    """
    repo, clock = InMemoryTicketRepository(), ManualClock(T0)
    opener = HelpDesk(repo, InMemoryNotifier(), clock)
    for n in range(60):
        opener.open(ANN if n % 2 else ZOE, title=f"Problem {n}")
    notifiers = [InMemoryNotifier() for _ in range(4)]
    workers = [HelpDesk(repo, notifier, clock) for notifier in notifiers]
    assert 4 == len({w.worker_id for w in workers})
    start = threading.Barrier(len(workers))

    def work(desk: HelpDesk) -> None:
        start.wait()
        while desk.deliver_pending(limit=5).sent:
            pass

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keys = [n.dedup_key for notifier in notifiers for n in notifier.sent]
    assert 60 == len(keys) == len(set(keys))
    assert [] == repo.pending_notifications(10)


def test_a_round_stops_when_asked_and_sends_nothing_more() -> None:
    """
    With ``stop`` set a round sends nothing more; what it claimed is kept from other workers
    until the lease runs out.
    """
    rig = helpdesk()
    other = HelpDesk(rig.repo, rig.notifier, rig.clock)
    rig.desk.open(ANN, title="VPN down")
    stop = threading.Event()
    stop.set()
    assert Delivery((), (), ()) == rig.desk.deliver_pending(stop=stop)
    assert () == other.deliver_pending().sent  # still claimed by the first
    rig.clock.advance(rig.desk.retry_policy.lease)
    assert 1 == len(other.deliver_pending().sent)


def test_a_slow_notifier_stops_the_round_before_the_lease_can_run_out() -> None:
    """
    Past half the lease a round sends no more, so no other worker can claim an item this
    one is still sending.
    """
    clock = ManualClock(T0)
    lease = timedelta(minutes=2)

    class Slow(InMemoryNotifier):
        def send(self, notification: Notification) -> None:
            super().send(notification)
            clock.advance(timedelta(seconds=40))

    notifier = Slow()
    desk = HelpDesk(
        InMemoryTicketRepository(), notifier, clock, retry_policy=RetryPolicy(lease=lease)
    )
    for n in range(5):
        desk.open(ANN, title=f"Problem {n}")
    assert 2 == len(desk.deliver_pending().sent)
    assert 2 == len(notifier.sent)


def test_the_options_are_checked() -> None:
    """
    ``deliver``, ``retry_policy`` and ``worker_id`` are checked when the help desk is made.
    """
    parts = (InMemoryTicketRepository(), InMemoryNotifier(), ManualClock(T0))
    with pytest.raises(InvalidInput, match="deliver"):
        HelpDesk(*parts, deliver="sometimes")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="retry_policy"):
        HelpDesk(*parts, retry_policy=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="worker_id"):
        HelpDesk(*parts, worker_id=" ")
    assert "w-1" == HelpDesk(*parts, worker_id="w-1").worker_id


def test_tick_reports_the_delivery_round_as_json() -> None:
    """
    A tick's report carries its delivery round, dead letters included, as JSON-safe values.
    """
    policy = RetryPolicy(max_attempts=1, rng=random.Random(0))
    notifier = Picky(refuse="INC-1")
    clock = ManualClock(T0)
    desk = HelpDesk(InMemoryTicketRepository(), notifier, clock, retry_policy=policy)
    desk.open(LEE, title="VPN down", requester="ann")
    report = desk.tick().to_dict()
    assert {"sent": [], "failed": [], "dead": ["INC-1#0:ticket_received"]} == report["delivery"]
