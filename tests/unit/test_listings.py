"""
HelpDesk.tickets: listings by id or by query, with authorization applied inside the paging.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import ANN, KIM, LEE, MAX, MIA, SAM, ZOE, M, Rig, helpdesk
from deskflow import Actor, Desk, InvalidInput, Role
from deskflow.adapters import InMemoryTicketRepository
from deskflow.approval import ApprovalPolicy, ApprovalStage
from deskflow.authorization import IN_THEIR_GROUPS, DefaultAuthorization, Permission
from deskflow.queries import ORDERS, Order, Page, TicketQuery, sort_key
from deskflow.ticket import Ticket

#: Agents see only the tickets of their groups (or with none), so agents have hidden ones.
GROUPED = DefaultAuthorization().with_rules({"agent": {"view": (IN_THEIR_GROUPS,)}})
CAST = (ANN, ZOE, LEE, KIM, SAM, MAX, MIA, Actor("ada", Role.ADMIN))


class Spying(InMemoryTicketRepository):
    """
    The in-memory repository, recording the queries and page sizes ``find`` was asked for.
    """

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[TicketQuery, int]] = []
        self.returned = 0

    def find(
        self,
        query: TicketQuery,
        *,
        order: Order = "created",
        limit: int = 50,
        after: str | None = None,
    ) -> Page[Ticket]:
        """
        Record the call, then find as usual.
        """
        self.asked.append((query, limit))
        page = super().find(query, order=order, limit=limit, after=after)
        self.returned += len(page)
        return page


def store(desk: Desk | None = None) -> tuple[Rig, Spying]:
    rig = helpdesk(desk)
    repo = Spying()
    service = type(rig.desk)(repo, rig.notifier, rig.clock, rig.desk.desk)
    return Rig(service, repo, rig.notifier, rig.clock), repo


def test_by_ids_the_visible_ones_in_the_order_given() -> None:
    """
    A listing by ids keeps the order given, leaves out missing and hidden tickets without
    failing, and names each ticket once.
    """
    rig = helpdesk()
    ann_1 = rig.desk.open(ANN, title="VPN down").id
    zoe_1 = rig.desk.open(ZOE, title="Mail down").id
    ann_2 = rig.desk.open(ANN, title="Printer").id
    page = rig.desk.tickets(ANN, ids=[ann_2, zoe_1, "INC-404", ann_1, ann_2])
    assert [ann_2, ann_1] == [t.id for t in page]
    assert (None, 2, ann_2) == (page.next_cursor, len(page), page[0].id)
    assert [zoe_1] == [t.id for t in rig.desk.tickets(ZOE, ids=[ann_1, zoe_1])]


@pytest.mark.parametrize(
    "call",
    [
        {"ids": "INC-1"},
        {"ids": ["INC-1"], "query": TicketQuery()},
        {"ids": ["INC-1"], "after": "x"},
        {"query": {"states": ["new"]}},
        {"order": "priority"},
        {"limit": 0},
        {"limit": 5000},
        {"after": "not a cursor"},
    ],
)
def test_bad_listing_arguments_are_refused(call: dict[str, object]) -> None:
    """
    A lone string of ids, ids with a query or cursor, a query that is not a TicketQuery, an
    unknown order, a page size out of range and a made-up cursor are InvalidInput.
    """
    rig = helpdesk()
    rig.desk.open(ANN, title="VPN down")
    with pytest.raises(InvalidInput):
        rig.desk.tickets(LEE, **call)  # type: ignore[arg-type]


def test_a_requester_query_reaches_only_their_own_tickets_in_the_store() -> None:
    """
    A requester's query is narrowed to their own tickets before it reaches the repository;
    asking for someone else's returns an empty page without asking it at all.
    """
    rig, repo = store()
    for n in range(3):
        rig.desk.open(ANN, title=f"Ann {n}")
        rig.desk.open(ZOE, title=f"Zoe {n}")
    page = rig.desk.tickets(ANN, TicketQuery(states={"new"}))
    assert ["ann"] * 3 == [t.requester for t in page]
    assert [frozenset({"ann"})] == [query.requesters for query, _ in repo.asked]
    assert [] == list(rig.desk.tickets(ANN, TicketQuery(requesters={"zoe"})))
    assert 1 == len(repo.asked)


def test_staff_queries_are_not_narrowed_and_approvers_see_what_they_were_asked() -> None:
    """
    An agent lists every ticket; an approver (own tickets or those they were asked to
    approve) is not narrowed to their own, but sees only those the policy lets them.
    """
    rig, repo = store(Desk(approval=ApprovalPolicy([ApprovalStage(["mia"], required="any")])))
    rig.desk.open(ANN, title="VPN down")
    request = rig.desk.open(ZOE, title="Laptop", kind="service_request").id
    rig.desk.request_approval(LEE, request)
    rig.desk.open(MIA, title="My own", kind="service_request")
    assert 3 == len(rig.desk.tickets(LEE))
    assert [request, "REQ-2"] == [t.id for t in rig.desk.tickets(MIA)]
    assert [None, None] == [query.requesters for query, _ in repo.asked]


def test_hidden_tickets_are_examined_once_across_pages() -> None:
    """
    Paging as an agent who sees few tickets fills each page with visible ones, and the
    cursor names the last ticket examined: no ticket is read twice across the pages.
    """
    rig, repo = store(Desk(authorization=GROUPED))
    for n in range(12):
        view = rig.desk.open(SAM, title=f"Ticket {n}", requester="ann")
        rig.desk.assign(SAM, view.id, group="network" if n % 3 else "service-desk")
        rig.clock.advance(M)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = rig.desk.tickets(LEE, limit=2, after=cursor)
        seen += [t.id for t in page]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert ["INC-1", "INC-4", "INC-7", "INC-10"] == seen
    assert pages <= 3
    assert repo.returned <= 12 + 2 * pages  # a page may read ahead, never start again


def test_a_page_short_of_the_limit_with_a_cursor_is_not_the_end() -> None:
    """
    When the scan bound is reached a page may hold fewer tickets than asked, with a cursor:
    the end of a listing is a page without one.
    """
    from deskflow._internal import listing

    rig = helpdesk(Desk(authorization=GROUPED))
    for n in range(6):
        view = rig.desk.open(SAM, title=f"Ticket {n}", requester="ann")
        rig.desk.assign(SAM, view.id, group="network")
    rig.desk.assign(SAM, rig.desk.open(SAM, title="Mine", requester="ann").id, group="service-desk")
    bound = listing.MAX_EXAMINED
    listing.MAX_EXAMINED = 3
    try:
        first = rig.desk.tickets(LEE, limit=5)
        assert ([], True) == ([t.id for t in first], first.next_cursor is not None)
        second = rig.desk.tickets(LEE, limit=5, after=first.next_cursor)
        third = rig.desk.tickets(LEE, limit=5, after=second.next_cursor)
    finally:
        listing.MAX_EXAMINED = bound
    assert (["INC-7"], None) == ([t.id for t in [*second, *third]], third.next_cursor)


@settings(max_examples=40, deadline=None)
@given(
    plan=st.lists(
        st.tuples(
            st.sampled_from([ANN, ZOE]),
            st.sampled_from([None, "service-desk", "network"]),
            st.booleans(),
        ),
        min_size=0,
        max_size=12,
    ),
    actor=st.sampled_from(CAST),
    states=st.none() | st.sets(st.sampled_from(["new", "assigned", "in_progress"]), min_size=1),
    requesters=st.none() | st.sets(st.sampled_from(["ann", "zoe"]), min_size=1),
    order=st.sampled_from(ORDERS),
    limit=st.integers(1, 4),
)
def test_paging_yields_exactly_the_visible_matching_tickets_in_order(
    plan: list[tuple[Actor, str | None, bool]],
    actor: Actor,
    states: set[str] | None,
    requesters: set[str] | None,
    order: Order,
    limit: int,
) -> None:
    """
    Paging through a listing as any actor yields each ticket the query matches and the
    policy lets them view exactly once, in the listing's order, and nothing else.
    """
    rig = helpdesk(Desk(authorization=GROUPED))
    for requester, group, started in plan:
        view = rig.desk.open(requester, title="Something")
        if group is not None:
            rig.desk.assign(SAM, view.id, group=group, assignee="kim" if started else None)
            if started:
                rig.desk.start(KIM, view.id)
        rig.clock.advance(timedelta(seconds=7 * (len(plan) % 3 + 1)))
    query = TicketQuery(states=states, requesters=requesters)
    policy = rig.desk.desk.authorization
    stored = [rig.repo.get(f"INC-{n}") for n in range(1, len(plan) + 1)]
    expected = [
        t.id
        for t in sorted(stored, key=lambda t: sort_key(t, order), reverse=order.startswith("-"))
        if query.matches(t) and policy.authorize(actor, Permission.VIEW, t).allowed
    ]
    listed: list[str] = []
    cursor: str | None = None
    for _ in range(len(plan) + 2):
        page = rig.desk.tickets(actor, query, order=order, limit=limit, after=cursor)
        assert len(page) <= limit
        listed += [t.id for t in page]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert cursor is None
    assert expected == listed
