"""
Adapters: implementations of the ports in [`deskflow.ports`][deskflow.ports].

[`deskflow.adapters.memory`][deskflow.adapters.memory] holds the in-memory reference adapters,
always shipped; [`deskflow.adapters.clocks`][deskflow.adapters.clocks] the system clock and a
manual clock for virtual time. The names carry their technology as a prefix
(``InMemoryTicketRepository``), so a host's own adapters sit beside them naturally
(``SqlTicketRepository``).
"""

from __future__ import annotations

from deskflow.adapters.clocks import ManualClock, SystemClock
from deskflow.adapters.memory import (
    InMemoryKnowledgeBase,
    InMemoryNotifier,
    InMemoryTicketRepository,
)

__all__ = [
    "InMemoryKnowledgeBase",
    "InMemoryNotifier",
    "InMemoryTicketRepository",
    "ManualClock",
    "SystemClock",
]
