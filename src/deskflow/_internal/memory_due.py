"""
The due index of the in-memory repository: next check times in a heap, with workers' claims.

Not thread-safe on its own: the repository calls it with its lock held.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from deskflow._internal import checks as _checks
from deskflow._internal.storage import checked_count, checked_strings, optional_aware
from deskflow.exceptions import InvalidInput


def checked_owner(value: object) -> str:
    """
    Return the name of a claiming worker, or raise InvalidInput.
    """
    return _checks.text("owner", value)


#: The longest claim: work a worker held longer than this would be lost to a crash for good.
MAX_LEASE = timedelta(days=366)


def checked_lease(value: object) -> timedelta:
    """
    Return a claim's lease if it is a positive timedelta, or raise InvalidInput.
    """
    lease = _checks.duration("lease", value)
    if not lease:
        raise InvalidInput("lease must be longer than zero: a claim must last a while")
    if lease > MAX_LEASE:
        raise InvalidInput(f"lease must be at most {MAX_LEASE.days} days, got {lease}")
    return lease


def checked_claim(
    now: object, limit: object, owner: object, lease: object
) -> tuple[datetime, int, str, timedelta]:
    """
    Check the arguments of a claim (``claim_due``, ``claim_notifications``).
    """
    return (
        _checks.aware("now", now),
        checked_count("limit", limit),
        checked_owner(owner),
        checked_lease(lease),
    )


class DueIndex:
    """
    Next check times, earliest first, and who holds a claim on which ticket until when.

    The heap holds ``(at, ticket id, stamp)``; an entry whose stamp is not the ticket's live
    one was made stale by a later write and is dropped when it reaches the top. So reading
    or claiming k due tickets costs O(k log n), plus the due tickets other owners hold live
    claims on (at most their batches in hand), never a scan of every ticket.
    """

    def __init__(self) -> None:
        self._live: dict[str, tuple[datetime, int]] = {}
        self._heap: list[tuple[datetime, str, int]] = []
        self._stamps = itertools.count()
        # ticket id -> (owner, until): a claim is live while ``now < until``.
        self._claims: dict[str, tuple[str, datetime]] = {}

    def next_check(self, ticket_id: str) -> datetime | None:
        """
        The ticket's next check time, or None.
        """
        live = self._live.get(ticket_id)
        return None if live is None else live[0]

    def set(self, ticket_id: str, at: datetime | None) -> None:
        """
        Replace the ticket's next check (None: not due ever) and end any claim on it.
        """
        self._claims.pop(ticket_id, None)
        if at is None:
            self._live.pop(ticket_id, None)
        else:
            stamp = next(self._stamps)
            self._live[ticket_id] = (at, stamp)
            heapq.heappush(self._heap, (at, ticket_id, stamp))
        # Stale entries that never reach the top would pile up; rebuild once they dominate.
        if len(self._heap) > 2 * len(self._live) + 32:
            self._heap = [(at, tid, stamp) for tid, (at, stamp) in self._live.items()]
            heapq.heapify(self._heap)

    def due(self, now: datetime, limit: int) -> list[str]:
        """
        At most ``limit`` ids due at ``now``, earliest first; claims nothing.
        """
        return self._take(now, limit, lambda _ticket_id: True)

    def claim(self, now: datetime, limit: int, owner: str, lease: timedelta) -> list[str]:
        """
        Claim at most ``limit`` due tickets that no other owner holds, earliest first.
        """
        claims = self._claims

        def claimable(ticket_id: str) -> bool:
            held = claims.get(ticket_id)
            return held is None or held[0] == owner or held[1] <= now

        found = self._take(now, limit, claimable)
        until = now + lease
        for ticket_id in found:
            claims[ticket_id] = (owner, until)
        return found

    def _take(self, now: datetime, limit: int, wanted: Callable[[str], bool]) -> list[str]:
        heap, live = self._heap, self._live
        popped: list[tuple[datetime, str, int]] = []
        found: list[str] = []
        while heap and len(found) < limit and heap[0][0] <= now:
            entry = heapq.heappop(heap)
            current = live.get(entry[1])
            if current is None or current[1] != entry[2]:
                continue  # stale: dropped for good
            popped.append(entry)
            if wanted(entry[1]):
                found.append(entry[1])
        # The live entries go back: a claimed ticket stays due until it is saved or released.
        for entry in popped:
            heapq.heappush(heap, entry)
        return found

    def release(self, owner: str, ticket_ids: Iterable[str], retry_at: datetime | None) -> None:
        """
        End ``owner``'s claims on these tickets; with ``retry_at``, move their next check.
        """
        for ticket_id in ticket_ids:
            held = self._claims.get(ticket_id)
            if held is None or held[0] != owner:
                continue
            if retry_at is None:
                del self._claims[ticket_id]
            else:
                self.set(ticket_id, retry_at)


def checked_release(
    owner: object, ticket_ids: object, retry_at: object
) -> tuple[str, tuple[str, ...], datetime | None]:
    """
    Check the arguments of ``release_due``.
    """
    return (
        checked_owner(owner),
        checked_strings("ticket_ids", ticket_ids),
        optional_aware("retry_at", retry_at),
    )
