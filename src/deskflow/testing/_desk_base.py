"""
The state of a DeskStateMachine run: the desk under test over a repository, an in-memory
notifier and a manual clock, the cast, the last command tried with the store before and after
it, and the helpers users' own rules and invariants read the desk through.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar, TypeVar

import attrs
from hypothesis import currently_in_test_context, event, note
from hypothesis.stateful import RuleBasedStateMachine, multiple

from deskflow.actors import SYSTEM, Actor
from deskflow.adapters import InMemoryNotifier, InMemoryTicketRepository, ManualClock
from deskflow.desk import Desk
from deskflow.events import ApprovalRequested, Escalated, FeedbackGiven, StateChanged
from deskflow.exceptions import DeskflowError
from deskflow.notifications import Notification
from deskflow.ports import TicketRepository
from deskflow.retry import RetryPolicy
from deskflow.service import HelpDesk
from deskflow.surveys import SurveySent
from deskflow.testing._desk_cast import Cast, cast_for, default_start, resolve_desk
from deskflow.ticket import Ticket

T = TypeVar("T")
#: More than any run queues: every pending notification in one read.
ALL = 100_000


@attrs.frozen
class Snapshot:
    """
    What the store holds and the notifier delivered at one moment.
    """

    tickets: dict[str, Ticket]
    pending: tuple[str, ...]
    sent: tuple[str, ...]


@attrs.frozen
class Attempt:
    """
    The last command tried: its name, who, on which ticket, the store before and after it and
    the error that refused it (None: accepted).
    """

    command: str
    actor: Actor | None
    ticket_id: str | None
    before: Snapshot
    error: DeskflowError | None
    after: Snapshot

    @property
    def changed(self) -> list[Ticket]:
        """
        The tickets the command added or saved.
        """
        before = self.before.tickets
        return [
            t
            for i, t in self.after.tickets.items()
            if i not in before or before[i].version != t.version
        ]


def _milestones(attempt: Attempt) -> list[str]:
    # What a step reached that a run should reach: approvals, escalations, reopen, auto-close.
    found: list[str] = []
    for ticket in attempt.changed:
        prior = attempt.before.tickets.get(ticket.id)
        for item in ticket.history[0 if prior is None else prior.version :]:
            if isinstance(item, ApprovalRequested):
                found.append("approval requested")
            elif isinstance(item, Escalated):
                found.append("escalation notice")
            elif isinstance(item, SurveySent):
                found.append("survey sent")
            elif (
                isinstance(item, FeedbackGiven)
                and prior is not None
                and prior.state == ticket.state
            ):
                found.append("survey answered")  # feedback without a close: a survey's answer
            elif isinstance(item, StateChanged):
                if item.trigger in ("approve", "reject", "reopen", "escalate"):
                    found.append(
                        {
                            "approve": "approved",
                            "reject": "rejected",
                            "reopen": "reopened",
                            "escalate": "escalated",
                        }[item.trigger]
                    )
                if item.trigger == "close" and item.actor == SYSTEM.id:
                    found.append("auto-closed")
    return found


class DeskBase(RuleBasedStateMachine):
    """
    The desk under test and what the rules and invariants share.
    """

    #: The desk: a Desk, a TOML/JSON file path or a mapping (None: the default desk).
    config: ClassVar[object] = None
    #: Actors to add to (or replace in) the cast derived from the configuration.
    actors: ClassVar[Sequence[Actor]] = ()
    #: False: the cast is ``actors`` alone, nothing derived from the configuration.
    derive_cast: ClassVar[bool] = True
    #: Categories and services tickets are opened with, besides those the desk names.
    categories: ClassVar[Sequence[str]] = ()
    services: ClassVar[Sequence[str]] = ()
    #: When the clock starts (None: a Friday at 16:30 in the desk's zone, before a DST change).
    start_at: ClassVar[datetime | None] = None
    #: The workflow triggers a requester may fire themselves (add "resolve" if yours may
    #: resolve their own tickets); any other by a requester fails the run.
    requester_triggers: ClassVar[frozenset[str]] = frozenset({"reply", "reopen", "close", "cancel"})
    #: Past this many tickets nothing new is opened: commands work the ones there are deeper.
    max_tickets: ClassVar[int] = 8
    #: What runs of this class reached, over all examples (steps, examples, milestones).
    reached: ClassVar[Counter[str]] = Counter()

    _desks: ClassVar[dict[type, tuple[Desk, Cast]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.reached = Counter()

    def __init__(self) -> None:
        super().__init__()
        desk, cast = self.desk_and_cast()
        self.desk: Desk = desk
        self.cast: Cast = cast
        self.repository: TicketRepository = self.make_repository()
        self.notifier = InMemoryNotifier()
        self.clock = ManualClock(self.start_at or default_start(desk))
        # Retries wait a seeded random part: a failing script replays with the same waits.
        retries = RetryPolicy(rng=random.Random(0))
        self.service = HelpDesk(
            self.repository, self.notifier, self.clock, desk, retry_policy=retries
        )
        self.last: Attempt | None = None
        self.secrets: set[str] = set()
        self.tick_failures: list[str] = []
        self.stored = 0
        #: The comments of the steps so far (what a failing script shows above each step).
        self.narration: list[str] = []
        type(self).reached["examples"] += 1

    @classmethod
    def desk_and_cast(cls) -> tuple[Desk, Cast]:
        """
        The desk ``config`` describes and its cast (loaded once per class).
        """
        if cls not in cls._desks:
            desk = resolve_desk(cls.config)
            cast = cast_for(desk, cls.actors, derive=cls.derive_cast)
            cast = attrs.evolve(
                cast,
                categories=tuple(dict.fromkeys([*cls.categories, *cast.categories])),
                services=tuple(dict.fromkeys([*cls.services, *cast.services])),
            )
            cls._desks[cls] = (desk, cast)
        return cls._desks[cls]

    def make_repository(self) -> TicketRepository:
        """
        The repository of one example (override for your own; ``teardown`` may release it).
        """
        return InMemoryTicketRepository()

    # -- helpers for your own rules and invariants -------------------------------------------

    def actor(self, actor_id: str) -> Actor:
        """
        The cast member ``actor_id``.
        """
        return self.cast.by_id[actor_id]

    def now(self) -> datetime:
        """
        The clock's instant.
        """
        return self.clock.now()

    def all_tickets(self) -> list[Ticket]:
        """
        Every stored ticket (as stored, internal entries included), oldest id first.
        """
        return list(self.snapshot().tickets.values())

    def notifications_sent(self) -> list[Notification]:
        """
        Every notification the notifier delivered, in order.
        """
        return list(self.notifier.sent)

    def notifications(self) -> list[Notification]:
        """
        Everything sent, then everything still waiting in the outbox.
        """
        return [*self.notifier.sent, *self.repository.pending_notifications(ALL)]

    def is_final(self, ticket: Ticket) -> bool:
        """
        True if ``ticket`` is in a final state of its workflow.
        """
        return self.desk.workflow_for(ticket).is_final(ticket.state)

    def say(self, comment: str) -> None:
        """
        Add ``comment`` to the script a failure prints (above the step it belongs to) and to
        ``narration``.
        """
        self.narration.append(comment)
        if currently_in_test_context():
            note(comment)

    def count(self, name: str) -> None:
        """
        Count ``name`` in Hypothesis' statistics (``--hypothesis-show-statistics``).
        """
        if currently_in_test_context():
            event(name)

    # -- running commands --------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """
        Every stored ticket (found through the state queries), the pending outbox and what
        was sent.
        """
        states = {s for wf in self.desk.workflows.values() for s in wf.states}
        found = {t.id: t for state in sorted(states) for t in self.repository.by_state(state)}
        tickets = dict(sorted(found.items()))
        pending = tuple(n.dedup_key for n in self.repository.pending_notifications(ALL))
        return Snapshot(tickets, pending, tuple(n.dedup_key for n in self.notifier.sent))

    def attempt(
        self, command: str, actor: Actor | None, ticket_id: str | None, call: Callable[[], T]
    ) -> T | None:
        """
        Run one command, remembering the store before and after it and any refusal.
        """
        before = self.snapshot()
        error: DeskflowError | None = None
        result: T | None = None
        try:
            result = call()
        except DeskflowError as refused:
            error = refused
        self.last = Attempt(command, actor, ticket_id, before, error, self.snapshot())
        self.stored = len(self.last.after.tickets)
        type(self).reached["steps"] += 1
        self.count(f"{command}: {'refused' if error else 'accepted'}")
        if error is not None:
            self.say(f"# {command} refused: {type(error).__name__}: {error}")
        for milestone in _milestones(self.last):
            type(self).reached[milestone] += 1
            self.count(f"reached: {milestone}")
        return result

    def opened(self, command: str, actor: Actor, call: Callable[[], Any]) -> Any:
        """
        Run a command that opens tickets; their ids go to the tickets bundle.
        """
        result = self.attempt(command, actor, None, call)
        views = [] if result is None else result if isinstance(result, list) else [result]
        for view in views:
            self.say(f"# opened {view.id}")
        return multiple(*(view.id for view in views))
