"""
Charts of a simulated run or of a desk report, drawn with matplotlib (the ``charts`` extra).

Drawing needs no display: each function selects matplotlib's Agg backend when it is called
(never when deskflow is imported) and builds its figure with the object API, so nothing
touches pyplot's global state. A file's format follows its suffix: ``.png`` or ``.svg``.

- [`simulation_figure()`][deskflow.charts.simulation_figure] and
  [`write_simulation_charts()`][deskflow.charts.write_simulation_charts]: SLA compliance per
  day, backlog and queues over time, and the distributions of the times to first response
  and to resolution of a [`SimulationResult`][deskflow.simulation.SimulationResult];
- [`report_figure()`][deskflow.charts.report_figure] and
  [`write_report_chart()`][deskflow.charts.write_report_chart]: a
  [`DeskReport`][deskflow.reports.DeskReport]'s volume and SLA compliance per group.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from deskflow.enums import Metric
from deskflow.exceptions import InvalidInput

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from deskflow.reports import DeskReport
    from deskflow.simulation import SimulationResult

__all__ = ["report_figure", "simulation_figure", "write_report_chart", "write_simulation_charts"]

_FORMATS = (".png", ".svg")


def _figure(width: float, height: float) -> Figure:
    try:
        import matplotlib
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            f"charts need matplotlib: pip install 'deskflow[charts]' ({error})"
        ) from None
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _target(path: str | Path) -> Path:
    target = Path(path)
    if target.suffix.lower() not in _FORMATS:
        raise InvalidInput(f"a chart is written as .png or .svg, got {str(target)!r}")
    return target


def simulation_figure(result: SimulationResult) -> Figure:
    """
    One figure of four charts: SLA compliance per day and metric, the backlog and each
    group's queue over time, and histograms of the hours to first response and to
    resolution.
    """
    series = result.series
    figure = _figure(11, 8)
    figure.suptitle(f"Simulated desk: {result.scenario.name} (seed {result.seed})")
    sla, load, first, resolve = figure.subplots(2, 2).flat
    sla.set_title("SLA compliance per day")
    for metric in Metric:
        values = series.compliance.get(metric)
        if values is not None:
            points = [
                (d, 100 * v) for d, v in zip(series.days, values, strict=True) if v is not None
            ]
            sla.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=str(metric))
    sla.set_ylim(0, 105)
    sla.set_ylabel("clocks met (%)")
    load.set_title("Backlog and queues")
    load.plot(series.at, series.backlog, label="backlog", linewidth=2)
    for group, values in series.queues.items():
        load.plot(series.at, values, label=f"queue {group}")
    load.set_ylabel("tickets")
    for axes, values, title in (
        (first, series.first_response_hours, "Time to first response"),
        (resolve, series.resolution_hours, "Time to resolution"),
    ):
        axes.set_title(title)
        axes.hist(values or [0.0], bins=30)
        axes.set_xlabel("hours")
        axes.set_ylabel("tickets")
    for axes in (sla, load):
        axes.legend(loc="lower left", fontsize="small")
        for label in axes.get_xticklabels():
            label.set_rotation(30)
    return figure


def write_simulation_charts(result: SimulationResult, path: str | Path) -> list[Path]:
    """
    Write [`simulation_figure()`][deskflow.charts.simulation_figure] to ``path`` (``.png`` or
    ``.svg``) and return the files written.
    """
    target = _target(path)
    simulation_figure(result).savefig(target)
    return [target]


def report_figure(report: DeskReport, *, by: str = "priority") -> Figure:
    """
    Two charts of a desk report grouped ``by`` a field (the report's own grouping if it has
    one): tickets opened and resolved per group, and SLA compliance per group and metric.
    """
    groups = report.groups
    if report.by is not None and report.by != by:
        raise InvalidInput(f"the report is grouped by {report.by!r}, not {by!r}")
    labels = [key or "none" for key in groups] or ["all"]
    parts = list(groups.values()) or [report]
    figure = _figure(10, 4)
    figure.suptitle(f"Desk report by {by}")
    volume, sla = figure.subplots(1, 2)
    positions = range(len(labels))
    volume.set_title("Tickets")
    volume.bar([p - 0.2 for p in positions], [p.volume.opened for p in parts], 0.4, label="opened")
    volume.bar(
        [p + 0.2 for p in positions], [p.volume.resolved for p in parts], 0.4, label="resolved"
    )
    volume.set_xticks(list(positions), labels)
    volume.legend(fontsize="small")
    sla.set_title("SLA compliance")
    metrics = [m for m in Metric if any(p.sla.get(m) and p.sla[m].rate is not None for p in parts)]
    width = 0.8 / max(len(metrics), 1)
    for i, metric in enumerate(metrics):
        rates = [100 * (p.sla[metric].rate or 0.0) if metric in p.sla else 0.0 for p in parts]
        sla.bar([p - 0.4 + (i + 0.5) * width for p in positions], rates, width, label=str(metric))
    sla.set_xticks(list(positions), labels)
    sla.set_ylim(0, 105)
    sla.set_ylabel("clocks met (%)")
    if metrics:
        sla.legend(fontsize="small")
    return figure


def write_report_chart(report: DeskReport, path: str | Path, *, by: str = "priority") -> Path:
    """
    Write [`report_figure()`][deskflow.charts.report_figure] to ``path`` (``.png`` or
    ``.svg``) and return it. Make the report with ``desk_report(..., by=by)`` to chart
    per group; an ungrouped report is charted as one group.
    """
    target = _target(path)
    report_figure(report, by=by).savefig(target)
    return target
