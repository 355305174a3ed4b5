"""
Stored events outlive their classes: schema versions and upcasters, in the codec and in the
SQL repository's event table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import ClassVar

import attrs
import pytest
import sqlalchemy

from builders import T0, incident
from deskflow.adapters.sql import SqlTicketRepository, engine_for
from deskflow.adapters.sql.schema import events_table
from deskflow.codec import (
    decode_event,
    encode_event,
    event_from_dict,
    event_to_dict,
    history_from_json,
    history_to_json,
    register_event,
    register_upcaster,
)
from deskflow.events import Event
from deskflow.exceptions import InvalidInput, StorageError


@register_event
@attrs.frozen(kw_only=True)
class ShiftLogged(Event):
    """
    A host's event at its third shape: ``minutes`` became ``seconds``, then ``site`` came.
    """

    schema_version: ClassVar[int] = 3
    seconds: int
    site: str


register_upcaster("ShiftLogged", 1, lambda d: {"seconds": d.pop("minutes") * 60, **d})
register_upcaster("ShiftLogged", 2, lambda d: {**d, "site": "hq"})

V1 = {"at": "2026-03-02T09:00:00+00:00", "actor": "lee", "minutes": 4}
CURRENT = ShiftLogged(at=T0, actor="lee", seconds=240, site="hq")


@pytest.fixture
def repo() -> Iterator[SqlTicketRepository]:
    """
    A migrated in-memory SQL repository.
    """
    engine = engine_for("sqlite://")
    yield SqlTicketRepository(engine, migrate=True)
    engine.dispose()


def test_an_event_is_stored_with_its_type_and_version() -> None:
    """
    encode_event gives the type name, the class's schema version and the fields; decoding
    them gives the event back.
    """
    name, version, payload = encode_event(CURRENT)
    assert ("ShiftLogged", 3) == (name, version)
    assert {"at", "actor", "seconds", "site"} == set(json.loads(payload))
    assert CURRENT == decode_event(name, version, payload)


def test_old_versions_are_upcast_in_turn() -> None:
    """
    Fields stored at version 1 or 2 pass through each upcaster up to the current version.
    """
    assert CURRENT == decode_event("ShiftLogged", 1, json.dumps(V1))
    v2 = {**V1, "seconds": 240}
    del v2["minutes"]
    assert CURRENT == decode_event("ShiftLogged", 2, json.dumps(v2))


def test_dicts_carry_a_version_only_past_the_first() -> None:
    """
    event_to_dict writes schema_version when it is not 1; event_from_dict reads it (1 when
    absent) and upcasts, so JSON histories survive a change too.
    """
    data = event_to_dict(CURRENT)
    assert 3 == data["schema_version"]
    assert CURRENT == event_from_dict(data)
    assert CURRENT == event_from_dict({"type": "ShiftLogged", **V1})
    assert (CURRENT,) == history_from_json(history_to_json([CURRENT]))
    assert "schema_version" not in event_to_dict(incident().opened)


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (4, "newer than this deskflow's 3"),
        (0, "schema_version must be an int >= 1"),
    ],
)
def test_a_version_it_cannot_read_is_invalid(version: int, message: str) -> None:
    """
    A stored version newer than the class, or not a version, is InvalidInput saying so.
    """
    with pytest.raises(InvalidInput, match=message):
        decode_event("ShiftLogged", version, json.dumps(V1))


def test_a_missing_upcaster_is_invalid() -> None:
    """
    A class at version 2 with no upcaster from 1 cannot load version-1 data, and says
    which upcaster to register.
    """

    @register_event
    @attrs.frozen(kw_only=True)
    class BadgeScanned(Event):
        schema_version: ClassVar[int] = 2
        badge: str

    with pytest.raises(InvalidInput, match=r"no upcaster from 1 .*register_upcaster"):
        decode_event("BadgeScanned", 1, json.dumps({"at": V1["at"], "actor": "lee"}))


def test_registering_checks_versions_and_upcasters() -> None:
    """
    A schema version that is not an int >= 1, or an upcaster that is not callable, is
    refused.
    """

    @attrs.frozen(kw_only=True)
    class Odd(Event):
        schema_version: ClassVar[int] = 0

    with pytest.raises(InvalidInput, match="schema_version must be an int >= 1"):
        register_event(Odd)
    with pytest.raises(InvalidInput, match="callable"):
        register_upcaster("ShiftLogged", 1, "not a function")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="from_version"):
        register_upcaster("ShiftLogged", 0, dict)


def test_the_sql_store_upcasts_stored_rows(repo: SqlTicketRepository) -> None:
    """
    A ticket whose stored event is at an old version loads with the event at its current
    shape; a row the codec cannot read is a StorageError naming the ticket.
    """
    ticket = incident().record(CURRENT)
    repo.add(ticket)
    with repo.engine.begin() as connection:
        connection.execute(
            events_table.update()
            .where(events_table.c.position == 1)
            .values(schema_version=1, payload=json.dumps(V1))
        )
    # Rows rewritten behind the repository's back: it must read them again, not its cache.
    repo.clear_cache()
    assert ticket == repo.get("T-1")
    with repo.engine.begin() as connection:
        connection.execute(
            events_table.update().where(events_table.c.position == 1).values(schema_version=9)
        )
    repo.clear_cache()
    with pytest.raises(StorageError, match=r"T-1.*newer than this deskflow"):
        repo.get("T-1")
    with repo.engine.connect() as connection:
        stored = connection.execute(sqlalchemy.select(events_table.c.type)).scalars().all()
    assert ["TicketOpened", "ShiftLogged"] == stored
