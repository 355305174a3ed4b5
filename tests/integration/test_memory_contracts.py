"""
deskflow's in-memory adapters pass the contract suites that every adapter must pass.
"""

from __future__ import annotations

from collections.abc import Sequence

from deskflow.adapters.memory import InMemoryNotifier, InMemoryTicketRepository
from deskflow.notifications import Notification
from deskflow.ports import Notifier
from deskflow.testing.contracts import NotifierContract, TicketRepositoryContract


class TestInMemoryTicketRepository(TicketRepositoryContract):
    """
    InMemoryTicketRepository honours the TicketRepository contract.
    """

    def make_repository(self) -> InMemoryTicketRepository:
        return InMemoryTicketRepository()


class TestInMemoryNotifier(NotifierContract):
    """
    InMemoryNotifier honours the Notifier contract, with delivery observed.
    """

    def make_notifier(self) -> InMemoryNotifier:
        return InMemoryNotifier()

    def make_failing_notifier(self) -> InMemoryNotifier:
        notifier = InMemoryNotifier()
        notifier.fail_always()
        return notifier

    def delivered(self, notifier: Notifier) -> Sequence[Notification]:
        assert isinstance(notifier, InMemoryNotifier)
        return notifier.sent
