"""
Contract test suites for the ports: one suite per port, shared by every adapter.

deskflow runs them on its in-memory adapters; a host runs them on its own. Subclass the
contract in a test module with a name starting with ``Test`` and give it ONE factory
method; pytest collects every test the contract defines::

    from deskflow.testing.contracts import TicketRepositoryContract

    class TestSqliteTicketRepository(TicketRepositoryContract):
        def make_repository(self):
            return SqliteTicketRepository(":memory:")

        def close_repository(self, repository):
            repository.close()

The contract classes' names do not start with ``Test``, so pytest does not collect them on
their own. The factory is called once per test and once per Hypothesis example, so each
starts from an empty store; the closing hook (``close_repository``, ``close_notifier``...;
by default the adapter's ``close()`` if it has one) runs after each of them, failed or not,
so an adapter over a real database gives its connections back example by example. Every
suite's property tests run under its ``contract_settings()``: no deadline and no
slowness health checks, the number of examples from the profile in force; the
``setup_example()`` / ``teardown_example()`` hooks run around each example. Suites:
`TicketRepositoryContract` (with ids, claims, the outbox, paging and ``save_all``),
`NotifierContract`, `ClockContract`, `KnowledgeBaseContract` and
`PeopleDirectoryContract`; [`deskflow.testing.sql_contracts`][deskflow.testing.sql_contracts]
runs the first on deskflow's SQL repository against a database you name. Needs the
``testing`` extra (pytest and Hypothesis).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskflow.exceptions import ConcurrencyError, InvalidInput, NotFound
from deskflow.ports import TicketRepository
from deskflow.workflows import INCIDENT

__all__ = [
    "ClockContract",
    "KnowledgeBaseContract",
    "NotifierContract",
    "PeopleDirectoryContract",
    "TicketRepositoryContract",
    "make_notification",
]

from deskflow.testing import _claims, _find, _model, _outbox, _save_all
from deskflow.testing._model import make_notification
from deskflow.testing._ports import (
    ClockContract,
    KnowledgeBaseContract,
    NotifierContract,
    PeopleDirectoryContract,
)

_STEPS = st.tuples(
    st.sampled_from(["add", "save", "due", "deliver"]),
    st.integers(0, 3),
    st.sampled_from([0, 0, 0, -1, 1]),
    st.none() | st.integers(0, 24),
    st.none() | st.integers(0, 5),
    st.integers(0, 3),
)


class TicketRepositoryContract(
    _claims.ClaimsContract,
    _outbox.OutboxContract,
    _find.FindContract,
    _save_all.SaveAllContract,
):
    """
    What every [`TicketRepository`][deskflow.ports.TicketRepository] must do; subclass it in a test.

    Override `make_repository()` to return a new, empty repository, and
    `close_repository()` when a repository holds what its ``close()`` does not release.
    """

    def test_implements_the_port(self) -> None:
        """
        The adapter has every method of the TicketRepository protocol.
        """
        assert isinstance(self.fresh(), TicketRepository)

    def test_add_then_get_round_trips(self) -> None:
        """
        What is added is what get returns.
        """
        repo = self.fresh()
        ticket = _model.commented(_model.open_ticket("T-1"))
        repo.add(ticket)
        assert ticket == repo.get("T-1")
        assert ticket.version == repo.get("T-1").version

    def test_get_unknown_raises_not_found(self) -> None:
        """
        Getting an id never stored raises NotFound, which is also a KeyError.
        """
        repo = self.fresh()
        with pytest.raises(NotFound) as caught:
            repo.get("T-404")
        assert isinstance(caught.value, KeyError)

    def test_add_existing_id_raises_and_writes_nothing(self) -> None:
        """
        Adding an id already stored raises ConcurrencyError and changes nothing stored.
        """
        repo = self.fresh()
        first = _model.open_ticket("T-1")
        repo.add(first, next_check_at=_model.after_hours(1))
        with pytest.raises(ConcurrencyError):
            repo.add(
                _model.commented(_model.open_ticket("T-1")),
                next_check_at=_model.after_hours(0),
                outbox=[make_notification("k-1")],
            )
        assert first == repo.get("T-1")
        assert [] == repo.due(_model.after_hours(0), limit=10)
        assert ["T-1"] == repo.due(_model.after_hours(1), limit=10)
        assert [] == repo.pending_notifications(limit=10)

    def test_save_with_current_version_stores_the_new_ticket(self) -> None:
        """
        A save naming the stored version replaces the ticket.
        """
        repo = self.fresh()
        ticket = _model.open_ticket("T-1")
        repo.add(ticket)
        changed = _model.commented(ticket)
        repo.save(changed, expected_version=ticket.version)
        assert changed == repo.get("T-1")
        later = _model.commented(changed, "Fixed.")
        repo.save(later, expected_version=changed.version)
        assert later == repo.get("T-1")

    @pytest.mark.parametrize("skew", [-1, 1])
    def test_stale_save_raises_and_writes_nothing(self, skew: int) -> None:
        """
        A save naming another version raises ConcurrencyError; ticket, index, outbox unchanged.
        """
        repo = self.fresh()
        ticket = _model.open_ticket("T-1")
        repo.add(ticket, next_check_at=_model.after_hours(5), outbox=[make_notification("k-1")])
        assigned = INCIDENT.fire(ticket, "assign", actor=_model.AGENT, at=_model.T0, assignee="lee")
        with pytest.raises(ConcurrencyError):
            repo.save(
                assigned,
                expected_version=ticket.version + skew,
                next_check_at=_model.after_hours(1),
                outbox=[make_notification("k-2")],
            )
        assert ticket == repo.get("T-1")
        assert ["T-1"] == _model.ids(repo.by_state("new"))
        assert [] == repo.by_assignee("lee")
        assert [] == repo.due(_model.after_hours(4), limit=10)
        assert ["T-1"] == repo.due(_model.after_hours(5), limit=10)
        assert ["k-1"] == [n.dedup_key for n in repo.pending_notifications(limit=10)]

    def test_save_unknown_raises_not_found(self) -> None:
        """
        Saving a ticket that was never added raises NotFound and stores nothing.
        """
        repo = self.fresh()
        ticket = _model.open_ticket("T-1")
        with pytest.raises(NotFound):
            repo.save(_model.commented(ticket), expected_version=ticket.version)
        with pytest.raises(NotFound):
            repo.get("T-1")

    def test_loaded_ticket_is_independent(self) -> None:
        """
        Changing a loaded ticket without saving it changes nothing stored.
        """
        repo = self.fresh()
        ticket = _model.open_ticket("T-1")
        repo.add(ticket)
        loaded = repo.get("T-1")
        _model.commented(loaded)
        INCIDENT.fire(loaded, "assign", actor=_model.AGENT, at=_model.T0, assignee="lee")
        assert ticket == repo.get("T-1")
        assert 1 == repo.get("T-1").version

    def test_returned_lists_are_independent(self) -> None:
        """
        Mutating a list a query returned changes neither the store nor later answers.
        """
        repo = self.fresh()
        repo.add(
            _model.open_ticket("T-1"), next_check_at=_model.T0, outbox=[make_notification("k-1")]
        )
        for answer in (
            repo.due(_model.T0, limit=10),
            repo.by_state("new"),
            repo.by_requester("ann"),
            repo.pending_notifications(limit=10),
        ):
            answer.clear()
        assert ["T-1"] == repo.due(_model.T0, limit=10)
        assert ["T-1"] == _model.ids(repo.by_state("new"))
        assert ["T-1"] == _model.ids(repo.by_requester("ann"))
        assert ["k-1"] == [n.dedup_key for n in repo.pending_notifications(limit=10)]

    def test_outbox_passed_in_is_copied(self) -> None:
        """
        Changing the outbox list after the call changes nothing queued.
        """
        repo = self.fresh()
        outbox = [make_notification("k-1")]
        repo.add(_model.open_ticket("T-1"), outbox=outbox)
        outbox.append(make_notification("k-2"))
        assert ["k-1"] == [n.dedup_key for n in repo.pending_notifications(limit=10)]

    def test_due_is_earliest_first_with_a_limit(self) -> None:
        """
        due returns _model.ids with next_check_at <= now, earliest first, ties by id, at most limit.
        """
        repo = self.fresh()
        for ticket_id, hours in (("T-3", 2), ("T-1", 3), ("T-2", 2), ("T-4", 9)):
            repo.add(_model.open_ticket(ticket_id), next_check_at=_model.after_hours(hours))
        repo.add(_model.open_ticket("T-5"))
        assert ["T-2", "T-3", "T-1"] == repo.due(_model.after_hours(8), limit=10)
        assert ["T-2", "T-3"] == repo.due(_model.after_hours(8), limit=2)
        assert [] == repo.due(_model.after_hours(8), limit=0)
        assert [] == repo.due(_model.after_hours(1), limit=10)

    def test_due_includes_now(self) -> None:
        """
        A ticket whose next check is exactly now is due; one a microsecond later is not.
        """
        repo = self.fresh()
        repo.add(_model.open_ticket("T-1"), next_check_at=_model.after_hours(1))
        repo.add(
            _model.open_ticket("T-2"),
            next_check_at=_model.after_hours(1) + timedelta(microseconds=1),
        )
        assert ["T-1"] == repo.due(_model.after_hours(1), limit=10)

    def test_due_compares_instants_across_zones(self) -> None:
        """
        Next checks in different zones are ordered by the instant they name.
        """
        repo = self.fresh()
        plus_two = _model.after_hours(1).astimezone(timezone(timedelta(hours=2)))
        repo.add(_model.open_ticket("T-1"), next_check_at=plus_two)
        repo.add(_model.open_ticket("T-2"), next_check_at=_model.after_hours(0))
        assert ["T-2", "T-1"] == repo.due(_model.after_hours(1), limit=10)

    def test_save_moves_or_clears_the_next_check(self) -> None:
        """
        A save replaces next_check_at; saving None takes the ticket out of due.
        """
        repo = self.fresh()
        ticket = _model.open_ticket("T-1")
        repo.add(ticket, next_check_at=_model.after_hours(1))
        moved = _model.commented(ticket)
        repo.save(moved, expected_version=ticket.version, next_check_at=_model.after_hours(6))
        assert [] == repo.due(_model.after_hours(5), limit=10)
        assert ["T-1"] == repo.due(_model.after_hours(6), limit=10)
        repo.save(_model.commented(moved), expected_version=moved.version)
        assert [] == repo.due(_model.after_hours(100), limit=10)

    def test_queries_follow_saves_oldest_first(self) -> None:
        """
        by_requester, by_state and by_assignee list current tickets by creation time.
        """
        repo = self.fresh()
        late = _model.open_ticket("T-1", at=_model.after_hours(2))
        early = _model.open_ticket("T-2", at=_model.after_hours(1))
        other = _model.open_ticket("T-3", at=_model.after_hours(0), requester="bob")
        for ticket in (late, early, other):
            repo.add(ticket)
        assigned = INCIDENT.fire(
            late, "assign", actor=_model.AGENT, at=_model.after_hours(3), assignee="lee"
        )
        repo.save(assigned, expected_version=late.version)
        assert ["T-2", "T-1"] == _model.ids(repo.by_requester("ann"))
        assert ["T-3", "T-2"] == _model.ids(repo.by_state("new"))
        assert [assigned] == repo.by_state("assigned")
        assert [assigned] == repo.by_assignee("lee")
        assert [] == repo.by_assignee("nobody")
        assert [] == repo.by_state("closed")

    def test_open_by_alert_key_ignores_final_tickets(self) -> None:
        """
        open_by_alert_key finds the ticket opened from an alert while it is not final.
        """
        repo = self.fresh()
        ticket = _model.open_ticket("T-1", alert_key="disk-full:db1")
        repo.add(ticket)
        repo.add(_model.open_ticket("T-2", alert_key="cpu:web1"))
        assert ticket == repo.open_by_alert_key("disk-full:db1", _model.FINAL)
        cancelled = INCIDENT.fire(
            ticket, "cancel", actor=_model.AGENT, at=_model.T0, reason="duplicate"
        )
        repo.save(cancelled, expected_version=ticket.version)
        assert repo.open_by_alert_key("disk-full:db1", _model.FINAL) is None
        assert repo.open_by_alert_key("never-seen", _model.FINAL) is None
        reopened = _model.open_ticket("T-3", at=_model.after_hours(1), alert_key="disk-full:db1")
        repo.add(reopened)
        assert reopened == repo.open_by_alert_key("disk-full:db1", _model.FINAL)

    def test_outbox_is_pending_oldest_first(self) -> None:
        """
        Queued notifications are pending oldest first (created_at, then queue order).
        """
        repo = self.fresh()
        ticket = _model.open_ticket("T-1")
        repo.add(ticket, outbox=[make_notification("k-late", at=_model.after_hours(2))])
        repo.save(
            _model.commented(ticket),
            expected_version=ticket.version,
            outbox=[
                make_notification("k-early", at=_model.after_hours(1)),
                make_notification("k-tie", at=_model.after_hours(2)),
            ],
        )
        assert ["k-early", "k-late", "k-tie"] == [
            n.dedup_key for n in repo.pending_notifications(limit=10)
        ]
        assert ["k-early"] == [n.dedup_key for n in repo.pending_notifications(limit=1)]
        assert [] == repo.pending_notifications(limit=0)

    def test_outbox_round_trips_notifications(self) -> None:
        """
        A pending notification equals the one queued.
        """
        repo = self.fresh()
        note = make_notification("k-1")
        repo.add(_model.open_ticket("T-1"), outbox=[note])
        assert [note] == repo.pending_notifications(limit=10)

    def test_mark_delivered_removes_and_ignores_unknown_keys(self) -> None:
        """
        Delivered keys leave the pending outbox; unknown and repeated keys are ignored.
        """
        repo = self.fresh()
        repo.add(
            _model.open_ticket("T-1"), outbox=[make_notification("k-1"), make_notification("k-2")]
        )
        repo.mark_delivered(["k-1", "no-such-key"])
        repo.mark_delivered(["k-1"])
        repo.mark_delivered([])
        assert ["k-2"] == [n.dedup_key for n in repo.pending_notifications(limit=10)]

    def test_a_dedup_key_is_queued_once(self) -> None:
        """
        Queuing a key already queued, pending or delivered, is a no-op.
        """
        repo = self.fresh()
        ticket = _model.open_ticket("T-1")
        repo.add(ticket, outbox=[make_notification("k-1"), make_notification("k-1")])
        repo.mark_delivered(["k-1"])
        repo.save(_model.commented(ticket), ticket.version, outbox=[make_notification("k-1")])
        assert [] == repo.pending_notifications(limit=10)

    def test_naive_datetimes_are_refused(self) -> None:
        """
        A naive now or next_check_at raises InvalidInput, and nothing is written.
        """
        repo = self.fresh()
        naive = datetime(2026, 3, 2, 9, 0)
        with pytest.raises(InvalidInput):
            repo.add(_model.open_ticket("T-1"), next_check_at=naive)
        with pytest.raises(NotFound):
            repo.get("T-1")
        with pytest.raises(InvalidInput):
            repo.due(naive, limit=10)

    def test_agrees_with_a_model(self) -> None:
        """
        Random add/save (current or stale)/due/deliver sequences agree with a dict model.
        """

        @given(steps=st.lists(_STEPS, max_size=25))
        def check(steps: list[tuple[str, int, int, int | None, int | None, int]]) -> None:
            _model.ModelRun(self.fresh()).run(steps)

        self.run_property(check)
