"""
Simulation properties over seeds and staffings: every arrival is accounted for, the report
is desk_report over the histories, and a seed replays exactly.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskflow.config import DEFAULT_CONFIG, load_desk
from deskflow.reports import desk_report
from deskflow.simulation import DEFAULT_SCENARIO, load_scenario, simulate

DESK = load_desk(DEFAULT_CONFIG)
BASE = load_scenario(DEFAULT_SCENARIO)


@pytest.mark.slow
@settings(max_examples=8)  # each example simulates a working day of the real desk
@given(seed=st.integers(0, 2**32), first_line=st.integers(0, 4), second_line=st.integers(0, 2))
def test_any_seed_and_staffing_loses_no_ticket(
    seed: int, first_line: int, second_line: int
) -> None:
    """
    Whatever the seed and staffing, each arrival ends open, resolved or closed, the report
    is desk_report's, and running the seed again gives the same histories.
    """
    counts = {"l1-early": first_line, "l1-late": 0, "l2": second_line, "l3": 0}
    scenario = BASE.replaced(
        agents=[{**p.model_dump(), "count": counts[p.name]} for p in BASE.agents]
    )
    result = simulate(DESK, scenario, days=1, seed=seed)
    final = result.final_counts
    assert (
        result.arrivals
        == len(result.tickets)
        == final["open"] + final["resolved"] + final["closed"]
    )
    assert (
        desk_report(result.tickets, now=result.end, sla=DESK.sla_for, by="priority")
        == result.report
    )
    again = simulate(DESK, scenario, days=1, seed=seed)
    assert [t.history for t in result.tickets] == [t.history for t in again.tickets]
