"""
The commands about a desk configuration: ``validate``, ``schema``, ``diagram``, and the
calendar arithmetic of ``sla due`` and ``sla elapsed``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from deskflow.calendars import BusinessCalendar
from deskflow.cli.common import (
    Failure,
    load_config,
    parse_instant,
    parse_span,
    problem_lines,
    show_span,
)
from deskflow.config import DeskConfig, load_desk
from deskflow.enums import TicketKind
from deskflow.exceptions import ConfigError

__all__ = ["calendar_of", "register"]


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def _span(text: str) -> timedelta:
    try:
        return parse_span(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


ConfigArgument = Annotated[Path, typer.Argument(help="The desk .toml or .json.")]
Calendar = Annotated[
    str,
    typer.Option(
        "--calendar",
        metavar="CONFIG[:NAME]",
        help="The calendar NAME of a desk file; without NAME, the calendar its SLA runs on.",
    ),
]
Start = Annotated[
    datetime,
    typer.Option(
        parser=_instant,
        metavar="ISO",
        help="An instant with its UTC offset, e.g. 2026-03-02T09:00+00:00 (or Z).",
    ),
]


def calendar_of(spec: str) -> BusinessCalendar:
    """
    The business calendar ``CONFIG:NAME`` names: calendar NAME of the desk file CONFIG, or
    (``CONFIG`` alone) the calendar the file's incident SLA runs on.
    """
    source, colon, name = spec.rpartition(":")
    if not colon or not name or "/" in name or "\\" in name:
        source, name = spec, ""
    desk = load_config(Path(source))
    if not name:
        return _business(desk.sla[TicketKind.INCIDENT].calendar)
    # The named calendar alone, as the SLA's: load_desk checks it as it checks the file's.
    table = _calendar_table(Path(source), name)
    try:
        only = load_desk({"calendars": {name: table}, "sla": {"calendar": name}})
    except ConfigError as error:  # pragma: no cover - the whole file loaded above
        raise Failure(f"{source}: {problem_lines(error)[0]}") from None
    return _business(only.sla[TicketKind.INCIDENT].calendar)


def _business(calendar: object) -> BusinessCalendar:
    # A configuration file always gives an SLA one calendar (a resolver is code's choice).
    if not isinstance(calendar, BusinessCalendar):  # pragma: no cover
        raise Failure(f"the SLA runs on {calendar!r}, not on one business calendar")
    return calendar


def _calendar_table(source: Path, name: str) -> object:
    from deskflow._internal.config_text import read_source

    calendars = read_source(source).get("calendars", {})
    if name not in calendars:
        known = ", ".join(sorted(calendars)) or "none (the default 24x7 calendar only)"
        raise Failure(f"{source}: no calendar {name!r}; its calendars: {known}")
    return calendars[name]


def validate(config: ConfigArgument) -> int:
    """
    Check a desk configuration and list every problem, each with its path.

    The exit status is 0 for a valid file, 1 for one with problems.
    """
    try:
        load_desk(config)
    except ConfigError as error:
        lines = problem_lines(error)
        for line in lines:
            typer.echo(f"{config}: {line}")
        count = len(lines)
        typer.echo(f"{config}: {count} problem{'s' if count > 1 else ''}", err=True)
        return 1
    typer.echo(f"{config}: valid")
    return 0


def schema() -> None:
    """
    Print the JSON Schema of a desk configuration, for editors and validators.
    """
    typer.echo(json.dumps(DeskConfig.model_json_schema(), indent=2))


def diagram(
    config: ConfigArgument,
    kind: Annotated[
        TicketKind, typer.Option(help="The kind of ticket whose workflow to draw.")
    ] = TicketKind.INCIDENT,
) -> None:
    """
    Print a ticket kind's workflow as a Mermaid state diagram.
    """
    typer.echo(load_config(config).workflows[kind].to_mermaid())


sla = typer.Typer(
    help="Business-calendar arithmetic: when a target falls due, how much business time passed.",
    no_args_is_help=True,
)


@sla.command("due")
def sla_due(
    calendar: Calendar,
    start: Start,
    target: Annotated[
        timedelta,
        typer.Option(
            parser=_span, metavar="DURATION", help="Business time to add, e.g. 8h, 1h30m, 2d."
        ),
    ],
) -> None:
    """
    Print the instant a target of business time falls due, in the calendar's time zone.
    """
    business = calendar_of(calendar)
    typer.echo(business.add(start, target).astimezone(business.zone).isoformat())


@sla.command("elapsed")
def sla_elapsed(
    calendar: Calendar,
    start: Start,
    end: Annotated[
        datetime,
        typer.Option(parser=_instant, metavar="ISO", help="The end instant, with its offset."),
    ],
) -> None:
    """
    Print the business time between two instants, e.g. 5h30m.
    """
    if end < start:
        raise typer.BadParameter(
            f"{end.isoformat()} is before --start {start.isoformat()}", param_hint="'--end'"
        )
    typer.echo(show_span(calendar_of(calendar).elapsed(start, end)))


def register(app: typer.Typer) -> None:
    """
    Add this module's commands to ``app``.
    """
    app.command()(validate)
    app.command()(schema)
    app.command()(diagram)
    app.add_typer(sla, name="sla")
