"""
NUL characters and lone surrogates are refused where text enters, the same for every store:
no store can hold them, so none is ever handed one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import ANN, LEE, T0, incident
from deskflow import INCIDENT, HelpDesk
from deskflow.adapters import InMemoryNotifier, InMemoryTicketRepository, ManualClock
from deskflow.adapters.sql import SqlTicketRepository, engine_for
from deskflow.codec import history_from_json, history_to_json
from deskflow.events import CommentAdded
from deskflow.exceptions import InvalidInput
from deskflow.ports import TicketRepository
from deskflow.queries import TicketQuery

BAD = ["bad\x00text", "bad\ud800text", "\udfff", "\x00"]
#: Any text, lone surrogates and NUL included.
ANY_TEXT = st.text(st.characters(exclude_categories=()), min_size=1, max_size=12)


@pytest.fixture(params=["memory", "sqlite"])
def repo(request: pytest.FixtureRequest) -> Iterator[TicketRepository]:
    """
    One repository of each kind deskflow ships.
    """
    if request.param == "memory":
        yield InMemoryTicketRepository()
        return
    engine = engine_for("sqlite://")
    yield SqlTicketRepository(engine, migrate=True)
    engine.dispose()


@pytest.mark.parametrize("text", BAD)
@pytest.mark.parametrize("field", ["title", "description", "requester", "ticket_id"])
def test_opening_refuses_unstorable_text(field: str, text: str) -> None:
    """
    A ticket whose id, requester, title or description holds NUL or a lone surrogate is
    refused with InvalidInput naming the field.
    """
    with pytest.raises(InvalidInput, match=field):
        incident(**{field: text})  # type: ignore[arg-type]


@pytest.mark.parametrize("text", BAD)
def test_commands_refuse_unstorable_text(repo: TicketRepository, text: str) -> None:
    """
    Through the help desk, a title, a comment or a listing's search text holding NUL or a
    lone surrogate is InvalidInput, on every store, and nothing is stored.
    """
    desk = HelpDesk(repo, InMemoryNotifier(), ManualClock(T0))
    with pytest.raises(InvalidInput, match="title"):
        desk.open(ANN, title=text)
    view = desk.open(ANN, title="VPN down")
    version = repo.get(view.id).version
    with pytest.raises(InvalidInput, match="comment"):
        desk.comment(LEE, view.id, body=text)
    with pytest.raises(InvalidInput, match="title_contains"):
        TicketQuery(title_contains=text)
    assert version == repo.get(view.id).version


@pytest.mark.parametrize("text", BAD)
def test_names_refuse_unstorable_text(text: str) -> None:
    """
    The one check of ids and names refuses NUL and lone surrogates.
    """
    with pytest.raises(InvalidInput, match="assignee"):
        INCIDENT.fire(incident(), "assign", actor=LEE, at=T0, assignee=text)


def test_the_codec_refuses_a_lone_surrogate_a_host_recorded() -> None:
    """
    A host's event field nothing checked still cannot reach a store holding a lone
    surrogate: the codec refuses it with InvalidInput.
    """
    event = CommentAdded(at=T0, actor="lee", body="fine", author_role="\ud800")
    with pytest.raises(InvalidInput, match="lone surrogate"):
        history_to_json([event])


@given(text=ANY_TEXT)
def test_memory_and_sql_agree_on_any_text(text: str) -> None:
    """
    Any text as a title and a comment is either refused before any store sees it, or
    stored and read back equal, by memory and SQL alike.
    """
    try:
        ticket = incident(title=text, description=text)
        ticket = ticket.record(CommentAdded(at=T0, actor="lee", body=text))
    except InvalidInput:
        return
    engine = engine_for("sqlite://")
    try:
        sql = SqlTicketRepository(engine, migrate=True)
        memory = InMemoryTicketRepository()
        for store in (sql, memory):
            store.add(ticket)
        assert memory.get("T-1") == sql.get("T-1") == ticket
        assert history_from_json(history_to_json(ticket.history)) == ticket.history
        query = TicketQuery(title_contains=text)
        assert [ticket] == list(sql.find(query)) == list(memory.find(query))
    finally:
        engine.dispose()
