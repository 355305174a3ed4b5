"""
The HelpDesk application service: what a host application calls.

Every command loads the ticket, authorizes the acting identity, applies the domain, saves
with the version it loaded — the ticket, its next check time and the notifications it
caused, in one save — and only then hands notifications to the notifier. A command that
fails (not found, forbidden, invalid, lost race) stores nothing and sends nothing.

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
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from deskflow._internal import checks as _checks
from deskflow.actors import Actor
from deskflow.approval import ApprovalOutcome, decide, outcome
from deskflow.approval import request_approval as ask_for_approval
from deskflow.authorization import Permission, require
from deskflow.desk import Desk
from deskflow.enums import Impact, LinkKind, Priority, TicketKind, Trigger, Urgency, Visibility
from deskflow.events import Classified, CommentAdded, FeedbackGiven, Linked
from deskflow.exceptions import (
    ConcurrencyError,
    DeskflowError,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from deskflow.outbox import Delivery, queue_notifications
from deskflow.policies.priority_rules import override_priority, reprioritize
from deskflow.ports import Clock, KnowledgeBase, Notifier, TicketRepository
from deskflow.routing import Candidate
from deskflow.sla import SlaReport
from deskflow.tick import TickReport, tick_one
from deskflow.ticket import Ticket
from deskflow.views import TicketView, visible

__all__ = ["Delivery", "HelpDesk", "TickReport"]


log = logging.getLogger("deskflow.service")

_LINKABLE = (LinkKind.RELATED, LinkKind.DUPLICATE_OF, LinkKind.CAUSED_BY)
_INVERSE_LINKS = {
    LinkKind.MERGED_INTO: LinkKind.MERGED_FROM,
    LinkKind.SPLIT_INTO: LinkKind.SPLIT_FROM,
}


def _actor(value: object) -> Actor:
    if not isinstance(value, Actor):
        raise InvalidInput(
            f"actor must be an Actor from the host's authenticated context, got "
            f"{type(value).__name__}"
        )
    return value


class HelpDesk:
    """
    The commands of a help desk over a repository, a notifier and a clock.

    ``desk`` holds the policies (the defaults: ITIL workflows, the 3x3 matrix, ITIL SLA
    targets around the clock, default-deny authorization); ``knowledge_base`` receives
    resolutions as article candidates. The acting identity of every command is a parameter
    taken from the host's authenticated context, never a field of a request payload.
    """

    def __init__(
        self,
        repository: TicketRepository,
        notifier: Notifier,
        clock: Clock,
        desk: Desk | None = None,
        *,
        knowledge_base: KnowledgeBase | None = None,
    ) -> None:
        self.repository = repository
        self.notifier = notifier
        self.clock = clock
        self.desk = desk if desk is not None else Desk()
        self.knowledge_base = knowledge_base
        self._counters: dict[str, int] = {}

    @classmethod
    def from_config(
        cls,
        config: object,
        *,
        repository: TicketRepository,
        notifier: Notifier,
        clock: Clock,
        knowledge_base: KnowledgeBase | None = None,
    ) -> HelpDesk:
        """
        Build a desk from a TOML or JSON file path or a mapping; see
        [`deskflow.config`][deskflow.config].
        """
        from deskflow.config import load_desk

        return cls(repository, notifier, clock, load_desk(config), knowledge_base=knowledge_base)

    # -- plumbing ------------------------------------------------------------------------

    def _now(self) -> datetime:
        return _checks.aware("clock.now()", self.clock.now())

    def _load(self, actor: Actor, ticket_id: str, action: Permission) -> Ticket:
        ticket = self.repository.get(_checks.text("ticket_id", ticket_id))
        require(self.desk.authorization, actor, action, ticket)
        return ticket

    def _next_check(self, ticket: Ticket, now: datetime) -> datetime | None:
        if self.desk.workflow_for(ticket).is_final(ticket.state):
            return None
        report = self.desk.sla_for(ticket).evaluate(ticket, now)
        candidates = [report.next_check_at, self.desk.auto_close_at(ticket)]
        escalation = self.desk.escalation_for(ticket)
        if escalation is not None:
            candidates.append(escalation.next_check_at(ticket, report, now))
        upcoming = [c for c in candidates if c is not None]
        if not upcoming:
            return None
        # Something already due is checked by the next tick, not by a busy loop.
        return max(min(upcoming), now + timedelta(seconds=1))

    def _store(self, before: Ticket | None, after: Ticket, now: datetime) -> Ticket:
        after, outbox = queue_notifications(before, after, now, rules=self.desk.notification_rules)
        next_check = self._next_check(after, now)
        if before is None:
            self.repository.add(after, next_check_at=next_check, outbox=outbox)
        else:
            self.repository.save(
                after, expected_version=before.version, next_check_at=next_check, outbox=outbox
            )
        return after

    def _command(
        self,
        actor: Actor,
        ticket_id: str,
        action: Permission,
        change: Callable[[Ticket, datetime], Ticket],
    ) -> TicketView:
        actor = _actor(actor)
        now = self._now()
        ticket = self._load(actor, ticket_id, action)
        self._refuse_final(ticket, action)
        changed = change(ticket, now)
        # Every check (the view included) before the write: a refused command stores nothing.
        require(self.desk.authorization, actor, Permission.VIEW, changed)
        stored = self._store(ticket, changed, now)
        self.deliver_pending()
        return visible(actor, stored, policy=self.desk.authorization)

    def _refuse_final(self, ticket: Ticket, action: Permission) -> None:
        # Closed, cancelled and rejected tickets are final and immutable, whatever the command.
        workflow = self.desk.workflow_for(ticket)
        if workflow.is_final(ticket.state):
            raise InvalidTransition(
                f"ticket {ticket.id} is {ticket.state}, which is final: it cannot {action.value}",
                trigger=action.value,
                state=ticket.state,
                allowed=(),
                reason=f"{ticket.state} is final",
            )

    def _refuse_unapproved(self, ticket: Ticket) -> None:
        # A request that needs approval is worked only once approved.
        policy = self.desk.approval
        if policy is None or ticket.kind is not TicketKind.SERVICE_REQUEST:
            return
        if policy.needs_approval(ticket) and outcome(ticket) is not ApprovalOutcome.APPROVED:
            raise InvalidTransition(
                f"request {ticket.id} needs approval before it is assigned",
                trigger=Trigger.ASSIGN,
                state=ticket.state,
                allowed=self.desk.workflow_for(ticket).allowed(ticket.state),
                reason="approval pending or not requested",
            )

    def _fire(
        self, trigger: str, actor: Actor, **details: str | int | None
    ) -> Callable[[Ticket, datetime], Ticket]:
        def change(ticket: Ticket, now: datetime) -> Ticket:
            workflow = self.desk.workflow_for(ticket)
            return workflow.fire(ticket, trigger, actor=actor, at=now, **details)

        return change

    def _new_id(self, kind: TicketKind) -> str:
        prefix = self.desk.id_prefixes[kind]
        number = self._counters.get(prefix, 0)
        while True:
            number += 1
            candidate = f"{prefix}-{number}"
            try:
                self.repository.get(candidate)
            except NotFound:
                self._counters[prefix] = number
                return candidate

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
        actor = _actor(actor)
        kind = _checks.member("kind", TicketKind, kind)
        require(self.desk.authorization, actor, Permission.OPEN, None)
        if actor.is_agent or actor.role.value == "system":
            requester_id = _checks.text("requester", requester or actor.id)
        else:
            requester_id = actor.id
            if requester not in (None, actor.id):
                raise InvalidInput("a requester opens tickets for themselves only")
        if kind not in self.desk.workflows:
            raise InvalidInput(f"this desk has no workflow for {kind.value} tickets")
        workflow = self.desk.workflows[kind]
        now = self._now()
        for _attempt in range(100):
            ticket = workflow.open(
                self._new_id(kind),
                title=title,
                description=description,
                requester=requester_id,
                actor=actor,
                at=now,
                category=category,
                service=service,
                impact=impact,
                urgency=urgency,
                alert_key=alert_key,
            )
            if ticket.impact is not None and ticket.urgency is not None:
                ticket = reprioritize(ticket, self.desk.priority, actor=actor, at=now)
            try:
                stored = self._store(None, ticket, now)
            except ConcurrencyError:
                continue  # another process took the id: take the next one
            self.deliver_pending()
            return visible(actor, stored, policy=self.desk.authorization)
        raise ConcurrencyError("could not find a free ticket id after 100 attempts")

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
        actor = _actor(actor)
        key = _checks.text("alert_key", alert_key)
        require(self.desk.authorization, actor, Permission.OPEN, None)
        finals = frozenset().union(*(wf.final for wf in self.desk.workflows.values()))
        existing = self.repository.open_by_alert_key(key, finals)
        if existing is None:
            return self.open(
                actor,
                title=title,
                description=description,
                requester=requester or actor.id,
                service=service,
                category=category,
                impact=impact,
                urgency=urgency,
                alert_key=key,
            )
        require(self.desk.authorization, actor, Permission.COMMENT_INTERNAL, existing)
        require(self.desk.authorization, actor, Permission.VIEW, existing)
        now = self._now()
        note = CommentAdded(
            at=now,
            actor=actor.id,
            body=f"Alert {key} fired again: {title}",
            visibility=Visibility.INTERNAL,
            author_role=actor.role,
        )
        stored = self._store(existing, existing.record(note), now)
        self.deliver_pending()
        return visible(actor, stored, policy=self.desk.authorization)

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

        def change(ticket: Ticket, now: datetime) -> Ticket:
            ticket = ticket.record(
                Classified(
                    at=now,
                    actor=actor.id,
                    category=_checks.optional_text("category", category),
                    service=_checks.optional_text("service", service),
                    impact=impact,
                    urgency=urgency,
                    reason=reason,
                )
            )
            # Only a re-assessment of impact or urgency moves the priority: re-filing the
            # category must not undo a supervisor's override.
            reassessed = impact is not None or urgency is not None
            if reassessed and ticket.impact is not None and ticket.urgency is not None:
                ticket = reprioritize(
                    ticket, self.desk.priority, actor=actor, at=now, reason=reason
                )
            return ticket

        return self._command(actor, ticket_id, Permission.CLASSIFY, change)

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

        def change(ticket: Ticket, now: datetime) -> Ticket:
            self._refuse_unapproved(ticket)
            chosen_group, chosen, reason = group, assignee, None
            if candidates is not None and assignee is None:
                if self.desk.routing is None:
                    raise InvalidInput("this desk has no routing policy to choose from candidates")
                decision = self.desk.routing.select(ticket, list(candidates), now)
                chosen, reason = decision.agent, decision.reason
                chosen_group = group or decision.group
            return self._fire(
                Trigger.ASSIGN, actor, group=chosen_group, assignee=chosen, reason=reason
            )(ticket, now)

        return self._command(actor, ticket_id, Permission.ASSIGN, change)

    def start(self, actor: Actor, ticket_id: str) -> TicketView:
        """
        Start work; an unassigned ticket becomes the actor's.
        """

        def change(ticket: Ticket, now: datetime) -> Ticket:
            assignee = actor.id if ticket.assignee is None else None
            return self._fire(Trigger.START, actor, assignee=assignee)(ticket, now)

        return self._command(actor, ticket_id, Permission.START, change)

    def _say(
        self, actor: Actor, body: str, *, internal: bool = False
    ) -> Callable[[Ticket, datetime], Ticket]:
        text = _checks.text("body", body)

        def change(ticket: Ticket, now: datetime) -> Ticket:
            return ticket.record(
                CommentAdded(
                    at=now,
                    actor=actor.id,
                    body=text,
                    visibility=Visibility.INTERNAL if internal else Visibility.PUBLIC,
                    author_role=actor.role,
                )
            )

        return change

    def request_info(self, actor: Actor, ticket_id: str, *, question: str) -> TicketView:
        """
        Ask the requester for more information (a public comment) and wait: pending.
        """
        ask, wait = self._say(actor, question), self._fire(Trigger.REQUEST_INFO, actor)
        return self._command(
            actor, ticket_id, Permission.REQUEST_INFO, lambda t, now: wait(ask(t, now), now)
        )

    def reply(self, actor: Actor, ticket_id: str, *, body: str) -> TicketView:
        """
        The requester answers; a pending ticket goes back to work.
        """
        say = self._say(actor, body)

        def change(ticket: Ticket, now: datetime) -> Ticket:
            ticket = say(ticket, now)
            if Trigger.REPLY in self.desk.workflow_for(ticket).allowed(ticket.state):
                ticket = self._fire(Trigger.REPLY, actor)(ticket, now)
            return ticket

        return self._command(actor, ticket_id, Permission.REPLY, change)

    def comment(
        self, actor: Actor, ticket_id: str, *, body: str, internal: bool = False
    ) -> TicketView:
        """
        Add a public reply or an internal note (staff only).
        """
        action = Permission.COMMENT_INTERNAL if internal else Permission.COMMENT_PUBLIC
        return self._command(actor, ticket_id, action, self._say(actor, body, internal=internal))

    def hold(
        self, actor: Actor, ticket_id: str, *, reason: str, note: str | None = None
    ) -> TicketView:
        """
        Put the ticket on hold, waiting on a vendor, a change or a problem.
        """
        return self._command(
            actor,
            ticket_id,
            Permission.HOLD,
            self._fire(Trigger.HOLD, actor, hold_reason=reason, reason=note),
        )

    def resume(self, actor: Actor, ticket_id: str) -> TicketView:
        """
        Resume work on a pending or held ticket.
        """
        return self._command(actor, ticket_id, Permission.RESUME, self._fire(Trigger.RESUME, actor))

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

        def change(ticket: Ticket, now: datetime) -> Ticket:
            target = ticket.tier + 1 if tier is None else tier
            return self._fire(
                Trigger.ESCALATE,
                actor,
                tier=target,
                group=group,
                reason=_checks.text("reason", reason),
            )(ticket, now)

        return self._command(actor, ticket_id, Permission.ESCALATE, change)

    def return_to_first_line(
        self, actor: Actor, ticket_id: str, *, reason: str, group: str | None = None
    ) -> TicketView:
        """
        Send the ticket back to tier 1 when the resolver group cannot place it.
        """
        fire = self._fire(
            Trigger.RETURN_TO_FIRST_LINE, actor, group=group, reason=_checks.text("reason", reason)
        )
        return self._command(actor, ticket_id, Permission.RETURN_TO_FIRST_LINE, fire)

    def resolve(self, actor: Actor, ticket_id: str, *, resolution: str) -> TicketView:
        """
        Give the solution (fulfil, for a service request); it is offered to the knowledge
        base as an article candidate.
        """

        def change(ticket: Ticket, now: datetime) -> Ticket:
            workflow = self.desk.workflow_for(ticket)
            trigger = Trigger.RESOLVE if Trigger.RESOLVE in workflow.triggers else Trigger.FULFIL
            return self._fire(trigger, actor, resolution=resolution)(ticket, now)

        view = self._command(actor, ticket_id, Permission.RESOLVE, change)
        if self.knowledge_base is not None:
            try:
                self.knowledge_base.record_resolution(self.repository.get(view.id))
            except Exception:  # the resolution is saved; a knowledge base hiccup must not undo it
                log.exception("could not offer the resolution of %s to the knowledge base", view.id)
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
        actor = _actor(actor)
        close = self._fire(Trigger.CLOSE, actor)

        def change(ticket: Ticket, now: datetime) -> Ticket:
            ticket = close(ticket, now)
            if rating is not None:
                require(self.desk.authorization, actor, Permission.FEEDBACK, ticket)
                ticket = ticket.record(
                    FeedbackGiven(at=now, actor=actor.id, rating=rating, comment=comment)
                )
            return ticket

        return self._command(actor, ticket_id, Permission.CLOSE, change)

    def reopen(self, actor: Actor, ticket_id: str, *, reason: str) -> TicketView:
        """
        Reopen a resolved ticket within the workflow's reopen window.
        """
        fire = self._fire(Trigger.REOPEN, actor, reason=_checks.text("reason", reason))
        return self._command(actor, ticket_id, Permission.REOPEN, fire)

    def cancel(self, actor: Actor, ticket_id: str, *, reason: str) -> TicketView:
        """
        Cancel: withdrawn, duplicate or no longer needed.
        """
        fire = self._fire(Trigger.CANCEL, actor, reason=_checks.text("reason", reason))
        return self._command(actor, ticket_id, Permission.CANCEL, fire)

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
            lambda t, now: override_priority(t, priority, actor=actor, at=now, reason=reason),
        )

    # -- approvals -------------------------------------------------------------------------

    def request_approval(self, actor: Actor, ticket_id: str) -> TicketView:
        """
        Ask the approval policy's first stage to approve a service request.
        """

        def change(ticket: Ticket, now: datetime) -> Ticket:
            if self.desk.approval is None:
                raise InvalidInput("this desk has no approval policy")
            ticket = ask_for_approval(ticket, self.desk.approval, actor=actor, at=now)
            return self._fire(Trigger.REQUEST_APPROVAL, actor)(ticket, now)

        return self._command(actor, ticket_id, Permission.REQUEST_APPROVAL, change)

    def _decide(
        self, actor: Actor, ticket_id: str, approved: bool, comment: str | None
    ) -> TicketView:
        def change(ticket: Ticket, now: datetime) -> Ticket:
            if self.desk.approval is None:
                raise InvalidInput("this desk has no approval policy")
            ticket = decide(
                ticket,
                self.desk.approval,
                approver=actor,
                approved=approved,
                at=now,
                comment=comment,
            )
            result = outcome(ticket)
            if result is ApprovalOutcome.APPROVED:
                return self._fire(Trigger.APPROVE, actor)(ticket, now)
            if result is ApprovalOutcome.REJECTED:
                return self._fire(Trigger.REJECT, actor, reason=comment)(ticket, now)
            return ticket

        return self._command(
            actor, ticket_id, Permission.APPROVE if approved else Permission.REJECT, change
        )

    def approve(self, actor: Actor, ticket_id: str, *, comment: str | None = None) -> TicketView:
        """
        Approve (never one's own request); the last approval needed approves the request.
        """
        return self._decide(actor, ticket_id, True, comment)

    def reject(self, actor: Actor, ticket_id: str, *, comment: str | None = None) -> TicketView:
        """
        Reject; one rejection rejects the request.
        """
        return self._decide(actor, ticket_id, False, comment)

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
        Link two tickets, both ways (a final ticket is left as it is: only this one records
        the link). Merges and splits have their own commands.
        """
        actor = _actor(actor)
        link_kind = _checks.member("kind", LinkKind, kind)
        if link_kind not in _LINKABLE:
            accepted = ", ".join(k.value for k in _LINKABLE)
            raise InvalidInput(
                f"link kind must be one of {accepted}; use merge or split for {kind}"
            )
        return self._pair(actor, ticket_id, other_id, Permission.LINK, link_kind, None)

    def merge(self, actor: Actor, ticket_id: str, *, into: str) -> TicketView:
        """
        Merge a duplicate into another ticket: linked both ways, the duplicate cancelled.
        """
        actor = _actor(actor)
        return self._pair(
            actor, ticket_id, into, Permission.MERGE, LinkKind.MERGED_INTO, Trigger.CANCEL
        )

    def _pair(
        self,
        actor: Actor,
        ticket_id: str,
        other_id: str,
        action: Permission,
        kind: LinkKind,
        then: str | None,
    ) -> TicketView:
        now = self._now()
        ticket = self._load(actor, ticket_id, action)
        self._refuse_final(ticket, action)
        other = self._load(actor, _checks.text("other_id", other_id), action)
        if ticket.id == other.id:
            raise InvalidInput("a ticket cannot be linked to itself")
        other_final = self.desk.workflow_for(other).is_final(other.state)
        if then is not None and other_final:
            raise InvalidTransition(
                f"cannot {action.value} {ticket.id} into {other.id}: it is {other.state}",
                trigger=action.value,
                state=ticket.state,
                allowed=self.desk.workflow_for(ticket).allowed(ticket.state),
                reason=f"{other.id} is final",
            )
        changed = ticket.record(Linked(at=now, actor=actor.id, other_id=other.id, link_kind=kind))
        if then is not None:
            workflow = self.desk.workflow_for(changed)
            changed = workflow.fire(
                changed,
                then,
                actor=actor,
                at=now,
                reason=f"{kind.value.replace('_', ' ')} {other.id}",
            )
        require(self.desk.authorization, actor, Permission.VIEW, changed)
        stored = self._store(ticket, changed, now)
        if not other_final:
            self._link_back(
                other.id, ticket.id, _INVERSE_LINKS.get(kind, LinkKind.RELATED), actor, now
            )
        self.deliver_pending()
        return visible(actor, stored, policy=self.desk.authorization)

    def _link_back(
        self, other_id: str, ticket_id: str, kind: LinkKind, actor: Actor, now: datetime
    ) -> None:
        # The repository has no transaction over two tickets. The acted-on ticket is saved
        # first; the back-link commutes with anything else done to the other ticket, so a
        # lost race on it is retried on a fresh copy rather than left one-sided.
        for _attempt in range(5):
            other = self.repository.get(other_id)
            if self.desk.workflow_for(other).is_final(other.state):
                return
            back = Linked(
                at=max(now, other.updated_at), actor=actor.id, other_id=ticket_id, link_kind=kind
            )
            try:
                self._store(other, other.record(back), now)
            except ConcurrencyError:
                continue
            return
        log.warning("could not link %s back to %s after 5 lost races", other_id, ticket_id)

    def split(self, actor: Actor, ticket_id: str, *, titles: Sequence[str]) -> list[TicketView]:
        """
        One ticket per problem: open a ticket for each title, linked both ways to this one.
        """
        actor = _actor(actor)
        if isinstance(titles, str) or not isinstance(titles, Sequence) or not titles:
            raise InvalidInput("split needs a non-empty list of titles")
        # All checked before anything is opened: a bad title must not leave half a split.
        titles = [_checks.text("title", title) for title in titles]
        source = self._load(actor, ticket_id, Permission.SPLIT)
        self._refuse_final(source, Permission.SPLIT)
        parts = [
            self.open(
                actor,
                title=title,
                kind=source.kind,
                requester=source.requester,
                category=source.category,
                service=source.service,
                impact=source.impact,
                urgency=source.urgency,
            )
            for title in titles
        ]
        now = self._now()
        source = self.repository.get(source.id)
        changed = source
        for part in parts:
            changed = changed.record(
                Linked(at=now, actor=actor.id, other_id=part.id, link_kind=LinkKind.SPLIT_INTO)
            )
        self._store(source, changed, now)
        views = []
        for part in parts:
            ticket = self.repository.get(part.id)
            linked = ticket.record(
                Linked(at=now, actor=actor.id, other_id=source.id, link_kind=LinkKind.SPLIT_FROM)
            )
            views.append(
                visible(actor, self._store(ticket, linked, now), policy=self.desk.authorization)
            )
        self.deliver_pending()
        return views

    # -- reading -------------------------------------------------------------------------

    def view(self, actor: Actor, ticket_id: str) -> TicketView:
        """
        The ticket as ``actor`` may see it (PermissionDenied if not at all).
        """
        actor = _actor(actor)
        ticket = self.repository.get(_checks.text("ticket_id", ticket_id))
        return visible(actor, ticket, policy=self.desk.authorization)

    def sla(self, ticket_id: str) -> SlaReport:
        """
        The ticket's SLA clocks now (a staff read model: it says nothing of internal notes).
        """
        ticket = self.repository.get(_checks.text("ticket_id", ticket_id))
        return self.desk.sla_for(ticket).evaluate(ticket, max(self._now(), ticket.updated_at))

    # -- time-based work and delivery ------------------------------------------------------

    def tick(self, *, limit: int = 1000) -> TickReport:
        """
        Do the time-based work of the tickets that are due, and only those: SLA thresholds,
        escalation actions, auto-close. Then deliver pending notifications.
        """
        now = self._now()
        report = TickReport(now)
        for ticket_id in self.repository.due(now, limit):
            try:
                before = self.repository.get(ticket_id)
                after = tick_one(self.desk, before, now, report)
                self._store(before, after, now)
            except ConcurrencyError:
                report.conflicts.append(ticket_id)  # still due: the next tick retries it
        report.delivery = self.deliver_pending()
        return report

    def deliver_pending(self, limit: int = 100) -> Delivery:
        """
        Hand pending notifications to the notifier; failures stay pending for the next try.
        """
        sent: list[str] = []
        failed: list[str] = []
        for notification in self.repository.pending_notifications(limit):
            try:
                self.notifier.send(notification)
            except Exception as error:  # a host's notifier may fail in any way; nothing is lost
                level = logging.INFO if isinstance(error, DeskflowError) else logging.WARNING
                log.log(level, "delivery of %s failed: %s", notification.dedup_key, error)
                failed.append(notification.dedup_key)
            else:
                sent.append(notification.dedup_key)
        if sent:
            self.repository.mark_delivered(sent)
        return Delivery(tuple(sent), tuple(failed))

    def tickets(self, actor: Actor, *, ids: Iterable[str]) -> list[TicketView]:
        """
        Several tickets as ``actor`` may see them (an export goes through the same
        projection as a view).
        """
        actor = _actor(actor)
        if isinstance(ids, str) or not isinstance(ids, Iterable):
            raise InvalidInput(f"ids must be a list of ticket ids, got {ids!r}")
        return [self.view(actor, ticket_id) for ticket_id in ids]
