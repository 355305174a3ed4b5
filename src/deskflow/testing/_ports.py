"""
The contract suites of the small ports: Notifier, Clock, KnowledgeBase and the people
directory; each opens and closes its adapter through its own factory and closing hook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskflow.exceptions import DeskflowError
from deskflow.notifications import Notification
from deskflow.ports import Article, Clock, KnowledgeBase, Notifier
from deskflow.routing import Candidate
from deskflow.rules import PeopleDirectory
from deskflow.testing._lifecycle import Lifecycle, close_if_closable
from deskflow.testing._model import AGENT, make_notification
from deskflow.testing.strategies import tickets
from deskflow.ticket import Ticket
from deskflow.workflows import INCIDENT

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)


def _notifications() -> st.SearchStrategy[list[Notification]]:
    keys = st.lists(st.integers(0, 999), min_size=1, max_size=5, unique=True)
    return keys.map(
        lambda numbers: [
            make_notification(f"k-{n}", ticket_id=f"T-{n % 7}", at=datetime(2026, 3, 2, tzinfo=UTC))
            for n in numbers
        ]
    )


class NotifierContract(Lifecycle[Notifier]):
    """
    What every [`Notifier`][deskflow.ports.Notifier] must do; subclass it in a test.

    Override `make_notifier()`. Optionally override `delivered()` to report what
    reached the channel (so delivery and its order are checked),
    `make_failing_notifier()` to return a notifier that fails the way the adapter
    documents (so the error type is checked) and `close_notifier()` to release what a
    notifier holds (by default its ``close()``, if it has one), called after every example
    and test; the tests needing the optional ones skip otherwise.
    """

    def make_notifier(self) -> Notifier:
        """
        Return a new notifier of the adapter under test, able to deliver.
        """
        raise NotImplementedError(f"{type(self).__name__} must define make_notifier()")

    def make_failing_notifier(self) -> Notifier | None:
        """
        Return a notifier that cannot deliver (its channel down), or None to skip that test.
        """
        return None

    def close_notifier(self, notifier: Notifier) -> None:
        """
        Release what ``notifier`` holds (a connection, a client); by default its ``close()``.
        """
        close_if_closable(notifier)

    def delivered(self, notifier: Notifier) -> Sequence[Notification] | None:
        """
        Return what ``notifier`` delivered, oldest first, or None if that cannot be observed.
        """
        return None

    def make(self) -> Notifier:
        return self.make_notifier()

    def close(self, adapter: Notifier) -> None:
        self.close_notifier(adapter)

    def test_implements_the_port(self) -> None:
        """
        The adapter has the method of the Notifier protocol.
        """
        assert isinstance(self.fresh(), Notifier)

    def test_send_delivers_in_order(self) -> None:
        """
        Successful sends return None and deliver the notifications in the order sent.
        """

        @given(notes=_notifications())
        def check(notes: list[Notification]) -> None:
            notifier = self.fresh()
            for note in notes:
                assert notifier.send(note) is None  # type: ignore[func-returns-value]
            seen = self.delivered(notifier)
            if seen is None:
                pytest.skip("delivered() is not overridden: delivery cannot be observed")
            assert notes == list(seen)

        self.run_property(check)

    def test_sending_again_is_allowed(self) -> None:
        """
        Delivery is at least once: sending the same notification again does not raise.
        """
        notifier = self.fresh()
        note = make_notification("k-1")
        notifier.send(note)
        notifier.send(note)

    def test_failure_raises_a_deskflow_error(self) -> None:
        """
        A notifier that cannot deliver raises a DeskflowError, which the outbox retries.
        """
        notifier = self.make_failing_notifier()
        if notifier is None:
            pytest.skip("make_failing_notifier() is not overridden")
        self._opened().append(notifier)
        with pytest.raises(DeskflowError):
            notifier.send(make_notification("k-1"))


class ClockContract(Lifecycle[Clock]):
    """
    What every [`Clock`][deskflow.ports.Clock] must do; subclass it in a test.

    Override `make_clock()`. A clock the test can move (virtual time) overrides
    `advance()` too, so moving it is checked to move it by exactly that much real time,
    across DST changes; `close_clock()` releases what a clock holds.
    """

    def make_clock(self) -> Clock:
        """
        Return a new clock of the adapter under test.
        """
        raise NotImplementedError(f"{type(self).__name__} must define make_clock()")

    def advance(self, clock: Clock, delta: timedelta) -> bool:
        """
        Move ``clock`` forward by ``delta`` and return True, or return False if it cannot be
        moved (the wall clock), which skips the tests that move it.
        """
        return False

    def close_clock(self, clock: Clock) -> None:
        """
        Release what ``clock`` holds; by default its ``close()``, if it has one.
        """
        close_if_closable(clock)

    def make(self) -> Clock:
        return self.make_clock()

    def close(self, adapter: Clock) -> None:
        self.close_clock(adapter)

    def test_implements_the_port(self) -> None:
        """
        The adapter has the method of the Clock protocol.
        """
        assert isinstance(self.fresh(), Clock)

    def test_now_is_aware_and_never_runs_back(self) -> None:
        """
        now() is a timezone-aware datetime, and successive reads never go back in time.
        """
        clock = self.fresh()
        reads = [clock.now() for _ in range(50)]
        assert all(isinstance(r, datetime) and r.utcoffset() is not None for r in reads)
        instants = [r.astimezone(UTC) for r in reads]
        assert sorted(instants) == instants

    def test_advance_moves_by_real_time(self) -> None:
        """
        Moving the clock by random amounts moves now() by exactly their sum of real time,
        whatever the clock's zone does meanwhile (DST changes included).
        """
        if not self.advance(self.fresh(), timedelta(0)):
            pytest.skip("advance() is not overridden: the clock cannot be moved")

        @given(deltas=st.lists(st.timedeltas(timedelta(0), timedelta(days=200)), max_size=8))
        def check(deltas: list[timedelta]) -> None:
            clock = self.fresh()
            # In UTC: two datetimes of one zone subtract by their wall clocks.
            start = clock.now().astimezone(UTC)
            for delta in deltas:
                before = clock.now().astimezone(UTC)
                assert self.advance(clock, delta)
                assert clock.now().utcoffset() is not None
                assert delta == clock.now().astimezone(UTC) - before
            assert sum(deltas, timedelta(0)) == clock.now().astimezone(UTC) - start

        self.run_property(check)


_ARTICLES = (
    Article("KB-1", "VPN token expired", "Reset it in the portal.", ["vpn"]),
    Article("KB-2", "Printer jam", "Open tray 2.", ["printer"]),
    Article("KB-3", "VPN client crashes", "Reinstall the VPN client.", ["vpn"]),
)


class KnowledgeBaseContract(Lifecycle[KnowledgeBase]):
    """
    What every [`KnowledgeBase`][deskflow.ports.KnowledgeBase] must do; subclass it in a test.

    Override `make_knowledge_base()` (a new, empty one). Override `publish()` to add an
    article the way your knowledge base does, so suggestions of published articles are
    checked; `close_knowledge_base()` releases what one holds.
    """

    def make_knowledge_base(self) -> KnowledgeBase:
        """
        Return a new, empty knowledge base of the adapter under test.
        """
        raise NotImplementedError(f"{type(self).__name__} must define make_knowledge_base()")

    def publish(self, knowledge_base: KnowledgeBase, article: Article) -> bool:
        """
        Publish ``article`` so it can be suggested and return True, or return False when
        the adapter cannot (which skips the tests that need it).
        """
        return False

    def close_knowledge_base(self, knowledge_base: KnowledgeBase) -> None:
        """
        Release what ``knowledge_base`` holds; by default its ``close()``, if it has one.
        """
        close_if_closable(knowledge_base)

    def make(self) -> KnowledgeBase:
        return self.make_knowledge_base()

    def close(self, adapter: KnowledgeBase) -> None:
        self.close_knowledge_base(adapter)

    def test_implements_the_port(self) -> None:
        """
        The adapter has the methods of the KnowledgeBase protocol.
        """
        assert isinstance(self.fresh(), KnowledgeBase)

    def test_suggestions_are_articles_within_the_limit(self) -> None:
        """
        For random tickets and limits, suggest returns a list of at most ``limit`` distinct
        articles (none from an empty knowledge base), and leaves the ticket as it was.
        """

        @given(ticket=tickets(INCIDENT, max_steps=4), limit=st.integers(0, 6), full=st.booleans())
        def check(ticket: Ticket, limit: int, full: bool) -> None:
            knowledge_base = self.fresh()
            published = full and all(self.publish(knowledge_base, a) for a in _ARTICLES)
            version = ticket.version
            found = knowledge_base.suggest(ticket, limit)
            assert isinstance(found, list)
            assert all(isinstance(a, Article) for a in found)
            assert len({a.id for a in found}) == len(found) <= limit
            if not published:
                assert [] == found
            assert version == ticket.version

        self.run_property(check)

    def test_a_published_article_is_suggested_for_its_own_words(self) -> None:
        """
        An article whose title is a ticket's title is suggested for that ticket, at most
        ``limit`` articles come back, each once, and a limit of 0 asks for none.
        """
        knowledge_base = self.fresh()
        if not all(self.publish(knowledge_base, article) for article in _ARTICLES):
            pytest.skip("publish() is not overridden: articles cannot be added")
        ticket = INCIDENT.open(
            "T-1", title="VPN token expired", requester="ann", at=datetime(2026, 3, 2, tzinfo=UTC)
        )
        found = knowledge_base.suggest(ticket, 5)
        assert "KB-1" in [a.id for a in found]
        assert all(isinstance(a, Article) for a in found)
        assert len({a.id for a in found}) == len(found)
        assert len(knowledge_base.suggest(ticket, 1)) <= 1
        assert [] == knowledge_base.suggest(ticket, 0)

    def test_record_resolution_takes_a_resolved_ticket(self) -> None:
        """
        Recording a resolved ticket is accepted, and the ticket is left as it was.
        """
        knowledge_base = self.fresh()
        at = datetime(2026, 3, 2, 9, tzinfo=UTC)
        ticket = INCIDENT.open("T-1", title="VPN down", requester="ann", at=at)
        ticket = INCIDENT.fire(ticket, "assign", actor=AGENT, at=at, assignee="lee")
        ticket = INCIDENT.fire(ticket, "start", actor=AGENT, at=at)
        ticket = INCIDENT.fire(ticket, "resolve", actor=AGENT, at=at, resolution="Token reset.")
        before = ticket.version
        assert knowledge_base.record_resolution(ticket) is None  # type: ignore[func-returns-value]
        assert before == ticket.version
        assert len(knowledge_base.suggest(ticket, 3)) <= 3


class PeopleDirectoryContract(Lifecycle[PeopleDirectory]):
    """
    What every [`PeopleDirectory`][deskflow.rules.PeopleDirectory] must do; subclass it in
    a test.

    Override `make_people()` (a directory that does not know the ids ``nobody-*`` nor the
    group ``no-such-group``), and optionally `close_people()`.
    """

    def make_people(self) -> PeopleDirectory:
        """
        Return a directory of the adapter under test.
        """
        raise NotImplementedError(f"{type(self).__name__} must define make_people()")

    def close_people(self, people: PeopleDirectory) -> None:
        """
        Release what ``people`` holds; by default its ``close()``, if it has one.
        """
        close_if_closable(people)

    def make(self) -> PeopleDirectory:
        return self.make_people()

    def close(self, adapter: PeopleDirectory) -> None:
        self.close_people(adapter)

    def test_someone_unknown_has_no_attributes(self) -> None:
        """
        attributes() of an unknown id is an empty mapping, never an error, for any id.
        """

        @given(suffix=_TEXT)
        def check(suffix: str) -> None:
            got = self.fresh().attributes(f"nobody-{suffix}")
            assert isinstance(got, Mapping)
            assert {} == dict(got)

        self.run_property(check)

    def test_an_unknown_group_has_no_candidates(self) -> None:
        """
        candidates() of an unknown group is an empty sequence of Candidates.
        """
        got = self.fresh().candidates("no-such-group")
        assert isinstance(got, Sequence)
        assert [] == list(got)
        assert all(isinstance(c, Candidate) for c in got)
