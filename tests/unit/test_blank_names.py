"""
Ids and names are never blank: one check refuses empty and whitespace-only strings, naming
the field, and strips the whitespace around the ones it accepts; free text is kept as given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from deskflow import INCIDENT, Actor, ConfigError, InvalidInput, Role, Ticket, Trigger
from deskflow.approval import ApprovalStage
from deskflow.events import Classified, CommentAdded, Linked, StateChanged, TicketOpened
from deskflow.routing import Candidate

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEE = Actor("lee", Role.AGENT, tier=1, groups={"service-desk"})
BLANKS = ["", " ", "\t\n"]


def opened(**fields: object) -> TicketOpened:
    values: dict[str, object] = {
        "at": T0,
        "actor": "ann",
        "ticket_id": "T-1",
        "kind": "incident",
        "title": "VPN down",
        "requester": "ann",
        "state": "new",
        **fields,
    }
    return TicketOpened(**values)  # type: ignore[arg-type]


def changed(**fields: object) -> StateChanged:
    values: dict[str, object] = {
        "at": T0,
        "actor": "lee",
        "trigger": "assign",
        "source": "new",
        "dest": "assigned",
        **fields,
    }
    return StateChanged(**values)  # type: ignore[arg-type]


def assign(**details: str) -> Ticket:
    ticket = INCIDENT.open("T-1", title="VPN down", requester="ann", at=T0)
    return INCIDENT.fire(ticket, Trigger.ASSIGN, actor=LEE, at=T0, **details)


#: (field named in the error, how to build something with ``blank`` in that field)
NAMED: list[tuple[str, Callable[[str], object]]] = [
    ("actor id", lambda blank: Actor(blank, Role.AGENT)),
    ("group", lambda blank: Actor("lee", Role.AGENT, groups={"service-desk", blank})),
    ("group", lambda blank: Actor("lee", Role.AGENT, groups=blank)),
    ("manager", lambda blank: Actor("lee", Role.AGENT, manager=blank)),
    ("ticket_id", lambda blank: opened(ticket_id=blank)),
    ("requester", lambda blank: opened(requester=blank)),
    ("title", lambda blank: opened(title=blank)),
    ("actor", lambda blank: opened(actor=blank)),
    ("category", lambda blank: opened(category=blank)),
    ("group", lambda blank: opened(group=blank)),
    ("requester", lambda blank: INCIDENT.open("T-1", title="x", requester=blank, at=T0)),
    ("group", lambda blank: changed(group=blank)),
    ("assignee", lambda blank: changed(assignee=blank)),
    ("hold_reason", lambda blank: changed(hold_reason=blank)),
    ("group", lambda blank: assign(group=blank, assignee="lee")),
    ("assignee", lambda blank: assign(group="service-desk", assignee=blank)),
    ("category", lambda blank: Classified(at=T0, actor="lee", category=blank)),
    ("service", lambda blank: Classified(at=T0, actor="lee", service=blank)),
    ("other_id", lambda blank: Linked(at=T0, actor="lee", other_id=blank)),
    ("body", lambda blank: CommentAdded(at=T0, actor="lee", body=blank)),
]


@pytest.mark.parametrize("blank", BLANKS, ids=repr)
@pytest.mark.parametrize(
    ("field", "build"), NAMED, ids=[f"{i}-{f}" for i, (f, _) in enumerate(NAMED)]
)
def test_a_blank_id_or_name_is_refused_naming_the_field(
    field: str, build: Callable[[str], object], blank: str
) -> None:
    """
    An empty or whitespace-only id, name or text is InvalidInput naming the field.
    """
    with pytest.raises(InvalidInput, match=f"^{field} must not be empty"):
        build(blank)


CONFIGURED: list[tuple[str, Callable[[str], object]]] = [
    ("agent id", lambda blank: Candidate(blank)),
    ("group", lambda blank: Candidate("ann", groups={blank})),
    ("approver id", lambda blank: ApprovalStage(["max", blank])),
]


@pytest.mark.parametrize("blank", BLANKS, ids=repr)
@pytest.mark.parametrize(("field", "build"), CONFIGURED, ids=[f for f, _ in CONFIGURED])
def test_a_blank_name_in_configuration_is_a_config_error(
    field: str, build: Callable[[str], object], blank: str
) -> None:
    """
    A blank agent id, group or approver in configuration is a ConfigError naming the field.
    """
    with pytest.raises(ConfigError, match=f"{field} must not be empty"):
        build(blank)


def test_ids_and_names_are_stripped() -> None:
    """
    Whitespace around an id or a name is dropped, so " ann " and "ann" are one person.
    """
    actor = Actor(" lee ", Role.AGENT, groups=[" service-desk\t"])
    assert ("lee", frozenset({"service-desk"})) == (actor.id, actor.groups)
    ticket = INCIDENT.open(" T-1", title=" VPN down ", requester="ann\n", at=T0, group=" net ")
    assert ("T-1", "VPN down", "ann", "net") == (
        ticket.id,
        ticket.title,
        ticket.requester,
        ticket.group,
    )
    ticket = INCIDENT.fire(ticket, Trigger.ASSIGN, actor=LEE, at=T0, group=" sd ", assignee=" lee")
    assert ("sd", "lee") == (ticket.group, ticket.assignee)


def test_free_text_is_kept_as_given() -> None:
    """
    Comment bodies and descriptions keep their whitespace: indentation is the author's.
    """
    body = "  $ ping vpn\n  timeout\n"
    comment = CommentAdded(at=T0, actor="lee", body=body)
    description = "\n    stack trace:\n      line 1\n"
    ticket = INCIDENT.open("T-1", title="x", requester="ann", at=T0, description=description)
    assert (body, description) == (comment.body, ticket.description)


def test_a_blank_free_text_detail_counts_as_not_given() -> None:
    """
    A whitespace-only resolution is no resolution: the transition refuses, naming it.
    """
    ticket = assign(group="service-desk", assignee="lee")
    ticket = INCIDENT.fire(ticket, Trigger.START, actor=LEE, at=T0)
    with pytest.raises(ValueError, match="needs resolution"):
        INCIDENT.fire(ticket, Trigger.RESOLVE, actor=LEE, at=T0, resolution=" \n")
