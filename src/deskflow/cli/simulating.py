"""
``deskflow simulate``: run a desk configuration on a simulated desk (the real HelpDesk on a
virtual clock), or two on the same arrivals, with a progress bar, and show what it would do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from deskflow.cli.common import Failure, load_config

__all__ = ["register"]


def _simulation() -> Any:
    try:
        import deskflow.simulation as simulation
    except ImportError as error:
        raise Failure(f"the simulator needs SimPy: pip install 'deskflow[sim]' ({error})") from None
    return simulation


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


def _summary(rows: list[tuple[str, str]], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for label, value in rows:
        table.add_row(label, value)
    return table


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _comparison(rows: list[tuple[Any, ...]], a: Path, b: Path, runs: int) -> Table:
    table = Table(
        title=f"{a} (A) against {b} (B), mean of {runs} runs; B - A with its 95% interval",
        title_justify="left",
    )
    for name in ("figure", "A", "B", "B - A", "interval"):
        table.add_column(name, justify="left" if name == "figure" else "right")
    for label, mean_a, mean_b, diff, low, high in rows:
        interval = f"{_number(low)} .. {_number(high)}"
        table.add_row(str(label), _number(mean_a), _number(mean_b), _number(diff), interval)
    return table


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
    simulation = _simulation()
    desk_files = [config] if compare is None else [config, compare]
    for path in desk_files:
        load_config(path)  # a bad file is said before a long run, not after
    chosen = simulation.DEFAULT_SCENARIO if scenario is None else simulation.load_scenario(scenario)
    out = Console()
    if compare is not None:
        seeds = tuple(range(seed, seed + runs))
        with _progress("comparing") as progress:
            result = simulation.compare(
                config, compare, chosen, days=days, seeds=seeds, progress=progress
            )
        out.print(_comparison(list(result.rows()), config, compare, runs))
        if chart is None:
            return
    with _progress("simulating") as progress:
        run = simulation.simulate(config, chosen, days=days, seed=seed, progress=progress)
    if compare is None:
        out.print(_summary(list(run.summary()), f"{config} on a simulated desk, seed {seed}"))
    if chart is not None:
        try:
            from deskflow.charts import write_simulation_charts
        except ImportError as error:
            raise Failure(
                f"charts need matplotlib: pip install 'deskflow[charts]' ({error})"
            ) from None
        for written in write_simulation_charts(run, chart):
            typer.echo(f"chart written to {written}")


def register(app: typer.Typer) -> None:
    """
    Add ``simulate`` to ``app``.
    """
    app.command()(simulate)
