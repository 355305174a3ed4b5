"""
Random command sequences from random actors through HelpDesk, with a notifier that fails
at random, never break the service's invariants.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import ADA, ANN, KIM, LEE, MAX, SAM, ZOE, helpdesk
from deskflow import DeskflowError, Ticket
from deskflow.actors import Actor
from deskflow.adapters import InMemoryTicketRepository
from deskflow.enums import Role
from deskflow.events import NotificationQueued
from deskflow.service import HelpDesk
from deskflow.views import visible

ACTORS = [ANN, ZOE, LEE, KIM, SAM, MAX, ADA]
REQUESTERS = [a for a in ACTORS if a.role is Role.REQUESTER]


def _comment(desk: HelpDesk, actor: Actor, ticket_id: str, internal: bool) -> object:
    body = "internal detail" if internal else "public reply"
    return desk.comment(actor, ticket_id, body=body, internal=internal)


Command = Callable[[HelpDesk, Actor, str, st.DataObject], object]

COMMANDS: dict[str, Command] = {
    "classify": lambda d, a, t, data: d.classify(
        a,
        t,
        impact=data.draw(st.sampled_from(["high", "medium", "low"])),
        urgency=data.draw(st.sampled_from(["high", "medium", "low"])),
    ),
    "assign": lambda d, a, t, data: d.assign(
        a,
        t,
        group=data.draw(st.sampled_from(["service-desk", "network"])),
        assignee=data.draw(st.sampled_from(["lee", "kim", None])),
    ),
    "start": lambda d, a, t, data: d.start(a, t),
    "request_info": lambda d, a, t, data: d.request_info(a, t, question="Which version?"),
    "reply": lambda d, a, t, data: d.reply(a, t, body="Version 5"),
    "comment": lambda d, a, t, data: _comment(d, a, t, data.draw(st.booleans())),
    "hold": lambda d, a, t, data: d.hold(
        a, t, reason=data.draw(st.sampled_from(["vendor", "lunch"]))
    ),
    "resume": lambda d, a, t, data: d.resume(a, t),
    "escalate": lambda d, a, t, data: d.escalate(a, t, reason="beyond tier", group="network"),
    "return": lambda d, a, t, data: d.return_to_first_line(
        a, t, reason="not ours", group="service-desk"
    ),
    "resolve": lambda d, a, t, data: d.resolve(a, t, resolution="Fixed"),
    "close": lambda d, a, t, data: d.close(a, t, rating=data.draw(st.none() | st.integers(0, 6))),
    "reopen": lambda d, a, t, data: d.reopen(a, t, reason="still broken"),
    "cancel": lambda d, a, t, data: d.cancel(a, t, reason="withdrawn"),
    "override": lambda d, a, t, data: d.override_priority(a, t, priority="P1", reason="CEO"),
    "view": lambda d, a, t, data: d.view(a, t),
}


def _state(repo: InMemoryTicketRepository, ids: list[str]) -> tuple[object, ...]:
    return tuple(repo.get(i) for i in ids), tuple(
        n.dedup_key for n in repo.pending_notifications(10_000)
    )


@pytest.mark.slow
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_random_commands_keep_the_invariants(data: st.DataObject, seed: int) -> None:
    """
    Failed commands change nothing; histories replay; requesters never see internal entries;
    every queued notification is finally delivered exactly once, or is a dead letter.
    """
    # Inline delivery: every command also tries the outbox, through the failing notifier.
    desk, repo, notifier, clock = helpdesk(deliver="inline")
    notifier.fail_randomly(0.3, random.Random(seed))
    ids = [
        desk.open(r, title=f"Problem of {r.id}", impact="medium", urgency="low").id
        for r in REQUESTERS
    ]
    for _ in range(data.draw(st.integers(1, 30), label="steps")):
        clock.advance(
            data.draw(st.sampled_from([timedelta(0), timedelta(minutes=7), timedelta(hours=9)]))
        )
        if data.draw(st.integers(0, 9)) == 0:
            desk.tick()
            continue
        name = data.draw(st.sampled_from(sorted(COMMANDS)), label="command")
        ticket_id = data.draw(st.sampled_from([*ids, *ids, *ids, "INC-404"]), label="ticket")
        owner = next(
            (a for a in REQUESTERS if ticket_id.endswith(str(REQUESTERS.index(a) + 1))), None
        )
        # Mostly someone entitled to act (the owner or staff), sometimes anyone at all.
        likely = [a for a in ACTORS if a.role is not Role.REQUESTER or a is owner]
        actor = data.draw(st.sampled_from(likely) | st.sampled_from(ACTORS), label="actor")
        before, sent = _state(repo, ids), len(notifier.sent)
        try:
            COMMANDS[name](desk, actor, ticket_id, data)
        except DeskflowError:
            assert before == _state(repo, ids)
            assert sent == len(notifier.sent)
        for ticket_id in ids:
            ticket = repo.get(ticket_id)
            assert ticket == Ticket.replay(ticket.history)
            owner = next(a for a in REQUESTERS if a.id == ticket.requester)
            view = visible(owner, ticket)
            assert not any(event.internal for event in view.history)
            assert not any(comment.internal for comment in view.comments)
    notifier.recover()
    clock.advance(desk.retry_policy.cap)  # every failed item's backoff is over
    desk.deliver_pending(limit=1000)
    queued = {
        e.dedup_key for i in ids for e in repo.get(i).history if isinstance(e, NotificationQueued)
    }
    delivered = Counter(n.dedup_key for n in notifier.sent)
    # Nothing is lost: each key was delivered, or (after every attempt failed) is a dead letter.
    dead = {item.dedup_key for item in desk.dead_letters(1000)}
    assert set() == dead & set(delivered)
    assert queued == set(delivered) | dead
    assert all(1 == count for count in delivered.values())
    assert [] == repo.pending_notifications(10)
    requester_ids = {r.id for r in REQUESTERS}
    for note in notifier.sent:
        if set(note.recipients) & requester_ids:
            assert "internal detail" not in note.body
