"""
In-memory adapters for every port: deskflow's reference implementations.

They are what deskflow's own tests, the simulation and a host's unit tests run on, and they pass
the same contract suites ([`deskflow.testing.contracts`][deskflow.testing.contracts]) a host's
adapters must pass. The clocks are in [`deskflow.adapters.clocks`][deskflow.adapters.clocks].
"""

from __future__ import annotations

import heapq
import random
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from deskflow._internal import checks as _checks
from deskflow._internal.memory_due import DueIndex, checked_claim, checked_release
from deskflow._internal.memory_outbox import OutboxStore, checked_failures
from deskflow._internal.memory_queries import find_page
from deskflow._internal.storage import (
    checked_count,
    checked_strings,
    checked_ticket,
)
from deskflow._internal.writes import OneTicketWrites
from deskflow.exceptions import ConcurrencyError, InvalidInput, NotFound
from deskflow.notifications import Notification, NotificationFailed
from deskflow.outbox import DeliveryFailure, OutboxItem
from deskflow.ports import Article, TicketWrite
from deskflow.queries import Order, Page, TicketQuery
from deskflow.ticket import Ticket

__all__ = ["InMemoryKnowledgeBase", "InMemoryNotifier", "InMemoryTicketRepository"]


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
    threads (every method runs under one lock).

    Tickets are immutable, so the stored objects are handed out as they are; every list
    returned is a fresh one. ``due`` and ``claim_due`` read a heap ordered by next check
    time, so a tick costs O(k log n) for k due tickets rather than a scan of all of them;
    the outbox keeps its ready items and its backed-off ones in two heaps, so a delivery
    round costs O(limit log n) however many items wait or fail. ``find`` scans: it is the
    reference query the SQL adapter's indexed one agrees with.

    >>> from datetime import datetime, timedelta, timezone
    >>> from deskflow import INCIDENT
    >>> t0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> repo = InMemoryTicketRepository()
    >>> ticket = INCIDENT.open(repo.next_id("T"), title="VPN down", requester="ann", at=t0)
    >>> repo.add(ticket, next_check_at=t0 + timedelta(hours=1))
    >>> repo.get("T-1") == ticket, repo.due(t0 + timedelta(hours=1), limit=10)
    (True, ['T-1'])
    >>> in_1h, lease = t0 + timedelta(hours=1), timedelta(minutes=5)
    >>> [repo.claim_due(in_1h, 10, owner=w, lease=lease) for w in ("w1", "w2")]
    [['T-1'], []]
    """

    def __init__(self) -> None:
        # Re-entrant, so a subclass may call public methods while holding it.
        self._lock = threading.RLock()
        self._tickets: dict[str, Ticket] = {}
        # Each index maps a value to the ids having it, as an insertion-ordered dict.
        self._indexes: dict[str, dict[str, dict[str, None]]] = {name: {} for name in _INDEXED}
        self._due = DueIndex()
        self._outbox = OutboxStore()
        self._counters: dict[str, int] = {}

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

    def next_id(self, prefix: str) -> str:
        """
        Allocate a new ticket id under ``prefix`` (``"INC"`` -> ``"INC-1"``, ``"INC-2"``, ...):
        never the same one twice, and never one already stored.
        """
        prefix = _checks.text("prefix", prefix)
        with self._lock:
            number = self._counters.get(prefix, 0)
            while True:
                number += 1
                ticket_id = f"{prefix}-{number}"
                # Cheap here, so an id a host stored itself is skipped rather than refused.
                if ticket_id not in self._tickets:
                    break
            self._counters[prefix] = number
            return ticket_id

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
        self._due.set(ticket.id, next_check_at)  # which also ends any claim on it
        for item in outbox:
            self._outbox.queue(item)

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

    def due(self, now: datetime, limit: int) -> list[str]:
        """
        Return at most ``limit`` ids with ``next_check_at <= now``, earliest first (ties by id).
        Only reads: it claims nothing (see ``claim_due``).
        """
        _checks.aware("now", now)
        checked_count("limit", limit)
        with self._lock:
            return self._due.due(now, limit)

    def claim_due(self, now: datetime, limit: int, *, owner: str, lease: timedelta) -> list[str]:
        """
        Claim at most ``limit`` due tickets for ``owner`` and return their ids, earliest first:
        those no other owner holds a claim on whose lease (``now + lease`` when claimed) is
        still running. A claim ends at the ticket's next save, at ``release_due``, or when
        its lease runs out.
        """
        now, limit, owner, lease = checked_claim(now, limit, owner, lease)
        with self._lock:
            return self._due.claim(now, limit, owner, lease)

    def release_due(
        self, owner: str, ticket_ids: Iterable[str], *, retry_at: datetime | None = None
    ) -> None:
        """
        End ``owner``'s claims on these tickets (others' claims and unknown ids are ignored);
        with ``retry_at``, their next check moves to it (the backoff after a failure).
        """
        owner, ids, retry_at = checked_release(owner, ticket_ids, retry_at)
        with self._lock:
            self._due.release(owner, ids, retry_at)

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

    def find(
        self,
        query: TicketQuery,
        *,
        order: Order = "created",
        limit: int = 50,
        after: str | None = None,
    ) -> Page[Ticket]:
        """
        Return one page of the tickets ``query`` matches, in ``order``, after the cursor
        ``after`` (None: from the start); the page's ``next_cursor`` is None on the last page.
        """
        with self._lock:
            # A snapshot under the lock; the matching (which may read whole histories) outside.
            stored = [(t, self._due.next_check(t.id)) for t in self._tickets.values()]
        return find_page(stored, query, order, limit, after)

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
        Return at most ``limit`` undelivered outbox items that are not dead letters, oldest
        first (by ``created_at``, then the order queued).
        """
        checked_count("limit", limit)
        with self._lock:
            return self._outbox.pending(limit)

    def claim_notifications(
        self, now: datetime, limit: int, *, owner: str, lease: timedelta
    ) -> list[OutboxItem]:
        """
        Claim at most ``limit`` outbox items to deliver, oldest first: undelivered, not dead,
        whose ``next_attempt_at`` is None or ``<= now``, and not held by another owner's live
        claim. A claim ends when the item is marked delivered or failed, or when its lease
        runs out.
        """
        now, limit, owner, lease = checked_claim(now, limit, owner, lease)
        with self._lock:
            return self._outbox.claim(now, limit, owner, lease)

    def mark_delivered(self, dedup_keys: Iterable[str]) -> None:
        """
        Remove these items from the pending outbox; unknown or delivered keys are ignored.
        """
        keys = checked_strings("dedup_keys", dedup_keys)
        with self._lock:
            self._outbox.delivered(keys)

    def mark_failed(self, failures: Iterable[DeliveryFailure]) -> None:
        """
        Record failed attempts: each item's attempts grow by one, its last error and next
        attempt are set, and one whose ``retry_at`` is None becomes a dead letter. Its claim
        ends. Unknown or delivered keys are ignored.
        """
        checked = checked_failures(failures)
        with self._lock:
            self._outbox.failed(checked)

    def dead_letters(self, limit: int) -> list[OutboxItem]:
        """
        Return at most ``limit`` dead letters, oldest first.
        """
        checked_count("limit", limit)
        with self._lock:
            return self._outbox.dead_letters(limit)

    def retry_dead(self, dedup_keys: Iterable[str] | None = None) -> int:
        """
        Make these dead letters (all of them if None) pending again, with no attempts
        counted, and return how many were revived. Their last error is kept until a new
        attempt replaces it; keys that are not dead letters are ignored.
        """
        with self._lock:
            return self._outbox.retry_dead(dedup_keys)


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
