"""
Plug-ins: built-in names, in-process registration, entry points, and the errors a bad
name or a broken plug-in gives.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import EntryPoint

import pytest

from deskflow import PriorityMatrix, plugins
from deskflow.exceptions import ConfigError
from deskflow.policies.priority_rules import VipFloor
from deskflow.policies.routers import LeastLoaded, Router
from deskflow.priority import PriorityFacts


@pytest.fixture
def clean_registry() -> Iterator[None]:
    """
    Forget whatever a test registered.
    """
    before = {group: dict(names) for group, names in plugins._registered.items()}
    yield
    plugins._registered.clear()
    plugins._registered.update(before)


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> list[EntryPoint]:
    """
    Stand-in for the installed entry points, as packaging would declare them.
    """
    points: list[EntryPoint] = []

    def entry_points(*, group: str) -> list[EntryPoint]:
        return [ep for ep in points if ep.group == group]

    monkeypatch.setattr(plugins, "entry_points", entry_points)
    return points


def test_builtin_priority_policies() -> None:
    """
    The built-in matrices are found by name.
    """
    assert PriorityMatrix.itil() == plugins.load_policy("deskflow.priority", "itil")
    assert PriorityMatrix.five_by_five() == plugins.load_policy("deskflow.priority", "five_by_five")


def test_builtin_policy_with_options() -> None:
    """
    Options are passed to the built-in's factory.
    """
    matrix = plugins.load_policy(
        "deskflow.priority",
        "matrix",
        spec={"a": {"a": "P1", "b": "P2"}, "b": {"a": "P2", "b": "P3"}},
        levels=["a", "b"],
    )
    assert isinstance(matrix, PriorityMatrix)


def test_builtin_routing_policies() -> None:
    """
    Round-robin and least-loaded are routers over available agents with room.
    """
    least = plugins.load_policy("deskflow.routing", "least_loaded", mode="percentage")
    assert isinstance(least, Router)
    assert LeastLoaded("percentage") == least.ranker
    assert isinstance(plugins.load_policy("deskflow.routing", "round_robin", group="desk"), Router)


def test_unknown_name_lists_known_names() -> None:
    """
    An unknown name is a ConfigError naming group and name and listing the known names.
    """
    with pytest.raises(ConfigError) as caught:
        plugins.load_policy("deskflow.priority", "itl")
    message = str(caught.value)
    assert message.startswith("deskflow.priority.itl: unknown policy; known names: ")
    assert "five_by_five, itil," in message


def test_unknown_group_is_rejected() -> None:
    """
    A group that is not a deskflow entry-point group is a ConfigError listing the groups.
    """
    with pytest.raises(ConfigError, match=r"unknown policy group 'deskflow\.sla'; known groups"):
        plugins.load_policy("deskflow.sla", "x")


@pytest.mark.usefixtures("clean_registry")
def test_register_in_process() -> None:
    """
    A registered factory is built with the options and listed among the names.
    """
    plugins.register("deskflow.priority", "vip", VipFloor)
    policy = plugins.load_policy("deskflow.priority", "vip", inner=PriorityMatrix.itil())
    assert "P2" == policy.prioritize(PriorityFacts("low", "low", vip=True)).priority  # type: ignore[attr-defined]
    assert "vip" in plugins.policy_names("deskflow.priority")


@pytest.mark.usefixtures("clean_registry")
def test_register_a_ready_object() -> None:
    """
    A ready policy object is returned as it is, and refuses options.
    """
    itil = PriorityMatrix.itil()
    plugins.register("deskflow.priority", "mine", itil)
    assert itil is plugins.load_policy("deskflow.priority", "mine")
    with pytest.raises(ConfigError, match="takes no options"):
        plugins.load_policy("deskflow.priority", "mine", floor="P1")


@pytest.mark.usefixtures("clean_registry")
def test_register_refuses_taken_names_without_replace() -> None:
    """
    Registering over a built-in needs replace=True; then the registered one wins.
    """
    with pytest.raises(ConfigError, match="'itil' is already registered; pass replace=True"):
        plugins.register("deskflow.priority", "itil", PriorityMatrix.five_by_five)
    plugins.register("deskflow.priority", "itil", PriorityMatrix.five_by_five, replace=True)
    assert PriorityMatrix.five_by_five() == plugins.load_policy("deskflow.priority", "itil")
    plugins.unregister("deskflow.priority", "itil")
    assert PriorityMatrix.itil() == plugins.load_policy("deskflow.priority", "itil")


@pytest.mark.parametrize(
    ("group", "name", "factory", "message"),
    [
        ("deskflow.nope", "x", PriorityMatrix.itil, "unknown policy group"),
        ("deskflow.priority", "", PriorityMatrix.itil, "a policy name must be a non-empty"),
        ("deskflow.priority", "x", "PriorityMatrix.itil", "expected a policy or a factory"),
    ],
)
@pytest.mark.usefixtures("clean_registry")
def test_bad_registration(group: str, name: str, factory: object, message: str) -> None:
    """
    Bad groups, names and factories are ConfigErrors.
    """
    with pytest.raises(ConfigError, match=message):
        plugins.register(group, name, factory)


@pytest.mark.usefixtures("clean_registry")
def test_broken_factory_is_a_config_error() -> None:
    """
    A factory that raises is a ConfigError naming group, name and the failure.
    """

    def broken() -> object:
        raise RuntimeError("database unreachable")

    plugins.register("deskflow.routing", "broken", broken)
    with pytest.raises(ConfigError) as caught:
        plugins.load_policy("deskflow.routing", "broken")
    assert str(caught.value).startswith(
        "deskflow.routing.broken: could not be built: database unreachable; known names:"
    )
    assert isinstance(caught.value.__cause__, RuntimeError)


@pytest.mark.usefixtures("clean_registry")
def test_wrong_options_are_a_config_error() -> None:
    """
    Options the factory does not take are a ConfigError, not a TypeError.
    """
    with pytest.raises(ConfigError, match=r"could not be built: .*unexpected keyword"):
        plugins.load_policy("deskflow.priority", "itil", colour="red")


@pytest.mark.usefixtures("clean_registry")
def test_wrong_kind_is_a_config_error() -> None:
    """
    A routing policy registered as a priority policy is rejected when loaded.
    """
    plugins.register("deskflow.priority", "router", LeastLoaded)
    with pytest.raises(ConfigError, match=r"is not a priority policy \(it has no prioritize\(\)\)"):
        plugins.load_policy("deskflow.priority", "router")


def test_entry_point_plugin(installed: list[EntryPoint]) -> None:
    """
    An installed entry point is listed, loaded and built.
    """
    installed.append(
        EntryPoint("spread", "deskflow.policies.routers:LeastLoaded", "deskflow.routing")
    )
    assert "spread" in plugins.policy_names("deskflow.routing")
    assert LeastLoaded("percentage") == plugins.load_policy(
        "deskflow.routing", "spread", mode="percentage"
    )


def test_entry_point_that_fails_to_import(installed: list[EntryPoint]) -> None:
    """
    A plug-in whose module cannot be imported is a ConfigError naming it.
    """
    installed.append(EntryPoint("gone", "deskflow_nowhere.mod:Policy", "deskflow.routing"))
    with pytest.raises(ConfigError) as caught:
        plugins.load_policy("deskflow.routing", "gone")
    message = str(caught.value)
    assert message.startswith("deskflow.routing.gone: plug-in deskflow_nowhere.mod:Policy failed")
    assert "gone, least_loaded, round_robin" in message


def test_entry_point_of_the_wrong_kind(installed: list[EntryPoint]) -> None:
    """
    An entry point naming something that is not a policy is a ConfigError.
    """
    installed.append(EntryPoint("names", "deskflow.priority:THREE_LEVELS", "deskflow.priority"))
    with pytest.raises(ConfigError, match="is neither a policy nor builds one"):
        plugins.load_policy("deskflow.priority", "names")


def test_importing_deskflow_loads_no_plugins() -> None:
    """
    Importing deskflow and deskflow.plugins reads no entry point, so loads no plug-in.
    """
    code = (
        "import sys, importlib.metadata as m\n"
        "m.entry_points = lambda **kw: sys.exit('entry points read')\n"
        "import deskflow, deskflow.plugins\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert (0, "") == (result.returncode, result.stderr)
