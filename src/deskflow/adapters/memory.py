"""
In-memory adapters for every port: deskflow's reference implementations.

They are what deskflow's own tests, the simulation and a host's unit tests run on, and they pass
the same contract suites ([`deskflow.testing.contracts`][deskflow.testing.contracts]) a host's
adapters must pass. The clocks are in [`deskflow.adapters.clocks`][deskflow.adapters.clocks].
"""

from __future__ import annotations

import heapq
import itertools
import random
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from deskflow._internal import checks as _checks
from deskflow._internal.storage import (
    checked_count,
    checked_strings,
    checked_ticket,
)
from deskflow._internal.writes import OneTicketWrites
from deskflow.exceptions import ConcurrencyError, InvalidInput, NotFound
from deskflow.notifications import Notification, NotificationFailed
from deskflow.ports import Article, TicketWrite
from deskflow.ticket import Ticket

__all__ = ["InMemoryKnowledgeBase", "InMemoryNotifier", "InMemoryTicketRepository"]


# -- argument checks shared by the adapters ---------------------------------------------------


# -- repository ---------------------------------------------------------------------------------

#: The ticket attributes the simple queries look up, each with its own index.
_INDEXED: dict[str, Callable[[Ticket], str | None]] = {
    "requester": lambda t: t.requester,
    "state": lambda t: t.state,
    "assignee": lambda t: t.assignee,
    "alert_key": lambda t: t.alert_key,
}


def _oldest_first(ticket: Ticket) -> tuple[datetime, str]:
    return ticket.created_at, ticket.id


