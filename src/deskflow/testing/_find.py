"""
The part of TicketRepositoryContract that pins ``find``: filters, orders and keyset paging,
checked against ``TicketQuery.matches``, the reference semantics.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskflow.enums import Priority, TicketKind
from deskflow.events import CommentAdded, SlaThresholdReached
from deskflow.exceptions import InvalidInput
from deskflow.fields import FieldsChanged, FieldValue, TagsChanged
from deskflow.ports import TicketRepository
from deskflow.queries import MAX_LIMIT, ORDERS, Order, TicketQuery, encode_cursor, sort_key
from deskflow.testing._lifecycle import RepositoryLifecycle
from deskflow.testing._model import AGENT, T0, commented, open_ticket
from deskflow.ticket import Ticket
from deskflow.workflows import INCIDENT, SERVICE_REQUEST

Stored = list[tuple[Ticket, datetime | None]]


def _minutes(low: int, high: int) -> st.SearchStrategy[datetime]:
    # Few distinct instants, so ties (broken by id) are common.
    return st.integers(low, high).map(lambda m: T0 + timedelta(minutes=m))


#: Values of a few custom fields, with look-alikes of other types (True and 1, "2" and 2).
_FIELD_VALUES: dict[str, st.SearchStrategy[FieldValue]] = {
    "asset": st.sampled_from(["LT-1", "LT-2", "2", "x" * 300, "x" * 299 + "y"]),
    "hours": st.sampled_from([Decimal("1.5"), Decimal("2"), Decimal("0.25"), 2, 1]),
    "onsite": st.booleans(),
    "os": st.sampled_from([("linux",), ("linux", "mac"), ("mac",)]),
    "due": st.sampled_from([date(2026, 3, 2), date(2026, 3, 9)]),
}
_TAGS = st.sampled_from(["vip", "network", "P1", "p1"])


def _with_fields_and_tags(draw: st.DrawFn, ticket: Ticket, at: datetime) -> Ticket:
    if draw(st.booleans()):
        names = draw(st.lists(st.sampled_from(sorted(_FIELD_VALUES)), min_size=1, unique=True))
        changes = {name: draw(_FIELD_VALUES[name]) for name in names}
        ticket = ticket.record(FieldsChanged(at=at, actor=AGENT.id, changes=changes))
        if draw(st.booleans()):  # clear one again
            cleared = FieldsChanged(at=at, actor=AGENT.id, changes={names[0]: None})
            ticket = ticket.record(cleared)
    if draw(st.booleans()):
        added = tuple(draw(st.lists(_TAGS, min_size=1, max_size=3, unique=True)))
        ticket = ticket.record(TagsChanged(at=at, actor=AGENT.id, added=added))
        if draw(st.booleans()):
            ticket = ticket.record(TagsChanged(at=at, actor=AGENT.id, removed=added[:1]))
    return ticket


@st.composite
def stored_tickets(draw: st.DrawFn) -> Stored:
    """
    A few tickets of both kinds with varied fields, each with its stored next check time.
    """
    out: Stored = []
    for i in range(draw(st.integers(0, 9))):
        workflow = draw(st.sampled_from([INCIDENT, SERVICE_REQUEST]))
        created = draw(_minutes(0, 4))
        ticket = workflow.open(
            f"T-{i}",
            title=draw(st.sampled_from(["VPN down", "Printer jam", "vpn token", "New laptop"])),
            requester=draw(st.sampled_from(["ann", "bob"])),
            at=created,
            priority=draw(st.none() | st.sampled_from([Priority.P1, Priority.P2, Priority.P3])),
            group=draw(st.none() | st.sampled_from(["network", "apps"])),
            tier=draw(st.integers(1, 2)),
        )
        at = created + timedelta(minutes=draw(st.integers(0, 3)))
        if draw(st.booleans()):
            assignee = draw(st.sampled_from(["lee", "kim"]))
            ticket = workflow.fire(ticket, "assign", actor=AGENT, at=at, assignee=assignee)
        if draw(st.booleans()):
            ticket = ticket.record(CommentAdded(at=at, actor=AGENT.id, body="On it."))
        if draw(st.booleans()):
            breach = SlaThresholdReached(
                at=at, actor="system", metric="resolution", threshold="breach",
                dedup_key=f"{ticket.id}:resolution:breach",
            )  # fmt: skip
            ticket = ticket.record(breach)
        ticket = _with_fields_and_tags(draw, ticket, at)
        out.append((ticket, draw(st.none() | _minutes(0, 8) | _minutes(0, 8))))
    return out


_CRITERIA: dict[str, st.SearchStrategy[object]] = {
    "states": st.frozensets(
        st.sampled_from(["new", "submitted", "assigned"]), min_size=1, max_size=2
    ),
    "kinds": st.frozensets(st.sampled_from(list(TicketKind)), min_size=1, max_size=2),
    "groups": st.frozensets(st.sampled_from([None, "network", "apps"]), min_size=1, max_size=2),
    "assignees": st.frozensets(st.sampled_from([None, "lee", "kim"]), min_size=1, max_size=2),
    "requesters": st.frozensets(st.sampled_from(["ann", "bob", "cho"]), min_size=1, max_size=2),
    "priorities": st.frozensets(
        st.sampled_from([Priority.P1, Priority.P2]), min_size=1, max_size=2
    ),
    "tiers": st.frozensets(st.sampled_from([1, 2, 3]), min_size=1, max_size=2),
    "created_from": _minutes(0, 5),
    "created_before": _minutes(0, 5),
    "updated_from": _minutes(0, 8),
    "updated_before": _minutes(0, 8),
    "breached": st.booleans(),
    "due_before": _minutes(0, 9),
    "title_contains": st.sampled_from(["vpn", "VPN", "jam", "an", "zzz"]),
    "fields": st.dictionaries(
        st.sampled_from(sorted(_FIELD_VALUES)),
        st.none() | st.one_of(*_FIELD_VALUES.values()) | st.sampled_from([True, 2, "LT-1"]),
        min_size=1,
        max_size=2,
    ),
    "tags_all": st.frozensets(_TAGS, max_size=2),
    "tags_any": st.frozensets(_TAGS, max_size=2),
}


@st.composite
def ticket_queries(draw: st.DrawFn) -> TicketQuery:
    """
    Queries with up to three criteria, so they match something often enough.
    """
    names = draw(st.lists(st.sampled_from(sorted(_CRITERIA)), max_size=3, unique=True))
    return TicketQuery(**{name: draw(_CRITERIA[name]) for name in names})


_UPDATED_CURSOR = encode_cursor("updated", (0, "T-1"))


def listing(stored: Stored, query: TicketQuery, order: Order) -> list[Ticket]:
    """
    What a listing must hold: the tickets ``query`` matches, sorted in ``order``.
    """
    matched = [ticket for ticket, at in stored if query.matches(ticket, at)]
    return sorted(matched, key=lambda t: sort_key(t, order), reverse=order.startswith("-"))


class FindContract(RepositoryLifecycle):
    """
    What ``find`` must do; mixed into TicketRepositoryContract.
    """

    def _walk(
        self, repo: TicketRepository, query: TicketQuery, order: Order, limit: int
    ) -> list[Ticket]:
        seen: list[Ticket] = []
        after: str | None = None
        for _page in range(100):
            page = repo.find(query, order=order, limit=limit, after=after)
            assert len(page) <= limit
            seen.extend(page)
            if page.next_cursor is None:
                return seen
            # A page that says more follows is full, and more does follow.
            assert limit == len(page)
            after = page.next_cursor
        pytest.fail("find kept returning a next cursor")  # pragma: no cover

    def test_pages_concatenate_to_the_reference_listing(self) -> None:
        """
        For random tickets, queries, orders and page sizes, the pages of find put together
        are exactly the matching tickets in that order, each once, as TicketQuery.matches
        (given the stored next check time) and sort_key say.
        """

        @given(
            stored=stored_tickets(),
            query=ticket_queries(),
            order=st.sampled_from(ORDERS),
            limit=st.integers(1, 4),
        )
        def check(stored: Stored, query: TicketQuery, order: Order, limit: int) -> None:
            repo = self.fresh()
            for ticket, at in stored:
                repo.add(ticket, next_check_at=at)
            got = self._walk(repo, query, order, limit)
            assert [t.id for t in listing(stored, query, order)] == [t.id for t in got]
            assert listing(stored, query, order) == got

        self.run_property(check)

    def test_field_and_tag_filters_follow_saves(self) -> None:
        """
        Custom field and tag filters see what later saves set, change, clear, add and
        remove, and "not set" (None) lists the tickets without the field.
        """
        repo = self.fresh()
        ticket = open_ticket("T-1")
        repo.add(ticket)
        repo.add(open_ticket("T-2"))

        def ids(**criteria: object) -> list[str]:
            return [t.id for t in repo.find(TicketQuery(**criteria))]

        def saved(event: FieldsChanged | TagsChanged) -> Ticket:
            changed = ticket.record(event)
            repo.save(changed, ticket.version)
            return changed

        ticket = saved(FieldsChanged(at=T0, actor="lee", changes={"hours": Decimal("1.5")}))
        ticket = saved(TagsChanged(at=T0, actor="lee", added=("vip", "network")))
        assert ["T-1"] == ids(fields={"hours": Decimal("1.50")}, tags_all={"vip", "network"})
        assert ["T-2"] == ids(fields={"hours": None})
        assert [] == ids(fields={"hours": "1.5"})
        ticket = saved(FieldsChanged(at=T0, actor="lee", changes={"hours": Decimal("2")}))
        ticket = saved(TagsChanged(at=T0, actor="lee", removed=("vip",)))
        assert (["T-1"], []) == (ids(fields={"hours": 2}), ids(fields={"hours": Decimal("1.5")}))
        assert (["T-1"], []) == (ids(tags_any={"vip", "network"}), ids(tags_all={"vip"}))
        ticket = saved(FieldsChanged(at=T0, actor="lee", changes={"hours": None}))
        assert ["T-1", "T-2"] == ids(fields={"hours": None})
        assert [] == ids(tags_any=set())
        assert ticket == repo.get("T-1")

    def test_find_of_nothing_is_one_empty_last_page(self) -> None:
        """
        A query matching nothing gives an empty page with no next cursor.
        """
        repo = self.fresh()
        repo.add(open_ticket("T-1"))
        page = repo.find(TicketQuery(states={"closed"}))
        assert ([], None) == (list(page), page.next_cursor)
        assert ["T-1"] == [t.id for t in repo.find(TicketQuery())]

    def test_due_before_reads_the_stored_next_check(self) -> None:
        """
        due_before lists the tickets whose stored next check is set and earlier than it,
        following saves that move or clear it.
        """
        repo = self.fresh()
        ticket = open_ticket("T-1")
        repo.add(ticket, next_check_at=T0 + timedelta(hours=1))
        repo.add(open_ticket("T-2"), next_check_at=T0 + timedelta(hours=3))
        repo.add(open_ticket("T-3"))
        query = TicketQuery(due_before=T0 + timedelta(hours=2))
        assert ["T-1"] == [t.id for t in repo.find(query)]
        repo.save(commented(ticket), ticket.version)
        assert [] == list(repo.find(query))

    def test_paging_is_by_key_not_by_offset(self) -> None:
        """
        Tickets saved or added between two pages neither repeat nor shift the next page:
        it starts right after the last ticket of the previous one.
        """
        repo = self.fresh()
        tickets = [open_ticket(f"T-{i}", at=T0 + timedelta(minutes=i)) for i in range(5)]
        for ticket in tickets:
            repo.add(ticket)
        first = repo.find(TicketQuery(), limit=2)
        assert ["T-0", "T-1"] == [t.id for t in first]
        repo.save(commented(tickets[0]), tickets[0].version)
        repo.add(open_ticket("T-9", at=T0 - timedelta(hours=1)))
        rest = repo.find(TicketQuery(), limit=10, after=first.next_cursor)
        assert (["T-2", "T-3", "T-4"], None) == ([t.id for t in rest], rest.next_cursor)

    @pytest.mark.parametrize(
        "call",
        [
            lambda r: r.find(TicketQuery(), after="not a cursor"),
            lambda r: r.find(TicketQuery(), after=""),
            lambda r: r.find(TicketQuery(), after=encode_cursor("-created", (0, "T-1"))),
            lambda r: r.find(TicketQuery(), order="-updated", after=_UPDATED_CURSOR),
            lambda r: r.find(TicketQuery(), order="priority"),
            lambda r: r.find(TicketQuery(), limit=0),
            lambda r: r.find(TicketQuery(), limit=MAX_LIMIT + 1),
            lambda r: r.find(TicketQuery(), limit=True),
            lambda r: r.find({"states": ["new"]}),
        ],
    )  # fmt: skip
    def test_find_refuses_bad_arguments(self, call: Callable[[TicketRepository], object]) -> None:
        """
        A cursor that is not one, a cursor of another order, an unknown order, a page size
        outside 1..MAX_LIMIT or a query that is not a TicketQuery is InvalidInput.
        """
        repo = self.fresh()
        repo.add(open_ticket("T-1"))
        with pytest.raises(InvalidInput):
            call(repo)

    def test_find_takes_the_largest_page(self) -> None:
        """
        A page of MAX_LIMIT is allowed.
        """
        repo = self.fresh()
        repo.add(open_ticket("T-1"))
        assert ["T-1"] == [t.id for t in repo.find(TicketQuery(), limit=MAX_LIMIT)]
