"""
The ports are small protocols with a one-line contract per method, and the adapters fit them.
"""

from __future__ import annotations

import inspect
from types import ModuleType

import pytest

import deskflow.adapters
import deskflow.adapters.memory
import deskflow.notifications
import deskflow.ports
import deskflow.testing.contracts
from deskflow.adapters import (
    InMemoryKnowledgeBase,
    InMemoryNotifier,
    InMemoryTicketRepository,
    ManualClock,
    SystemClock,
)
from deskflow.ports import Clock, KnowledgeBase, Notifier, TicketRepository

PROTOCOLS = [TicketRepository, Notifier, Clock, KnowledgeBase]


def contract_methods(protocol: type) -> list[str]:
    return [
        name
        for name, value in vars(protocol).items()
        if inspect.isfunction(value) and not name.startswith("_")
    ]


@pytest.mark.parametrize(
    "module",
    [
        deskflow.ports,
        deskflow.notifications,
        deskflow.adapters,
        deskflow.adapters.memory,
        deskflow.testing.contracts,
    ],
    ids=lambda m: m.__name__,
)
def test_all_lists_the_public_names(module: ModuleType) -> None:
    """
    Each module's __all__ is exactly its public classes and functions, defined there or in a
    private module of its package.
    """
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and (
            value.__module__.startswith(module.__name__)
            # a public module may publish what its package's private modules define
            or (
                module.__name__.count(".") > 1
                and value.__module__.startswith(f"{module.__name__.rpartition('.')[0]}._")
            )
            or module is deskflow.adapters
        )
    }
    assert public == set(module.__all__)


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.__name__)
def test_each_port_method_has_a_one_line_contract(protocol: type) -> None:
    """
    Every method of a port opens its docstring with a one-sentence contract (the details a
    host adapter needs, claims and leases, may follow it; the contract suites pin them).
    """
    methods = contract_methods(protocol)
    assert methods
    for name in methods:
        doc = inspect.getdoc(getattr(protocol, name))
        assert doc is not None, name
        first = doc.split("\n\n")[0]
        assert first.rstrip().endswith((".", ")")), name


def test_ports_stay_small() -> None:
    """
    The repository keeps to its nineteen methods (tickets, ids, claims, listings and the
    outbox it writes in the same transaction); the other ports to one or two.
    """
    sizes = {p.__name__: len(contract_methods(p)) for p in PROTOCOLS}
    assert {"TicketRepository": 19, "Notifier": 1, "Clock": 1, "KnowledgeBase": 2} == sizes


@pytest.mark.parametrize(
    ("adapter", "protocol"),
    [
        (InMemoryTicketRepository(), TicketRepository),
        (InMemoryNotifier(), Notifier),
        (SystemClock(), Clock),
        (ManualClock(SystemClock().now()), Clock),
        (InMemoryKnowledgeBase(), KnowledgeBase),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, type) else v.__name__,
)
def test_adapters_fit_their_ports(adapter: object, protocol: type) -> None:
    """
    Each in-memory adapter is an instance of the protocol it implements.
    """
    assert isinstance(adapter, protocol)


def test_adapter_names_carry_their_technology() -> None:
    """
    Adapters are named technology first (InMemory..., Manual..., System...).
    """
    prefixes = ("InMemory", "Manual", "System")
    assert all(name.startswith(prefixes) for name in deskflow.adapters.__all__)
