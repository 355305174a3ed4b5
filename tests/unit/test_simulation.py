"""
The simulator: it drives the real HelpDesk on a virtual clock, gives the same numbers for a
seed, loses no ticket, reports through desk_report, and refuses bad scenarios with paths.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from deskflow import ConfigError, InvalidInput, Metric
from deskflow.config import DEFAULT_CONFIG, load_desk
from deskflow.reports import desk_report
from deskflow.simulation import (
    DEFAULT_SCENARIO,
    Scenario,
    load_scenario,
    simulate,
)
from deskflow.simulation import compare as compare_desks

BASE = load_scenario(DEFAULT_SCENARIO)
DESK = load_desk(DEFAULT_CONFIG)

#: Round the clock, no holidays: a shift where staffing alone decides the figures.
ROUND_THE_CLOCK = {"weekly": {"mon-sun": ["00:00-24:00"]}}


def steady(agents: int, **changes: Any) -> Scenario:
    """
    Incidents arriving at a flat rate, worked by ``agents`` agents on call around the
    clock, with nothing asked, held or escalated.
    """
    pools = [
        {
            "name": "l1",
            "count": agents,
            "tier": 1,
            "groups": ["service-desk"],
            "shift": "always",
            "handling": {"median": "10m", "p90": "20m"},
        }
    ]
    return BASE.replaced(
        **{
            "days": 2,
            "arrivals": [{"name": "incidents", "per_hour": 2.0}],
            "surges": [],
            "bursts": [],
            "shifts": {"always": ROUND_THE_CLOCK},
            "agents": pools,
            "work": {},
            "requesters": {"confirm": 1.0, "confirm_delay": {"fixed": "10m"}},
            **changes,
        }
    )


@pytest.fixture(scope="module")
def week() -> Any:
    """
    Three days of the shipped scenario on the shipped desk (shared: it takes a second).
    """
    return simulate(DEFAULT_CONFIG, DEFAULT_SCENARIO, days=3, seed=7)


def test_the_same_seed_gives_the_same_numbers() -> None:
    """
    Two runs with one seed agree on every figure, series and report; another seed differs.
    """
    first = simulate(DESK, BASE, days=2, seed=3)
    again = simulate(DESK, BASE, days=2, seed=3)
    other = simulate(DESK, BASE, days=2, seed=4)
    assert first.to_dict() == again.to_dict()
    assert [t.history for t in first.tickets] == [t.history for t in again.tickets]
    assert first.to_dict() != other.to_dict()


def test_every_arrival_is_open_resolved_or_closed_at_the_end(week: Any) -> None:
    """
    Conservation: each arrival is one stored ticket, and each is open, resolved or closed.
    """
    counts = week.final_counts
    assert week.arrivals == len(week.tickets) == week.report.volume.opened
    assert week.arrivals == counts["open"] + counts["resolved"] + counts["closed"]
    assert 0 == counts["cancelled"]
    assert counts["open"] == week.report.volume.backlog
    assert week.series.backlog[-1] >= 0


def test_the_figures_are_desk_report_over_the_histories(week: Any) -> None:
    """
    The result's report is what desk_report computes from the same histories.
    """
    again = desk_report(week.tickets, now=week.end, sla=DESK.sla_for, by="priority")
    assert again == week.report
    figures = week.figures()
    for metric in Metric:
        compliance = week.report.sla[metric]
        if compliance.met + compliance.breached:
            assert compliance.rate == figures[f"SLA {metric} met"]
    assert week.report.volume.resolved == figures["tickets resolved"]


def test_the_daily_series_add_up_to_the_report(week: Any) -> None:
    """
    Tickets opened per day add up to the arrivals; the hourly samples cover the run.
    """
    series = week.series
    assert week.arrivals == sum(series.opened)
    assert 3 == len(series.days) == len(series.utilisation)
    assert 3 * 24 == len(series.at) == len(series.backlog) == len(series.busy)
    assert {"service-desk", "network", "vendor-liaison"} == set(series.queues)
    assert week.report.time_to_first_response.count == len(series.first_response_hours)
    assert week.report.volume.resolved == len(series.resolution_hours)


def test_the_shipped_week_works_the_whole_process(week: Any) -> None:
    """
    The example scenario asks requesters, escalates, deduplicates alerts and sends notices.
    """
    assert week.refused == 0
    assert week.escalations > 0
    assert week.notices > 0
    assert week.alerts > 1
    assert week.alert_repeats == week.alerts - 1  # one outage, one incident
    assert any(
        e.trigger == "request_info"
        for t in week.tickets
        for e in t.history
        if hasattr(e, "trigger")
    )
    assert all(0 <= (u or 0) <= 1.5 for u in week.utilisation.values())


def test_ample_agents_meet_nearly_every_target() -> None:
    """
    With more agents than work, on call around the clock, compliance is ~100%.
    """
    result = simulate(DESK, steady(agents=10), seed=1)
    first = result.report.sla[Metric.FIRST_RESPONSE]
    resolution = result.report.sla[Metric.RESOLUTION]
    assert first.met > 50
    assert first.rate is not None
    assert first.rate >= 0.99
    assert resolution.rate is not None
    assert resolution.rate >= 0.99


def test_no_agents_meet_no_target() -> None:
    """
    Without agents nobody responds: every decided first-response clock is a breach.
    """
    result = simulate(DESK, steady(agents=0, days=4), seed=1)
    first = result.report.sla[Metric.FIRST_RESPONSE]
    assert 0 == first.met
    assert first.breached > 0
    assert 0.0 == first.rate
    assert 0 == result.report.volume.resolved
    assert result.arrivals == result.final_counts["open"] > 0


@pytest.mark.slow
def test_littles_law_holds_on_a_long_run() -> None:
    """
    Over four weeks, the mean backlog is the arrival rate times the mean time in the system.
    """
    result = simulate(DESK, steady(agents=2, days=28, sample_every="10m"), seed=2)
    hours = 28 * 24
    rate = result.arrivals / hours
    mean_stay = sum(result.series.resolution_hours) / len(result.series.resolution_hours)
    mean_backlog = sum(result.series.backlog) / len(result.series.backlog)
    assert mean_backlog == pytest.approx(rate * mean_stay, rel=0.1)


def test_progress_is_reported_per_simulated_day() -> None:
    """
    progress(done, total) is called once per simulated day, in order.
    """
    seen: list[tuple[int, int]] = []
    simulate(DESK, steady(agents=1), days=3, seed=0, progress=lambda d, t: seen.append((d, t)))
    assert [(1, 3), (2, 3), (3, 3)] == seen


def test_compare_one_desk_with_itself_finds_no_difference() -> None:
    """
    The same desk on the same arrivals and seeds differs by exactly nothing.
    """
    comparison = compare_desks(DESK, DEFAULT_CONFIG, steady(agents=2), days=1, seeds=[0, 1])
    rows = comparison.rows()
    assert rows
    for label, mean_a, mean_b, difference, low, high in rows:
        assert mean_a == mean_b, label
        assert difference in (0.0, None)
        assert low == high == difference
    assert 2 == len(comparison.a) == len(comparison.b)
    json.dumps(comparison.to_dict())


def test_a_what_if_compares_two_staffings_on_the_same_arrivals() -> None:
    """
    One more agent (scenario_b) on the same arrivals: the same tickets open, faster answers.
    """
    seen: list[tuple[int, int]] = []
    comparison = compare_desks(
        DESK,
        DESK,
        steady(agents=1, arrivals=[{"name": "incidents", "per_hour": 5.0}]),
        scenario_b=steady(agents=3, arrivals=[{"name": "incidents", "per_hour": 5.0}]),
        days=1,
        seeds=[0, 1, 2],
        progress=lambda d, t: seen.append((d, t)),
    )
    rows = {row[0]: row for row in comparison.rows()}
    assert 0.0 == rows["tickets opened"][3]
    faster = rows["first response median (h)"][3]
    assert faster is not None
    assert faster < 0
    assert (6, 6) == seen[-1]
    assert 5 == len(comparison.formatted_rows()[0])


def test_the_result_is_json_and_a_table() -> None:
    """
    to_dict() is JSON; summary() gives (label, text) rows with the headline figures.
    """
    result = simulate(DESK, steady(agents=2), days=1, seed=0)
    data = json.loads(json.dumps(result.to_dict()))
    assert result.arrivals == data["arrivals"]
    labels = dict(result.summary())
    assert "1 days from Mon 2026-10-19 00:00" == labels["simulated"]
    assert labels["SLA first_response met"].endswith("%")
    assert result.priority_rows()


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"dayz": 3}, ("dayz",), "unknown field `dayz` (did you mean `days`?)"),
        ({"days": 0}, ("days",), "must be positive, got 0"),
        (
            {"arrivals": [{"name": "x", "per_hour": 1, "profile": "nights"}]},
            ("arrivals", 0, "profile"),
            "unknown profile 'nights'; known: office",
        ),
        (
            {"agents": [{**BASE.agents[0].model_dump(), "shift": "night"}]},
            ("agents", 0, "shift"),
            "unknown shift 'night'; known: early, late, office",
        ),
        (
            {"agents": [{**BASE.agents[0].model_dump(), "handling": {"median": "1h"}}]},
            ("agents", 0, "handling"),
            "a log-normal distribution needs both median and p90",
        ),
        (
            {"profiles": {"office": {"mon": [1.0] * 23}}},
            ("profiles", "office", "mon"),
            "needs 24 multipliers, one per hour, got 23",
        ),
        (
            {"surges": [{"days": ["mon"], "hours": [12, 8], "factor": 2}]},
            ("surges", 0),
            "hours must be [first, last] with 0 <= first < last <= 24",
        ),
        (
            {"shifts": {"early": {"weekly": {"mon": ["25:00-26:00"]}}}},
            ("shifts", "early"),
            None,
        ),
    ],
)
def test_a_bad_scenario_says_where(
    change: dict[str, Any], path: tuple[str | int, ...], message: str | None
) -> None:
    """
    Bad scenarios raise ConfigError naming the field, as desk configurations do.
    """
    data = {**BASE.model_dump(mode="python"), **change}
    with pytest.raises(ConfigError) as caught:
        load_scenario(data)
    paths = [where for where, _ in caught.value.problems]
    assert path in [where[: len(path)] for where in paths]
    if message is not None:
        assert message in [text for _, text in caught.value.problems]


def test_every_problem_is_reported_at_once() -> None:
    """
    Several bad fields give one error listing each.
    """
    with pytest.raises(ConfigError) as caught:
        load_scenario({"days": -1, "tick_every": "soon", "agents": [{"name": "x"}]})
    paths = {where for where, _ in caught.value.problems}
    assert {("days",), ("tick_every",), ("agents", 0, "count")} <= paths


def test_a_scenario_file_that_is_not_there_is_a_config_error() -> None:
    """
    A missing file is a ConfigError that names it.
    """
    with pytest.raises(ConfigError, match="cannot read"):
        load_scenario("/nonexistent/scenario.toml")


def test_bad_arguments_are_invalid_input() -> None:
    """
    days, seed and seeds are checked before anything runs.
    """
    with pytest.raises(InvalidInput, match="days"):
        simulate(DESK, BASE, days=0)
    with pytest.raises(InvalidInput, match="seed"):
        simulate(DESK, BASE, seed="1")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="seeds"):
        compare_desks(DESK, DESK, BASE, seeds=[])


def test_a_scenario_passes_through_and_copies_validate_again() -> None:
    """
    load_scenario returns a Scenario as it is; replaced() validates its changes.
    """
    assert BASE is load_scenario(BASE)
    assert 2 == BASE.replaced(days=2).days
    assert timedelta(minutes=5) == BASE.tick_every
    with pytest.raises(ConfigError):
        BASE.replaced(days="many")
