"""
The top level of the package: a short list of everyday names, imported lazily.

``import deskflow`` loads only its two leaf modules; every other top-level name is imported
from its home module on first use (PEP 562), and type checkers see them all.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import types
from pathlib import Path

import pytest

import deskflow

#: Each top-level name and the module it comes from.
HOMES = {
    "DeskflowError": "deskflow.exceptions",
    "InvalidInput": "deskflow.exceptions",
    "InvalidTransition": "deskflow.exceptions",
    "PermissionDenied": "deskflow.exceptions",
    "ConcurrencyError": "deskflow.exceptions",
    "NotFound": "deskflow.exceptions",
    "ConfigError": "deskflow.exceptions",
    "HelpDesk": "deskflow.service",
    "Desk": "deskflow.desk",
    "load_desk": "deskflow",
    "TickReport": "deskflow.tick",
    "Delivery": "deskflow.outbox",
    "Actor": "deskflow.actors",
    "Role": "deskflow.enums",
    "SYSTEM": "deskflow.actors",
    "Ticket": "deskflow.ticket",
    "TicketKind": "deskflow.enums",
    "TicketView": "deskflow.views",
    "Priority": "deskflow.enums",
    "Impact": "deskflow.enums",
    "Urgency": "deskflow.enums",
    "Workflow": "deskflow.states",
    "State": "deskflow.enums",
    "Trigger": "deskflow.enums",
    "INCIDENT": "deskflow.workflows",
    "SERVICE_REQUEST": "deskflow.workflows",
    "BusinessCalendar": "deskflow.calendars",
    "SlaPolicy": "deskflow.sla",
    "SlaReport": "deskflow.sla",
    "Metric": "deskflow.enums",
    "PriorityPolicy": "deskflow.priority",
    "PriorityMatrix": "deskflow.priority",
    "EscalationPolicy": "deskflow.escalation",
    "RoutingPolicy": "deskflow.routing",
    "AuthorizationPolicy": "deskflow.authorization",
    "TicketRepository": "deskflow.ports",
    "Notifier": "deskflow.ports",
    "Clock": "deskflow.ports",
    "InMemoryTicketRepository": "deskflow.adapters.memory",
    "InMemoryNotifier": "deskflow.adapters.memory",
    "ManualClock": "deskflow.adapters.clocks",
    "SystemClock": "deskflow.adapters.clocks",
    "Notification": "deskflow.notifications",
    "MappingPeople": "deskflow.people",
}

#: What ``import deskflow`` must not load: the heavy layers and the optional libraries.
NOT_AT_IMPORT = [
    "deskflow.service",
    "deskflow.adapters",
    "deskflow.config",
    "deskflow.codec",
    "deskflow.reports",
    "deskflow.adapters.sql",
    "deskflow.testing",
    "sqlalchemy",
    "pydantic",
    "hypothesis",
]


def _fresh_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_import_deskflow_loads_none_of_the_heavy_modules() -> None:
    """
    In a fresh interpreter, ``import deskflow`` loads no service, adapter, config or extra.
    """
    code = (
        f"import sys, deskflow\nprint(','.join(m for m in {NOT_AT_IMPORT!r} if m in sys.modules))"
    )
    assert "" == _fresh_python(code)


def test_the_whole_top_level_leaves_the_edges_and_extras_alone() -> None:
    """
    Loading every top-level name imports no pydantic, config loader, SQL or testing kit.
    """
    edges = ["deskflow.config", "deskflow.adapters.sql", "deskflow.testing"]
    libraries = ["pydantic", "sqlalchemy", "hypothesis"]
    code = (
        "import sys\n"
        "from deskflow import *\n"
        f"print(','.join(m for m in {edges + libraries!r} if m in sys.modules))"
    )
    assert "" == _fresh_python(code)


def test_a_name_loads_its_module_on_first_use() -> None:
    """
    Using ``deskflow.Ticket`` imports the ticket module, not the service.
    """
    code = (
        "import sys, deskflow\n"
        "before = 'deskflow.ticket' in sys.modules\n"
        "deskflow.Ticket\n"
        "print(before, 'deskflow.ticket' in sys.modules, 'deskflow.service' in sys.modules)"
    )
    assert "False True False" == _fresh_python(code)


def test_a_loaded_name_is_kept_in_the_module() -> None:
    """
    A name is looked up once: afterwards it is a plain global of the package.
    """
    value = deskflow.HelpDesk
    assert value is vars(deskflow)["HelpDesk"]


def test_the_top_level_is_the_everyday_names() -> None:
    """
    ``__all__`` is exactly the 44 everyday names.
    """
    assert sorted(HOMES) == sorted(deskflow.__all__)
    assert 44 == len(set(deskflow.__all__))


def test_every_name_in_all_resolves_and_dir_lists_them() -> None:
    """
    Every name in ``__all__`` can be read, and ``dir(deskflow)`` is ``__all__``, sorted.
    """
    missing = [name for name in deskflow.__all__ if not hasattr(deskflow, name)]
    assert [] == missing
    assert sorted(deskflow.__all__) == dir(deskflow)


def test_public_names_match_all() -> None:
    """
    Once everything is loaded, deskflow's public non-module globals are exactly ``__all__``.
    """
    for name in deskflow.__all__:
        getattr(deskflow, name)
    public = {
        name
        for name, value in vars(deskflow).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and type(value).__name__ != "_Feature"  # from __future__ import annotations
    }
    assert sorted(deskflow.__all__) == sorted(public)


@pytest.mark.parametrize("name", ["Nope", "StateChanged", "service_request_workflow"])
def test_an_unknown_name_raises_attribute_error(name: str) -> None:
    """
    A name that is not on the top level raises AttributeError naming the module.
    """
    with pytest.raises(AttributeError, match=f"^module 'deskflow' has no attribute '{name}'$"):
        getattr(deskflow, name)


def test_a_moved_name_cannot_be_imported_from_the_top_level() -> None:
    """
    ``from deskflow import StateChanged`` fails; it lives in ``deskflow.events``.
    """
    with pytest.raises(ImportError, match="cannot import name 'StateChanged'"):
        exec("from deskflow import StateChanged", {})


@pytest.mark.parametrize("name", sorted(HOMES))
def test_each_name_is_the_object_of_its_home_module(name: str) -> None:
    """
    ``deskflow.X`` is the very object its home module defines, not a copy or a wrapper.
    """
    home = importlib.import_module(HOMES[name])
    value = getattr(deskflow, name)
    assert getattr(home, name) is value
    if isinstance(value, (type, types.FunctionType)):
        assert HOMES[name] == value.__module__


def test_type_checkers_see_every_name() -> None:
    """
    Each name in ``__all__`` is bound by a statement a type checker reads, not only lazily.
    """
    tree = ast.parse(Path(deskflow.__file__).read_text(encoding="utf-8"))
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("deskflow"):
            bound.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.FunctionDef) and node in tree.body:
            bound.add(node.name)
    assert [] == sorted(set(deskflow.__all__) - bound)
