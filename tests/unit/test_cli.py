"""
The ``deskflow`` commands through typer's test runner: what each prints, its exit status,
and the one line it says when something is wrong (2 for usage, 1 for a bad config or a
failed operation), never a traceback unless ``--debug``.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from deskflow.cli import main
from deskflow.cli.app import app
from deskflow.config import DEFAULT_CONFIG
from deskflow.exceptions import ConfigError

DESK = str(DEFAULT_CONFIG)

#: Two problems of shape (the first pass of loading a desk finds all of them).
BAD_SHAPE = """
reopen_window = "soon"

[sla]
calender = "london"
"""

#: A right shape with three problems of meaning (the second pass finds all of them).
BAD_MEANING = """
[calendars.london]
timezone = "Europe/Lundon"
weekly = { "mon-fri" = ["09:00-17:00"] }

[calendars.paris]
timezone = "Europe/Paris"
weekly = { "mon-fry" = ["09:00-17:00"] }

[sla]
calendar = "london"

[priority]
name = "itill"
"""


def deskflow(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def one_line_error(result: Result, status: int) -> str:
    """
    Check that the command failed with ``status`` and one line on stderr; return the line.
    """
    assert status == result.exit_code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert 1 == len(lines), lines
    return lines[0]


def test_help_lists_every_command_in_plain_text() -> None:
    """
    ``deskflow --help`` names each command, and no markup shows through.
    """
    result = deskflow("--help")
    assert 0 == result.exit_code
    for command in ("validate", "schema", "diagram", "sla", "simulate", "report", "demo"):
        assert command in result.stdout
    for command in ("worker", "db"):
        assert command in result.stdout
    for markup in ("``", "[bold", "[/", "[`"):
        assert markup not in result.stdout


def test_no_command_shows_the_help() -> None:
    """
    ``deskflow`` alone prints the help (and the status of a usage error).
    """
    result = deskflow()
    assert "validate" in result.output
    assert 2 == result.exit_code


def test_validate_a_good_config() -> None:
    """
    The shipped desk is valid: status 0.
    """
    result = deskflow("validate", DESK)
    assert 0 == result.exit_code
    assert f"{DESK}: valid\n" == result.stdout


def test_validate_lists_every_problem_of_shape_with_its_path(tmp_path: Path) -> None:
    """
    Unknown keys (with a did-you-mean) and bad values, all at once, each with its path.
    """
    path = write(tmp_path, "bad.toml", BAD_SHAPE)
    result = deskflow("validate", path)
    assert 1 == result.exit_code
    assert [
        f"{path}: sla.calender: unknown field `calender` (did you mean `calendar`?)",
        f"{path}: reopen_window: not a duration: 'soon'; write e.g. '4h', '1h30m', '2d' or 'PT4H'",
    ] == result.stdout.splitlines()
    assert f"{path}: 2 problems\n" == result.stderr


def test_validate_lists_every_problem_of_meaning(tmp_path: Path) -> None:
    """
    A time zone, a day range and a policy name that do not exist: three lines, three paths.
    """
    path = write(tmp_path, "bad.toml", BAD_MEANING)
    result = deskflow("validate", path)
    assert 1 == result.exit_code
    paths = [line.split(": ")[1] for line in result.stdout.splitlines()]
    assert ["calendars.london.timezone", "calendars.paris.weekly.mon-fry", "priority.name"] == (
        paths
    )
    assert "Europe/Lundon" in result.stdout
    assert "itill" in result.stdout


def test_validate_a_missing_file(tmp_path: Path) -> None:
    """
    A file that is not there is a bad config: status 1, the reason.
    """
    path = str(tmp_path / "nowhere.toml")
    result = deskflow("validate", path)
    assert 1 == result.exit_code
    assert "cannot read" in result.stdout


def test_schema_is_the_json_schema_of_the_config() -> None:
    """
    ``deskflow schema`` prints DeskConfig's JSON Schema.
    """
    result = deskflow("schema")
    assert 0 == result.exit_code
    schema = json.loads(result.stdout)
    assert {"calendars", "sla", "escalation", "limits"} <= set(schema["properties"])


def test_diagram_draws_each_kind() -> None:
    """
    The incident workflow by default, the service request's on asking; Mermaid both.
    """
    incident = deskflow("diagram", DESK)
    request = deskflow("diagram", DESK, "--kind", "service_request")
    assert (0, 0) == (incident.exit_code, request.exit_code)
    assert incident.stdout.startswith("stateDiagram-v2\n")
    assert "in_fulfilment" in request.stdout
    assert "in_fulfilment" not in incident.stdout


def test_diagram_of_a_bad_config_is_one_line(tmp_path: Path) -> None:
    """
    A config with several problems: one line naming the file, the first problem, and the
    command that lists them all; status 1.
    """
    path = write(tmp_path, "bad.toml", BAD_SHAPE)
    line = one_line_error(deskflow("diagram", path), 1)
    assert line.startswith(f"deskflow diagram: {path}: 2 problems, the first: sla.calender")
    assert f"deskflow validate {path}" in line


def test_an_unknown_kind_is_a_usage_error() -> None:
    """
    ``--kind`` takes the ticket kinds only: status 2.
    """
    line = one_line_error(deskflow("diagram", DESK, "--kind", "problem"), 2)
    assert "--kind" in line


def test_sla_due_on_a_named_calendar() -> None:
    """
    8 business hours from Friday 16:00 in London (09:00-17:00) are due Monday 16:00.
    """
    result = deskflow(
        "sla", "due", "--calendar", f"{DESK}:london", "--start", "2026-03-06T16:00Z",
        "--target", "8h",
    )  # fmt: skip
    assert 0 == result.exit_code, result.output
    assert "2026-03-09T16:00:00+00:00\n" == result.stdout


def test_sla_due_answers_in_the_calendars_zone() -> None:
    """
    In summer London is at +01:00: Friday 16:00Z is 17:00 there, closed, so one hour is
    due Monday 10:00+01:00. Without a name, the SLA's calendar is used.
    """
    result = deskflow(
        "sla", "due", "--calendar", DESK, "--start", "2026-06-05T16:00Z", "--target", "1h"
    )
    assert 0 == result.exit_code, result.output
    assert "2026-06-08T10:00:00+01:00\n" == result.stdout


def test_sla_elapsed() -> None:
    """
    Friday 16:00 to Monday 10:30 is one hour on Friday and 1h30m on Monday.
    """
    result = deskflow(
        "sla", "elapsed", "--calendar", f"{DESK}:london", "--start", "2026-03-06T16:00Z",
        "--end", "2026-03-09T10:30+00:00",
    )  # fmt: skip
    assert 0 == result.exit_code, result.output
    assert "2h30m\n" == result.stdout


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--start", "2026-03-06T16:00", "--target", "8h"], "no UTC offset"),
        (["--start", "Friday", "--target", "8h"], "not an ISO 8601 instant"),
        (["--start", "2026-03-06T16:00Z", "--target", "soon"], "not a duration"),
        (["--start", "2026-03-06T16:00Z", "--target", "PT-1H"], "not a duration: 'PT-1H'"),
        (["--start", "2026-03-06T16:00Z"], "Missing option '--target'"),
    ],
)
def test_sla_due_refuses_bad_arguments(options: list[str], words: str) -> None:
    """
    A naive datetime, a non-instant, two non-durations, a missing option:
    one line each, status 2.
    """
    line = one_line_error(deskflow("sla", "due", "--calendar", DESK, *options), 2)
    assert line.startswith("deskflow sla due: ")
    assert words in line


def test_sla_elapsed_refuses_an_end_before_its_start() -> None:
    """
    An end before the start is a usage error naming --end.
    """
    result = deskflow(
        "sla", "elapsed", "--calendar", DESK, "--start", "2026-03-09T16:00Z",
        "--end", "2026-03-06T10:30Z",
    )  # fmt: skip
    assert "--end" in one_line_error(result, 2)


def test_an_unknown_calendar_names_the_known_ones() -> None:
    """
    A calendar the file does not have: status 1, and the calendars it has.
    """
    result = deskflow(
        "sla", "due", "--calendar", f"{DESK}:paris", "--start", "2026-03-06T16:00Z",
        "--target", "1h",
    )  # fmt: skip
    assert "no calendar 'paris'; its calendars: london" in one_line_error(result, 1)


def test_an_unknown_command_is_a_usage_error() -> None:
    """
    One line and status 2.
    """
    assert "No such command 'frobnicate'" in one_line_error(deskflow("frobnicate"), 2)


def test_debug_lets_the_exception_through(tmp_path: Path) -> None:
    """
    Without --debug a failure is one line; with it, the exception itself (its traceback).
    """
    path = write(tmp_path, "bad.toml", BAD_SHAPE)
    plain = deskflow("diagram", path)
    debugged = deskflow("--debug", "diagram", path)
    assert isinstance(plain.exception, SystemExit)
    assert 1 == debugged.exit_code
    assert debugged.exception is not None
    assert isinstance(debugged.exception.__cause__, ConfigError)


def test_an_unexpected_error_is_one_line_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """
    A bug is not shown as a traceback either: its type and message, and how to see more.
    """
    from deskflow import config

    def broken() -> dict[str, object]:
        raise RuntimeError("no schema today")

    monkeypatch.setattr(config.DeskConfig, "model_json_schema", broken)
    line = one_line_error(deskflow("schema"), 1)
    assert "deskflow schema: unexpected RuntimeError: no schema today" in line
    assert "--debug" in line


def test_main_returns_the_status(capsys: pytest.CaptureFixture[str]) -> None:
    """
    ``main`` (the console script's entry point) returns the status instead of exiting.
    """
    assert 0 == main(["validate", DESK])
    assert 2 == main(["validate"])
    assert "Missing argument" in capsys.readouterr().err


def test_without_the_cli_extra_main_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """
    Without typer (the ``cli`` extra) the command prints one line naming the extra, status 1.
    """
    for name in [m for m in sys.modules if m.startswith("deskflow.cli.")]:
        if name not in {"deskflow.cli.operations", "deskflow.cli.trails"}:
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "typer", None)
    assert 1 == main(["--help"])
    err = capsys.readouterr().err
    assert "deskflow: the command line needs typer: pip install 'deskflow[cli]'\n" == err


def test_demo_prints_its_sections() -> None:
    """
    ``deskflow demo`` keeps its output: trails, what each person received, SLA clocks.
    """
    result = deskflow("demo")
    assert 0 == result.exit_code
    for heading in ("== Audit trails", "== What each person received", "== SLA clocks"):
        assert heading in result.stdout


def test_db_upgrade_through_the_runner(tmp_path: Path) -> None:
    """
    ``deskflow db upgrade URL`` brings a new SQLite file to the current schema.
    """
    result = deskflow("db", "upgrade", f"sqlite:///{tmp_path / 'desk.db'}")
    assert 0 == result.exit_code, result.output
    assert "is at the current schema" in result.stdout


def test_worker_once_through_the_runner(tmp_path: Path) -> None:
    """
    ``deskflow worker --once`` on an upgraded, empty database runs one round: status 0.
    """
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    assert 0 == deskflow("db", "upgrade", url).exit_code
    result = deskflow("worker", "--db", url, "--config", DESK, "--once", "--notifier", "log")
    assert 0 == result.exit_code, result.output
