"""
deskflow's pytest plugin, run the way a host's suite runs it (pytest's own ``pytester``):
its profiles, options and fixtures, and that it changes nothing a suite did not ask for.

Runs that load a Hypothesis profile happen in a subprocess, since a profile is global to
the process and this suite has its own.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from deskflow.testing import plugin

pytest_plugins = ["pytester"]

PROFILE_PROBE = """
from hypothesis import settings

def test_profile():
    current = settings()
    print("PROFILE", settings.get_current_profile_name(), current.max_examples,
          current.deadline, current.stateful_step_count)
"""


def _probe(result: pytest.RunResult) -> list[str]:
    line = next(line for line in result.outlines if "PROFILE " in line)
    return line.partition("PROFILE ")[2].split()[:4]


def test_the_plugin_is_a_pytest11_entry_point() -> None:
    """
    Installing deskflow registers the plugin's entry point, named deskflow.
    """
    found = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert "deskflow._internal.pytest_entry" == found["deskflow"]
    from deskflow._internal import pytest_entry

    assert ["deskflow.testing.plugin"] == pytest_entry.pytest_plugins


def test_without_hypothesis_the_entry_point_loads_nothing() -> None:
    """
    A host without the testing extra keeps a working pytest: the entry point imports
    nothing and names no plugin.
    """
    code = (
        "import sys\n"
        "sys.modules['hypothesis'] = None\n"
        "from deskflow._internal import pytest_entry\n"
        "print(pytest_entry.pytest_plugins, 'deskflow.testing' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "[] False" == out.stdout.strip()


@pytest.mark.slow
def test_no_profile_is_loaded_unless_asked(pytester: pytest.Pytester) -> None:
    """
    The plugin registers its profiles but a session without --deskflow-profile keeps
    Hypothesis' default.
    """
    pytester.makepyfile(PROFILE_PROBE)
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    # Hypothesis' own: "default", or "ci" when it detects a CI machine.
    assert not _probe(result)[0].startswith("deskflow-")


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("ci", ["deskflow-ci", "300", "None", "60"]),
        ("dev", ["deskflow-dev", "50", "None", "30"]),
        ("deskflow-ci", ["deskflow-ci", "300", "None", "60"]),
    ],
)
@pytest.mark.slow
def test_deskflow_profile_loads_a_profile(
    pytester: pytest.Pytester, option: str, expected: list[str]
) -> None:
    """
    --deskflow-profile loads deskflow-dev or deskflow-ci and says so in the header.
    """
    pytester.makepyfile(PROFILE_PROBE)
    result = pytester.runpytest_subprocess(
        "-s", "-p", "no:cacheprovider", "--deskflow-profile", option
    )
    result.assert_outcomes(passed=1)
    assert expected == _probe(result)
    result.stdout.fnmatch_lines([f"deskflow: Hypothesis profile {expected[0]}"])


@pytest.mark.slow
def test_the_profile_can_come_from_the_ini_file_or_hypothesis(pytester: pytest.Pytester) -> None:
    """
    The ini option deskflow_profile loads a profile, and Hypothesis' own
    --hypothesis-profile finds deskflow's profiles too.
    """
    pytester.makepyfile(PROFILE_PROBE)
    pytester.makeini("[pytest]\ndeskflow_profile = ci\n")
    from_ini = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
    assert "deskflow-ci" == _probe(from_ini)[0]
    pytester.makeini("[pytest]\n")
    by_hypothesis = pytester.runpytest_subprocess(
        "-s", "-p", "no:cacheprovider", "--hypothesis-profile=deskflow-dev"
    )
    assert "deskflow-dev" == _probe(by_hypothesis)[0]


@pytest.mark.slow
def test_an_unknown_profile_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """
    A profile name the plugin does not know stops the session, naming the choices.
    """
    pytester.makepyfile(PROFILE_PROBE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--deskflow-profile=nightly")
    assert pytest.ExitCode.USAGE_ERROR == result.ret
    result.stderr.fnmatch_lines(["*unknown deskflow profile 'nightly'*dev, ci*"])


def test_the_fixtures_wire_a_helpdesk_to_the_in_memory_adapters(pytester: pytest.Pytester) -> None:
    """
    deskflow_helpdesk runs over the very repository, notifier and clock a test asks for.
    """
    pytester.makepyfile(
        """
        from datetime import timedelta
        from deskflow import Actor, Role

        ANN = Actor("ann", Role.REQUESTER)

        def test_a_ticket_through_the_desk(
            deskflow_helpdesk, deskflow_repository, deskflow_notifier, deskflow_clock
        ):
            view = deskflow_helpdesk.open(ANN, title="VPN down", description="since 9")
            assert view.id == deskflow_repository.get(view.id).id
            deskflow_clock.advance(timedelta(hours=1))
            deskflow_helpdesk.deliver_pending()
            assert deskflow_notifier.sent
            opened = deskflow_repository.get(view.id).created_at
            assert opened + timedelta(hours=1) == deskflow_clock.now()

        def test_the_clock_starts_at_the_kit_start(deskflow_clock):
            from deskflow.testing.plugin import START
            assert START == deskflow_clock.now()

        def test_a_knowledge_base_is_given(deskflow_knowledge_base):
            assert [] == deskflow_knowledge_base.candidates
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_fixtures_are_overridden_the_pytest_way(pytester: pytest.Pytester) -> None:
    """
    A host's own deskflow_start and deskflow_desk fixtures win over the plugin's.
    """
    pytester.makeconftest(
        """
        from datetime import datetime, timedelta, timezone
        import pytest
        from deskflow.desk import Desk

        @pytest.fixture
        def deskflow_start():
            return datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)

        @pytest.fixture
        def deskflow_desk():
            return Desk(auto_close_after=timedelta(hours=2))
        """
    )
    pytester.makepyfile(
        """
        from datetime import timedelta

        def test_overridden(deskflow_helpdesk, deskflow_clock, deskflow_desk):
            assert 25 == deskflow_clock.now().day
            assert timedelta(hours=2) == deskflow_desk.auto_close_after
            assert deskflow_helpdesk.desk is deskflow_desk
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_desk_comes_from_the_configured_file(pytester: pytest.Pytester) -> None:
    """
    deskflow_config (ini, relative to the ini file) or --deskflow-config names the desk;
    without either, the desk is deskflow's defaults.
    """
    pytester.mkdir("config")
    (pytester.path / "config" / "desk.toml").write_text('auto_close_after = "8h"\n')
    (pytester.path / "other.toml").write_text('auto_close_after = "3h"\n')
    pytester.makepyfile(
        """
        import os

        def test_desk(deskflow_desk):
            assert os.environ["EXPECTED"] == str(deskflow_desk.auto_close_after)
        """
    )
    pytester.makeini("[pytest]\ndeskflow_config = config/desk.toml\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EXPECTED", "8:00:00")
        pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
        patch.setenv("EXPECTED", "3:00:00")
        other = pytester.runpytest_inprocess(
            "-p", "no:cacheprovider", f"--deskflow-config={pytester.path / 'other.toml'}"
        )
        other.assert_outcomes(passed=1)
        pytester.makeini("[pytest]\n")
        patch.setenv("EXPECTED", "1 day, 0:00:00")
        pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_database_url_skips_without_one(pytester: pytest.Pytester) -> None:
    """
    deskflow_database_url skips a test when no database was named, and gives the one named
    by the option or the environment variable.
    """
    pytester.makepyfile(
        """
        def test_url(deskflow_database_url):
            assert deskflow_database_url.startswith("sqlite:///")
        """
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DESKFLOW_TEST_DATABASE_URL", raising=False)
        skipped = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-rs")
        skipped.assert_outcomes(skipped=1)
        skipped.stdout.fnmatch_lines(["*--deskflow-database-url*DESKFLOW_TEST_DATABASE_URL*"])
        given = pytester.runpytest_inprocess(
            "-p", "no:cacheprovider", "--deskflow-database-url=sqlite:///a.db"
        )
        given.assert_outcomes(passed=1)
        patch.setenv("DESKFLOW_TEST_DATABASE_URL", "sqlite:///b.db")
        pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.slow
def test_the_plugin_can_be_turned_off(pytester: pytest.Pytester) -> None:
    """
    -p no:deskflow removes the plugin: its fixtures and options are gone.
    """
    pytester.makepyfile("def test_clock(deskflow_clock):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:deskflow")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'deskflow_clock' not found*"])


@pytest.mark.slow
def test_a_suite_that_asks_nothing_runs_as_before(pytester: pytest.Pytester) -> None:
    """
    A suite with its own fixtures named like deskflow's ideas (desk, clock) and its own
    profile runs untouched: the plugin's names are all deskflow_*.
    """
    pytester.makeconftest(
        """
        import pytest
        from hypothesis import settings

        settings.register_profile("mine", max_examples=3)
        settings.load_profile("mine")

        @pytest.fixture
        def clock():
            return "the host's clock"
        """
    )
    pytester.makepyfile(
        """
        from hypothesis import given, settings, strategies as st

        def test_own_fixture(clock):
            assert "the host's clock" == clock

        def test_own_profile():
            assert "mine" == settings.get_current_profile_name()
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_the_profiles_have_no_deadline() -> None:
    """
    Neither profile has a deadline: examples over real databases are slow but not wrong.
    """
    assert {plugin.DEV_PROFILE, plugin.CI_PROFILE} == set(plugin.PROFILES)
    assert all(values["deadline"] is None for values in plugin.PROFILES.values())
