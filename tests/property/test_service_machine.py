"""
A Hypothesis state machine over every command of HelpDesk, from a small cast of actors, on a
desk with business hours and an approval policy for service requests: whatever the commands,
their order and who calls them, the service keeps the promises it makes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from deskflow.actors import Actor
from deskflow.adapters import InMemoryNotifier, InMemoryTicketRepository, ManualClock
from deskflow.approval import ApprovalPolicy, ApprovalStage, approval_status
from deskflow.authorization import Permission
from deskflow.calendars import BusinessCalendar
from deskflow.desk import Desk
from deskflow.enums import Audience, LinkKind, Role, TicketKind, Trigger
from deskflow.events import Linked, StateChanged
from deskflow.exceptions import DeskflowError, PermissionDenied
from deskflow.notifications import Notification
from deskflow.service import HelpDesk
from deskflow.sla import SlaPolicy
from deskflow.ticket import Ticket
from deskflow.workflows import INCIDENT, SERVICE_REQUEST

ZONE = ZoneInfo("Europe/London")
#: A Friday half an hour before the office closes, two days before the clocks go forward: the
#: first advances cross closing time, a weekend and a DST change.
START = datetime(2026, 3, 27, 16, 30, tzinfo=ZONE)
OFFICE = BusinessCalendar(
    "Europe/London", {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
)
APPROVAL = ApprovalPolicy(
    [ApprovalStage(["max", "amy"], required="any"), ApprovalStage(["max"])],
    categories={"hardware"},
)
DESK = Desk(
    sla={
        TicketKind.INCIDENT: SlaPolicy.itil(OFFICE, workflow=INCIDENT),
        TicketKind.SERVICE_REQUEST: SlaPolicy.itil(OFFICE, workflow=SERVICE_REQUEST),
    },
    approval=APPROVAL,
)

ANN = Actor("ann", Role.REQUESTER)
ZOE = Actor("zoe", Role.REQUESTER)
LEE = Actor("lee", Role.AGENT, tier=1, groups={"service-desk"})
IVY = Actor("ivy", Role.AGENT, tier=2, groups={"service-desk"})
PAT = Actor("pat", Role.AGENT, tier=1, groups={"network"})
KIM = Actor("kim", Role.AGENT, tier=2, groups={"network"})
SAM = Actor("sam", Role.SUPERVISOR, groups={"service-desk", "network"})
MAX = Actor("max", Role.APPROVER)
#: An approver who raises requests of her own, which she must never approve.
AMY = Actor("amy", Role.APPROVER)
ROOT = Actor("root", Role.ADMIN)
CAST = (ANN, ZOE, LEE, IVY, PAT, KIM, SAM, MAX, AMY, ROOT)
BY_ID = {actor.id: actor for actor in CAST}
#: Those who only ever act on their own tickets.
REQUESTERS = (ANN, ZOE)
#: Everyone who is not staff: what they see is filtered of internal entries.
OUTSIDERS = (ANN, ZOE, MAX, AMY)
#: The people tickets are raised for.
REQUESTER_IDS = ("ann", "zoe", "amy")
ALL_STATES = tuple(dict.fromkeys((*INCIDENT.states, *SERVICE_REQUEST.states)))
#: Link kinds whose other end records the second of the pair; every other kind is answered
#: with a plain related link.
INVERSE = {
    LinkKind.MERGED_INTO: LinkKind.MERGED_FROM,
    LinkKind.MERGED_FROM: LinkKind.MERGED_INTO,
    LinkKind.SPLIT_INTO: LinkKind.SPLIT_FROM,
    LinkKind.SPLIT_FROM: LinkKind.SPLIT_INTO,
}
#: The workflow trigger each trigger-based command fires, with the permission it needs.
TRIGGERED = {
    "assign": (Trigger.ASSIGN, Permission.ASSIGN),
    "start": (Trigger.START, Permission.START),
    "request_info": (Trigger.REQUEST_INFO, Permission.REQUEST_INFO),
    "hold": (Trigger.HOLD, Permission.HOLD),
    "resume": (Trigger.RESUME, Permission.RESUME),
    "escalate": (Trigger.ESCALATE, Permission.ESCALATE),
    "return_to_first_line": (Trigger.RETURN_TO_FIRST_LINE, Permission.RETURN_TO_FIRST_LINE),
    "resolve": (Trigger.RESOLVE, Permission.RESOLVE),
    "close": (Trigger.CLOSE, Permission.CLOSE),
    "reopen": (Trigger.REOPEN, Permission.REOPEN),
    "cancel": (Trigger.CANCEL, Permission.CANCEL),
    "request_approval": (Trigger.REQUEST_APPROVAL, Permission.REQUEST_APPROVAL),
}

actors = st.sampled_from(CAST)
#: Staff more often than the others, for the commands staff do: the others are refused.
workers = st.sampled_from([LEE, IVY, PAT, KIM, SAM, ROOT]) | actors
#: Public text: lower-case words, sometimes blank (which every command refuses).
words = st.text(alphabet="abcdefgh ijklmnop", min_size=1, max_size=12)
maybe_words = st.none() | words
#: What makes an internal note recognizable: a marker and a token no public text can hold.
secrets = st.text(alphabet="0123456789abcdef", min_size=10, max_size=10).map(
    lambda token: f"INTERNAL-{token}"
)
groups = st.sampled_from([None, "service-desk", "network"])
levels = st.sampled_from([None, "high", "medium", "low"])
#: Real time to move on: some fixed steps across closing time, nights and weekends, some any.
advances = st.sampled_from(
    [
        timedelta(0),
        timedelta(minutes=31),
        timedelta(hours=1),
        timedelta(hours=16),
        timedelta(days=2, hours=16),
        timedelta(days=8),
    ]
) | st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3))

T = TypeVar("T")
#: Past this many tickets nothing new is opened: the commands then work the tickets there are
#: deeper into their lifecycles instead of spreading over ever more new ones.
MAX_TICKETS = 9


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
    The last command tried: who, on what, the store before it and how it ended.
    """

    command: str
    actor: Actor | None
    ticket_id: str | None
    before: Snapshot
    error: DeskflowError | None
    after: Snapshot


