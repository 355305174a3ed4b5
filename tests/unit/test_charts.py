"""
Charts: the files are written in the format of their suffix, and the figures hold the
expected axes, titles and lines (checked through matplotlib's objects, not pixels).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from matplotlib.patches import Rectangle

from deskflow import InvalidInput
from deskflow.charts import (
    report_figure,
    simulation_figure,
    write_report_chart,
    write_simulation_charts,
)
from deskflow.config import DEFAULT_CONFIG
from deskflow.reports import desk_report
from deskflow.simulation import simulate


@pytest.fixture(scope="module")
def result() -> Any:
    """
    Two simulated days of the shipped scenario.
    """
    return simulate(DEFAULT_CONFIG, days=2, seed=0)


def test_the_simulation_figure_has_its_four_charts(result: Any) -> None:
    """
    SLA compliance, backlog and queues, and the two distributions, each with its lines.
    """
    figure = simulation_figure(result)
    titles = [axes.get_title() for axes in figure.axes]
    assert [
        "SLA compliance per day",
        "Backlog and queues",
        "Time to first response",
        "Time to resolution",
    ] == titles
    sla, load, first, resolve = figure.axes
    assert {"first_response", "resolution"} <= {line.get_label() for line in sla.get_lines()}
    assert (0.0, 105.0) == sla.get_ylim()
    labels = [line.get_label() for line in load.get_lines()]
    assert "backlog" == labels[0]
    assert {"queue service-desk", "queue network"} <= set(labels)
    backlog = load.get_lines()[0]
    assert list(result.series.backlog) == list(backlog.get_ydata())  # type: ignore[arg-type]
    assert len(result.series.first_response_hours) == sum(
        p.get_height() for p in first.patches if isinstance(p, Rectangle)
    )
    assert "hours" == resolve.get_xlabel()


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_the_charts_are_written_by_suffix(result: Any, tmp_path: Path, suffix: str) -> None:
    """
    PNG and SVG files are written and are not empty.
    """
    [written] = write_simulation_charts(result, tmp_path / f"run{suffix}")
    assert written.stat().st_size > 1000
    head = written.read_bytes()[:200]
    assert (b"PNG" in head) if suffix == ".png" else (b"<svg" in written.read_bytes()[:2000])
    chart = write_report_chart(result.report, tmp_path / f"report{suffix}")
    assert chart.stat().st_size > 1000


def test_an_unknown_format_is_refused(result: Any, tmp_path: Path) -> None:
    """
    A file name without .png or .svg is InvalidInput, and nothing is written.
    """
    with pytest.raises(InvalidInput, match=r"\.png or \.svg"):
        write_simulation_charts(result, tmp_path / "run.jpg")
    assert [] == list(tmp_path.iterdir())


def test_the_report_figure_has_a_bar_per_group(result: Any) -> None:
    """
    Tickets opened and resolved per priority, and compliance bars per metric.
    """
    figure = report_figure(result.report)
    volume, sla = figure.axes
    groups = list(result.report.groups)
    assert [str(g) for g in groups] == [t.get_text() for t in volume.get_xticklabels()]
    bars = [p for p in volume.patches if isinstance(p, Rectangle)]
    opened = [p.get_height() for p in bars[: len(groups)]]
    assert [g.volume.opened for g in result.report.groups.values()] == opened
    assert "SLA compliance" == sla.get_title()
    assert sla.patches


def test_a_report_grouped_otherwise_is_refused(result: Any) -> None:
    """
    Charting a report by a field it was not grouped by is InvalidInput.
    """
    by_group = desk_report(result.tickets, now=result.end, by="group")
    with pytest.raises(InvalidInput, match="grouped by 'group'"):
        report_figure(by_group, by="priority")
    labels = report_figure(by_group, by="group").axes[0].get_xticklabels()
    assert {"network", "service-desk"} <= {t.get_text() for t in labels}


def test_importing_deskflow_does_not_load_matplotlib() -> None:
    """
    The Agg backend is chosen when a chart is drawn, never at import.
    """
    code = (
        "import sys, deskflow, deskflow.charts, deskflow.simulation; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "False" == out.stdout.strip()
