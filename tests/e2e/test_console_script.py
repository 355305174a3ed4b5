"""
The installed ``deskflow`` console script run as real processes, once per command, and the
commands that need a store or a simulation: ``report`` on a SQLite file (and PostgreSQL)
filled through HelpDesk, ``simulate`` with its summary, comparison and charts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from builders import ANN, LEE
from deskflow import HelpDesk
from deskflow.adapters import InMemoryNotifier, ManualClock
from deskflow.cli.app import app
from deskflow.config import DEFAULT_CONFIG

SCRIPT = Path(sys.executable).with_name("deskflow")
DESK = str(DEFAULT_CONFIG)
#: A month before the test runs: the report's `now` is the wall clock's.
START = (datetime.now(UTC) - timedelta(days=30)).replace(hour=9, minute=0, second=0, microsecond=0)


def deskflow(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=120, check=False
    )


def fill(url: str) -> None:
    """
    Three incidents through a HelpDesk on the store at ``url``: a P1 resolved within the
    hour, a P1 and a P5 still open.
    """
    from deskflow.adapters import sql

    engine = sql.engine_for(url)
    try:
        repo = sql.SqlTicketRepository(engine, migrate=True)
        clock = ManualClock(START)
        desk = HelpDesk.from_config(
            DEFAULT_CONFIG, repository=repo, notifier=InMemoryNotifier(), clock=clock
        )
        urgent = desk.open(ANN, title="VPN down", impact="high", urgency="high").id
        desk.open(ANN, title="Mail down", impact="high", urgency="high")
        desk.open(ANN, title="New mouse", impact="low", urgency="low")
        clock.advance(timedelta(minutes=10))
        desk.assign(LEE, urgent, group="service-desk", assignee=LEE.id)
        desk.start(LEE, urgent)
        desk.comment(LEE, urgent, body="Looking at the gateway")
        clock.advance(timedelta(minutes=30))
        desk.resolve(LEE, urgent, resolution="Restarted the gateway")
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_desk(tmp_path: Path) -> str:
    """
    A SQLite file holding the three incidents of ``fill``.
    """
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    fill(url)
    return url


def figure(output: str, label: str) -> list[str]:
    """
    The cells of the table row whose figure is ``label``.
    """
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│┃ ").split("│")]
        if cells and cells[0] == label:
            return cells[1:]
    raise AssertionError(f"no row {label!r} in\n{output}")


def test_report_on_a_sqlite_store(sqlite_desk: str) -> None:
    """
    The report reads every ticket through the query port: 3 opened, 1 resolved, 2 in the
    backlog, first response in 10 minutes; with the config, SLA compliance too.
    """
    result = deskflow("report", "--db", sqlite_desk, "--config", DESK)
    assert 0 == result.exit_code, result.output
    assert ["3"] == figure(result.stdout, "opened")
    assert ["1"] == figure(result.stdout, "resolved")
    assert ["2"] == figure(result.stdout, "backlog")
    assert ["10m"] == figure(result.stdout, "first response, median")
    # The two still open are a month past their targets: breached.
    assert ["33.3% of 3"] == figure(result.stdout, "SLA resolution met")


def test_report_by_priority_and_period(sqlite_desk: str) -> None:
    """
    ``--by priority`` adds a column per priority; a period before the tickets finds none.
    """
    result = deskflow("report", "--db", sqlite_desk, "--by", "priority")
    assert 0 == result.exit_code, result.output
    assert ["3", "2", "1"] == figure(result.stdout, "opened")
    assert ["1", "1", "0"] == figure(result.stdout, "resolved")
    assert "P1" in result.stdout
    assert "P5" in result.stdout
    before = deskflow("report", "--db", sqlite_desk, "--period", "2020-01-01..2020-02-01")
    assert 0 == before.exit_code, before.output
    assert ["0"] == figure(before.stdout, "opened")


def test_report_pages_through_the_store(sqlite_desk: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """
    Tickets are read a page at a time, following the cursor to the last page.
    """
    from deskflow import queries

    monkeypatch.setattr(queries, "MAX_LIMIT", 1)
    from deskflow.cli import reporting

    monkeypatch.setattr(reporting, "MAX_LIMIT", 1)
    result = deskflow("report", "--db", sqlite_desk)
    assert 0 == result.exit_code, result.output
    assert ["3"] == figure(result.stdout, "opened")


def test_report_errors(tmp_path: Path) -> None:
    """
    A database never upgraded, a URL that is not one, a bad period: one line each.
    """
    empty = deskflow("report", "--db", f"sqlite:///{tmp_path / 'empty.db'}")
    assert 1 == empty.exit_code
    assert "upgrade" in empty.stderr
    nonsense = deskflow("report", "--db", "nonsense://x")
    assert 1 == nonsense.exit_code
    assert "not a database URL" in nonsense.stderr
    period = deskflow("report", "--db", "sqlite://", "--period", "2026-04-01..2026-03-01")
    assert 2 == period.exit_code
    assert "ends before it starts" in period.stderr


def test_report_on_postgresql(postgres_url: str) -> None:
    """
    The same report from a PostgreSQL store.
    """
    fill(postgres_url)
    result = deskflow("report", "--db", postgres_url)
    assert 0 == result.exit_code, result.output
    assert ["3"] == figure(result.stdout, "opened")
    assert ["2"] == figure(result.stdout, "backlog")


def test_simulate_prints_a_summary_the_same_for_a_seed() -> None:
    """
    Two days on the shipped scenario: a summary table, the same twice for one seed.
    """
    first = deskflow("simulate", DESK, "--days", "2", "--seed", "3")
    again = deskflow("simulate", DESK, "--days", "2", "--seed", "3")
    assert 0 == first.exit_code, first.output
    assert first.stdout == again.stdout
    assert "seed 3" in first.stdout
    assert figure(first.stdout, "SLA resolution met")


def test_simulate_compares_two_configs(tmp_path: Path) -> None:
    """
    ``--compare`` runs both desks on the same arrivals and prints B - A per figure.
    """
    result = deskflow("simulate", DESK, "--days", "1", "--compare", DESK, "--runs", "2")
    assert 0 == result.exit_code, result.output
    assert "B - A" in result.stdout
    opened = figure(result.stdout, "tickets opened")
    assert opened[0] == opened[1]


def test_simulate_refuses_bad_input(tmp_path: Path) -> None:
    """
    A missing scenario, a bad scenario, a bad config, zero days: one line each.
    """
    missing = deskflow("simulate", DESK, "--scenario", str(tmp_path / "none.toml"))
    assert 1 == missing.exit_code
    assert "cannot read" in missing.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('days = "many"\n', encoding="utf-8")
    scenario = deskflow("simulate", DESK, "--scenario", str(bad))
    assert 1 == scenario.exit_code
    assert str(bad) in scenario.stderr
    assert 1 == len(scenario.stderr.splitlines())
    config = deskflow("simulate", str(bad))
    assert 1 == config.exit_code
    assert 1 == len(config.stderr.splitlines())
    days = deskflow("simulate", DESK, "--days", "0")
    assert 2 == days.exit_code
    assert "--days" in days.stderr


def test_simulate_and_report_write_charts(sqlite_desk: str, tmp_path: Path) -> None:
    """
    ``--chart`` writes a non-empty PNG of a run, and an SVG of a stored desk's report.
    """
    run_chart = tmp_path / "run.png"
    result = deskflow("simulate", DESK, "--days", "2", "--chart", str(run_chart))
    assert 0 == result.exit_code, result.output
    assert run_chart.stat().st_size > 0
    assert f"chart written to {run_chart}" in result.stdout
    report_chart = tmp_path / "report.svg"
    result = deskflow("report", "--db", sqlite_desk, "--chart", str(report_chart))
    assert 0 == result.exit_code, result.output
    assert report_chart.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    # Without --by the table keeps to the whole desk, though the chart is per priority.
    assert ["3"] == figure(result.stdout, "opened")


def test_a_chart_must_be_png_or_svg(sqlite_desk: str, tmp_path: Path) -> None:
    """
    A chart file of another kind is refused before any run: status 2, nothing written.
    """
    for command in (["simulate", DESK], ["report", "--db", sqlite_desk]):
        result = deskflow(*command, "--chart", str(tmp_path / "chart.pdf"))
        assert 2 == result.exit_code
        assert "--chart" in result.stderr
    assert [] == list(tmp_path.glob("chart.*"))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--help"], "simulate"),
        (["validate", DESK], "valid"),
        (["schema"], '"properties"'),
        (["diagram", DESK], "stateDiagram-v2"),
        (
            ["sla", "due", "--calendar", DESK, "--start", "2026-03-06T16:00Z", "--target", "8h"],
            "2026-03-09T16:00:00+00:00",
        ),
        (
            ["sla", "elapsed", "--calendar", DESK, "--start", "2026-03-06T16:00Z",
             "--end", "2026-03-09T10:30Z"],
            "2h30m",
        ),
        (["simulate", DESK, "--days", "1"], "SLA resolution met"),
        (["demo"], "== SLA clocks"),
    ],
)  # fmt: skip
def test_the_console_script_runs_each_command(args: list[str], expected: str) -> None:
    """
    The installed script runs each command as a process: status 0 and its output.
    """
    done = script(*args)
    assert 0 == done.returncode, done.stderr
    assert expected in done.stdout


def test_the_console_script_reports_on_a_store(sqlite_desk: str) -> None:
    """
    ``deskflow report --db`` as a process.
    """
    done = script("report", "--db", sqlite_desk)
    assert 0 == done.returncode, done.stderr
    assert ["3"] == figure(done.stdout, "opened")


def test_the_console_script_errors_are_one_line(tmp_path: Path) -> None:
    """
    As a process: a bad config (status 1), a naive datetime and an unknown option (2), each
    one line on stderr, no traceback.
    """
    bad = tmp_path / "bad.toml"
    bad.write_text('reopen_window = "soon"\n[sla]\ncalender = "x"\n', encoding="utf-8")
    cases = [
        (["validate", str(bad)], 1),
        (["diagram", str(bad)], 1),
        (["sla", "due", "--calendar", DESK, "--start", "2026-03-06T16:00", "--target", "1h"], 2),
        (["schema", "--pretty"], 2),
    ]
    for args, status in cases:
        done = script(*args)
        assert status == done.returncode, (args, done.stderr)
        assert "Traceback" not in done.stderr
        assert 1 == len(done.stderr.splitlines()), done.stderr


def test_python_m_deskflow_runs_the_same_command() -> None:
    """
    ``python -m deskflow`` is the console script.
    """
    done = subprocess.run(
        [sys.executable, "-m", "deskflow", "schema"], capture_output=True, text=True, timeout=60
    )
    assert 0 == done.returncode, done.stderr
    assert "calendars" in json.loads(done.stdout)["properties"]
