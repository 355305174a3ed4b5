"""
Bad input gives a DeskflowError that says what was wrong, never a bare builtin error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import LEE, T0, incident
from deskflow import (
    INCIDENT,
    Actor,
    ConcurrencyError,
    ConfigError,
    DeskflowError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    Role,
    Ticket,
    Trigger,
)
from deskflow.events import CommentAdded


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"at": datetime(2026, 3, 2, 9)}, "naive datetime"),
        ({"at": "2026-03-02"}, "timezone-aware datetime"),
        ({"title": "   "}, "title must not be empty"),
        ({"title": 42}, "title must be a string"),
        ({"requester": ""}, "requester must not be empty"),
        ({"impact": "huge"}, "impact must be one of 'high', 'medium', 'low'"),
        ({"priority": "P9"}, "priority must be one of"),
        ({"tier": 0}, "tier must be an int from 1 to"),
        ({"tier": True}, "tier must be an int from 1 to"),
        # Beyond what a store's integer column holds: refused before any store sees it.
        ({"tier": 2**31}, "tier must be an int from 1 to 2147483647"),
    ],
)
def test_open_rejects_bad_fields(kwargs: dict[str, object], message: str) -> None:
    """
    Opening with a naive time, empty title, unknown level or bad tier says what is wrong.
    """
    args: dict[str, object] = {"title": "VPN down", "requester": "ann", "at": T0}
    args.update(kwargs)
    with pytest.raises(InvalidInput, match=message):
        INCIDENT.open("T-1", **args)  # type: ignore[arg-type]


# Wrong types on purpose (hence the type: ignores): each case checks a run-time refusal.
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda t: INCIDENT.fire(t, "assign", actor=LEE, at=datetime(2026, 3, 2)),
            InvalidInput,
            "naive",
        ),
        (
            lambda t: INCIDENT.fire(t, "assign", actor="lee", at=T0),  # type: ignore[arg-type]
            InvalidInput,
            "actor must be an Actor",
        ),
        (
            lambda t: INCIDENT.fire({}, "assign", actor=LEE, at=T0),  # type: ignore[arg-type]
            InvalidInput,
            "ticket must be a Ticket",
        ),
        (
            lambda t: INCIDENT.fire(t, "warp", actor=LEE, at=T0),
            InvalidTransition,
            "unknown trigger 'warp'",
        ),
        (lambda t: INCIDENT.fire(t, 7, actor=LEE, at=T0), InvalidTransition, "unknown trigger 7"),  # type: ignore[arg-type]
        (
            lambda t: INCIDENT.fire(t, "assign", actor=LEE, at=T0, group=["a"]),  # type: ignore[arg-type]
            InvalidInput,
            "group must be a string",
        ),
        (
            lambda t: INCIDENT.fire(
                t, "assign", actor=LEE, at=T0 - timedelta(seconds=1), group="g"
            ),
            InvalidInput,
            "earlier than the ticket's last change",
        ),
        (lambda t: INCIDENT.allowed("limbo"), InvalidInput, "unknown state 'limbo'"),
    ],
)
def test_fire_rejects_bad_arguments(
    call: Callable[[Ticket], object], error: type[Exception], message: str
) -> None:
    """
    Firing with a naive time, a non-actor, an unknown trigger or a bad detail fails clearly.
    """
    t = incident()
    with pytest.raises(error, match=message):
        call(t)
    assert 1 == t.version


def test_replay_needs_an_opening_event() -> None:
    """
    A history must start with TicketOpened.
    """
    with pytest.raises(InvalidInput, match="must start with a TicketOpened"):
        Ticket.replay([])
    comment = CommentAdded(at=T0, actor="lee", body="hi")
    with pytest.raises(InvalidInput, match="must start with a TicketOpened"):
        Ticket.replay([comment])


def test_record_checks_what_a_host_records() -> None:
    """
    Recording a non-event, a naive time or an out-of-order event is refused.
    """
    t = incident()
    with pytest.raises(InvalidInput, match="expected a deskflow Event"):
        t.record("hello")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="naive"):
        t.record(CommentAdded(at=datetime(2026, 3, 2, 10), actor="lee", body="hi"))
    with pytest.raises(InvalidInput, match="earlier"):
        t.record(CommentAdded(at=T0 - timedelta(1), actor="lee", body="hi"))
    with pytest.raises(InvalidInput, match="already open"):
        t.record(t.history[0])


def test_actor_validation() -> None:
    """
    Actors need an id, a known role and a tier >= 1.
    """
    with pytest.raises(InvalidInput, match="role must be one of"):
        Actor("x", "boss")
    with pytest.raises(InvalidInput, match="actor id must not be empty"):
        Actor("", Role.AGENT)
    with pytest.raises(InvalidInput, match="tier must be >= 1"):
        Actor("x", Role.AGENT, tier=0)


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (InvalidTransition, ValueError),
        (InvalidInput, ValueError),
        (PermissionDenied, PermissionError),
        (NotFound, KeyError),
        (ConfigError, ValueError),
        (ConcurrencyError, RuntimeError),
    ],
)
def test_errors_are_deskflow_errors_and_the_builtin_they_resemble(
    error: type[Exception], builtin: type[Exception]
) -> None:
    """
    Every error derives from DeskflowError and from its builtin look-alike.
    """
    assert issubclass(error, DeskflowError)
    assert issubclass(error, builtin)


def test_error_messages_read_well() -> None:
    """
    NotFound prints a sentence (not a repr) and ConfigError prefixes the field path.
    """
    assert "no ticket T-9" == str(NotFound("no ticket T-9"))
    assert (
        str(ConfigError("must be positive", path=("sla", "targets", "P1")))
        == "sla.targets.P1: must be positive"
    )


@given(
    trigger=st.one_of(st.sampled_from(INCIDENT.triggers), st.text(max_size=5), st.integers()),
    details=st.dictionaries(
        st.sampled_from(["tier", "group", "resolution", "hold_reason", "note"]),
        st.one_of(st.none(), st.integers(-2, 5), st.text(max_size=3), st.booleans(), st.floats()),
        max_size=3,
    ),
)
def test_garbage_never_escapes_as_a_builtin_error(
    trigger: object, details: dict[str, object]
) -> None:
    """
    Whatever is thrown at fire(), it either works or raises a DeskflowError; the ticket stays.
    """
    t = INCIDENT.fire(incident(), Trigger.ASSIGN, actor=LEE, at=T0, assignee="lee")
    with contextlib.suppress(DeskflowError):
        INCIDENT.fire(t, trigger, actor=LEE, at=T0, **details)  # type: ignore[arg-type]
    assert 2 == t.version
