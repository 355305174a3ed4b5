"""
The ``deskflow`` command: a typer application whose errors are one line each.

Every command runs inside [`DeskflowGroup.main`][deskflow.cli.app.DeskflowGroup.main], which
turns what can go wrong into one line on stderr and an exit status: 2 for a usage error (an
unknown option, a missing argument, a value that does not parse), 1 for a bad configuration
or a failed operation. ``--debug`` lets the exception through, with its traceback.
"""

from __future__ import annotations

import enum
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import attrs
import typer
from typer.core import TyperGroup

from deskflow.cli import configs, operations, reporting, simulating, trails
from deskflow.cli.common import Failure, config_problem_line
from deskflow.config import parse_duration
from deskflow.exceptions import ConfigError, DeskflowError

__all__ = ["DeskflowGroup", "LogLevel", "Session", "app", "run"]


class LogLevel(enum.StrEnum):
    """
    What the log on stderr shows, from everything to errors only.
    """

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


@attrs.define
class Session:
    """
    What the root options set for the commands of one run (``ctx.obj``).
    """

    debug: bool = False


def _usage_line(error: typer.TyperException, args: Sequence[str]) -> str:
    ctx = getattr(error, "ctx", None)
    where = _command_path(args) if ctx is None else ctx.command_path
    return f"{where}: {error.format_message()} (see '{where} --help')"


def _command_path(args: Sequence[str]) -> str:
    # The command's words among the arguments, e.g. `deskflow sla due`: each word that names
    # a command of the group reached so far.
    words = ["deskflow"]
    command: Any = typer.main.get_command(app)
    for word in args:
        commands = getattr(command, "commands", None)
        if commands is None:
            break
        if word in commands:
            words.append(word)
            command = commands[word]
    return " ".join(words)


def _guarded(args: list[str], session: Session, invoke: Callable[[], Any]) -> int:
    try:
        status = invoke()
    except typer.TyperException as error:
        # Usage errors (exit status 2), as the parser words them.
        typer.echo(_usage_line(error, args), err=True)
        return error.exit_code
    except typer.Abort:
        typer.echo("deskflow: interrupted", err=True)
        return 130
    except Exception as error:
        if session.debug:
            raise
        where = _command_path(args)
        if isinstance(error, Failure):
            line = str(error)
        elif isinstance(error, ConfigError):
            line = config_problem_line(error)
        elif isinstance(error, DeskflowError | OSError):
            line = str(error)
        else:
            line = f"unexpected {type(error).__name__}: {error} (run with --debug for details)"
        typer.echo(f"{where}: {line}", err=True)
        return 1
    return status if isinstance(status, int) else 0


class DeskflowGroup(TyperGroup):
    """
    The root group: runs the command line, and reports what went wrong as one line.
    """

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """
        Run the command line ``args`` (default: ``sys.argv[1:]``); exit with its status, or
        (``standalone_mode=False``) return it.
        """
        given = list(sys.argv[1:] if args is None else args)
        session = extra.pop("obj", None) or Session()
        status = _guarded(
            given,
            session,
            lambda: super(DeskflowGroup, self).main(
                given,
                prog_name or "deskflow",
                complete_var,
                standalone_mode=False,
                obj=session,
                **extra,
            ),
        )
        if standalone_mode:
            sys.exit(status)
        return status


app = typer.Typer(
    cls=DeskflowGroup,
    name="deskflow",
    help=(
        "deskflow: check a desk configuration, try it on a simulated desk, report on a "
        "stored one, and run its worker."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")] = False,
    log_level: Annotated[
        LogLevel,
        typer.Option("--log-level", help="What the log on stderr shows.", case_sensitive=False),
    ] = LogLevel.INFO,
) -> None:
    session = ctx.ensure_object(Session)
    session.debug = debug
    logging.basicConfig(
        level=log_level.value,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


configs.register(app)
simulating.register(app)
reporting.register(app)


@app.command()
def demo(
    config: Annotated[
        Path | None, typer.Option(help="A desk .toml or .json (default: the shipped desk).")
    ] = None,
) -> None:
    """
    Walk the help-desk scenario in virtual time and print what happened.
    """
    typer.echo("\n".join(trails.demo_lines(config)))


@app.command()
def worker(
    db: Annotated[str, typer.Option(help="The database URL, e.g. sqlite:///desk.db.")],
    config: Annotated[Path, typer.Option(help="The desk .toml or .json.")],
    once: Annotated[bool, typer.Option("--once", help="Run one round and exit.")] = False,
    interval: Annotated[str, typer.Option(help="The wait between rounds.")] = "5s",
    notifier: Annotated[
        str | None,
        typer.Option(help="MODULE:NAME of a Notifier or of a factory of one, or 'log'."),
    ] = None,
    worker_id: Annotated[
        str | None, typer.Option(help="The name of this worker's claims (default: unique).")
    ] = None,
) -> int:
    """
    Tick and deliver notifications in a loop until SIGTERM or SIGINT.
    """
    try:
        wait = parse_duration(interval)
    except ValueError as error:
        raise Failure(f"--interval: {error}") from None
    return operations.run_worker_process(
        db=db, config=config, once=once, interval=wait, notifier=notifier, worker_id=worker_id
    )


db = typer.Typer(help="Manage the database schema.", no_args_is_help=True)
app.add_typer(db, name="db")


@db.command("upgrade")
def db_upgrade(
    url: Annotated[str, typer.Argument(help="The database URL, e.g. sqlite:///desk.db.")],
) -> None:
    """
    Bring a database to the current schema.
    """
    typer.echo(f"{operations.db_upgrade(url)} is at the current schema")


def run(argv: Sequence[str] | None = None) -> int:
    """
    Run the command line ``argv`` (default: ``sys.argv[1:]``); return its exit status.
    """
    command = typer.main.get_command(app)
    status: int = command.main(argv, prog_name="deskflow", standalone_mode=False)
    return status
