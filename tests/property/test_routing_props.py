"""
Properties of routing: round-robin is fair, least-loaded respects capacity, and the pull
queue serves the most urgent, then the oldest ticket.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from builders import T0
from deskflow.enums import Priority
from deskflow.policies.queues import next_ticket
from deskflow.policies.routers import LeastLoaded, LongestIdle
from deskflow.routing import Candidate
from deskflow.ticket import Ticket
from deskflow.workflows import INCIDENT

TICKET = INCIDENT.open("T-1", title="VPN down", requester="ann", at=T0)


@given(
    st.integers(1, 8),
    st.lists(st.integers(0, 120), min_size=1, max_size=200),
)
def test_round_robin_is_fair(agents: int, gaps: list[int]) -> None:
    """
    Feeding the cursor back, equally available agents' counts differ by at most one.
    """
    roster = {f"agent{n}": Candidate(f"agent{n}", capacity=1) for n in range(agents)}
    counts: Counter[str] = Counter()
    now = T0
    for gap in gaps:
        now += timedelta(seconds=gap)  # a gap of 0: several assignments in one clock tick
        decision = LongestIdle().select(TICKET, list(roster.values()), now)
        assert decision.cursor is not None
        assert decision.cursor.at >= now
        counts[decision.cursor.agent] += 1
        roster[decision.cursor.agent] = Candidate(
            decision.cursor.agent, capacity=1, last_assigned_at=decision.cursor.at
        )
    assert max(counts.values()) - min(counts.get(a, 0) for a in roster) <= 1


candidates = st.lists(
    st.builds(
        Candidate,
        id=st.sampled_from([f"agent{n}" for n in range(10)]),
        capacity=st.integers(0, 6),
        load=st.integers(0, 8),
        last_assigned_at=st.none() | st.integers(0, 100).map(lambda m: T0 - timedelta(minutes=m)),
    ),
    min_size=1,
    max_size=10,
    unique_by=lambda c: c.id,
)


@given(candidates, st.sampled_from(["absolute", "percentage"]))
def test_least_loaded_never_picks_a_full_agent_while_one_has_room(
    roster: list[Candidate], mode: str
) -> None:
    """
    If anyone has room, the chosen agent has room.
    """
    decision = LeastLoaded(mode).select(TICKET, roster, T0)
    chosen = next(c for c in roster if c.id == decision.agent)
    if any(c.has_room for c in roster):
        assert chosen.has_room


tickets = st.lists(
    st.tuples(
        st.none() | st.sampled_from(list(Priority)),
        st.integers(0, 10_000).map(lambda m: T0 + timedelta(minutes=m)),
    ),
    min_size=1,
    max_size=15,
).map(
    lambda specs: [
        INCIDENT.open(f"T-{n}", title="x", requester="ann", at=at, priority=priority)
        for n, (priority, at) in enumerate(specs)
    ]
)


@given(tickets)
def test_pull_queue_serves_most_urgent_then_oldest(queue: list[Ticket]) -> None:
    """
    The next ticket is of the most urgent priority present and the oldest among those.
    """
    got = next_ticket(Candidate("ann"), queue, T0)
    assert got is not None

    def rank(t: Ticket) -> int:
        return t.priority.rank if t.priority else 6

    top = min(rank(t) for t in queue)
    assert top == rank(got)
    assert min(t.created_at for t in queue if rank(t) == top) == got.created_at
