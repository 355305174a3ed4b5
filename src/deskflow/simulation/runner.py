"""
Running a scenario on a desk: [`simulate()`][deskflow.simulation.simulate] one desk, or
[`compare()`][deskflow.simulation.compare] two on the same arrivals over several seeds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deskflow._internal.report_facts import facts_of
from deskflow.config import DEFAULT_CONFIG, load_desk
from deskflow.desk import Desk
from deskflow.enums import Metric
from deskflow.events import StateChanged
from deskflow.exceptions import InvalidInput
from deskflow.reports import desk_report
from deskflow.simulation.results import Comparison, Series, SimulationResult
from deskflow.simulation.scenario import DEFAULT_SCENARIO, Scenario, load_scenario

if TYPE_CHECKING:
    from deskflow._internal.sim_engine import Engine

__all__ = ["compare", "simulate"]

DeskSource = str | Path | Mapping[str, Any] | Desk
ScenarioSource = Scenario | str | Path | Mapping[str, Any] | None

_DAY = timedelta(days=1)


def _desk(config: DeskSource) -> Desk:
    return config if isinstance(config, Desk) else load_desk(config)


def _days(days: object, scenario: Scenario) -> int:
    if days is None:
        return scenario.days
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise InvalidInput(f"days must be a whole number >= 1, got {days!r}")
    return days


def simulate(
    config: DeskSource = DEFAULT_CONFIG,
    scenario: ScenarioSource = None,
    *,
    days: int | None = None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """
    Run ``scenario`` (default: the shipped example) on the desk ``config`` describes (a
    path, a mapping or a [`Desk`][deskflow.desk.Desk]) for ``days`` simulated days (default:
    the scenario's), with the random streams of ``seed``. ``progress(done, total)`` is
    called after each simulated day.

    The run drives a real [`HelpDesk`][deskflow.service.HelpDesk] over the in-memory
    adapters on a virtual clock; its figures are
    [`desk_report()`][deskflow.reports.desk_report] over the histories it produced. The
    same seed gives the same result.
    """
    desk = _desk(config)
    plan = load_scenario(DEFAULT_SCENARIO if scenario is None else scenario)
    total = _days(days, plan)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidInput(f"seed must be an int, got {seed!r}")
    try:
        from deskflow._internal.sim_engine import Engine
    except ModuleNotFoundError as error:  # SimPy is the `sim` extra
        raise ModuleNotFoundError(
            f"the simulator needs SimPy: pip install 'deskflow[sim]' ({error})"
        ) from None
    engine = Engine(desk, plan, seed)
    engine.run(total, progress)
    return _result(engine, desk, plan, seed, total)


def _result(engine: Engine, desk: Desk, plan: Scenario, seed: int, days: int) -> SimulationResult:
    start = engine.clock.start
    end = start + days * _DAY
    tickets = tuple(engine.tickets())
    report = desk_report(tickets, now=end, sla=desk.sla_for, by="priority")
    per_day: list[dict[Metric, list[int]]] = [{} for _ in range(days)]
    opened = [0] * days
    first: list[float] = []
    resolution: list[float] = []
    escalations = 0
    for ticket in tickets:
        facts = facts_of(ticket, desk.workflow_for(ticket), desk.sla_for(ticket), end)
        opened[min(int((facts.opened_at - start) / _DAY), days - 1)] += 1
        if facts.first_response_at is not None:
            first.append((facts.first_response_at - facts.opened_at).total_seconds() / 3600)
        if facts.resolved_at is not None:
            resolution.append((facts.resolved_at - facts.opened_at).total_seconds() / 3600)
        for metric, at, met in facts.clocks:
            day = int((at - start) / _DAY)
            if 0 <= day < days:
                counts = per_day[day].setdefault(metric, [0, 0])
                counts[0 if met else 1] += 1
        escalations += sum(
            1 for e in ticket.history if isinstance(e, StateChanged) and e.trigger == "escalate"
        )
    compliance = {
        metric: tuple((c[0] / (c[0] + c[1])) if (c := day.get(metric)) else None for day in per_day)
        for metric in Metric
        if any(metric in day for day in per_day)
    }
    utilisation_by_day: list[float | None] = []
    for day in range(days):
        on = sum(engine.shift_seconds(a, day * 86400.0, (day + 1) * 86400.0) for a in engine.agents)
        busy = sum(a.busy_by_day.get(day, 0.0) for a in engine.agents)
        utilisation_by_day.append(busy / on if on else None)
    pools: dict[str, float | None] = {}
    for pool in plan.agents:
        members = [a for a in engine.agents if a.pool is pool]
        on = sum(engine.shift_seconds(a, 0.0, days * 86400.0) for a in members)
        pools[pool.name] = sum(a.busy for a in members) / on if on else None
    samples = [s for s in engine.samples if s[0] < days * 86400.0]
    groups = sorted({g for s in samples for g in s[2]})
    series = Series(
        at=tuple(engine.clock.at(s[0]) for s in samples),
        backlog=tuple(s[1] for s in samples),
        queues={g: tuple(s[2].get(g, 0) for s in samples) for g in groups},
        busy=tuple(s[3] for s in samples),
        days=tuple(start + d * _DAY for d in range(days)),
        opened=tuple(opened),
        compliance=compliance,
        utilisation=tuple(utilisation_by_day),
        first_response_hours=tuple(first),
        resolution_hours=tuple(resolution),
    )
    return SimulationResult(
        scenario=plan,
        seed=seed,
        start=start,
        end=end,
        tickets=tickets,
        report=report,
        series=series,
        arrivals=engine.arrived,
        alerts=engine.alerts,
        alert_repeats=engine.alert_repeats,
        notices=len(engine.notifier.sent),
        escalations=escalations,
        refused=engine.refused,
        utilisation=pools,
    )


def compare(
    config_a: DeskSource,
    config_b: DeskSource,
    scenario: ScenarioSource = None,
    *,
    scenario_b: ScenarioSource = None,
    days: int | None = None,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    progress: Callable[[int, int], None] | None = None,
    labels: tuple[str, str] = ("a", "b"),
) -> Comparison:
    """
    Run desk ``config_a`` and desk ``config_b`` on the same arrivals (the same scenario and
    seeds) and compare their figures with 95% confidence intervals over ``seeds``.

    ``scenario_b`` (default: ``scenario``) gives desk b other staff or traffic: a what-if
    such as one more agent on Mondays compares one config under two scenarios.
    ``progress(done, total)`` counts simulated days over all the runs.
    """
    if isinstance(seeds, str) or not isinstance(seeds, Sequence) or not seeds:
        raise InvalidInput(f"seeds must be a non-empty list of ints, got {seeds!r}")
    desk_a, desk_b = _desk(config_a), _desk(config_b)
    plan_a = load_scenario(DEFAULT_SCENARIO if scenario is None else scenario)
    plan_b = plan_a if scenario_b is None else load_scenario(scenario_b)
    total = _days(days, plan_a)
    runs = 2 * len(seeds)
    done = 0

    def step(day: int, _total: int) -> None:
        if progress is not None:
            progress(done * total + day, runs * total)

    results_a, results_b = [], []
    for seed in seeds:
        results_a.append(simulate(desk_a, plan_a, days=total, seed=seed, progress=step))
        done += 1
        results_b.append(simulate(desk_b, plan_b, days=total, seed=seed, progress=step))
        done += 1
    return Comparison(labels[0], labels[1], tuple(seeds), tuple(results_a), tuple(results_b))
