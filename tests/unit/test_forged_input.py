"""
Input a client or a host can forge — a cursor from a query string, a limit or a lease far
out of range — is refused as InvalidInput the same way by every store, never as a driver's
own error; and a listing under a host's own authorization policy shows every ticket that
policy lets the actor view.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta

import attrs
import pytest

from builders import ANN, T0, ZOE
from deskflow import InvalidInput
from deskflow.actors import Actor
from deskflow.adapters import InMemoryNotifier, InMemoryTicketRepository, ManualClock
from deskflow.adapters.sql import SqlTicketRepository, engine_for
from deskflow.authorization import AccessDecision, DefaultAuthorization, Permission
from deskflow.desk import Desk
from deskflow.ports import TicketRepository
from deskflow.queries import TicketQuery
from deskflow.service import HelpDesk
from deskflow.ticket import Ticket


@pytest.fixture(params=["memory", "sqlite"])
def repo(request: pytest.FixtureRequest) -> Iterator[TicketRepository]:
    if request.param == "memory":
        yield InMemoryTicketRepository()
        return
    engine = engine_for("sqlite://")
    try:
        yield SqlTicketRepository(engine, migrate=True)
    finally:
        engine.dispose()


def _forged(*key: object) -> str:
    raw = json.dumps(["created", *key]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [_forged(1, "\ud800"), _forged(10**30, "T-1"), _forged(1, "\x00"), _forged(-(10**30), "T")],
    ids=["lone surrogate", "huge key", "NUL", "huge negative key"],
)
def test_a_forged_cursor_is_invalid_input_on_every_store(
    repo: TicketRepository, cursor: str
) -> None:
    with pytest.raises(InvalidInput, match="not a cursor"):
        repo.find(TicketQuery(), after=cursor)


@pytest.mark.parametrize("limit", [2**63, 10**19])
def test_a_limit_no_store_holds_is_invalid_input(repo: TicketRepository, limit: int) -> None:
    with pytest.raises(InvalidInput, match="2\\*\\*63"):
        repo.due(T0, limit)
    with pytest.raises(InvalidInput, match="2\\*\\*63"):
        repo.claim_due(T0, limit, owner="w", lease=timedelta(minutes=5))
    with pytest.raises(InvalidInput, match="2\\*\\*63"):
        repo.dead_letters(limit)
    with pytest.raises(InvalidInput, match="2\\*\\*63"):
        repo.pending_notifications(limit)


def test_a_lease_past_a_year_is_invalid_input(repo: TicketRepository) -> None:
    for claim in (repo.claim_due, repo.claim_notifications):
        with pytest.raises(InvalidInput, match="lease"):
            claim(T0, 1, owner="w", lease=timedelta(days=999_999_999))


@attrs.frozen
class TeamPolicy:
    """
    Ann and Zoe are one team: each may view the other's tickets; otherwise the defaults.
    """

    base: DefaultAuthorization = attrs.Factory(DefaultAuthorization)

    def authorize(self, actor: Actor, action: Permission, ticket: Ticket | None) -> AccessDecision:
        if (
            action is Permission.VIEW
            and ticket is not None
            and {actor.id, ticket.requester} <= {"ann", "zoe"}
        ):
            return AccessDecision(True, "team")
        return self.base.authorize(actor, action, ticket)


def test_a_listing_under_a_host_policy_shows_what_view_shows() -> None:
    desk = attrs.evolve(Desk(), authorization=TeamPolicy())
    help_desk = HelpDesk(InMemoryTicketRepository(), InMemoryNotifier(), ManualClock(T0), desk)
    theirs = help_desk.open(ZOE, title="Printer jammed").id
    mine = help_desk.open(ANN, title="VPN down").id
    assert theirs == help_desk.view(ANN, theirs).id
    assert [theirs, mine] == [view.id for view in help_desk.tickets(ANN)]