def _matches(kind: LinkKind, back: LinkKind) -> bool:
    # The back link of a pair: merged/split pairs answer in kind, the others with related.
    return (
        INVERSE.get(kind, LinkKind.RELATED) == back or INVERSE.get(back, LinkKind.RELATED) == kind
    )


class HelpDeskMachine(RuleBasedStateMachine):
    """
    Random commands from a random member of the cast, with the clock moving between them.
    """

    tickets = Bundle("tickets")

    def __init__(self) -> None:
        super().__init__()
        self.repository = InMemoryTicketRepository()
        self.notifier = InMemoryNotifier()
        self.clock = ManualClock(START)
        self.desk = HelpDesk(self.repository, self.notifier, self.clock, DESK)
        self.last: Attempt | None = None
        self.secrets: set[str] = set()
        self.finals: dict[str, Ticket] = {}
        self.tick_failures: list[str] = []
        self.stored = 0

    # -- looking at the store ------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """
        Every stored ticket (found through the state queries), the pending outbox and what
        was sent.
        """
        tickets = {t.id: t for state in ALL_STATES for t in self.repository.by_state(state)}
        pending = tuple(n.dedup_key for n in self.repository.pending_notifications(100_000))
        return Snapshot(tickets, pending, tuple(n.dedup_key for n in self.notifier.sent))

    def notifications(self) -> Iterator[Notification]:
        """
        Everything sent, then everything still waiting to be.
        """
        yield from self.notifier.sent
        yield from self.repository.pending_notifications(100_000)

    def attempt(
        self, command: str, actor: Actor | None, ticket_id: str | None, call: Callable[[], T]
    ) -> T | None:
        """
        Run one command, remembering the store before and after and any refusal.
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
        return result

    def opened(self, command: str, actor: Actor, call: Callable[[], Any]) -> Any:
        view = self.attempt(command, actor, None, call)
        return multiple() if view is None else view.id

    # -- opening ---------------------------------------------------------------------------

    @initialize(target=tickets)
    def first_tickets(self) -> Any:
        # Something in each early state from the first step: an incident being worked, a new
        # one, a hardware request awaiting approval raised by the approver who raises
        # requests, one not yet asked for and one approved (both stages).
        desk = self.desk
        worked = desk.open(LEE, title="vpn down", requester="ann", impact="high", urgency="low")
        desk.assign(LEE, worked.id, group="service-desk", assignee="lee")
        desk.start(LEE, worked.id)
        new = desk.open(ZOE, title="printer jam")
        hardware = {"kind": TicketKind.SERVICE_REQUEST, "category": "hardware"}
        awaiting = desk.open(AMY, title="new laptop", **hardware)
        desk.request_approval(LEE, awaiting.id)
        submitted = desk.open(ANN, title="second screen", **hardware)
        approved = desk.open(ZOE, title="docking station", **hardware)
        desk.request_approval(IVY, approved.id)
        desk.approve(MAX, approved.id)
        desk.approve(MAX, approved.id)
        self.stored = len(self.snapshot().tickets)
        return multiple(worked.id, new.id, awaiting.id, submitted.id, approved.id)

    @precondition(lambda self: self.stored < MAX_TICKETS)
    @rule(
        target=tickets,
        actor=actors,
        kind=st.sampled_from(TicketKind),
        requester=st.none() | st.sampled_from(REQUESTER_IDS),
        title=words,
        description=st.just("") | words,
        category=st.sampled_from([None, "hardware", "software"]),
        impact=levels,
        urgency=levels,
    )
    def open(
        self,
        actor: Actor,
        kind: TicketKind,
        requester: str | None,
        title: str,
        description: str,
        category: str | None,
        impact: str | None,
        urgency: str | None,
    ) -> Any:
        return self.opened(
            "open",
            actor,
            lambda: self.desk.open(
                actor,
                title=title,
                description=description,
                kind=kind,
                requester=requester,
                category=category,
                impact=impact,
                urgency=urgency,
            ),
        )

    @precondition(lambda self: self.stored < MAX_TICKETS)
    @rule(
        target=tickets,
        actor=actors,
        alert_key=st.sampled_from(["disk-full", "link-down"]),
        title=words,
        impact=levels,
        urgency=levels,
    )
    def open_from_alert(
        self, actor: Actor, alert_key: str, title: str, impact: str | None, urgency: str | None
    ) -> Any:
        # A repeated alert leaves an internal note naming the alert and the new title.
        self.secrets.add(f"Alert {alert_key} fired again: {title}")
        return self.opened(
            "open_from_alert",
            actor,
            lambda: self.desk.open_from_alert(
                actor, alert_key=alert_key, title=title, impact=impact, urgency=urgency
            ),
        )

    # -- working a ticket --------------------------------------------------------------------

    @rule(
        actor=workers,
        ticket_id=tickets,
        category=st.sampled_from([None, "hardware", "software"]),
        service=st.sampled_from([None, "email", "vpn"]),
        impact=levels,
        urgency=levels,
        reason=maybe_words,
    )
    def classify(
        self,
        actor: Actor,
        ticket_id: str,
        category: str | None,
        service: str | None,
        impact: str | None,
        urgency: str | None,
        reason: str | None,
    ) -> None:
        self.attempt(
            "classify",
            actor,
            ticket_id,
            lambda: self.desk.classify(
                actor,
                ticket_id,
                category=category,
                service=service,
                impact=impact,
                urgency=urgency,
                reason=reason,
            ),
        )

    @rule(
        actor=workers,
        ticket_id=tickets,
        group=groups,
        assignee=st.sampled_from([None, "lee", "ivy", "pat", "kim", "sam"]),
    )
    def assign(self, actor: Actor, ticket_id: str, group: str | None, assignee: str | None) -> None:
        self.attempt(
            "assign",
            actor,
            ticket_id,
            lambda: self.desk.assign(actor, ticket_id, group=group, assignee=assignee),
        )

    @rule(actor=workers, ticket_id=tickets)
    def start(self, actor: Actor, ticket_id: str) -> None:
        self.attempt("start", actor, ticket_id, lambda: self.desk.start(actor, ticket_id))

    @rule(actor=workers, ticket_id=tickets, question=words)
    def request_info(self, actor: Actor, ticket_id: str, question: str) -> None:
        self.attempt(
            "request_info",
            actor,
            ticket_id,
            lambda: self.desk.request_info(actor, ticket_id, question=question),
        )

    @rule(actor=actors, ticket_id=tickets, body=words)
    def reply(self, actor: Actor, ticket_id: str, body: str) -> None:
        self.attempt(
            "reply", actor, ticket_id, lambda: self.desk.reply(actor, ticket_id, body=body)
        )

    @rule(actor=actors, ticket_id=tickets, body=words)
    def comment_publicly(self, actor: Actor, ticket_id: str, body: str) -> None:
        self.attempt(
            "comment",
            actor,
            ticket_id,
            lambda: self.desk.comment(actor, ticket_id, body=body, internal=False),
        )

    @rule(actor=workers, ticket_id=tickets, before=st.text(max_size=6), secret=secrets)
    def comment_internally(self, actor: Actor, ticket_id: str, before: str, secret: str) -> None:
        self.secrets.add(secret)
        self.attempt(
            "comment",
            actor,
            ticket_id,
            lambda: self.desk.comment(actor, ticket_id, body=before + secret, internal=True),
        )

    @rule(
        actor=workers,
        ticket_id=tickets,
        reason=st.sampled_from(["vendor", "change", "problem", "lunch"]),
        note=maybe_words,
    )
    def hold(self, actor: Actor, ticket_id: str, reason: str, note: str | None) -> None:
        self.attempt(
            "hold",
            actor,
            ticket_id,
            lambda: self.desk.hold(actor, ticket_id, reason=reason, note=note),
        )

    @rule(actor=workers, ticket_id=tickets)
    def resume(self, actor: Actor, ticket_id: str) -> None:
        self.attempt("resume", actor, ticket_id, lambda: self.desk.resume(actor, ticket_id))

    @rule(
        actor=workers,
        ticket_id=tickets,
        reason=words,
        tier=st.sampled_from([None, 1, 2, 3]),
        group=groups,
    )
    def escalate(
        self, actor: Actor, ticket_id: str, reason: str, tier: int | None, group: str | None
    ) -> None:
        self.attempt(
            "escalate",
            actor,
            ticket_id,
            lambda: self.desk.escalate(actor, ticket_id, reason=reason, tier=tier, group=group),
        )

    @rule(actor=workers, ticket_id=tickets, reason=words, group=groups)
    def return_to_first_line(
        self, actor: Actor, ticket_id: str, reason: str, group: str | None
    ) -> None:
        self.attempt(
            "return_to_first_line",
            actor,
            ticket_id,
            lambda: self.desk.return_to_first_line(actor, ticket_id, reason=reason, group=group),
        )

    @rule(actor=workers, ticket_id=tickets, resolution=words)
    def resolve(self, actor: Actor, ticket_id: str, resolution: str) -> None:
        self.attempt(
            "resolve",
            actor,
            ticket_id,
            lambda: self.desk.resolve(actor, ticket_id, resolution=resolution),
        )

    @rule(actor=actors, ticket_id=tickets)
    def close(self, actor: Actor, ticket_id: str) -> None:
        self.attempt("close", actor, ticket_id, lambda: self.desk.close(actor, ticket_id))

    @rule(
        actor=actors,
        ticket_id=tickets,
        rating=st.integers(0, 6),
        comment=maybe_words,
    )
    def close_with_feedback(
        self, actor: Actor, ticket_id: str, rating: int, comment: str | None
    ) -> None:
        self.attempt(
            "close",
            actor,
            ticket_id,
            lambda: self.desk.close(actor, ticket_id, rating=rating, comment=comment),
        )

    @rule(actor=actors, ticket_id=tickets, reason=words)
    def reopen(self, actor: Actor, ticket_id: str, reason: str) -> None:
        self.attempt(
            "reopen", actor, ticket_id, lambda: self.desk.reopen(actor, ticket_id, reason=reason)
        )

    @rule(actor=actors, ticket_id=tickets, reason=words)
    def cancel(self, actor: Actor, ticket_id: str, reason: str) -> None:
        self.attempt(
            "cancel", actor, ticket_id, lambda: self.desk.cancel(actor, ticket_id, reason=reason)
        )

    @rule(
        actor=workers,
        ticket_id=tickets,
        priority=st.sampled_from(["P1", "P2", "P3", "P4", "P5"]),
        reason=words,
    )
    def override_priority(self, actor: Actor, ticket_id: str, priority: str, reason: str) -> None:
        self.attempt(
            "override_priority",
            actor,
            ticket_id,
            lambda: self.desk.override_priority(actor, ticket_id, priority=priority, reason=reason),
        )

    @rule(actor=workers, ticket_id=tickets)
    def acknowledge(self, actor: Actor, ticket_id: str) -> None:
        self.attempt(
            "acknowledge", actor, ticket_id, lambda: self.desk.acknowledge(actor, ticket_id)
        )

    # -- approvals -------------------------------------------------------------------------

    @rule(actor=workers, ticket_id=tickets)
    def request_approval(self, actor: Actor, ticket_id: str) -> None:
        self.attempt(
            "request_approval",
            actor,
            ticket_id,
            lambda: self.desk.request_approval(actor, ticket_id),
        )

    def awaited(self, ticket_id: str, pick: int | None) -> Actor | None:
        """
        One of the approvers the ticket's approval awaits (the ``pick``-th, in turn), or None
        if it awaits nobody or ``pick`` is None.
        """
        if pick is None:
            return None
        waiting = sorted(approval_status(self.repository.get(ticket_id)).awaiting)
        return BY_ID[waiting[pick % len(waiting)]] if waiting else None

    # Half the time someone the approval awaits, so that requests get decided; else anyone.
    @rule(ticket_id=tickets, anyone=actors, pick=st.none() | st.integers(0, 1), comment=maybe_words)
    def approve(self, ticket_id: str, anyone: Actor, pick: int | None, comment: str | None) -> None:
        actor = self.awaited(ticket_id, pick) or anyone
        self.attempt(
            "approve",
            actor,
            ticket_id,
            lambda: self.desk.approve(actor, ticket_id, comment=comment),
        )

    @rule(ticket_id=tickets, anyone=actors, pick=st.none() | st.integers(0, 1), comment=maybe_words)
    def reject(self, ticket_id: str, anyone: Actor, pick: int | None, comment: str | None) -> None:
        actor = self.awaited(ticket_id, pick) or anyone
        self.attempt(
            "reject",
            actor,
            ticket_id,
            lambda: self.desk.reject(actor, ticket_id, comment=comment),
        )

    # -- relations -------------------------------------------------------------------------

    @rule(
        actor=workers,
        ticket_id=tickets,
        other_id=tickets | st.just("INC-404"),
        kind=st.sampled_from(LinkKind),
    )
    def link(self, actor: Actor, ticket_id: str, other_id: str, kind: LinkKind) -> None:
        self.attempt(
            "link",
            actor,
            ticket_id,
            lambda: self.desk.link(actor, ticket_id, other_id=other_id, kind=kind),
        )

    @rule(actor=workers, ticket_id=tickets, into=tickets | st.just("REQ-404"))
    def merge(self, actor: Actor, ticket_id: str, into: str) -> None:
        self.attempt(
            "merge", actor, ticket_id, lambda: self.desk.merge(actor, ticket_id, into=into)
        )

    @precondition(lambda self: self.stored < MAX_TICKETS)
    @rule(
        target=tickets,
        actor=workers,
        ticket_id=tickets,
        titles=st.lists(words, min_size=1, max_size=3),
    )
    def split(self, actor: Actor, ticket_id: str, titles: list[str]) -> Any:
        parts = self.attempt(
            "split", actor, ticket_id, lambda: self.desk.split(actor, ticket_id, titles=titles)
        )
        return multiple(*(part.id for part in parts or ()))

    # -- time, delivery and reads ------------------------------------------------------------

    @rule(delta=advances)
    def advance_clock(self, delta: timedelta) -> None:
        self.last = None  # not a command
        self.clock.advance(delta)

    @rule(limit=st.integers(1, 1000))
    def tick(self, limit: int) -> None:
        report = self.attempt("tick", None, None, lambda: self.desk.tick(limit=limit))
        assert report is not None  # a tick refuses nothing: its failures are in the report
        self.tick_failures.extend(report.failed + report.conflicts)

    @rule(times=st.integers(1, 4))
    def notifier_fails(self, times: int) -> None:
        self.last = None  # not a command
        self.notifier.fail_next(times)

    @rule(limit=st.integers(1, 100))
    def deliver_pending(self, limit: int) -> None:
        self.attempt("deliver_pending", None, None, lambda: self.desk.deliver_pending(limit))

    @rule(actor=actors, ticket_id=tickets)
    def view(self, actor: Actor, ticket_id: str) -> None:
        self.attempt("view", actor, ticket_id, lambda: self.desk.view(actor, ticket_id))

    @rule(actor=actors, ticket_id=tickets)
    def sla(self, actor: Actor, ticket_id: str) -> None:
        self.attempt("sla", actor, ticket_id, lambda: self.desk.sla(actor, ticket_id))

    # -- invariants ------------------------------------------------------------------------

    @invariant()
    def tickets_are_the_fold_of_their_history(self) -> None:
        """
        Every stored ticket equals the replay of its history, and its version is the length
        of that history.
        """
        for ticket in self.snapshot().tickets.values():
            assert ticket == Ticket.replay(ticket.history)
            assert len(ticket.history) == ticket.version

    @invariant()
    def a_refused_command_changes_queues_and_sends_nothing(self) -> None:
        """
        A command that raised a DeskflowError left every stored ticket at its version, added
        no ticket, queued no notification and sent none.
        """
        last = self.last
        if last is None or last.error is None:
            return
        before, after = last.before, last.after
        assert {i: t.version for i, t in before.tickets.items()} == {
            i: t.version for i, t in after.tickets.items()
        }
        assert before.pending == after.pending
        assert before.sent == after.sent

    @invariant()
    def outsiders_never_read_an_internal_note(self) -> None:
        """
        No requester's or approver's view of a ticket, and no notification meant for a
        requester, holds the text of an internal note.
        """
        if not self.secrets:
            return
        tickets = self.snapshot().tickets
        for outsider in OUTSIDERS:
            for ticket_id in tickets:
                try:
                    view = self.desk.view(outsider, ticket_id)
                except PermissionDenied:
                    continue
                assert not view.includes_internal
                text = json.dumps(view.to_dict(), ensure_ascii=False)
                assert [] == [s for s in self.secrets if s in text], (outsider.id, ticket_id)
        for note in self.notifications():
            if note.audience is Audience.REQUESTER or set(note.recipients) & set(REQUESTER_IDS):
                text = f"{note.subject}\n{note.body}\n{note.data}"
                assert [] == [s for s in self.secrets if s in text], note.dedup_key

    @invariant()
    def final_tickets_never_change(self) -> None:
        """
        A ticket once closed, cancelled or rejected stays exactly as it was.
        """
        for ticket_id, ticket in self.snapshot().tickets.items():
            if ticket_id in self.finals:
                assert self.finals[ticket_id] == ticket
            elif DESK.workflow_for(ticket).is_final(ticket.state):
                self.finals[ticket_id] = ticket

    @invariant()
    def requesters_keep_to_their_own_tickets(self) -> None:
        """
        A requester may not view another requester's ticket, and no command of theirs changes
        one; an approver who raises requests changes others' tickets only by deciding them.
        """
        tickets = self.snapshot().tickets
        for requester in REQUESTERS:
            for ticket in tickets.values():
                if ticket.requester != requester.id:
                    with pytest.raises(PermissionDenied):
                        self.desk.view(requester, ticket.id)
        last = self.last
        if last is None or last.error is not None or last.actor not in (*REQUESTERS, AMY):
            return
        changed = [
            t
            for i, t in last.after.tickets.items()
            if i not in last.before.tickets or last.before.tickets[i].version != t.version
        ]
        if last.actor is AMY and last.command in ("approve", "reject"):
            return
        assert [] == [t.id for t in changed if t.requester != last.actor.id]

    @invariant()
    def each_notification_is_delivered_once(self) -> None:
        """
        No dedup key reaches the notifier twice.
        """
        counts = Counter(n.dedup_key for n in self.notifier.sent)
        assert [] == [key for key, count in counts.items() if count > 1]

    def asked_about_own_request(self) -> list[str]:
        """
        The approval requests sent (or waiting to be sent) to the person who raised the
        request.
        """
        tickets = self.snapshot().tickets
        return [
            note.dedup_key
            for note in self.notifications()
            if note.template == "approval_requested"
            and tickets[note.ticket_id].requester in note.recipients
        ]

    @invariant()
    def approvers_are_not_asked_about_their_own_requests(self) -> None:
        """
        Nobody is sent approval_requested for a request they raised.
        """
        assert [] == self.asked_about_own_request()

    @invariant()
    def nobody_approves_their_own_request(self) -> None:
        """
        An approval by the requester of the request is always refused.
        """
        last = self.last
        if last is None or last.command != "approve" or last.actor is None:
            return
        ticket = last.before.tickets.get(last.ticket_id or "")
        if ticket is not None and ticket.requester == last.actor.id:
            assert last.error is not None

    @invariant()
    def links_come_in_pairs(self) -> None:
        """
        Every link has its back link on the other ticket, written by the same command, unless
        the other ticket was final when linked; a merged ticket is cancelled and linked
        merged_into / merged_from both ways; split parts link split_from to their source.
        """
        tickets = self.snapshot().tickets
        for ticket in tickets.values():
            for event in ticket.history:
                if not isinstance(event, Linked):
                    continue
                other = tickets[event.other_id]
                back = [
                    e
                    for e in other.history
                    if isinstance(e, Linked)
                    and e.other_id == ticket.id
                    and e.at == event.at
                    and _matches(event.link_kind, e.link_kind)
                ]
                if not back:
                    # One way only: the other ticket was final when linked, and still is.
                    assert DESK.workflow_for(other).is_final(other.state), (ticket.id, event)
                    assert other.updated_at <= event.at, (ticket.id, event)
                    assert event.link_kind in (
                        LinkKind.RELATED,
                        LinkKind.DUPLICATE_OF,
                        LinkKind.CAUSED_BY,
                    )
                if event.link_kind is LinkKind.MERGED_INTO:
                    assert "cancelled" == ticket.state
                    assert [LinkKind.MERGED_FROM] == [e.link_kind for e in back], ticket.id
                if event.link_kind is LinkKind.SPLIT_FROM:
                    assert [LinkKind.SPLIT_INTO] == [e.link_kind for e in back], ticket.id

    @invariant()
    def state_changes_follow_the_workflow(self) -> None:
        """
        Every state change a command recorded, on any ticket it touched, left the state the
        ticket was in by a trigger the workflow allows there, for the state it leads to.
        """
        last = self.last
        if last is None:
            return
        for ticket_id, ticket in last.after.tickets.items():
            prior = last.before.tickets.get(ticket_id)
            start = 0 if prior is None else prior.version
            state = ticket.opened.state if prior is None else prior.state
            workflow = DESK.workflow_for(ticket)
            for event in ticket.history[start:]:
                if isinstance(event, StateChanged):
                    assert state == event.source
                    assert event.trigger in workflow.allowed(state), (ticket_id, event)
                    assert workflow.destination(state, event.trigger) == event.dest
                    state = event.dest
            assert state == ticket.state

    @invariant()
    def the_workflow_says_what_the_service_accepts(self) -> None:
        """
        A trigger-based command accepted fired its trigger from a state the workflow allows it
        in and landed where the workflow says; from a state the workflow does not allow it in,
        a permitted actor's command is refused, and not for want of permission.
        """
        last = self.last
        if last is None or last.command not in TRIGGERED or last.actor is None:
            return
        target = last.before.tickets.get(last.ticket_id or "")
        if target is None:
            return
        trigger, permission = TRIGGERED[last.command]
        workflow = DESK.workflow_for(target)
        if trigger == Trigger.RESOLVE and target.kind is TicketKind.SERVICE_REQUEST:
            trigger = Trigger.FULFIL
        allowed = trigger in workflow.allowed(target.state)
        if last.error is None:
            assert allowed, (last.command, target.state)
            fired = [
                e
                for e in last.after.tickets[target.id].history[target.version :]
                if isinstance(e, StateChanged)
            ]
            assert trigger == fired[0].trigger
            assert workflow.destination(target.state, trigger) == fired[0].dest
        elif not allowed and DESK.authorization.authorize(last.actor, permission, target).allowed:
            assert not isinstance(last.error, PermissionDenied), last.error

    @invariant()
    def a_tick_fails_on_no_ticket(self) -> None:
        """
        The time-based work of every due ticket is saved: none fails, none loses a race (one
        process, nobody else writing).
        """
        assert [] == self.tick_failures


HelpDeskMachine.TestCase.settings = settings(
    deadline=None, suppress_health_check=list(HealthCheck), stateful_step_count=100
)
TestHelpDeskMachine = HelpDeskMachine.TestCase


def test_an_approver_who_raised_a_request_is_not_asked_to_approve_it() -> None:
    """
    An approver who raised a hardware request is not sent approval_requested for it.
    """
    machine = HelpDeskMachine()
    ticket_id = machine.open(
        AMY,
        kind=TicketKind.SERVICE_REQUEST,
        requester=None,
        title="new laptop",
        description="",
        category="hardware",
        impact=None,
        urgency=None,
    )
    machine.request_approval(LEE, ticket_id)
    assert machine.last is not None
    assert machine.last.error is None
    assert [] == machine.asked_about_own_request()
