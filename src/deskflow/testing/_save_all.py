"""
The part of TicketRepositoryContract that pins ``save_all``: several tickets written together
or not at all.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskflow.exceptions import ConcurrencyError, InvalidInput, NotFound
from deskflow.ports import TicketRepository, TicketWrite
from deskflow.testing._lifecycle import RepositoryLifecycle
from deskflow.testing._model import after_hours, commented, make_notification, open_ticket
from deskflow.ticket import Ticket


def _snapshot(repo: TicketRepository, ids: list[str]) -> tuple[object, ...]:
    tickets: list[Ticket | None] = []
    for ticket_id in ids:
        try:
            tickets.append(repo.get(ticket_id))
        except NotFound:
            tickets.append(None)
    return (
        tuple(tickets),
        tuple(repo.due(after_hours(1000), limit=100)),
        tuple(n.dedup_key for n in repo.pending_notifications(limit=100)),
    )


class SaveAllContract(RepositoryLifecycle):
    """
    What ``save_all`` must do; mixed into TicketRepositoryContract.
    """

    def test_save_all_writes_every_ticket(self) -> None:
        """
        One save_all stores a changed ticket and a new one, with their checks and outboxes.
        """
        repo = self.fresh()
        old = open_ticket("T-1")
        repo.add(old)
        changed, new = commented(old), open_ticket("T-2")
        repo.save_all(
            [
                TicketWrite(changed, old.version, after_hours(2), [make_notification("k-1")]),
                TicketWrite(new, None, after_hours(1), [make_notification("k-2", ticket_id="T-2")]),
            ]
        )
        assert changed == repo.get("T-1")
        assert new == repo.get("T-2")
        assert ["T-2", "T-1"] == repo.due(after_hours(2), limit=10)
        assert ["k-1", "k-2"] == [n.dedup_key for n in repo.pending_notifications(limit=10)]

    def test_save_all_of_nothing_changes_nothing(self) -> None:
        """
        An empty write is accepted and stores nothing.
        """
        repo = self.fresh()
        repo.save_all([])
        assert [] == repo.due(after_hours(1000), limit=10)

    def test_save_all_refuses_a_ticket_named_twice(self) -> None:
        """
        A write naming one ticket twice is InvalidInput and stores nothing.
        """
        repo = self.fresh()
        ticket = open_ticket("T-1")
        with pytest.raises(InvalidInput):
            repo.save_all([TicketWrite(ticket, None), TicketWrite(commented(ticket), None)])
        with pytest.raises(NotFound):
            repo.get("T-1")

    def test_a_write_cannot_roll_a_ticket_back(self) -> None:
        """
        A ticket older than the version it claims to replace is InvalidInput; nothing changes.
        """
        repo = self.fresh()
        first = open_ticket("T-1")
        repo.add(first)
        second = commented(first)
        repo.save(second, expected_version=first.version)
        with pytest.raises(InvalidInput):
            repo.save_all([TicketWrite(first, second.version)])
        assert second == repo.get("T-1")

    def test_save_all_is_all_or_nothing(self) -> None:
        """
        When any ticket of a write lost its race (a stale version or a taken new id), the
        write raises ConcurrencyError naming that ticket and nothing of it is stored: no
        ticket, no next check time, no outbox item.
        """

        # Given inside the test, so each subclass runs its own examples (one executor each).
        @given(stale=st.integers(0, 2), taken=st.booleans(), order=st.permutations(range(3)))
        def check(stale: int, taken: bool, order: list[int]) -> None:
            self._check_all_or_nothing(stale, taken, order)

        self.run_property(check)

    def _check_all_or_nothing(self, stale: int, taken: bool, order: list[int]) -> None:
        repo = self.fresh()
        stored = [open_ticket(f"T-{i}") for i in range(3)]
        for ticket in stored:
            repo.add(ticket, next_check_at=after_hours(5))
        # Someone else moved one ticket on since it was loaded.
        repo.save(commented(stored[stale], "Meanwhile."), expected_version=stored[stale].version)
        if taken:
            repo.add(open_ticket("T-9"))
        before = _snapshot(repo, ["T-0", "T-1", "T-2", "T-9"])
        writes = [
            TicketWrite(
                commented(stored[i]),
                stored[i].version,
                after_hours(i),
                [make_notification(f"k-{i}", ticket_id=f"T-{i}")],
            )
            for i in range(3)
            if i != stale or not taken
        ]
        writes.append(TicketWrite(open_ticket("T-9"), None, after_hours(0)))
        writes = [writes[i] for i in order if i < len(writes)] + writes[len(order) :]
        with pytest.raises(ConcurrencyError) as caught:
            repo.save_all(writes)
        losers = {"T-9"} if taken else set()
        losers |= {f"T-{stale}"} if not taken else set()
        assert caught.value.ticket_id in losers
        assert before == _snapshot(repo, ["T-0", "T-1", "T-2", "T-9"])
