"""
The part of TicketRepositoryContract that pins ticket numbers and workers' claims on due
tickets: ``next_id``, ``claim_due`` and ``release_due``.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from deskflow.exceptions import ConcurrencyError, InvalidInput
from deskflow.ports import TicketRepository
from deskflow.testing._lifecycle import RepositoryLifecycle
from deskflow.testing._model import T0, after_hours, commented, open_ticket

LEASE = timedelta(minutes=5)


def number(ticket_id: str, prefix: str) -> int:
    """
    The number of an id that ``next_id(prefix)`` returned; fails the test for another shape.
    """
    head, dash, tail = ticket_id.rpartition("-")
    assert (prefix, "-") == (head, dash), ticket_id
    assert tail.isdigit(), ticket_id
    return int(tail)


class ClaimsContract(RepositoryLifecycle):
    """
    What ``next_id``, ``claim_due`` and ``release_due`` must do; mixed into
    TicketRepositoryContract.
    """

    # -- next_id ---------------------------------------------------------------------------

    def test_next_id_is_distinct_and_increasing(self) -> None:
        """
        next_id(prefix) returns PREFIX-<n> with n growing at each call.
        """
        repo = self.fresh()
        numbers = [number(repo.next_id("INC"), "INC") for _ in range(5)]
        assert sorted(set(numbers)) == numbers
        assert all(n >= 1 for n in numbers)

    def test_next_id_counts_each_prefix_apart(self) -> None:
        """
        Ids allocated under one prefix do not use up the numbers of another.
        """
        repo = self.fresh()
        first_inc = number(repo.next_id("INC"), "INC")
        for _ in range(3):
            repo.next_id("INC")
        first_req = number(repo.next_id("REQ"), "REQ")
        assert first_inc == first_req
        assert number(repo.next_id("INC"), "INC") > first_inc + 3

    def test_next_id_never_returns_an_id_twice(self) -> None:
        """
        Even around ids a host stored itself, every id next_id returns is new, and asking
        again after a ConcurrencyError always ends with the ticket stored.
        """
        repo = self.fresh()
        for taken in ("INC-1", "INC-2", "INC-4"):
            repo.add(open_ticket(taken))
        seen: list[str] = []
        for _ in range(4):
            for _attempt in range(10):
                ticket_id = repo.next_id("INC")
                seen.append(ticket_id)
                try:
                    repo.add(open_ticket(ticket_id))
                except ConcurrencyError:
                    continue
                break
            else:  # pragma: no cover - the failure being tested for
                pytest.fail(f"next_id kept returning stored ids: {seen}")
        assert len(set(seen)) == len(seen)

    def test_next_id_from_threads_is_distinct(self) -> None:
        """
        Threads calling next_id at once get distinct ids.
        """
        repo = self.fresh()
        got: list[str] = []
        errors: list[BaseException] = []
        lock = threading.Lock()
        start = threading.Barrier(6)

        def work() -> None:
            start.wait()
            try:
                mine = [repo.next_id("INC") for _ in range(20)]
            except BaseException as error:  # reported by the test, not lost in the thread
                errors.append(error)
                return
            with lock:
                got.extend(mine)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        assert 120 == len(set(got))

    @pytest.mark.parametrize("prefix", ["", "  ", None, 7])
    def test_next_id_refuses_a_bad_prefix(self, prefix: object) -> None:
        """
        A blank or non-string prefix is InvalidInput.
        """
        repo = self.fresh()
        with pytest.raises(InvalidInput):
            repo.next_id(prefix)  # type: ignore[arg-type]

    # -- claim_due / release_due --------------------------------------------------------------

    def _due_set(self, repo: TicketRepository, count: int = 6) -> list[str]:
        ids = [f"T-{i}" for i in range(count)]
        for i, ticket_id in enumerate(ids):
            repo.add(open_ticket(ticket_id), next_check_at=T0 + timedelta(minutes=i))
        return ids

    def test_two_owners_split_the_due_set(self) -> None:
        """
        Claims by two owners at once split the due tickets, earliest first; each owner may
        claim its own again, and due() still lists them all (it only reads).
        """
        repo = self.fresh()
        ids = self._due_set(repo)
        now = after_hours(1)
        first = repo.claim_due(now, 3, owner="w1", lease=LEASE)
        second = repo.claim_due(now, 10, owner="w2", lease=LEASE)
        assert ids[:3] == first
        assert ids[3:] == second
        assert [] == repo.claim_due(now, 10, owner="w3", lease=LEASE)
        assert first == repo.claim_due(now, 10, owner="w1", lease=LEASE)
        assert ids == repo.due(now, limit=10)

    def test_claim_due_takes_only_due_tickets(self) -> None:
        """
        claim_due returns only tickets with next_check_at <= now, ties by id, at most limit.
        """
        repo = self.fresh()
        for ticket_id, hours in (("T-3", 2), ("T-1", 3), ("T-2", 2), ("T-4", 9)):
            repo.add(open_ticket(ticket_id), next_check_at=after_hours(hours))
        repo.add(open_ticket("T-5"))
        day = timedelta(days=1)
        assert [] == repo.claim_due(after_hours(1), 10, owner="w1", lease=day)
        assert ["T-2"] == repo.claim_due(after_hours(2), 1, owner="w1", lease=day)
        assert [] == repo.claim_due(after_hours(2), 0, owner="w2", lease=day)
        assert ["T-3"] == repo.claim_due(after_hours(2), 10, owner="w2", lease=day)
        assert ["T-3", "T-1"] == repo.claim_due(after_hours(8), 10, owner="w2", lease=day)

    def test_an_expired_lease_is_claimable_by_another(self) -> None:
        """
        A claim holds while its lease runs; once it has run out, another owner may claim.
        """
        repo = self.fresh()
        repo.add(open_ticket("T-1"), next_check_at=T0)
        assert ["T-1"] == repo.claim_due(T0, 10, owner="w1", lease=LEASE)
        almost = T0 + LEASE - timedelta(microseconds=1)
        assert [] == repo.claim_due(almost, 10, owner="w2", lease=LEASE)
        assert ["T-1"] == repo.claim_due(T0 + LEASE, 10, owner="w2", lease=LEASE)
        assert [] == repo.claim_due(T0 + LEASE, 10, owner="w1", lease=LEASE)

    def test_release_gives_the_tickets_back(self) -> None:
        """
        release_due ends the owner's claims (another owner may claim at once); it ignores
        others' claims and unknown ids.
        """
        repo = self.fresh()
        ids = self._due_set(repo, 3)
        now = after_hours(1)
        assert ids == repo.claim_due(now, 10, owner="w1", lease=LEASE)
        repo.release_due("w2", ids, retry_at=after_hours(9))
        assert [] == repo.claim_due(now, 10, owner="w2", lease=LEASE)
        assert ids == repo.due(now, limit=10)
        repo.release_due("w1", [ids[1], "T-404"])
        assert [ids[1]] == repo.claim_due(now, 10, owner="w2", lease=LEASE)
        repo.release_due("w1", [])

    def test_release_with_retry_at_moves_the_next_check(self) -> None:
        """
        release_due with retry_at backs the ticket off: it is due again at retry_at.
        """
        repo = self.fresh()
        repo.add(open_ticket("T-1"), next_check_at=T0)
        repo.add(open_ticket("T-2"), next_check_at=T0)
        assert ["T-1", "T-2"] == repo.claim_due(T0, 10, owner="w1", lease=LEASE)
        repo.release_due("w1", ["T-1"], retry_at=after_hours(2))
        assert ["T-2"] == repo.due(after_hours(1), limit=10)
        assert ["T-2"] == repo.claim_due(after_hours(1), 10, owner="w2", lease=LEASE * 100)
        assert ["T-2", "T-1"] == repo.due(after_hours(2), limit=10)
        assert ["T-1"] == repo.claim_due(after_hours(2), 10, owner="w3", lease=LEASE)

    def test_a_save_ends_a_claim(self) -> None:
        """
        Saving a claimed ticket ends the claim: if it is still due, anyone may claim it.
        """
        repo = self.fresh()
        ticket = open_ticket("T-1")
        repo.add(ticket, next_check_at=T0)
        assert ["T-1"] == repo.claim_due(T0, 10, owner="w1", lease=LEASE)
        repo.save(commented(ticket), ticket.version, next_check_at=T0)
        assert ["T-1"] == repo.claim_due(T0, 10, owner="w2", lease=LEASE)

    @pytest.mark.parametrize(
        ("now", "limit", "owner", "lease"),
        [
            (datetime(2026, 3, 2, 9, 0), 10, "w1", LEASE),
            (T0, -1, "w1", LEASE),
            (T0, True, "w1", LEASE),
            (T0, 10, " ", LEASE),
            (T0, 10, None, LEASE),
            (T0, 10, "w1", timedelta(0)),
            (T0, 10, "w1", -LEASE),
            (T0, 10, "w1", 300),
        ],
    )
    def test_claim_due_refuses_bad_arguments(
        self, now: object, limit: object, owner: object, lease: object
    ) -> None:
        """
        A naive now, a bad limit, a blank owner or a lease that is not a positive timedelta
        is InvalidInput, and claims nothing.
        """
        repo = self.fresh()
        repo.add(open_ticket("T-1"), next_check_at=T0)
        with pytest.raises(InvalidInput):
            repo.claim_due(now, limit, owner=owner, lease=lease)  # type: ignore[arg-type]
        assert ["T-1"] == repo.claim_due(T0, 10, owner="w9", lease=LEASE)

    def test_release_due_refuses_bad_arguments(self) -> None:
        """
        A blank owner, ids that are not strings or a naive retry_at is InvalidInput.
        """
        repo = self.fresh()
        with pytest.raises(InvalidInput):
            repo.release_due(" ", ["T-1"])
        with pytest.raises(InvalidInput):
            repo.release_due("w1", "T-1")
        with pytest.raises(InvalidInput):
            repo.release_due("w1", ["T-1"], retry_at=datetime(2026, 3, 2, 9, 0))
