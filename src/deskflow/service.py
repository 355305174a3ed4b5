"""
The HelpDesk application service: what a host application calls.

Every command, whatever it touches, runs through one pipeline: load the ticket(s) ->
authorize the acting identity -> decide (a pure function of
[`deskflow.commands`][deskflow.commands], given the tickets, the actor, the desk and the
command's instant) -> save every touched ticket, its next check time and the notifications
it caused in ONE atomic write. The command returns then; workers deliver the outbox
(`tick()`, `deliver_pending()`, [`deskflow.worker`][deskflow.worker]), or, with
``deliver="inline"``, the command runs one delivery round itself, which never fails it.
A command that fails (not found, forbidden, invalid, lost race) stores nothing and sends
nothing; a merge or a split happens whole or not at all. The command's instant is taken
after loading and is never earlier than the last change of a ticket it loaded.

>>> from datetime import datetime, timezone
>>> from deskflow import Actor, Role
>>> from deskflow.adapters import InMemoryNotifier, InMemoryTicketRepository, ManualClock
>>> desk = HelpDesk(InMemoryTicketRepository(), InMemoryNotifier(),
...                 ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)))
>>> ann = Actor("ann", Role.REQUESTER)
>>> lee = Actor("lee", Role.AGENT, tier=1, groups={"service-desk"})
>>> ticket = desk.open(ann, title="VPN down", impact="high", urgency="medium")
>>> ticket.id, ticket.priority
('INC-1', <Priority.P2: 'P2'>)
>>> desk.assign(lee, "INC-1", group="service-desk", assignee="lee").state
'assigned'
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from deskflow import commands, relations
from deskflow._internal import checks as _checks
from deskflow._internal.field_service import FieldCommands
from deskflow._internal.listing import Reading
from deskflow._internal.macro_service import MacroCommands
from deskflow._internal.pipeline import DeliveryMode, checked_actor
from deskflow._internal.survey_service import SurveyCommands
from deskflow.actors import Actor
from deskflow.authorization import Permission, require
from deskflow.enums import Impact, LinkKind, Priority, TicketKind, Urgency
from deskflow.exceptions import InvalidInput
from deskflow.ports import Clock, KnowledgeBase, Notifier, TicketRepository
from deskflow.routing import Candidate
from deskflow.ticket import Ticket
from deskflow.views import TicketView

__all__ = ["DeliveryMode", "HelpDesk"]

log = logging.getLogger("deskflow.service")


class HelpDesk(MacroCommands, Reading, FieldCommands, SurveyCommands):
    """
    The commands of a help desk over a repository, a notifier and a clock.

    ``desk`` holds the policies (the defaults: ITIL workflows, the 3x3 matrix, ITIL SLA
    targets around the clock, default-deny authorization); ``knowledge_base`` receives
    resolutions as article candidates. The acting identity of every command is a parameter
    taken from the host's authenticated context, never a field of a request payload.

    ``set_fields`` and ``tag`` record custom fields and tags (see
    [`deskflow.fields`][deskflow.fields]); ``answer_survey`` takes a requester's answer to a
    satisfaction survey (see [`deskflow.surveys`][deskflow.surveys]).

    `tick()` does the time-based work of the due tickets and `deliver_pending()` hands the
    outbox to the notifier; both, like every command, run through the one pipeline. Options:

    - ``deliver``: ``"worker"`` (the default) — a command returns once saved and notifications
      wait for a worker's `tick()` or `deliver_pending()`; ``"inline"`` — each command also
      runs one delivery round after its save (for a simple host with no worker), whose
      failure never fails the command;
    - ``retry_policy``: a [`RetryPolicy`][deskflow.retry.RetryPolicy], how failed deliveries
      and failed time-based work are retried and how long claims last;
    - ``worker_id``: the name this help desk claims work under (default: host, process id and
      a random part, unique per object).
    """

    @classmethod
    def from_config(
        cls,
        config: object,
        *,
        repository: TicketRepository,
        notifier: Notifier,
        clock: Clock,
        knowledge_base: KnowledgeBase | None = None,
        **options: Any,
    ) -> HelpDesk:
        """
        Build a desk from a TOML or JSON file path or a mapping; see
        [`deskflow.config`][deskflow.config]. ``options`` are the constructor's (``deliver``,
        ``retry_policy``, ``worker_id``).
        """
        from deskflow.config import load_desk

        desk = load_desk(config)
        return cls(repository, notifier, clock, desk, knowledge_base=knowledge_base, **options)

    # -- opening ---------------------------------------------------------------------------

    def open(
        self,
        actor: Actor,
        *,
        title: str,
        description: str = "",
        kind: TicketKind | str = TicketKind.INCIDENT,
        requester: str | None = None,
        category: str | None = None,
        service: str | None = None,
        impact: Impact | str | None = None,
        urgency: Urgency | str | None = None,
        alert_key: str | None = None,
    ) -> TicketView:
        """
        Log a ticket (one per problem). Agents may log it for a ``requester``; a requester
        logs for themselves. With impact and urgency the priority policy sets the priority.
        """
        actor = checked_actor(actor)
        kind = _checks.member("kind", TicketKind, kind)
        require(self.desk.authorization, actor, Permission.OPEN, None)
        if kind not in self.desk.workflows:
            raise InvalidInput(f"this desk has no workflow for {kind.value} tickets")

        def decide(
            _loaded: tuple[Ticket, ...], new_ids: tuple[str, ...], now: datetime
        ) -> tuple[Sequence[Ticket], Sequence[str]]:
            ticket = commands.open_ticket(
                new_ids[0],
                actor,
                self.desk,
                now,
                title=title,
                description=description,
                kind=kind,
                requester=requester,
                category=category,
                service=service,
                impact=impact,
                urgency=urgency,
                alert_key=alert_key,
            )
            return (ticket,), (ticket.id,)

        return self._run(actor, (), decide, new=lambda _: (kind,))[0]

    def open_from_alert(
        self,
        actor: Actor,
        *,
        alert_key: str,
        title: str,
        description: str = "",
        service: str | None = None,
        category: str | None = None,
        impact: Impact | str | None = None,
        urgency: Urgency | str | None = None,
        requester: str | None = None,
    ) -> TicketView:
        """
        Open a pre-filled incident for a monitoring alert; a repeated alert adds an internal
        note to the ticket it already opened (while that ticket is not final) instead.
        """
        actor = checked_actor(actor)
        key = _checks.text("alert_key", alert_key)
        require(self.desk.authorization, actor, Permission.OPEN, None)
        finals = frozenset().union(*(wf.final for wf in self.desk.workflows.values()))
        existing = self.repository.open_by_alert_key(key, finals)
        if existing is None:
            return self.open(
                actor,
                title=title,
                description=description,
                requester=requester,
                service=service,
                category=category,
                impact=impact,
                urgency=urgency,
                alert_key=key,
            )

        return self._command(
            actor,
            existing.id,
            Permission.COMMENT_INTERNAL,
            commands.note_repeated_alert,
            alert_key=key,
            title=title,
        )

    # -- working a ticket --------------------------------------------------------------------

    def classify(
        self,
        actor: Actor,
        ticket_id: str,
        *,
        category: str | None = None,
        service: str | None = None,
        impact: Impact | str | None = None,
        urgency: Urgency | str | None = None,
        reason: str | None = None,
    ) -> TicketView:
        """
        Set or re-assess category, service, impact and urgency; the priority follows.
        """
        return self._command(
            actor,
            ticket_id,
            Permission.CLASSIFY,
            commands.classify,
            category=category,
            service=service,
            impact=impact,
            urgency=urgency,
            reason=reason,
        )

    def assign(
        self,
        actor: Actor,
        ticket_id: str,
        *,
        group: str | None = None,
        assignee: str | None = None,
        candidates: Sequence[Candidate] | None = None,
    ) -> TicketView:
        """
        Assign to a group and/or agent, or — given ``candidates`` and no assignee — to the
        one the desk's routing policy selects.
        """
        return self._command(
            actor,
            ticket_id,
            Permission.ASSIGN,
            commands.assign,
            group=group,
            assignee=assignee,
            candidates=candidates,
        )

    def start(self, actor: Actor, ticket_id: str) -> TicketView:
        """
        Start work; an unassigned ticket becomes the actor's.
        """
        return self._command(actor, ticket_id, Permission.START, commands.start)

    def request_info(self, actor: Actor, ticket_id: str, *, question: str) -> TicketView:
        """
        Ask the requester for more information (a public comment) and wait: pending.
        """
        return self._command(
            actor, ticket_id, Permission.REQUEST_INFO, commands.request_info, question=question
        )

    def reply(self, actor: Actor, ticket_id: str, *, body: str) -> TicketView:
        """
        The requester answers; a pending ticket goes back to work.
        """
        return self._command(actor, ticket_id, Permission.REPLY, commands.reply, body=body)

    def comment(
        self, actor: Actor, ticket_id: str, *, body: str, internal: bool = False
    ) -> TicketView:
        """
        Add a public reply or an internal note (staff only).
        """
        permission = Permission.COMMENT_INTERNAL if internal else Permission.COMMENT_PUBLIC
        return self._command(
            actor, ticket_id, permission, commands.comment, body=body, internal=internal
        )

    def hold(
        self, actor: Actor, ticket_id: str, *, reason: str, note: str | None = None
    ) -> TicketView:
        """
        Put the ticket on hold, waiting on a vendor, a change or a problem.
        """
        return self._command(
            actor, ticket_id, Permission.HOLD, commands.hold, reason=reason, note=note
        )

    def resume(self, actor: Actor, ticket_id: str) -> TicketView:
        """
        Resume work on a pending or held ticket.
        """
        return self._command(actor, ticket_id, Permission.RESUME, commands.resume)

    def escalate(
        self,
        actor: Actor,
        ticket_id: str,
        *,
        reason: str,
        tier: int | None = None,
        group: str | None = None,
    ) -> TicketView:
        """
        Functional escalation to a higher tier (the next one by default) and its group.
        """
        return self._command(
            actor,
            ticket_id,
            Permission.ESCALATE,
            commands.escalate,
            reason=reason,
            tier=tier,
            group=group,
        )

    def return_to_first_line(
        self, actor: Actor, ticket_id: str, *, reason: str, group: str | None = None
    ) -> TicketView:
        """
        Send the ticket back to tier 1 when the resolver group cannot place it.
        """
        return self._command(
            actor,
            ticket_id,
            Permission.RETURN_TO_FIRST_LINE,
            commands.return_to_first_line,
            reason=reason,
            group=group,
        )

    def resolve(self, actor: Actor, ticket_id: str, *, resolution: str) -> TicketView:
        """
        Give the solution (fulfil, for a service request); it is offered to the knowledge
        base as an article candidate.
        """
        view = self._command(
            actor, ticket_id, Permission.RESOLVE, commands.resolve, resolution=resolution
        )
        self._offer_resolution(view.id)
        return view

    def close(
        self,
        actor: Actor,
        ticket_id: str,
        *,
        rating: int | None = None,
        comment: str | None = None,
    ) -> TicketView:
        """
        Close a resolved ticket, with the requester's feedback (1 to 5) if given.
        """
        return self._command(
            actor, ticket_id, Permission.CLOSE, commands.close, rating=rating, comment=comment
        )

    def reopen(self, actor: Actor, ticket_id: str, *, reason: str) -> TicketView:
        """
        Reopen a resolved ticket within the workflow's reopen window.
        """
        return self._command(actor, ticket_id, Permission.REOPEN, commands.reopen, reason=reason)

    def cancel(self, actor: Actor, ticket_id: str, *, reason: str) -> TicketView:
        """
        Cancel: withdrawn, duplicate or no longer needed.
        """
        return self._command(actor, ticket_id, Permission.CANCEL, commands.cancel, reason=reason)

    def override_priority(
        self, actor: Actor, ticket_id: str, *, priority: Priority | str, reason: str
    ) -> TicketView:
        """
        Set the priority by hand (supervisors), with a reason kept in the history.
        """
        return self._command(
            actor,
            ticket_id,
            Permission.OVERRIDE_PRIORITY,
            commands.set_priority,
            priority=priority,
            reason=reason,
        )

    def acknowledge(self, actor: Actor, ticket_id: str) -> TicketView:
        """
        Acknowledge a page: the actor takes the ticket on, and an escalation ladder stops
        paging for this cycle. The next check time follows (a ladder's next step is gone).
        """
        return self._command(actor, ticket_id, Permission.ACKNOWLEDGE, commands.acknowledge)

    # -- approvals -------------------------------------------------------------------------

    def request_approval(self, actor: Actor, ticket_id: str) -> TicketView:
        """
        Ask the approval policy's first stage to approve a service request.
        """
        return self._command(
            actor, ticket_id, Permission.REQUEST_APPROVAL, commands.request_approval
        )

    def approve(self, actor: Actor, ticket_id: str, *, comment: str | None = None) -> TicketView:
        """
        Approve (never one's own request); the last approval needed approves the request.
        """
        return self._command(
            actor,
            ticket_id,
            Permission.APPROVE,
            commands.decide_approval,
            approved=True,
            comment=comment,
        )

    def reject(self, actor: Actor, ticket_id: str, *, comment: str | None = None) -> TicketView:
        """
        Reject; one rejection rejects the request.
        """
        return self._command(
            actor,
            ticket_id,
            Permission.REJECT,
            commands.decide_approval,
            approved=False,
            comment=comment,
        )

    # -- relations between tickets ---------------------------------------------------------

    def link(
        self,
        actor: Actor,
        ticket_id: str,
        *,
        other_id: str,
        kind: LinkKind | str = LinkKind.RELATED,
    ) -> TicketView:
        """
        Link two tickets, both ways, in one write (a final ticket is left as it is: only this
        one records the link). Merges and splits have their own commands.
        """
        actor = checked_actor(actor)

        def decide(
            loaded: tuple[Ticket, ...], _new: tuple[str, ...], now: datetime
        ) -> tuple[Sequence[Ticket], Sequence[str]]:
            ticket, other = relations.link(loaded[0], loaded[1], actor, self.desk, now, kind=kind)
            return (ticket, other), (ticket.id,)

        loads = [
            (ticket_id, Permission.LINK, True),
            (_checks.text("other_id", other_id), Permission.LINK, False),
        ]
        return self._run(actor, loads, decide)[0]

    def merge(self, actor: Actor, ticket_id: str, *, into: str) -> TicketView:
        """
        Merge a duplicate into another ticket: linked both ways, the duplicate cancelled, in
        one write.
        """
        actor = checked_actor(actor)

        def decide(
            loaded: tuple[Ticket, ...], _new: tuple[str, ...], now: datetime
        ) -> tuple[Sequence[Ticket], Sequence[str]]:
            ticket, target = relations.merge(loaded[0], loaded[1], actor, self.desk, now)
            return (ticket, target), (ticket.id,)

        loads = [
            (ticket_id, Permission.MERGE, True),
            (_checks.text("into", into), Permission.MERGE, False),
        ]
        return self._run(actor, loads, decide)[0]

    def split(self, actor: Actor, ticket_id: str, *, titles: Sequence[str]) -> list[TicketView]:
        """
        One ticket per problem: open a ticket for each title, linked both ways to this one.
        The new tickets and the link on this one are saved in one write.
        """
        actor = checked_actor(actor)
        if isinstance(titles, str) or not isinstance(titles, Sequence) or not titles:
            raise InvalidInput("split needs a non-empty list of titles")
        titles = [_checks.text("title", title) for title in titles]

        def decide(
            loaded: tuple[Ticket, ...], new_ids: tuple[str, ...], now: datetime
        ) -> tuple[Sequence[Ticket], Sequence[str]]:
            source, parts = relations.split(
                loaded[0], new_ids, actor, self.desk, now, titles=titles
            )
            return (source, *parts), [p.id for p in parts]

        # The parts are of the source's kind, so their ids take its prefix.
        return self._run(
            actor,
            [(ticket_id, Permission.SPLIT, True)],
            decide,
            new=lambda loaded: [loaded[0].kind] * len(titles),
        )