class InMemoryTicketRepository(OneTicketWrites):
    """
    A [`TicketRepository`][deskflow.ports.TicketRepository] in a dict, safe to share between
    threads.

    Tickets are immutable, so the stored objects are handed out as they are; every list
    returned is a fresh one. ``due`` reads a heap ordered by next check time: entries made
    stale by a later save are dropped when they surface, so a tick costs O(k log n) for k
    due tickets rather than a scan of all of them.

    >>> from datetime import datetime, timedelta, timezone
    >>> from deskflow import INCIDENT
    >>> t0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> repo = InMemoryTicketRepository()
    >>> ticket = INCIDENT.open("T-1", title="VPN down", requester="ann", at=t0)
    >>> repo.add(ticket, next_check_at=t0 + timedelta(hours=1))
    >>> repo.get("T-1") == ticket, repo.due(t0 + timedelta(hours=1), limit=10)
    (True, ['T-1'])
    """

    def __init__(self) -> None:
        # Re-entrant, so a subclass may call public methods while holding it.
        self._lock = threading.RLock()
        self._tickets: dict[str, Ticket] = {}
        # Each index maps a value to the ids having it, as an insertion-ordered dict.
        self._indexes: dict[str, dict[str, dict[str, None]]] = {name: {} for name in _INDEXED}
        # The live next check of each ticket, with the stamp of its heap entry; a heap entry
        # whose stamp is not the live one is stale and is dropped when it reaches the top.
        self._next_check: dict[str, tuple[datetime, int]] = {}
        self._heap: list[tuple[datetime, str, int]] = []
        self._stamps = itertools.count()
        self._pending: dict[str, tuple[int, Notification]] = {}
        # Every key ever queued, delivered or not: queuing a key again is a no-op.
        self._queued_keys: set[str] = set()
        self._sequence = itertools.count()

    def get(self, ticket_id: str) -> Ticket:
        """
        Return the stored ticket; raise NotFound if there is none with that id.
        """
        _checks.text("ticket_id", ticket_id)
        with self._lock:
            try:
                return self._tickets[ticket_id]
            except KeyError:
                raise NotFound(f"no ticket with id {ticket_id!r}") from None

    def save_all(self, writes: Sequence[TicketWrite]) -> None:
        """
        Write every ticket or none; a taken new id or a stale version raises ConcurrencyError.
        """
        batch = TicketWrite.batch(writes)
        with self._lock:
            # Every check first, under the lock: a lost race on any ticket writes nothing.
            stored = [self._check_version(write) for write in batch]
            for before, write in zip(stored, batch, strict=True):
                self._write(before, write.ticket, write.next_check_at, write.outbox)

    def _check_version(self, write: TicketWrite) -> Ticket | None:
        ticket_id = write.ticket.id
        stored = self._tickets.get(ticket_id)
        if write.is_new:
            if stored is not None:
                raise ConcurrencyError(
                    f"ticket {ticket_id!r} already exists; nothing was written",
                    ticket_id=ticket_id,
                )
            return None
        if stored is None:
            raise NotFound(f"no ticket with id {ticket_id!r} to save; add it first")
        if stored.version != write.expected_version:
            raise ConcurrencyError(
                f"ticket {ticket_id!r} is at version {stored.version}, not the expected "
                f"{write.expected_version}; nothing was written: reload it and try again",
                ticket_id=ticket_id,
            )
        return stored

    def _write(
        self,
        stored: Ticket | None,
        ticket: Ticket,
        next_check_at: datetime | None,
        outbox: tuple[Notification, ...],
    ) -> None:
        # Called with the lock held and every argument checked: nothing below can fail, which
        # is what makes the write all-or-nothing.
        self._tickets[ticket.id] = ticket
        self._reindex(stored, ticket)
        self._set_next_check(ticket.id, next_check_at)
        for item in outbox:
            if item.dedup_key not in self._queued_keys:
                self._queued_keys.add(item.dedup_key)
                self._pending[item.dedup_key] = (next(self._sequence), item)

    def _reindex(self, old: Ticket | None, new: Ticket) -> None:
        for name, key in _INDEXED.items():
            before, after = (None if old is None else key(old)), key(new)
            if before == after:
                continue
            index = self._indexes[name]
            if before is not None:
                del index[before][new.id]
                if not index[before]:
                    del index[before]
            if after is not None:
                index.setdefault(after, {})[new.id] = None

    def _set_next_check(self, ticket_id: str, at: datetime | None) -> None:
        if at is None:
            self._next_check.pop(ticket_id, None)
        else:
            stamp = next(self._stamps)
            self._next_check[ticket_id] = (at, stamp)
            heapq.heappush(self._heap, (at, ticket_id, stamp))
        # Stale entries that never reach the top would pile up; rebuild once they dominate.
        if len(self._heap) > 2 * len(self._next_check) + 32:
            self._heap = [(at, tid, stamp) for tid, (at, stamp) in self._next_check.items()]
            heapq.heapify(self._heap)

    def due(self, now: datetime, limit: int) -> list[str]:
        """
        Return at most ``limit`` ids with ``next_check_at <= now``, earliest first (ties by id).
        """
        _checks.aware("now", now)
        checked_count("limit", limit)
        with self._lock:
            heap, live = self._heap, self._next_check
            found: list[tuple[datetime, str, int]] = []
            while heap and len(found) < limit and heap[0][0] <= now:
                entry = heapq.heappop(heap)
                current = live.get(entry[1])
                if current is not None and current[1] == entry[2]:
                    found.append(entry)
            # due() only reads: the live entries go back for the next tick.
            for entry in found:
                heapq.heappush(heap, entry)
            return [ticket_id for _, ticket_id, _ in found]

    def _lookup(self, index: str, value: str) -> list[Ticket]:
        with self._lock:
            ids = self._indexes[index].get(value, {})
            return sorted((self._tickets[i] for i in ids), key=_oldest_first)

    def by_requester(self, requester_id: str) -> list[Ticket]:
        """
        Return the tickets of one requester, oldest first.
        """
        return self._lookup("requester", _checks.text("requester_id", requester_id))

    def by_state(self, state: str) -> list[Ticket]:
        """
        Return the tickets in one state, oldest first.
        """
        return self._lookup("state", _checks.text("state", state))

    def by_assignee(self, agent_id: str) -> list[Ticket]:
        """
        Return the tickets assigned to one agent, oldest first.
        """
        return self._lookup("assignee", _checks.text("agent_id", agent_id))

    def open_by_alert_key(self, alert_key: str, final_states: Iterable[str]) -> Ticket | None:
        """
        Return the oldest ticket opened from ``alert_key`` whose state is not final, or None.
        """
        _checks.text("alert_key", alert_key)
        final = frozenset(checked_strings("final_states", final_states))
        for ticket in self._lookup("alert_key", alert_key):
            if ticket.state not in final:
                return ticket
        return None

    def pending_notifications(self, limit: int) -> list[Notification]:
        """
        Return at most ``limit`` undelivered outbox items, oldest first (by ``created_at``).
        """
        checked_count("limit", limit)
        with self._lock:
            oldest = heapq.nsmallest(
                limit, self._pending.values(), key=lambda item: (item[1].created_at, item[0])
            )
        return [notification for _, notification in oldest]

    def mark_delivered(self, dedup_keys: Iterable[str]) -> None:
        """
        Remove these items from the pending outbox; unknown or delivered keys are ignored.
        """
        keys = checked_strings("dedup_keys", dedup_keys)
        with self._lock:
            for key in keys:
                self._pending.pop(key, None)


