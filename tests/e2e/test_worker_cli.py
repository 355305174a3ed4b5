"""
The installed console script: ``deskflow db upgrade`` and ``deskflow worker`` on a SQLite
file, run as real processes; SIGTERM stops a looping worker cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deskflow import Actor, HelpDesk, Role
from deskflow.adapters import InMemoryNotifier, SystemClock
from deskflow.config import DEFAULT_CONFIG
from deskflow.ports import TicketWrite

SCRIPT = Path(sys.executable).with_name("deskflow")
ANN = Actor("ann.requester", Role.REQUESTER)

#: A notifier a worker process loads with --notifier: it appends each key to a file.
RECORDER = """
import os

class Recorder:
    def send(self, notification):
        with open(os.environ["DESKFLOW_TEST_SENT"], "a", encoding="utf-8") as out:
            out.write(notification.dedup_key + "\\n")

def make():
    return Recorder()
"""


@pytest.fixture
def place(tmp_path: Path) -> dict[str, str]:
    """
    A SQLite file brought to the current schema by the console script, and the environment
    a worker process runs in (the recording notifier on its path).
    """
    (tmp_path / "recorder.py").write_text(textwrap.dedent(RECORDER), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path),
        "DESKFLOW_TEST_SENT": str(tmp_path / "sent.txt"),
    }
    done = subprocess.run(
        [str(SCRIPT), "db", "upgrade", url], env=env, capture_output=True, text=True, timeout=120
    )
    assert 0 == done.returncode, done.stderr
    assert "current schema" in done.stdout
    return {"url": url, "sent": env["DESKFLOW_TEST_SENT"]}


def open_tickets(url: str, count: int) -> list[str]:
    """
    Open ``count`` tickets through a HelpDesk on the file, the first one due already.
    """
    from deskflow.adapters import sql

    engine = sql.engine_for(url)
    try:
        repo = sql.SqlTicketRepository(engine, migrate=False)
        desk = HelpDesk.from_config(
            DEFAULT_CONFIG, repository=repo, notifier=InMemoryNotifier(), clock=SystemClock()
        )
        ids = [desk.open(ANN, title=f"VPN down {n}").id for n in range(count)]
        first = repo.get(ids[0])
        past = datetime.now(UTC) - timedelta(minutes=1)
        repo.save_all([TicketWrite(first, first.version, next_check_at=past)])
    finally:
        engine.dispose()
    return ids


def worker(place: dict[str, str], *options: str) -> list[str]:
    return [
        str(SCRIPT),
        "worker",
        "--db",
        place["url"],
        "--config",
        str(DEFAULT_CONFIG),
        "--notifier",
        "recorder:make",
        *options,
    ]


def environment(place: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tmp_path), "DESKFLOW_TEST_SENT": place["sent"]}


@pytest.mark.slow
def test_a_worker_once_ticks_and_delivers_and_exits_0(
    place: dict[str, str], tmp_path: Path
) -> None:
    """
    ``deskflow worker --once`` works the due ticket, delivers the outbox through the named
    notifier, logs what it did and exits 0; a second run delivers nothing again.
    """
    ids = open_tickets(place["url"], 3)
    env = environment(place, tmp_path)
    done = subprocess.run(
        worker(place, "--once"), env=env, capture_output=True, text=True, timeout=120
    )
    assert 0 == done.returncode, done.stderr
    assert "tick: 1 checked" in done.stderr
    assert "delivery: 3 sent" in done.stderr
    sent = Path(place["sent"]).read_text(encoding="utf-8").split()
    assert [f"{i}#0:ticket_received" for i in ids] == sent
    again = subprocess.run(
        worker(place, "--once"), env=env, capture_output=True, text=True, timeout=120
    )
    assert 0 == again.returncode, again.stderr
    assert sent == Path(place["sent"]).read_text(encoding="utf-8").split()


@pytest.mark.slow
def test_sigterm_stops_a_looping_worker_cleanly(place: dict[str, str], tmp_path: Path) -> None:
    """
    A worker looping with a long interval stops on SIGTERM, logs why, and exits 0.
    """
    open_tickets(place["url"], 1)
    process = subprocess.Popen(
        worker(place, "--interval", "1h"),
        env=environment(place, tmp_path),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        seen: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            seen.append(line)
            if "delivery: 1 sent" in line or not line:
                break
        assert any("delivery: 1 sent" in line for line in seen), seen
        process.send_signal(signal.SIGTERM)
        rest = process.communicate(timeout=30)[1]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert 0 == process.returncode
    assert "SIGTERM received" in rest
    assert "stopped after 1 rounds" in rest


def test_a_bad_notifier_is_a_clear_error(place: dict[str, str], tmp_path: Path) -> None:
    """
    A --notifier that does not name a notifier ends the worker with a message and status 1.
    """
    command = worker(place, "--once")
    command[command.index("recorder:make")] = "recorder:nothing"
    done = subprocess.run(
        command, env=environment(place, tmp_path), capture_output=True, text=True, timeout=120
    )
    assert 1 == done.returncode
    assert "--notifier recorder:nothing" in done.stderr


def test_a_bad_interval_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    """
    An interval that is not a duration ends the command with its reason and status 1.
    """
    from deskflow.cli import main

    status = main(["worker", "--db", "sqlite://", "--config", "desk.toml", "--interval", "soon"])
    assert 1 == status
    assert "not a duration: 'soon'" in capsys.readouterr().err


def test_a_worker_on_a_database_never_upgraded_says_what_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """
    A worker refuses a database behind the schema, with status 1 and the command to run;
    a URL that is not one is refused the same way.
    """
    from deskflow.cli import main

    config = str(DEFAULT_CONFIG)
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    log = ["--notifier", "log"]
    assert 1 == main(["worker", "--once", "--db", url, "--config", config, *log])
    assert "upgrade" in capsys.readouterr().err
    assert 1 == main(["worker", "--once", "--db", "nonsense://x", "--config", config, *log])
    assert "not a database URL" in capsys.readouterr().err


def test_a_worker_without_a_notifier_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """
    A worker never marks notifications delivered that went nowhere: without --notifier it
    refuses to start, saying how to name one (or to log them, explicitly).
    """
    from deskflow.cli import main

    url = f"sqlite:///{tmp_path / 'desk.db'}"
    assert 0 == main(["db", "upgrade", url])
    capsys.readouterr()
    assert 1 == main(["worker", "--once", "--db", url, "--config", str(DEFAULT_CONFIG)])
    assert "--notifier log" in capsys.readouterr().err
