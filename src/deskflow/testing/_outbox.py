"""
The part of TicketRepositoryContract that pins the outbox's delivery bookkeeping: claims,
delivery, failures with backoff, dead letters and their revival.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskflow.exceptions import InvalidInput
from deskflow.outbox import DeliveryFailure, OutboxItem
from deskflow.ports import TicketRepository
from deskflow.testing._lifecycle import RepositoryLifecycle
from deskflow.testing._model import T0, commented, make_notification, open_ticket

LEASE = timedelta(minutes=5)


def keys(items: list[OutboxItem]) -> list[str]:
    return [item.dedup_key for item in items]


def _queue(repo: TicketRepository, count: int, *, ticket_id: str = "T-1") -> list[str]:
    # Oldest first: one minute apart, so created_at orders them.
    notes = [
        make_notification(f"k-{i:02}", ticket_id=ticket_id, at=T0 + timedelta(minutes=i))
        for i in range(count)
    ]
    repo.add(open_ticket(ticket_id), outbox=notes)
    return [n.dedup_key for n in notes]


class OutboxContract(RepositoryLifecycle):
    """
    What ``claim_notifications``, ``mark_failed``, ``dead_letters`` and ``retry_dead`` must
    do; mixed into TicketRepositoryContract.
    """

    def test_claim_notifications_is_oldest_first(self) -> None:
        """
        Claimed items come oldest first, each with its notification and no attempts yet.
        """
        repo = self.fresh()
        queued = _queue(repo, 4)
        claimed = repo.claim_notifications(T0, 3, owner="w1", lease=LEASE)
        assert queued[:3] == keys(claimed)
        assert repo.pending_notifications(limit=3) == [item.notification for item in claimed]
        assert all(
            (0, None, None, False) == (i.attempts, i.next_attempt_at, i.last_error, i.dead)
            for i in claimed
        )
        assert [] == repo.claim_notifications(T0, 0, owner="w1", lease=LEASE)

    def test_two_owners_never_claim_one_item_while_leases_live(self) -> None:
        """
        Owners claiming at once split the outbox; an item is anyone's again once its lease
        has run out, and its owner may claim it again meanwhile.
        """
        repo = self.fresh()
        queued = _queue(repo, 5)
        first = keys(repo.claim_notifications(T0, 2, owner="w1", lease=LEASE))
        second = keys(repo.claim_notifications(T0, 10, owner="w2", lease=LEASE))
        assert (queued[:2], queued[2:]) == (first, second)
        almost = T0 + LEASE - timedelta(microseconds=1)
        assert [] == repo.claim_notifications(almost, 10, owner="w3", lease=LEASE)
        assert first == keys(repo.claim_notifications(almost, 10, owner="w1", lease=LEASE))
        # w1's renewed claims run until almost + LEASE; w2's ran out at T0 + LEASE.
        assert second == keys(repo.claim_notifications(T0 + LEASE, 10, owner="w3", lease=LEASE))

    def test_delivered_items_end_their_claim_and_leave(self) -> None:
        """
        mark_delivered removes claimed items: neither pending nor claimable again.
        """
        repo = self.fresh()
        queued = _queue(repo, 3)
        claimed = keys(repo.claim_notifications(T0, 2, owner="w1", lease=LEASE))
        repo.mark_delivered(claimed)
        assert queued[2:] == [n.dedup_key for n in repo.pending_notifications(limit=10)]
        later = T0 + 10 * LEASE
        assert queued[2:] == keys(repo.claim_notifications(later, 10, owner="w2", lease=LEASE))

    def test_a_failure_backs_the_item_off(self) -> None:
        """
        mark_failed counts the attempt, keeps the error and ends the claim; the item stays
        pending but is not claimable before its retry time, then is anyone's.
        """
        repo = self.fresh()
        (key,) = _queue(repo, 1)
        repo.claim_notifications(T0, 10, owner="w1", lease=LEASE)
        retry = T0 + timedelta(minutes=2)
        repo.mark_failed([DeliveryFailure(key, "smtp 451", retry)])
        assert [key] == [n.dedup_key for n in repo.pending_notifications(limit=10)]
        assert [] == repo.claim_notifications(
            retry - timedelta(microseconds=1), 10, owner="w1", lease=LEASE
        )
        (again,) = repo.claim_notifications(retry, 10, owner="w2", lease=LEASE)
        assert (key, 1, retry, "smtp 451", False) == (
            again.dedup_key,
            again.attempts,
            again.next_attempt_at,
            again.last_error,
            again.dead,
        )
        repo.mark_failed([DeliveryFailure(key, "smtp 452", retry + timedelta(minutes=4))])
        (third,) = repo.claim_notifications(retry + timedelta(hours=1), 1, owner="w3", lease=LEASE)
        assert (2, "smtp 452") == (third.attempts, third.last_error)

    def test_a_last_failure_makes_a_dead_letter(self) -> None:
        """
        A failure with no retry time makes a dead letter: listed by dead_letters, neither
        pending nor claimable, until retry_dead revives it with no attempts counted.
        """
        repo = self.fresh()
        queued = _queue(repo, 3)
        repo.claim_notifications(T0, 10, owner="w1", lease=LEASE)
        repo.mark_failed([DeliveryFailure(queued[1], "bounced", None)])
        repo.mark_failed([DeliveryFailure(queued[0], "550 no such user", None)])
        dead = repo.dead_letters(limit=10)
        assert queued[:2] == keys(dead)
        assert [(1, "550 no such user", True), (1, "bounced", True)] == [
            (item.attempts, item.last_error, item.dead) for item in dead
        ]
        assert queued[:1] == keys(repo.dead_letters(limit=1))
        assert [queued[2]] == [n.dedup_key for n in repo.pending_notifications(limit=10)]
        later = T0 + timedelta(days=1)
        assert [queued[2]] == keys(repo.claim_notifications(later, 10, owner="w2", lease=LEASE))
        assert 1 == repo.retry_dead([queued[1], queued[2], "no-such-key"])
        assert queued[:1] == keys(repo.dead_letters(limit=10))
        (revived,) = repo.claim_notifications(later, 10, owner="w3", lease=LEASE)
        assert (queued[1], 0, None, False) == (
            revived.dedup_key,
            revived.attempts,
            revived.next_attempt_at,
            revived.dead,
        )
        assert 1 == repo.retry_dead()
        assert [] == repo.dead_letters(limit=10)
        assert 0 == repo.retry_dead()
        assert queued == [n.dedup_key for n in repo.pending_notifications(limit=10)]

    def test_failing_items_never_block_later_ones(self) -> None:
        """
        With many always-failing items older than a good one, a claim of one item after
        they are backed off returns the good one.
        """
        repo = self.fresh()
        failing = _queue(repo, 30)
        good = make_notification("k-good", ticket_id="T-2", at=T0 + timedelta(hours=1))
        repo.add(open_ticket("T-2"), outbox=[good])
        now = T0 + timedelta(hours=2)
        for _round in range(3):
            claimed = keys(repo.claim_notifications(now, len(failing), owner="w1", lease=LEASE))
            assert failing == claimed
            retry_at = now + timedelta(hours=1)
            repo.mark_failed([DeliveryFailure(key, "timeout", retry_at) for key in claimed])
            assert ["k-good"] == keys(repo.claim_notifications(now, 1, owner="w2", lease=LEASE))
            now = retry_at

    def test_a_dedup_key_is_queued_once_whatever_became_of_it(self) -> None:
        """
        Queuing a key again while it is claimed, dead or revived queues nothing new.
        """
        repo = self.fresh()
        ticket = open_ticket("T-1")
        repo.add(ticket, outbox=[make_notification("k-1")])
        repo.claim_notifications(T0, 10, owner="w1", lease=LEASE)
        current = commented(ticket)
        repo.save(current, ticket.version, outbox=[make_notification("k-1")])
        repo.mark_failed([DeliveryFailure("k-1", "down", None)])
        later = commented(current, "Again.")
        repo.save(later, current.version, outbox=[make_notification("k-1")])
        assert ["k-1"] == keys(repo.dead_letters(limit=10))
        assert [] == repo.pending_notifications(limit=10)
        assert 1 == repo.retry_dead(["k-1"])
        repo.save(commented(later, "Once more."), later.version, outbox=[make_notification("k-1")])
        assert ["k-1"] == [n.dedup_key for n in repo.pending_notifications(limit=10)]

    def test_marking_unknown_or_delivered_keys_is_ignored(self) -> None:
        """
        mark_failed of unknown or delivered keys changes nothing.
        """
        repo = self.fresh()
        queued = _queue(repo, 2)
        repo.mark_delivered(queued[:1])
        repo.mark_failed(
            [DeliveryFailure(queued[0], "late", None), DeliveryFailure("nope", "x", None)]
        )
        repo.mark_failed([])
        assert [] == repo.dead_letters(limit=10)
        assert queued[1:] == keys(repo.claim_notifications(T0, 10, owner="w1", lease=LEASE))

    @pytest.mark.parametrize(
        "call",
        [
            lambda r: r.claim_notifications(datetime(2026, 3, 2), 1, owner="w", lease=LEASE),
            lambda r: r.claim_notifications(T0, -1, owner="w", lease=LEASE),
            lambda r: r.claim_notifications(T0, 1, owner="", lease=LEASE),
            lambda r: r.claim_notifications(T0, 1, owner="w", lease=timedelta(0)),
            lambda r: r.mark_failed(["k-00"]),
            lambda r: r.mark_failed(DeliveryFailure("k-00", "x", None)),
            lambda r: r.mark_failed([DeliveryFailure("k-00", "x", datetime(2026, 3, 2))]),
            lambda r: r.dead_letters(limit=-1),
            lambda r: r.retry_dead("k-00"),
        ],
    )
    def test_outbox_calls_refuse_bad_arguments(self, call: object) -> None:
        """
        Bad arguments to the outbox calls are InvalidInput and change nothing.
        """
        repo = self.fresh()
        _queue(repo, 1)
        with pytest.raises(InvalidInput):
            call(repo)  # type: ignore[operator]
        assert ["k-00"] == keys(repo.claim_notifications(T0, 10, owner="w9", lease=LEASE))

    def test_claims_agree_with_a_model(self) -> None:
        """
        Random claims, deliveries and failures by three owners, time moving on: no item is
        ever held by two owners' live claims, each claim is oldest first among the items
        eligible, and nothing is lost.
        """

        @given(steps=st.lists(_STEP, max_size=30))
        def check(steps: list[tuple[int, int, int, int, int]]) -> None:
            _OutboxModel(self.fresh()).run(steps)

        self.run_property(check)


#: (owner, what: 0 claim / 1 deliver / 2 fail / 3 fail for good / 4 revive the dead, how
#: many, minutes on, minutes to the retry)
_STEP = st.tuples(
    st.integers(0, 2), st.integers(0, 4), st.integers(0, 4), st.integers(0, 4), st.integers(0, 3)
)


@dataclasses.dataclass
class _Item:
    attempts: int = 0
    next_attempt_at: datetime | None = None
    dead: bool = False
    owner: str | None = None
    until: datetime | None = None

    def claimable(self, owner: str, now: datetime) -> bool:
        if self.dead or (self.next_attempt_at is not None and self.next_attempt_at > now):
            return False
        return self.owner in (None, owner) or self.until is None or self.until <= now


class _OutboxModel:
    def __init__(self, repo: TicketRepository) -> None:
        self.repo = repo
        self.order = _queue(repo, 8)
        self.now = T0
        self.items = {key: _Item() for key in self.order}

    def run(self, steps: list[tuple[int, int, int, int, int]]) -> None:
        for who, what, count, minutes, retry in steps:
            self.now += timedelta(minutes=minutes)
            owner = f"w{who}"
            mine = [k for k in self.order if k in self.items and self.items[k].owner == owner]
            if what == 0:
                self.claim(owner, count)
            elif what == 1:
                self.repo.mark_delivered(mine[:count])
                for key in mine[:count]:
                    del self.items[key]
            elif what in (2, 3):
                at = None if what == 3 else self.now + timedelta(minutes=retry)
                self.repo.mark_failed([DeliveryFailure(k, f"down {k}", at) for k in mine[:count]])
                for key in mine[:count]:
                    attempts = self.items[key].attempts + 1
                    self.items[key] = _Item(attempts, at, dead=at is None)
            else:
                dead = [key for key, item in self.items.items() if item.dead]
                assert len(dead) == self.repo.retry_dead()
                for key in dead:
                    self.items[key] = _Item()
            self.compare()

    def claim(self, owner: str, count: int) -> None:
        eligible = [k for k in self.order if k in self.items]
        expected = [k for k in eligible if self.items[k].claimable(owner, self.now)][:count]
        got = self.repo.claim_notifications(self.now, count, owner=owner, lease=LEASE)
        assert expected == keys(got)
        assert [self.items[k].attempts for k in expected] == [item.attempts for item in got]
        for key in expected:
            self.items[key].owner, self.items[key].until = owner, self.now + LEASE

    def compare(self) -> None:
        alive = [k for k in self.order if k in self.items]
        pending = [n.dedup_key for n in self.repo.pending_notifications(limit=100)]
        assert [k for k in alive if not self.items[k].dead] == pending
        assert [k for k in alive if self.items[k].dead] == keys(self.repo.dead_letters(limit=100))
