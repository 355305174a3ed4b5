"""
deskflow's pytest plugin: Hypothesis profiles for desks, and fixtures for a desk, a manual
clock, the in-memory adapters and a HelpDesk wired to them.

pytest loads it by itself when deskflow and its ``testing`` extra are installed (a
``pytest11`` entry point named ``deskflow``; ``-p no:deskflow`` turns it off). It changes
nothing until asked: it registers the Hypothesis profiles ``deskflow-dev`` and
``deskflow-ci`` but loads neither unless ``--deskflow-profile`` (or the ``deskflow_profile``
ini option) names one, and its fixtures, all named ``deskflow_*``, run only in tests that
ask for them.

Options (command line, else ini file, else environment):

- ``--deskflow-profile`` / ``deskflow_profile``: ``dev`` or ``ci`` (or ``deskflow-dev``,
  ``deskflow-ci``), the profile loaded for the session;
- ``--deskflow-config`` / ``deskflow_config``: the desk configuration (TOML or JSON) the
  ``deskflow_desk`` fixture loads, relative to the ini file's directory; without one, the
  defaults (``Desk()``);
- ``--deskflow-database-url`` / ``deskflow_database_url`` / ``DESKFLOW_TEST_DATABASE_URL``:
  the database the [SQL contract suite][deskflow.testing.sql_contracts] runs against.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from deskflow.adapters.clocks import ManualClock
    from deskflow.adapters.memory import (
        InMemoryKnowledgeBase,
        InMemoryNotifier,
        InMemoryTicketRepository,
    )
    from deskflow.desk import Desk
    from deskflow.service import HelpDesk

__all__ = [
    "CI_PROFILE",
    "DEV_PROFILE",
    "PROFILES",
    "START",
    "deskflow_clock",
    "deskflow_database_url",
    "deskflow_desk",
    "deskflow_helpdesk",
    "deskflow_knowledge_base",
    "deskflow_notifier",
    "deskflow_repository",
    "deskflow_start",
]

#: The quick profile, for a developer's loop.
DEV_PROFILE = "deskflow-dev"
#: The long profile, for CI: many more examples and steps, failures printed as a blob.
CI_PROFILE = "deskflow-ci"
#: The settings of each profile; no deadline in either, since a desk's example may run
#: over a real database, and a state machine's run of many commands is slow by nature.
PROFILES: Mapping[str, Mapping[str, Any]] = {
    DEV_PROFILE: {"max_examples": 50, "stateful_step_count": 30, "deadline": None},
    CI_PROFILE: {
        "max_examples": 300,
        "stateful_step_count": 60,
        "deadline": None,
        "suppress_health_check": [HealthCheck.too_slow],
        "print_blob": True,
    },
}
#: The instant the ``deskflow_clock`` fixture starts at: Monday 2 March 2026, 09:00 UTC.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_DATABASE_VARIABLE = "DESKFLOW_TEST_DATABASE_URL"

# Registered on import, before any plugin's configure hook, so Hypothesis' own
# ``--hypothesis-profile=deskflow-ci`` finds them too.
for _name, _values in PROFILES.items():
    settings.register_profile(_name, **_values)


def pytest_addoption(parser: pytest.Parser) -> None:
    """
    The plugin's options, each on the command line and in the ini file.
    """
    group = parser.getgroup("deskflow", "deskflow's testing kit")
    group.addoption(
        "--deskflow-profile",
        default=None,
        help="load the Hypothesis profile deskflow-dev or deskflow-ci (dev, ci) for the session",
    )
    group.addoption(
        "--deskflow-config", default=None, help="the desk the deskflow_desk fixture loads"
    )
    group.addoption(
        "--deskflow-database-url",
        default=None,
        help=f"the database the SQL contract suite runs against (or ${_DATABASE_VARIABLE})",
    )
    parser.addini("deskflow_profile", "Hypothesis profile to load: dev or ci", default="")
    parser.addini("deskflow_config", "desk configuration for deskflow_desk", default="")
    parser.addini("deskflow_database_url", "database for the SQL contract suite", default="")


def _option(config: pytest.Config, name: str) -> str | None:
    given = config.getoption(f"--{name.replace('_', '-')}")
    if given:
        return str(given)
    from_ini = str(config.getini(name))
    return from_ini or None


def profile_name(value: str) -> str:
    """
    The profile a ``deskflow_profile`` value names: ``ci`` is ``deskflow-ci``.

    >>> profile_name("ci"), profile_name("deskflow-dev")
    ('deskflow-ci', 'deskflow-dev')
    """
    name = value if value.startswith("deskflow-") else f"deskflow-{value}"
    if name not in PROFILES:
        raise pytest.UsageError(
            f"unknown deskflow profile {value!r}; choose one of: dev, ci ({', '.join(PROFILES)})"
        )
    return name


def pytest_configure(config: pytest.Config) -> None:
    """
    Load the profile named by ``--deskflow-profile``, if any.
    """
    chosen = _option(config, "deskflow_profile")
    if chosen is not None:
        settings.load_profile(profile_name(chosen))


def pytest_report_header(config: pytest.Config) -> str | None:
    """
    Say which deskflow profile the session runs, when one was chosen.
    """
    chosen = _option(config, "deskflow_profile")
    return None if chosen is None else f"deskflow: Hypothesis profile {profile_name(chosen)}"


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def deskflow_desk(request: pytest.FixtureRequest) -> Desk:
    """
    The desk under test: the ``deskflow_config`` file when set, else deskflow's defaults.

    Override this fixture to build your desk in Python.
    """
    from deskflow.config import load_desk
    from deskflow.desk import Desk

    source = _option(request.config, "deskflow_config")
    if source is None:
        return Desk()
    path = Path(source)
    if not path.is_absolute() and request.config.inipath is not None:
        path = request.config.inipath.parent / path
    return load_desk(path)


@pytest.fixture
def deskflow_start() -> datetime:
    """
    The instant the manual clock starts at (`START`); override it to start elsewhere.
    """
    return START


@pytest.fixture
def deskflow_clock(deskflow_start: datetime) -> ManualClock:
    """
    A [`ManualClock`][deskflow.adapters.clocks.ManualClock] at ``deskflow_start``.
    """
    from deskflow.adapters.clocks import ManualClock

    return ManualClock(deskflow_start)


@pytest.fixture
def deskflow_repository() -> InMemoryTicketRepository:
    """
    An empty [`InMemoryTicketRepository`][deskflow.adapters.memory.InMemoryTicketRepository].
    """
    from deskflow.adapters.memory import InMemoryTicketRepository

    return InMemoryTicketRepository()


@pytest.fixture
def deskflow_notifier() -> InMemoryNotifier:
    """
    An [`InMemoryNotifier`][deskflow.adapters.memory.InMemoryNotifier]; ``.sent`` lists
    what it delivered.
    """
    from deskflow.adapters.memory import InMemoryNotifier

    return InMemoryNotifier()


@pytest.fixture
def deskflow_knowledge_base() -> InMemoryKnowledgeBase:
    """
    An empty [`InMemoryKnowledgeBase`][deskflow.adapters.memory.InMemoryKnowledgeBase].
    """
    from deskflow.adapters.memory import InMemoryKnowledgeBase

    return InMemoryKnowledgeBase()


@pytest.fixture
def deskflow_helpdesk(
    deskflow_desk: Desk,
    deskflow_repository: InMemoryTicketRepository,
    deskflow_notifier: InMemoryNotifier,
    deskflow_clock: ManualClock,
    deskflow_knowledge_base: InMemoryKnowledgeBase,
) -> HelpDesk:
    """
    A [`HelpDesk`][deskflow.service.HelpDesk] of ``deskflow_desk`` over the other fixtures:
    the same repository, notifier, clock and knowledge base a test asks for by name.
    """
    from deskflow.service import HelpDesk

    return HelpDesk(
        deskflow_repository,
        deskflow_notifier,
        deskflow_clock,
        deskflow_desk,
        knowledge_base=deskflow_knowledge_base,
    )


@pytest.fixture
def deskflow_database_url(request: pytest.FixtureRequest) -> str:
    """
    The database URL the SQL contract suite runs against; the test is skipped without one.
    """
    url = _option(request.config, "deskflow_database_url") or os.environ.get(_DATABASE_VARIABLE)
    if not url:
        pytest.skip(
            "no database for the SQL contract suite: pass --deskflow-database-url, set the "
            f"deskflow_database_url ini option or ${_DATABASE_VARIABLE}"
        )
    return url
