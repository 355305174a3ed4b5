"""
The one-ticket writes of a repository, as calls of its ``save_all``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from deskflow._internal.storage import checked_count
from deskflow.notifications import Notification
from deskflow.ports import TicketWrite
from deskflow.ticket import Ticket


class OneTicketWrites:
    """
    ``add`` and ``save`` for a repository that implements ``save_all``.
    """

    def save_all(self, writes: Sequence[TicketWrite]) -> None:
        """
        Write every ticket or none; a taken new id or a stale version raises ConcurrencyError.
        """
        raise NotImplementedError

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
        self.save_all([TicketWrite(ticket, None, next_check_at, outbox)])

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
        checked_count("expected_version", expected_version)
        self.save_all([TicketWrite(ticket, expected_version, next_check_at, outbox)])
