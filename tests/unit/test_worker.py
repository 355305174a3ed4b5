"""
run_worker: ticks and delivers in a loop, logs what it did, survives a failing round, and
stops cleanly when asked.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

import pytest

from builders import ANN, M, helpdesk
from deskflow import InvalidInput
from deskflow.adapters import InMemoryTicketRepository
from deskflow.service import HelpDesk
from deskflow.worker import WorkerRun, run_worker


def test_one_round_ticks_and_delivers_until_the_outbox_is_empty(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """
    One round works the due tickets and delivers round after round while the outbox keeps
    giving (here 250 notifications, 100 a round), and logs it.
    """
    rig = helpdesk()
    for n in range(250):
        rig.desk.open(ANN, title=f"Problem {n}", impact="high", urgency="high")
    rig.clock.advance(20 * M)
    with caplog.at_level(logging.INFO, logger="deskflow.worker"):
        run = run_worker(rig.desk, interval=0, once=True, limit=1000)
    assert 1 == run.rounds
    assert 250 == run.checked == run.saved
    assert 0 == run.failed == run.errors
    assert len(rig.notifier.sent) == run.sent
    assert [] == rig.repo.pending_notifications(10)
    messages = [r.getMessage() for r in caplog.records]
    assert any("250 checked, 250 saved" in m for m in messages)
    assert any(m.startswith("delivery: 100 sent") for m in messages)
    assert any("stopped after 1 rounds" in m for m in messages)


def test_delivery_rounds_are_bounded() -> None:
    """
    A round delivers at most ``delivery_rounds`` rounds after the tick's own.
    """
    rig = helpdesk()
    for n in range(50):
        rig.desk.open(ANN, title=f"Problem {n}")
    original = rig.desk.deliver_pending

    def small_rounds(limit: int = 100, *, stop: threading.Event | None = None) -> object:
        return original(limit=5, stop=stop)

    rig.desk.deliver_pending = small_rounds  # type: ignore[assignment, method-assign]
    run = run_worker(rig.desk, interval=0, once=True, delivery_rounds=2)
    # The tick's own round (5) and two more (5 each).
    assert 15 == run.sent == len(rig.notifier.sent)


class Down(InMemoryTicketRepository):
    """
    A store that refuses to claim for its first ``outages`` calls, like a database restarting.
    """

    outages = 2

    def claim_due(self, now: datetime, limit: int, *, owner: str, lease: timedelta) -> list[str]:
        """
        Fail while the outage lasts, then claim as usual.
        """
        if self.outages:
            self.outages -= 1
            raise ConnectionError("server closed the connection unexpectedly")
        return super().claim_due(now, limit, owner=owner, lease=lease)


def test_a_failing_round_is_logged_and_the_worker_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """
    A round that raises (the store is down) is logged and counted; the next round works.
    """
    rig = helpdesk()
    desk = HelpDesk(Down(), rig.notifier, rig.clock)
    desk.open(ANN, title="VPN down")
    with caplog.at_level(logging.ERROR, logger="deskflow.worker"):
        run = run_worker(desk, interval=0, max_rounds=3)
    assert (3, 2, 1) == (run.rounds, run.errors, run.sent)
    assert 2 == sum("the round failed" in r.getMessage() for r in caplog.records)


def test_a_stop_event_ends_a_waiting_worker() -> None:
    """
    A worker waiting out a long interval returns once its stop event is set.
    """
    rig = helpdesk()
    stop = threading.Event()
    result: list[WorkerRun] = []
    thread = threading.Thread(
        target=lambda: result.append(run_worker(rig.desk, interval=3600, stop=stop))
    )
    thread.start()
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert 1 <= result[0].rounds


def test_a_worker_with_stop_already_set_does_nothing() -> None:
    """
    A stop set before the start runs no round.
    """
    rig = helpdesk()
    rig.desk.open(ANN, title="VPN down")
    stop = threading.Event()
    stop.set()
    assert WorkerRun() == run_worker(rig.desk, interval=1, stop=stop)
    assert [] == rig.notifier.sent


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"interval": -1}, "interval"),
        ({"interval": "5s"}, "interval"),
        ({"interval": 1, "max_rounds": 0}, "max_rounds"),
        ({"interval": 1, "delivery_rounds": True}, "delivery_rounds"),
    ],
)
def test_bad_worker_options_are_refused(options: dict[str, object], field: str) -> None:
    """
    The interval and the bounds are checked before anything runs.
    """
    with pytest.raises(InvalidInput, match=field):
        run_worker(helpdesk().desk, **options)  # type: ignore[arg-type]


def test_the_worker_needs_a_helpdesk() -> None:
    """
    Anything but a HelpDesk is InvalidInput.
    """
    with pytest.raises(InvalidInput, match="HelpDesk"):
        run_worker(object(), interval=1)  # type: ignore[arg-type]
