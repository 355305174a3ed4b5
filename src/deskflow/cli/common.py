"""
What the commands share: the error a command fails with, loading a desk configuration with
its problems as lines, and reading and writing instants and durations on the command line.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from deskflow.config import load_desk, parse_duration
from deskflow.desk import Desk
from deskflow.exceptions import ConfigError, DeskflowError

__all__ = [
    "Failure",
    "chart_path",
    "config_problem_line",
    "load_config",
    "parse_instant",
    "parse_span",
    "problem_lines",
    "show_span",
]


class Failure(DeskflowError):
    """
    A command could not do what it was asked; its text is the one line the user reads.
    """


def chart_path(path: Path | None) -> Path | None:
    """
    ``path`` if it names a ``.png`` or ``.svg`` file (or is None); ValueError otherwise,
    so that a long run is not made for a chart it cannot write.

    >>> chart_path(Path("sla.svg"))
    PosixPath('sla.svg')
    """
    if path is not None and path.suffix.lower() not in (".png", ".svg"):
        raise ValueError(f"{path} is neither a .png nor a .svg file")
    return path


def problem_lines(error: ConfigError) -> list[str]:
    """
    One line per problem of ``error``: ``path.to.field: message`` (the message alone for a
    problem of the whole file).

    >>> problem_lines(ConfigError.from_problems([(("sla", "calender"), "unknown field"),
    ...                                          ((), "cannot read x.toml")]))
    ['sla.calender: unknown field', 'cannot read x.toml']
    """
    lines = []
    for path, message in error.problems:
        where = ".".join(str(part) for part in path)
        lines.append(f"{where}: {message}" if where else message)
    return lines


def config_problem_line(error: ConfigError, source: Path | str | None = None) -> str:
    """
    A bad configuration in one line: its problem, or the first of its problems and how to
    see them all.

    >>> error = ConfigError.from_problems([(("a",), "bad"), (("b",), "worse")])
    >>> config_problem_line(error, "desk.toml")
    "desk.toml: 2 problems, the first: a: bad (run 'deskflow validate desk.toml' for all)"
    """
    lines = problem_lines(error)
    prefix = f"{source}: " if source is not None else ""
    if len(lines) == 1:
        return f"{prefix}{lines[0]}"
    where = source if source is not None else "CONFIG"
    return (
        f"{prefix}{len(lines)} problems, the first: {lines[0]} "
        f"(run 'deskflow validate {where}' for all)"
    )


def load_config(source: Path) -> Desk:
    """
    The desk that the configuration file ``source`` describes; a bad one fails the command
    with one line naming the file.
    """
    try:
        return load_desk(source)
    except ConfigError as error:
        raise Failure(config_problem_line(error, source)) from error


def parse_instant(text: str) -> datetime:
    """
    An ISO 8601 instant with its UTC offset (``Z`` or ``+01:00``); ValueError for one
    without, which could be any of 24 hours.

    >>> parse_instant("2026-03-02T09:00Z").isoformat()
    '2026-03-02T09:00:00+00:00'
    >>> parse_instant("2026-03-02T09:00")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: 2026-03-02T09:00 has no UTC offset; write it as 2026-03-02T09:00Z or ...
    """
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO 8601 instant; write e.g. 2026-03-02T09:00+00:00"
        ) from None
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(
            f"{text} has no UTC offset; write it as {text}Z or with its offset, e.g. {text}+01:00"
        )
    return instant


def parse_span(text: str) -> timedelta:
    """
    A duration as configuration files write it (``8h``, ``1h30m``, ``2d``, ``PT4H``), not
    negative.

    >>> parse_span("1h30m")
    datetime.timedelta(seconds=5400)
    """
    try:
        span = parse_duration(text)
    except ValueError as error:
        if "\n" not in str(error):
            raise
        # pydantic's many-line report of an ISO 8601 duration it could not read
        raise ValueError(
            f"not a duration: {text!r}; write e.g. '8h', '1h30m', '2d' or 'PT4H'"
        ) from None
    if span < timedelta(0):  # pragma: no cover - no notation of a negative one parses
        raise ValueError(f"{text!r} is negative; a duration is 0 or more")
    return span


def show_span(span: timedelta) -> str:
    """
    A duration in the notation ``parse_span`` reads back: hours, minutes, seconds.

    >>> show_span(timedelta(days=1, minutes=30)), show_span(timedelta(0))
    ('24h30m', '0s')
    """
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "m"), (seconds, "s")]
    return "".join(f"{n}{unit}" for n, unit in parts if n) or "0s"
