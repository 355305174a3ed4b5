"""
``deskflow simulate``: run a desk configuration on a simulated desk (the real HelpDesk on a
virtual clock), or two on the same arrivals, with a progress bar, and show what it would do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from deskflow.charts import write_simulation_charts
from deskflow.cli.common import Failure, chart_path, config_problem_line, load_config
from deskflow.exceptions import ConfigError
from deskflow.simulation import DEFAULT_SCENARIO, Comparison, Scenario, load_scenario
from deskflow.simulation import compare as run_both
from deskflow.simulation import simulate as run_one

__all__ = ["register"]


@contextmanager
def _progress(what: str) -> Iterator[Callable[[int, int], None]]:
    # On stderr, so that stdout holds the summary alone; gone once the run is over.
    bar = Progress(
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task(what, total=None)

    def advance(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield advance


def _summary(rows: list[tuple[str, str]]) -> Table:
    table = Table()
    table.add_column("figure")
    table.add_column("value", justify="right")
    for label, value in rows:
        table.add_row(label, value)
    return table


def _comparison(comparison: Comparison) -> Table:
    table = Table()
    for name in ("figure", "A", "B", "B - A", "95% interval"):
        table.add_column(name, justify="left" if name == "figure" else "right")
    for row in comparison.formatted_rows():
        table.add_row(*row)
    return table


def _scenario(path: Path | None) -> Scenario:
    try:
        return load_scenario(DEFAULT_SCENARIO if path is None else path)
    except ConfigError as error:
        raise Failure(config_problem_line(error, path)) from None


def simulate(
    config: Annotated[Path, typer.Argument(help="The desk .toml or .json to try.")],
    scenario: Annotated[
        Path | None,
        typer.Option(help="The scenario .toml: arrivals, agents, shifts (default: shipped)."),
    ] = None,
    days: Annotated[
        int | None, typer.Option(min=1, help="Days to simulate (default: the scenario's).")
    ] = None,
    seed: Annotated[int, typer.Option(help="The random seed: the same seed, the same run.")] = 0,
    compare: Annotated[
        Path | None,
        typer.Option(metavar="OTHER_CONFIG", help="Also run this desk file on the same arrivals."),
    ] = None,
    runs: Annotated[
        int, typer.Option(min=2, help="With --compare: the runs (seeds from --seed on).")
    ] = 5,
    chart: Annotated[
        Path | None,
        typer.Option(help="Also draw the run's charts into this .png or .svg (and beside it)."),
    ] = None,
) -> None:
    """
    Try a desk configuration on a simulated desk and print its SLA compliance and queues.
    """
    # Bad files are said before a long run, not after it.
    try:
        chart_path(chart)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="'--chart'") from None
    desk = load_config(config)
    other = None if compare is None else (compare, load_config(compare))
    plan = _scenario(scenario)
    out = Console()
    try:
        if other is not None:
            seeds = tuple(range(seed, seed + runs))
            with _progress("comparing") as progress:
                result = run_both(desk, other[1], plan, days=days, seeds=seeds, progress=progress)
            out.print(
                f"A: {config}\nB: {other[0]}\non the same arrivals; the mean of {runs} runs "
                f"(seeds {seed} to {seed + runs - 1}), B - A with its 95% confidence interval"
            )
            out.print(_comparison(result))
            if chart is None:
                return
        with _progress("simulating") as progress:
            run = run_one(desk, plan, days=days, seed=seed, progress=progress)
    except ModuleNotFoundError as error:  # SimPy, the `sim` extra, is not installed
        raise Failure(str(error)) from None
    if compare is None:
        out.print(f"{config} on a simulated desk, seed {seed}")
        out.print(_summary(list(run.summary())))
    if chart is not None:
        try:
            written = write_simulation_charts(run, chart)
        except ModuleNotFoundError as error:  # matplotlib, the `charts` extra
            raise Failure(str(error)) from None
        for path in written:
            typer.echo(f"chart written to {path}")


def register(app: typer.Typer) -> None:
    """
    Add ``simulate`` to ``app``.
    """
    app.command()(simulate)
