"""
The ports: what deskflow needs from the world, as small `typing.Protocol` classes.

A host application implements them over its own storage and channels (deskflow ships in-memory
adapters in [`deskflow.adapters.memory`][deskflow.adapters.memory]) and proves its adapters with
the shared contract suites in [`deskflow.testing.contracts`][deskflow.testing.contracts]. Every
method has a one-line contract; the contract suites pin the details.

All datetimes are timezone-aware; a naive one is [`InvalidInput`][deskflow.exceptions.InvalidInput].
The protocols are runtime-checkable, so a host can check that its object has the methods:

>>> from deskflow.adapters import InMemoryTicketRepository, SystemClock
>>> isinstance(InMemoryTicketRepository(), TicketRepository), isinstance(SystemClock(), Clock)
(True, True)
>>> isinstance(object(), Clock)
False
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

import attrs

from deskflow._internal import checks as _checks
from deskflow._internal.checks import any_text_field, required_text_field
from deskflow._internal.storage import checked_outbox, checked_ticket, optional_aware
from deskflow.exceptions import InvalidInput
from deskflow.notifications import Notification
from deskflow.outbox import DeliveryFailure, OutboxItem
from deskflow.queries import Order, Page, TicketQuery
from deskflow.ticket import Ticket

__all__ = ["Article", "Clock", "KnowledgeBase", "Notifier", "TicketRepository", "TicketWrite"]


def _expected_version(value: object) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise InvalidInput(f"expected_version must be None or an int >= 0, got {value!r}")
    return value


def _next_check(value: object) -> datetime | None:
    return optional_aware("next_check_at", value)


@attrs.frozen
class TicketWrite:
    """
    One ticket's part of an atomic write: the ticket as it is now, the version it had when it
    was loaded (``None`` for a new ticket), when it is next due for time-based work, and the
    notifications it queues.

    [`TicketRepository.save_all`][deskflow.ports.TicketRepository.save_all] writes a sequence
    of these together or not at all.

    >>> from datetime import datetime, timezone
    >>> from deskflow import INCIDENT
    >>> t = INCIDENT.open("T-1", title="VPN down", requester="ann",
    ...                   at=datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    >>> TicketWrite(t, None).is_new
    True
    """

    ticket: Ticket = attrs.field(converter=checked_ticket)
    expected_version: int | None = attrs.field(converter=_expected_version)
    next_check_at: datetime | None = attrs.field(default=None, converter=_next_check)
    outbox: tuple[Notification, ...] = attrs.field(default=(), converter=checked_outbox)

    def __attrs_post_init__(self) -> None:
        # A ticket older than the version it claims to replace would roll its history back.
        if self.expected_version is not None and self.ticket.version < self.expected_version:
            raise InvalidInput(
                f"ticket {self.ticket.id!r} is at version {self.ticket.version}, older than "
                f"the expected version {self.expected_version} it would replace"
            )

    @property
    def is_new(self) -> bool:
        """
        True for a ticket the store does not hold yet.
        """
        return self.expected_version is None

    @classmethod
    def batch(cls, writes: object) -> tuple[TicketWrite, ...]:
        """
        Check the argument of a ``save_all`` call: TicketWrite objects, each naming a
        different ticket. Adapters call it before they write anything.
        """
        if isinstance(writes, str) or not isinstance(writes, Iterable):
            raise InvalidInput(f"writes must be a list of TicketWrite, got {type(writes).__name__}")
        batch = tuple(writes)
        seen: set[str] = set()
        for write in batch:
            if not isinstance(write, cls):
                raise InvalidInput(
                    f"writes must be TicketWrite objects, got {type(write).__name__}"
                )
            if write.ticket.id in seen:
                raise InvalidInput(f"ticket {write.ticket.id!r} appears twice in one write")
            seen.add(write.ticket.id)
        return batch


@runtime_checkable
class TicketRepository(Protocol):
    """
    Where tickets live, with their next check time and their notification outbox.

    Saves use optimistic concurrency: ``expected_version`` is the version the ticket had when
    it was loaded, and a save that lost a race raises
    [`ConcurrencyError`][deskflow.exceptions.ConcurrencyError] and writes nothing. A ticket, its
    ``next_check_at`` and its outbox items are written together, atomically; ``save_all``
    writes several tickets so (a merge, a split), and its
    [`ConcurrencyError`][deskflow.exceptions.ConcurrencyError] names the ticket that lost in
    ``ticket_id``. A write naming one ticket twice is InvalidInput. The outbox
    holds each ``dedup_key`` once: an item whose key was queued before (delivered or not) is
    ignored, so re-queuing is harmless. Query lists are ordered oldest first (by
    ``created_at``, then id) and are the caller's to change.
    """

    def get(self, ticket_id: str) -> Ticket:
        """
        Return the stored ticket; raise NotFound if there is none with that id.
        """
        ...

    def add(
        self,
        ticket: Ticket,
        *,
        next_check_at: datetime | None = None,
        outbox: Sequence[Notification] = (),
    ) -> None:
        """
        Store a new ticket with its outbox; an id already stored raises ConcurrencyError.
        """
        ...

    def save(
        self,
        ticket: Ticket,
        expected_version: int,
        *,
        next_check_at: datetime | None = None,
        outbox: Sequence[Notification] = (),
    ) -> None:
        """
        Replace the stored ticket if its version is ``expected_version``, else ConcurrencyError.
        """
        ...

    def save_all(self, writes: Sequence[TicketWrite]) -> None:
        """
        Write every ticket or none; a taken new id or a stale version raises ConcurrencyError.
        """
        ...

    def next_id(self, prefix: str) -> str:
        """
        Allocate a new ticket id under ``prefix`` (``"INC"`` -> ``"INC-1"``, ``"INC-2"``, ...):
        never the same one twice, from any number of processes, at the cost of one counter
        update whatever the store holds. A number may be skipped (a command refused after it
        reserved one); an id a host stored itself may come back, and its add then raises
        ConcurrencyError, so the caller asks again.
        """
        ...

    def due(self, now: datetime, limit: int) -> list[str]:
        """
        Return at most ``limit`` ids with ``next_check_at <= now``, earliest first (ties by id).
        Only reads: it claims nothing (see ``claim_due``).
        """
        ...

    def claim_due(self, now: datetime, limit: int, *, owner: str, lease: timedelta) -> list[str]:
        """
        Claim at most ``limit`` due tickets for ``owner`` and return their ids, earliest first.

        A ticket is claimable when its ``next_check_at <= now`` and no other owner holds a claim
        on it whose lease (``now + lease`` when claimed) has not run out, so workers claiming at
        once split the due set. A claim ends at the ticket's next save, at ``release_due``, or
        when its lease runs out (a worker that crashed gives its work back that way).
        """
        ...

    def release_due(
        self, owner: str, ticket_ids: Iterable[str], *, retry_at: datetime | None = None
    ) -> None:
        """
        End ``owner``'s claims on these tickets (others' claims and unknown ids are ignored);
        with ``retry_at``, their next check moves to it (the backoff after a failure).
        """
        ...

    def by_requester(self, requester_id: str) -> list[Ticket]:
        """
        Return the tickets of one requester, oldest first.
        """
        ...

    def by_state(self, state: str) -> list[Ticket]:
        """
        Return the tickets in one state, oldest first.
        """
        ...

    def by_assignee(self, agent_id: str) -> list[Ticket]:
        """
        Return the tickets assigned to one agent, oldest first.
        """
        ...

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
        ...

    def open_by_alert_key(self, alert_key: str, final_states: Iterable[str]) -> Ticket | None:
        """
        Return the oldest ticket opened from ``alert_key`` whose state is not final, or None.
        """
        ...

    def pending_notifications(self, limit: int) -> list[Notification]:
        """
        Return at most ``limit`` undelivered outbox items that are not dead letters, oldest
        first (by ``created_at``, then the order queued).
        """
        ...

    def claim_notifications(
        self, now: datetime, limit: int, *, owner: str, lease: timedelta
    ) -> list[OutboxItem]:
        """
        Claim at most ``limit`` outbox items to deliver, oldest first: undelivered, not dead,
        whose ``next_attempt_at`` is None or ``<= now``, and not held by another owner's live
        claim. A claim ends when the item is marked delivered or failed, or when its lease
        runs out. A round costs O(limit), not O(backlog).
        """
        ...

    def mark_delivered(self, dedup_keys: Iterable[str]) -> None:
        """
        Remove these items from the pending outbox; unknown or delivered keys are ignored.
        """
        ...

    def mark_failed(self, failures: Iterable[DeliveryFailure]) -> None:
        """
        Record failed attempts: each item's attempts grow by one, its last error and next
        attempt are set, and one whose ``retry_at`` is None becomes a dead letter. Its claim
        ends. Unknown or delivered keys are ignored.
        """
        ...

    def dead_letters(self, limit: int) -> list[OutboxItem]:
        """
        Return at most ``limit`` dead letters, oldest first.
        """
        ...

    def retry_dead(self, dedup_keys: Iterable[str] | None = None) -> int:
        """
        Make these dead letters (all of them if None) pending again, with no attempts
        counted; return how many were revived.
        """
        ...


@runtime_checkable
class Notifier(Protocol):
    """
    A channel that delivers notifications: email, chat, a pager, a webhook.
    """

    def send(self, notification: Notification) -> None:
        """
        Deliver ``notification`` or raise a DeskflowError; the outbox retries it later.
        """
        ...


@runtime_checkable
class Clock(Protocol):
    """
    The source of the current time; only the system clock adapter reads the wall clock.
    """

    def now(self) -> datetime:
        """
        Return the current instant as a timezone-aware datetime.
        """
        ...


def _tags(value: object) -> tuple[str, ...]:
    # A lone string is one tag, as Actor takes a lone group name.
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, Iterable):
        raise InvalidInput(f"tags must be strings, got {type(value).__name__}")
    return tuple(dict.fromkeys(_checks.text("tag", tag) for tag in value))


@attrs.frozen
class Article:
    """
    A knowledge article: a known solution an agent (or a requester) can apply.

    >>> Article("KB-7", "Reset a VPN token", "Open the portal, then ...", ["vpn", "token"]).tags
    ('vpn', 'token')
    """

    id: str = attrs.field(validator=required_text_field)
    title: str = attrs.field(validator=required_text_field)
    body: str = attrs.field(validator=any_text_field)
    tags: tuple[str, ...] = attrs.field(default=(), converter=_tags)


@runtime_checkable
class KnowledgeBase(Protocol):
    """
    Known solutions: suggested while a ticket is worked, fed by the resolutions of tickets.
    """

    def suggest(self, ticket: Ticket, limit: int = 5) -> list[Article]:
        """
        Return at most ``limit`` articles relevant to ``ticket``, best first.
        """
        ...

    def record_resolution(self, ticket: Ticket) -> None:
        """
        Offer a resolved ticket's title and resolution as a candidate article.
        """
        ...