# -- notifier -----------------------------------------------------------------------------------


class InMemoryNotifier:
    """
    A [`Notifier`][deskflow.ports.Notifier] that records what it delivers, in order.

    It can be told to fail, to test retries: always (`fail_always()`), the next N times
    (`fail_next()`) or at random with a seeded generator (`fail_randomly()`). A failure raises
    [`NotificationFailed`][deskflow.notifications.NotificationFailed] and records nothing.

    >>> from datetime import datetime, timezone
    >>> note = Notification("k-1", "T-1", ["ann"], "ticket_opened", "requester", "Logged",
    ...                     "We have your ticket.", datetime(2026, 3, 2, tzinfo=timezone.utc))
    >>> notifier = InMemoryNotifier()
    >>> notifier.fail_next(1)
    >>> notifier.send(note)
    Traceback (most recent call last):
    ...
    deskflow.notifications.NotificationFailed: could not deliver 'k-1' (told to fail)
    >>> notifier.send(note)
    >>> [n.dedup_key for n in notifier.sent], notifier.failures
    (['k-1'], 1)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: list[Notification] = []
        self._failures = 0
        self._always = False
        self._next = 0
        self._probability = 0.0
        self._rng: random.Random | None = None

    @property
    def sent(self) -> list[Notification]:
        """
        What was delivered, oldest first (a copy: changing it changes nothing recorded).
        """
        with self._lock:
            return list(self._sent)

    @property
    def failures(self) -> int:
        """
        How many sends failed.
        """
        return self._failures

    def fail_always(self) -> None:
        """
        Make every send fail until `recover()`.
        """
        self._always = True

    def fail_next(self, times: int) -> None:
        """
        Make the next ``times`` sends fail.
        """
        self._next = checked_count("times", times)

    def fail_randomly(self, probability: float, rng: random.Random) -> None:
        """
        Make each send fail with ``probability``, drawn from ``rng`` (seed it to replay).
        """
        if isinstance(probability, bool) or not isinstance(probability, int | float):
            raise InvalidInput(f"probability must be a number, got {type(probability).__name__}")
        if not 0.0 <= probability <= 1.0:
            raise InvalidInput(f"probability must be from 0 to 1, got {probability!r}")
        if not isinstance(rng, random.Random):
            raise InvalidInput(f"rng must be a random.Random, got {type(rng).__name__}")
        self._probability, self._rng = float(probability), rng

    def recover(self) -> None:
        """
        Stop failing: every send succeeds again.
        """
        self._always, self._next, self._probability, self._rng = False, 0, 0.0, None

    def send(self, notification: Notification) -> None:
        """
        Record ``notification`` as delivered, or raise NotificationFailed if told to fail.
        """
        if not isinstance(notification, Notification):
            raise InvalidInput(f"expected a Notification, got {type(notification).__name__}")
        with self._lock:
            if self._fails_now():
                self._failures += 1
                raise NotificationFailed(
                    f"could not deliver {notification.dedup_key!r} (told to fail)",
                    dedup_key=notification.dedup_key,
                )
            self._sent.append(notification)

    def _fails_now(self) -> bool:
        if self._always:
            return True
        if self._next > 0:
            self._next -= 1
            return True
        # The generator is drawn only when a probability is set, so a seeded run replays.
        return self._rng is not None and self._rng.random() < self._probability


# -- knowledge base -----------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")
# Words too common in help-desk text to say what a ticket is about.
_STOPWORDS = frozenset(
    {"an", "and", "are", "as", "at", "be", "but", "by", "can", "cannot", "for", "from", "has"}
    | {"have", "in", "is", "it", "my", "no", "not", "of", "on", "or", "our", "please", "the"}
    | {"to", "was", "we", "with", "you", "your"}
)


def _words(*texts: str) -> frozenset[str]:
    return frozenset(
        word
        for text in texts
        for word in _WORD.findall(text.casefold())
        if len(word) > 1 and word not in _STOPWORDS
    )


class InMemoryKnowledgeBase:
    """
    A [`KnowledgeBase`][deskflow.ports.KnowledgeBase] that matches keywords of a ticket's title and
    description with those of articles; a match in a tag counts 3, in a title 2, in a body 1.

    Recorded resolutions become *candidates* (``candidate:<ticket id>``, one per ticket, the
    latest resolution wins); `add()` one to publish it, after review.

    >>> kb = InMemoryKnowledgeBase([Article("KB-1", "Reset a VPN token", "Use the portal.",
    ...                                     ["vpn"])])
    >>> from datetime import datetime, timezone
    >>> from deskflow import INCIDENT
    >>> t = INCIDENT.open("T-1", title="VPN token expired", requester="ann",
    ...                   at=datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    >>> [a.id for a in kb.suggest(t)]
    ['KB-1']
    """

    def __init__(self, articles: Iterable[Article] = ()) -> None:
        self._lock = threading.Lock()
        self._articles: dict[str, tuple[Article, frozenset[str], frozenset[str], frozenset[str]]]
        self._articles = {}
        self._candidates: dict[str, Article] = {}
        for article in articles:
            self.add(article)

    def add(self, article: Article) -> None:
        """
        Publish ``article`` (replacing one with the same id).
        """
        if not isinstance(article, Article):
            raise InvalidInput(f"expected an Article, got {type(article).__name__}")
        # Words are extracted once here, not at every suggestion.
        words = (_words(*article.tags), _words(article.title), _words(article.body))
        with self._lock:
            self._articles[article.id] = (article, *words)

    @property
    def candidates(self) -> list[Article]:
        """
        The candidate articles recorded from resolutions, in the order first recorded.
        """
        with self._lock:
            return list(self._candidates.values())

    def suggest(self, ticket: Ticket, limit: int = 5) -> list[Article]:
        """
        Return at most ``limit`` published articles relevant to ``ticket``, best first.
        """
        checked_ticket(ticket)
        checked_count("limit", limit)
        query = _words(ticket.title, ticket.description)
        with self._lock:
            scored = []
            for article, tags, title, body in self._articles.values():
                score = 3 * len(query & tags) + 2 * len(query & title) + len(query & body)
                if score:
                    scored.append((-score, article.id, article))
        return [article for _, _, article in heapq.nsmallest(limit, scored)]

    def record_resolution(self, ticket: Ticket) -> None:
        """
        Offer a resolved ticket's title and resolution as a candidate article.
        """
        checked_ticket(ticket)
        if ticket.resolution is None:
            raise InvalidInput(f"ticket {ticket.id!r} has no resolution to record")
        tags = [tag for tag in (ticket.category, ticket.service) if tag is not None]
        article = Article(f"candidate:{ticket.id}", ticket.title, ticket.resolution, tags)
        with self._lock:
            self._candidates[ticket.id] = article
