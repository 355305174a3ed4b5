"""
The SQL repository's cache of recent tickets: a bounded LRU map from ticket id to the ticket
at the version it was last loaded or saved at, so that ``get`` reads only the events stored
after it.

It is exact across processes because the store only grows: a ticket's events are keyed by
``(ticket_id, position)`` and never rewritten, so a ticket stored at version ``v`` is a prefix
of every later state of it, and the events at positions ``>= v`` are all another writer can
have added. A cached ticket carries what it folded (the SLA fold), which the next command
extends by the new events only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from deskflow.codec import decode_event
from deskflow.exceptions import InvalidInput, StorageError
from deskflow.ticket import Ticket


class TicketCache:
    """
    At most ``size`` tickets by id, the least recently used evicted first; thread-safe.

    ``size`` 0 holds nothing. A ticket replaces the one cached under its id only if it is at
    the same version or later, so a slow reader never puts back an older state than a save
    that finished meanwhile.

    >>> from datetime import datetime, timezone
    >>> from deskflow import INCIDENT
    >>> t0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> first, second = (INCIDENT.open(i, title="VPN down", requester="ann", at=t0)
    ...                  for i in ("T-1", "T-2"))
    >>> cache = TicketCache(1)
    >>> cache.put([first]); cache.put([second])
    >>> cache.get("T-1") is None, cache.get("T-2") is second
    (True, True)
    >>> from deskflow.events import CommentAdded
    >>> later = second.record(CommentAdded(at=t0, actor="lee", body="On it."))
    >>> cache.put([later]); cache.put([second])
    >>> cache.get("T-2") is later
    True
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._tickets: OrderedDict[str, Ticket] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._tickets)

    def get(self, ticket_id: str) -> Ticket | None:
        """
        The cached ticket with this id, now the most recently used, or None.
        """
        with self._lock:
            ticket = self._tickets.get(ticket_id)
            if ticket is not None:
                self._tickets.move_to_end(ticket_id)
            return ticket

    def put(self, tickets: Iterable[Ticket]) -> None:
        """
        Cache these tickets (each a state the store holds), evicting the least recently used.
        """
        if not self._size:
            return
        with self._lock:
            for ticket in tickets:
                held = self._tickets.get(ticket.id)
                if held is None or held.version <= ticket.version:
                    self._tickets[ticket.id] = ticket
                self._tickets.move_to_end(ticket.id)
            while len(self._tickets) > self._size:
                self._tickets.popitem(last=False)

    def clear(self) -> None:
        """
        Forget every ticket.
        """
        with self._lock:
            self._tickets.clear()


def extended(ticket: Ticket, rows: Sequence[Sequence[Any]]) -> Ticket:
    """
    ``ticket`` with the stored events ``rows`` of (type, schema_version, payload) recorded
    on it, in order: the rows at its version and after.

    Each event is checked as ``Ticket.replay`` checks it; a row that does not decode or
    record is a StorageError naming the ticket and the position.
    """
    for offset, row in enumerate(rows):
        position = ticket.version
        try:
            event = decode_event(row[0], row[1], row[2])
        except InvalidInput as error:
            raise StorageError(
                f"ticket {ticket.id!r}: stored event {position} cannot be read: {error}"
            ) from error
        try:
            ticket = ticket.record(event)
        except InvalidInput as error:
            raise StorageError(
                f"ticket {ticket.id!r}: its history does not replay at event {position} "
                f"({offset + 1} read after the cached version): {error}"
            ) from error
    return ticket
