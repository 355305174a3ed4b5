"""
Enum fields of events are converted: a string from JSON, a form or a host's code becomes the
member, so a ticket folded from such an event holds the enum, and stores can read ``.value``.
"""

from __future__ import annotations

import pytest
import sqlalchemy

from builders import T0
from deskflow import INCIDENT, InvalidInput, Priority
from deskflow.adapters.sql import SqlTicketRepository, engine_for
from deskflow.events import PriorityChanged


def test_priority_changed_converts_its_priorities() -> None:
    event = PriorityChanged(at=T0, actor="sam", priority="P2", previous="P3")
    assert (Priority.P2, Priority.P3) == (event.priority, event.previous)
    assert type(event.priority) is Priority


def test_a_bad_priority_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="priority"):
        PriorityChanged(at=T0, actor="sam", priority="P9")


def test_a_priority_set_from_a_string_is_stored_and_read_back() -> None:
    opened = INCIDENT.open("T-1", title="VPN down", requester="ann", at=T0, priority="P3")
    ticket = opened.record(PriorityChanged(at=T0, actor="sam", priority="P1", previous="P3"))
    assert Priority.P1 is ticket.priority
    engine: sqlalchemy.Engine = engine_for("sqlite://")
    try:
        repo = SqlTicketRepository(engine, migrate=True)
        repo.add(ticket)
        assert ticket == repo.get("T-1")
    finally:
        engine.dispose()
