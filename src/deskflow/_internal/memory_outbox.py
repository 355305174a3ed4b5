"""
The outbox of the in-memory repository: pending notifications with their delivery bookkeeping.

Not thread-safe on its own: the repository calls it with its lock held.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs

from deskflow._internal import checks as _checks
from deskflow._internal.storage import checked_strings
from deskflow.exceptions import InvalidInput
from deskflow.notifications import Notification
from deskflow.outbox import DeliveryFailure, OutboxItem


@attrs.define
class _Entry:
    # The bookkeeping of one undelivered item; ``stamp`` names its one live heap entry.
    sequence: int
    notification: Notification
    stamp: int
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    dead: bool = False
    owner: str | None = None
    until: datetime | None = None

    @property
    def order(self) -> tuple[datetime, int]:
        return self.notification.created_at, self.sequence

    def item(self) -> OutboxItem:
        return OutboxItem(
            self.notification, self.attempts, self.next_attempt_at, self.last_error, self.dead
        )


def checked_failures(value: object) -> tuple[DeliveryFailure, ...]:
    """
    Check the argument of ``mark_failed``: DeliveryFailure objects with a key, an error text
    and an aware ``retry_at`` or None.
    """
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInput(f"failures must be DeliveryFailure objects, got {type(value).__name__}")
    failures = tuple(value)
    for failure in failures:
        if not isinstance(failure, DeliveryFailure):
            raise InvalidInput(
                f"failures must be DeliveryFailure objects, got {type(failure).__name__}"
            )
        _checks.text("dedup_key", failure.dedup_key)
        if not isinstance(failure.error, str):
            raise InvalidInput(f"a failure's error must be a string, got {failure.error!r}")
        if failure.retry_at is not None:
            _checks.aware("retry_at", failure.retry_at)
    return failures


class OutboxStore:
    """
    Undelivered notifications, each queued once per dedup key.

    Two heaps keep a delivery round at O(limit log n) however large the backlog: ``ready``
    holds the items that may be tried now, oldest first by (created_at, queue order);
    ``waiting`` holds the items backing off after a failure, by the time they may be tried
    again, and each moves to ``ready`` once, when that time has come. Dead letters are in
    neither. A heap entry whose stamp is not its item's live one is stale and is dropped when
    it surfaces. Items claimed by another owner stay in ``ready`` and are stepped over, so a
    round also pays for the live claims of others ahead of it (at most their batches).
    """

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        # Every key ever queued, delivered or not: queuing a key again is a no-op.
        self._queued: set[str] = set()
        self._ready: list[tuple[datetime, int, int, str]] = []
        self._waiting: list[tuple[datetime, int, int, str]] = []
        self._dead: dict[str, None] = {}
        self._sequence = itertools.count()
        self._stamps = itertools.count()

    def queue(self, notification: Notification) -> None:
        """
        Queue ``notification`` unless its key was queued before.
        """
        key = notification.dedup_key
        if key in self._queued:
            return
        self._queued.add(key)
        entry = _Entry(next(self._sequence), notification, stamp=0)
        self._entries[key] = entry
        self._make_ready(key, entry)

    def _make_ready(self, key: str, entry: _Entry) -> None:
        entry.stamp = next(self._stamps)
        heapq.heappush(self._ready, (*entry.order, entry.stamp, key))
        self._compact()

    def _live(self, heap_entry: tuple[datetime, int, int, str]) -> _Entry | None:
        entry = self._entries.get(heap_entry[3])
        if entry is None or entry.stamp != heap_entry[2] or entry.dead:
            return None
        return entry

    def _compact(self) -> None:
        # Stale entries that never surface would pile up; rebuild once they dominate.
        if len(self._ready) + len(self._waiting) <= 2 * len(self._entries) + 32:
            return
        self._ready = [e for e in self._ready if self._live(e) is not None]
        self._waiting = [e for e in self._waiting if self._live(e) is not None]
        heapq.heapify(self._ready)
        heapq.heapify(self._waiting)

    def pending(self, limit: int) -> list[Notification]:
        """
        At most ``limit`` undelivered items that are not dead, oldest first.
        """
        alive = (entry for entry in self._entries.values() if not entry.dead)
        return [e.notification for e in heapq.nsmallest(limit, alive, key=lambda e: e.order)]

    def claim(self, now: datetime, limit: int, owner: str, lease: timedelta) -> list[OutboxItem]:
        """
        Claim at most ``limit`` items that may be tried at ``now``, oldest first.
        """
        waiting, ready = self._waiting, self._ready
        while waiting and waiting[0][0] <= now:
            heap_entry = heapq.heappop(waiting)
            entry = self._live(heap_entry)
            if entry is not None:
                self._make_ready(heap_entry[3], entry)
        popped: list[tuple[datetime, int, int, str]] = []
        found: list[_Entry] = []
        while ready and len(found) < limit:
            heap_entry = heapq.heappop(ready)
            entry = self._live(heap_entry)
            if entry is None:
                continue  # stale: dropped for good
            popped.append(heap_entry)
            held = entry.owner is not None and entry.owner != owner
            if held and entry.until is not None and now < entry.until:
                continue
            entry.owner, entry.until = owner, now + lease
            found.append(entry)
        # Claimed items stay ready: a claim whose lease runs out is anyone's again.
        for heap_entry in popped:
            heapq.heappush(ready, heap_entry)
        return [entry.item() for entry in found]

    def delivered(self, keys: Iterable[str]) -> None:
        """
        Forget these items (their keys stay queued); unknown keys are ignored.
        """
        for key in keys:
            if self._entries.pop(key, None) is not None:
                self._dead.pop(key, None)

    def failed(self, failures: Iterable[DeliveryFailure]) -> None:
        """
        Count a failed attempt of each item and back it off, or make it a dead letter.
        """
        for failure in failures:
            entry = self._entries.get(failure.dedup_key)
            if entry is None:
                continue
            entry.attempts += 1
            entry.last_error = failure.error
            entry.next_attempt_at = failure.retry_at
            entry.owner = entry.until = None
            entry.stamp = next(self._stamps)
            if failure.retry_at is None:
                entry.dead = True
                self._dead[failure.dedup_key] = None
            else:
                entry.dead = False
                self._dead.pop(failure.dedup_key, None)
                heap_entry = (failure.retry_at, entry.sequence, entry.stamp, failure.dedup_key)
                heapq.heappush(self._waiting, heap_entry)
        self._compact()

    def dead_letters(self, limit: int) -> list[OutboxItem]:
        """
        At most ``limit`` dead letters, oldest first.
        """
        dead = (self._entries[key] for key in self._dead)
        return [entry.item() for entry in heapq.nsmallest(limit, dead, key=lambda e: e.order)]

    def retry_dead(self, keys: Iterable[str] | None) -> int:
        """
        Make these dead letters (all if None) pending, with no attempts; return how many.

        The last error is kept: it says why the item died until a new attempt replaces it.
        """
        chosen = list(self._dead) if keys is None else checked_strings("dedup_keys", keys)
        revived = 0
        for key in chosen:
            if key not in self._dead:
                continue
            del self._dead[key]
            entry = self._entries[key]
            entry.dead, entry.attempts, entry.next_attempt_at = False, 0, None
            self._make_ready(key, entry)
            revived += 1
        return revived
