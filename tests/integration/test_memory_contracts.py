"""
deskflow's in-memory adapters and clocks pass the contract suites that every adapter must
pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from deskflow.adapters.clocks import ManualClock, SystemClock
from deskflow.adapters.memory import (
    InMemoryKnowledgeBase,
    InMemoryNotifier,
    InMemoryTicketRepository,
)
from deskflow.notifications import Notification
from deskflow.people import MappingPeople
from deskflow.ports import Article, Clock, KnowledgeBase, Notifier
from deskflow.routing import Candidate
from deskflow.rules import PeopleDirectory
from deskflow.testing.contracts import (
    ClockContract,
    KnowledgeBaseContract,
    NotifierContract,
    PeopleDirectoryContract,
    TicketRepositoryContract,
)


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


class TestManualClock(ClockContract):
    """
    ManualClock honours the Clock contract, moved by real time across DST changes.
    """

    def make_clock(self) -> ManualClock:
        # London: a random walk of up to 200 days crosses its DST changes.
        return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/London")))

    def advance(self, clock: Clock, delta: timedelta) -> bool:
        assert isinstance(clock, ManualClock)
        clock.advance(delta)
        return True


class TestSystemClock(ClockContract):
    """
    SystemClock honours the Clock contract (it cannot be moved).
    """

    def make_clock(self) -> SystemClock:
        return SystemClock()


class TestInMemoryKnowledgeBase(KnowledgeBaseContract):
    """
    InMemoryKnowledgeBase honours the KnowledgeBase contract, articles published by add().
    """

    def make_knowledge_base(self) -> InMemoryKnowledgeBase:
        return InMemoryKnowledgeBase()

    def publish(self, knowledge_base: KnowledgeBase, article: Article) -> bool:
        assert isinstance(knowledge_base, InMemoryKnowledgeBase)
        knowledge_base.add(article)
        return True


class _People:
    # The smallest directory: what a host writes over its own records.
    def __init__(self) -> None:
        self.people = {"ann": {"vip": True}}
        self.groups = {"network": [Candidate("lee", groups={"network"})]}

    def attributes(self, person_id: str) -> Mapping[str, object]:
        return dict(self.people.get(person_id, {}))

    def candidates(self, group: str) -> Sequence[Candidate]:
        return list(self.groups.get(group, []))


class TestPeopleDirectory(PeopleDirectoryContract):
    """
    A dict-backed people directory honours the people directory contract.
    """

    def make_people(self) -> PeopleDirectory:
        return _People()


class TestMappingPeople(PeopleDirectoryContract):
    """
    The shipped MappingPeople honours the people directory contract.
    """

    def make_people(self) -> PeopleDirectory:
        return MappingPeople(
            {"ann": {"vip": True, "locale": "de", "timezone": "Europe/Berlin"}},
            groups={"network": [Candidate("lee", groups={"network"})]},
        )
