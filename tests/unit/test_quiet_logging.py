"""
deskflow is quiet by default: the state machine library does not log every trigger.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from deskflow import INCIDENT, Actor, Role

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_firing_a_trigger_logs_nothing_at_info(caplog: pytest.LogCaptureFixture) -> None:
    """
    With the root logger at INFO, firing triggers records nothing from transitions.
    """
    caplog.set_level(logging.INFO)
    agent = Actor("ana", Role.AGENT, tier=1, groups={"service-desk"})
    ticket = INCIDENT.open("T-1", title="VPN down", requester="ann", at=T0)
    ticket = INCIDENT.fire(ticket, "assign", actor=agent, at=T0, assignee="ana")
    INCIDENT.fire(ticket, "start", actor=agent, at=T0)
    assert [] == [r for r in caplog.records if r.name.startswith("transitions")]


def test_a_host_that_configured_transitions_keeps_its_level() -> None:
    """
    A host that set the transitions logger to DEBUG before importing deskflow keeps DEBUG.
    """
    code = (
        "import logging; logging.getLogger('transitions').setLevel(logging.DEBUG); "
        "import deskflow.states; print(logging.getLogger('transitions').level)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert str(logging.DEBUG) == out.strip()


def test_an_unconfigured_transitions_logger_is_set_to_warning() -> None:
    """
    Importing deskflow's workflows sets an unconfigured transitions logger to WARNING.
    """
    code = "import logging, deskflow.states; print(logging.getLogger('transitions').level)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert str(logging.WARNING) == out.strip()
