"""
The SQL repository's cache of recent tickets: a cached ``get`` reads only the new events, sees
other processes' writes, survives failed saves untouched, stays bounded, and returns what a
full replay would.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from hypothesis import given
from hypothesis import strategies as st

from builders import ANN, LEE, SAM, T0, M, incident
from deskflow import Ticket
from deskflow.adapters import InMemoryNotifier, ManualClock
from deskflow.adapters.sql import SqlTicketRepository, engine_for
from deskflow.adapters.sql.schema import events_table
from deskflow.events import CommentAdded
from deskflow.exceptions import ConcurrencyError, DeskflowError, InvalidInput, StorageError
from deskflow.service import HelpDesk
from deskflow.ticket import memo_of

MakeRepo = Callable[..., SqlTicketRepository]


@pytest.fixture
def make_repo(tmp_path: Path) -> Iterator[MakeRepo]:
    """
    Repositories on one SQLite file (each with its own engine, as two processes would have),
    the first migrating it; every engine is disposed of after the test.
    """
    engines: list[sqlalchemy.Engine] = []

    def make(**options: Any) -> SqlTicketRepository:
        engine = engine_for(f"sqlite:///{tmp_path / 'desk.db'}")
        engines.append(engine)
        return SqlTicketRepository(engine, migrate=len(engines) == 1, **options)

    yield make
    for engine in engines:
        engine.dispose()


def _commented(ticket: Ticket, body: str = "Looking.") -> Ticket:
    return ticket.record(CommentAdded(at=ticket.updated_at, actor=LEE.id, body=body))


def _selects(engine: sqlalchemy.Engine, action: Callable[[], object]) -> list[str]:
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    sqlalchemy.event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        sqlalchemy.event.remove(engine, "before_cursor_execute", record)
    return sent


def test_a_cached_get_is_one_statement_reading_only_new_events(make_repo: MakeRepo) -> None:
    """
    Once cached, get sends one SELECT, for the events after the cached version.
    """
    repo = make_repo()
    ticket = _commented(incident("T-1"))
    repo.add(ticket)
    sent = _selects(repo.engine, lambda: repo.get("T-1"))
    assert 1 == len(sent)
    assert "position >=" in sent[0]
    assert repo.get("T-1") is ticket


def test_a_saved_ticket_is_cached_with_its_fold(make_repo: MakeRepo) -> None:
    """
    get returns the very ticket saved, with the SLA fold it carries, when nothing changed.
    """
    repo = make_repo()
    clock = ManualClock(T0)
    desk = HelpDesk(repo, InMemoryNotifier(), clock)
    view = desk.open(LEE, title="VPN down", requester=ANN.id, impact="high", urgency="high")
    clock.advance(5 * M)
    desk.comment(LEE, view.id, body="On it.")
    loaded = repo.get(view.id)
    assert memo_of(loaded) is not None
    assert loaded is repo.get(view.id)


def test_writes_by_another_process_are_seen_by_a_cached_get(make_repo: MakeRepo) -> None:
    """
    A second repository on the same file appends; the first one's cached get reads them.
    """
    mine, theirs = make_repo(), make_repo()
    ticket = incident("T-1")
    mine.add(ticket)
    assert ticket is mine.get("T-1")
    longer = _commented(_commented(theirs.get("T-1"), "One."), "Two.")
    theirs.save(longer, ticket.version)
    seen = mine.get("T-1")
    assert longer == seen
    assert Ticket.replay(longer.history) == seen
    assert 3 == seen.version
    # And back: the other repository's cached ticket is extended by this one's save.
    last = _commented(seen, "Three.")
    mine.save(last, seen.version)
    assert last == theirs.get("T-1")


def test_a_failed_save_leaves_the_cache_as_it_was(make_repo: MakeRepo) -> None:
    """
    A save that loses a race or fails in the database caches nothing: get returns the
    stored state.
    """
    mine, theirs = make_repo(), make_repo()
    ticket = incident("T-1")
    mine.add(ticket)
    stored = _commented(theirs.get("T-1"), "Theirs.")
    theirs.save(stored, ticket.version)
    with pytest.raises(ConcurrencyError):
        mine.save(_commented(ticket, "Mine."), ticket.version)
    assert stored == mine.get("T-1")

    # A failure inside the transaction, after the row's update: the event key taken by a
    # writer that got past the version guard.
    refused = _commented(stored, "Refused.")
    with mine.engine.begin() as connection:
        connection.execute(
            events_table.insert().values(
                ticket_id="T-1", position=2, type="x", schema_version=1, at=0, payload="{}"
            )
        )
    with pytest.raises(ConcurrencyError):
        mine.save(refused, stored.version)
    with mine.engine.begin() as connection:
        connection.execute(events_table.delete().where(events_table.c.position == 2))
    assert stored == mine.get("T-1")
    assert stored.version == mine.get("T-1").version


def test_the_cache_is_bounded_least_recently_used_first(make_repo: MakeRepo) -> None:
    """
    With room for two tickets, the one used least recently is evicted and read in full again.
    """
    repo = make_repo(cache_size=2)
    tickets = [_commented(incident(f"T-{n}")) for n in (1, 2, 3)]
    repo.add(tickets[0])
    repo.add(tickets[1])
    repo.get("T-1")  # T-2 is now the least recently used
    repo.add(tickets[2])
    full = _selects(repo.engine, lambda: repo.get("T-2"))
    assert "position >=" not in full[0]
    assert tickets[1] == repo.get("T-2")
    # T-2's read evicted T-1 (T-3 was used after it).
    assert "position >=" not in _selects(repo.engine, lambda: repo.get("T-1"))[0]
    assert "position >=" in _selects(repo.engine, lambda: repo.get("T-1"))[0]


def test_cache_size_zero_reads_the_whole_history_every_time(make_repo: MakeRepo) -> None:
    """
    With ``cache_size=0`` every get replays the stored history, as before the cache.
    """
    repo = make_repo(cache_size=0)
    ticket = _commented(incident("T-1"))
    repo.add(ticket)
    for _ in range(2):
        sent = _selects(repo.engine, lambda: repo.get("T-1"))
        assert 1 == len(sent)
        assert "position >=" not in sent[0]
        loaded = repo.get("T-1")
        assert ticket == loaded
        assert loaded is not ticket


def test_clear_cache_reads_rewritten_rows(make_repo: MakeRepo) -> None:
    """
    After a host rewrote stored rows itself, clear_cache makes get read them again.
    """
    repo = make_repo()
    repo.add(_commented(incident("T-1")))
    with repo.engine.begin() as connection:
        connection.execute(
            events_table.update().where(events_table.c.position == 1).values(payload="{oops")
        )
    assert 2 == repo.get("T-1").version  # the cached state: the rows were not re-read
    repo.clear_cache()
    with pytest.raises(StorageError, match="stored event 1"):
        repo.get("T-1")


def test_a_corrupt_new_event_is_a_storage_error_naming_its_position(
    make_repo: MakeRepo,
) -> None:
    """
    An event appended after the cached version that does not decode fails the get, and the
    cache keeps the last good state.
    """
    mine, theirs = make_repo(), make_repo()
    ticket = incident("T-1")
    mine.add(ticket)
    theirs.save(_commented(theirs.get("T-1")), ticket.version)
    with mine.engine.begin() as connection:
        connection.execute(
            events_table.update().where(events_table.c.position == 1).values(payload="{oops")
        )
    with pytest.raises(StorageError, match="ticket 'T-1': stored event 1"):
        mine.get("T-1")
    with pytest.raises(StorageError, match="stored event 1"):
        mine.get("T-1")


@pytest.mark.parametrize("size", [-1, True, 1.5, "8"])
def test_cache_size_is_checked(make_repo: MakeRepo, size: object) -> None:
    """
    The cache size is an int >= 0.
    """
    make_repo()
    with pytest.raises(InvalidInput, match="cache_size"):
        make_repo(cache_size=size)


# -- cached and uncached repositories agree --------------------------------------------------

_OPS = ("open", "comment", "assign", "start", "ask", "reply", "resolve", "reopen", "tick")


def _run(desk: HelpDesk, op: str, ticket_id: str) -> None:
    commands: dict[str, Callable[[], object]] = {
        "open": lambda: desk.open(
            LEE, title="VPN down", requester=ANN.id, impact="high", urgency="medium"
        ),
        "comment": lambda: desk.comment(LEE, ticket_id, body="Looking."),
        "assign": lambda: desk.assign(SAM, ticket_id, group="service-desk", assignee=LEE.id),
        "start": lambda: desk.start(LEE, ticket_id),
        "ask": lambda: desk.request_info(LEE, ticket_id, question="Which site?"),
        "reply": lambda: desk.reply(ANN, ticket_id, body="Leeds."),
        "resolve": lambda: desk.resolve(LEE, ticket_id, resolution="Restarted."),
        "reopen": lambda: desk.reopen(ANN, ticket_id, reason="Down again."),
        "tick": desk.tick,
    }
    # A command the ticket's state (or its absence) refuses stores nothing.
    with contextlib.suppress(DeskflowError):
        commands[op]()


@pytest.mark.slow
@given(
    size=st.sampled_from([1, 2, 1024]),
    steps=st.lists(
        st.tuples(
            st.booleans(),
            st.sampled_from(_OPS),
            st.integers(1, 3),
            st.sampled_from([0, 1, 30, 240, 1440]),
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_cached_and_uncached_repositories_return_equal_tickets(
    tmp_path_factory: pytest.TempPathFactory, size: int, steps: list[tuple[bool, str, int, int]]
) -> None:
    """
    Two help desks on one SQLite file, each repository caching, run random commands; every
    ticket either returns equals what an uncached repository returns and its full replay.
    """
    url = f"sqlite:///{tmp_path_factory.mktemp('cache') / 'desk.db'}"
    engines = [engine_for(url) for _ in range(3)]
    try:
        first = SqlTicketRepository(engines[0], migrate=True)
        second = SqlTicketRepository(engines[1], cache_size=size)
        plain = SqlTicketRepository(engines[2], cache_size=0)
        clock = ManualClock(T0)
        desks = [HelpDesk(repo, InMemoryNotifier(), clock) for repo in (first, second)]
        for on_second, op, number, minutes in steps:
            clock.advance(minutes * M)
            _run(desks[on_second], op, f"INC-{number}")
            ids = [ticket.id for ticket in plain.by_requester(ANN.id)]
            for ticket_id in ids:
                stored = plain.get(ticket_id)
                assert stored == first.get(ticket_id) == second.get(ticket_id)
                assert Ticket.replay(stored.history) == first.get(ticket_id)
    finally:
        for engine in engines:
            engine.dispose()
