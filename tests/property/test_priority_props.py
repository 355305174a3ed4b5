"""
Properties of priority policies: custom matrices are accepted exactly when monotone and
complete, and the VIP floor only ever lifts VIPs.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from deskflow import Priority, PriorityMatrix
from deskflow.exceptions import ConfigError
from deskflow.policies.priority_rules import VipFloor
from deskflow.priority import FIVE_LEVELS, THREE_LEVELS, PriorityFacts

PRIORITIES = st.sampled_from(list(Priority))


@st.composite
def tables(draw: st.DrawFn) -> tuple[tuple[str, ...], dict[str, dict[str, Priority]]]:
    """
    A complete matrix of random priorities over the 3- or 5-level scale.
    """
    levels = draw(st.sampled_from([THREE_LEVELS, FIVE_LEVELS]))
    table = {i: {u: draw(PRIORITIES) for u in levels} for i in levels}
    return levels, table


@st.composite
def monotone_tables(draw: st.DrawFn) -> tuple[tuple[str, ...], dict[str, dict[str, Priority]]]:
    """
    A monotone matrix: each cell at least as urgent as its less severe neighbours.
    """
    levels = draw(st.sampled_from([THREE_LEVELS, FIVE_LEVELS]))
    size = len(levels)
    ranks = [[5] * size for _ in range(size)]
    # Fill from the least severe corner so both less severe neighbours are known.
    for i in reversed(range(size)):
        for u in reversed(range(size)):
            bound = min(
                ranks[i + 1][u] if i + 1 < size else 5, ranks[i][u + 1] if u + 1 < size else 5
            )
            ranks[i][u] = draw(st.integers(1, bound))
    table = {
        levels[i]: {levels[u]: Priority.from_rank(ranks[i][u]) for u in range(size)}
        for i in range(size)
    }
    return levels, table


def is_monotone(levels: tuple[str, ...], table: dict[str, dict[str, Priority]]) -> bool:
    """
    The oracle: raising impact or urgency (towards the front of levels) never lowers it.
    """
    return all(
        table[levels[i]][levels[u]] >= table[levels[j]][levels[v]]
        for i in range(len(levels))
        for u in range(len(levels))
        for j in range(i, len(levels))
        for v in range(u, len(levels))
    )


@given(monotone_tables())
def test_monotone_matrices_are_accepted_total_and_monotone(
    drawn: tuple[tuple[str, ...], dict[str, dict[str, Priority]]],
) -> None:
    """
    Every monotone complete matrix is accepted and gives its cell for every level pair.
    """
    levels, table = drawn
    matrix = PriorityMatrix.from_mapping(table, levels=levels)
    got = {i: {u: matrix.priority(i, u) for u in levels} for i in levels}
    assert table == got
    assert is_monotone(levels, got)


@given(tables())
def test_random_matrices_are_accepted_iff_monotone(
    drawn: tuple[tuple[str, ...], dict[str, dict[str, Priority]]],
) -> None:
    """
    A random matrix is accepted exactly when monotone; otherwise the error names a cell.
    """
    levels, table = drawn
    try:
        matrix = PriorityMatrix.from_mapping(table, levels=levels)
    except ConfigError as exc:
        assert not is_monotone(levels, table)
        assert "cell (impact=" in str(exc)
        assert exc.path[1] in levels
        assert exc.path[2] in levels
    else:
        assert is_monotone(levels, table)
        assert all(matrix.priority(i, u) == table[i][u] for i in levels for u in levels)


@given(
    st.sampled_from(THREE_LEVELS),
    st.sampled_from(THREE_LEVELS),
    PRIORITIES,
    st.booleans(),
)
def test_vip_floor(impact: str, urgency: str, floor: Priority, vip: bool) -> None:
    """
    VIPs never get below the floor; everyone else gets exactly the inner decision.
    """
    inner = PriorityMatrix.itil()
    facts = PriorityFacts(impact, urgency, vip=vip)
    decision = VipFloor(inner, floor=floor).prioritize(facts)
    if vip:
        assert decision.priority >= floor
        assert max(floor, inner.priority(impact, urgency)) == decision.priority
    else:
        assert inner.prioritize(facts) == decision
