"""
The built-in invariants of a DeskStateMachine, checked after every step.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from hypothesis.stateful import invariant

from deskflow.authorization import Permission
from deskflow.enums import Audience, Role, Trigger
from deskflow.events import FeedbackGiven, NotificationQueued, StateChanged
from deskflow.exceptions import InvalidTransition, PermissionDenied
from deskflow.surveys import SurveySent
from deskflow.testing._desk_base import ALL, DeskBase, Snapshot
from deskflow.ticket import Ticket

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
#: Just before now: a next check this early was in the past when saved.
EPSILON = timedelta(microseconds=1)


class DeskChecks(DeskBase):
    """
    What must hold after every step, whatever the desk.
    """

    def __init__(self) -> None:
        super().__init__()
        self.finals: dict[str, Ticket] = {}
        self.delivered: set[str] = set()
        self.clocks: dict[tuple[str, str, int], tuple[timedelta, bool]] = {}
        # What was checked already: ticket versions replayed, views read (with the secrets
        # known then).
        self.replayed: dict[str, int] = {}
        self.read: tuple[tuple[tuple[str, int], ...], int] | None = None
        self.listed: tuple[tuple[str, int], ...] | None = None

    @invariant()
    def the_desk_keeps_its_promises(self) -> None:
        """
        Every built-in check, on one snapshot of the store.
        """
        store = self.snapshot()
        for check in (
            self.stored_tickets_are_their_replay,
            self.a_refused_command_changed_nothing_and_sent_nothing,
            self.no_internal_text_reaches_a_requester,
            self.final_tickets_never_change,
            self.requesters_keep_to_their_own_tickets,
            self.each_dedup_key_is_queued_once_and_delivered_once,
            self.sla_clocks_are_monotone,
            self.the_next_check_is_never_in_the_past_after_a_save,
            self.allowed_agrees_with_what_the_service_accepts,
            self.a_tick_fails_on_no_ticket,
        ):
            check(store)

    def stored_tickets_are_their_replay(self, store: Snapshot) -> None:
        """
        Every stored ticket equals ``Ticket.replay`` of its history, its version that
        history's length.
        """
        for ticket in store.tickets.values():
            if self.replayed.get(ticket.id) == ticket.version:
                continue
            assert ticket == Ticket.replay(ticket.history), ticket.id
            assert len(ticket.history) == ticket.version, ticket.id
            self.replayed[ticket.id] = ticket.version

    def a_refused_command_changed_nothing_and_sent_nothing(self, store: Snapshot) -> None:
        """
        A refused command left every stored ticket at its version, added none, queued and
        sent no notification.
        """
        last = self.last
        if last is None or last.error is None:
            return
        before, after = last.before, last.after
        versions = {i: t.version for i, t in before.tickets.items()}
        assert versions == {i: t.version for i, t in after.tickets.items()}, last.error
        assert before.pending == after.pending, last.error
        assert before.sent == after.sent, last.error

    def no_internal_text_reaches_a_requester(self, store: Snapshot) -> None:
        """
        No view an outsider (requester, approver) gets, and no notification for a requester
        (its audience, or a recipient who is not staff), holds internal text: internal notes,
        repeated-alert notes, tags.
        """
        if not self.secrets:
            return
        tickets = store.tickets
        seen = (tuple((i, t.version) for i, t in tickets.items()), len(self.secrets))
        if seen == self.read:
            return  # no ticket changed, no new secret: the same views, the same messages
        self.read = seen
        for outsider_id in self.cast.outsiders:
            outsider = self.actor(outsider_id)
            for ticket_id in tickets:
                try:
                    view = self.service.view(outsider, ticket_id)
                except PermissionDenied:
                    continue
                assert not view.includes_internal, (outsider_id, ticket_id)
                text = json.dumps(view.to_dict(), ensure_ascii=False)
                leaked = sorted(s for s in self.secrets if s in text)
                assert [] == leaked, f"{outsider_id} sees internal text on {ticket_id}"
        staff = set(self.cast.staff)
        for sent in self.notifications():
            requester = tickets[sent.ticket_id].requester if sent.ticket_id in tickets else None
            outsiders = {r for r in sent.recipients if r not in staff}
            if sent.audience is not Audience.REQUESTER and not outsiders - {None}:
                continue
            text = f"{sent.subject}\n{sent.body}\n{sent.html or ''}\n{sent.data}"
            leaked = sorted(s for s in self.secrets if s in text)
            assert [] == leaked, (
                f"{sent.dedup_key} to {', '.join(sent.recipients)} (requester {requester}) "
                "holds internal text"
            )

    def final_tickets_never_change(self, store: Snapshot) -> None:
        """
        A ticket once in a final state (closed, cancelled, rejected) stays exactly as it was,
        and its workflow allows nothing from that state.
        """
        for ticket in store.tickets.values():
            if ticket.id in self.finals:
                was = self.finals[ticket.id]
                if was != ticket and _answers_its_survey(was, ticket):
                    # The one entry a final ticket takes: its requester's answer to a survey.
                    self.finals[ticket.id] = ticket
                    continue
                assert was == ticket, (
                    f"{ticket.id} changed after reaching final state "
                    f"{was.state!r}: now {ticket.state!r}"
                )
            elif self.is_final(ticket):
                self.finals[ticket.id] = ticket
                workflow = self.desk.workflow_for(ticket)
                exits = workflow.allowed(ticket.state)
                assert () == exits, (
                    f"final state {ticket.state!r} of workflow {workflow.name!r} has a way out: "
                    f"{', '.join(exits)} (the service refuses it: {ticket.id} is stuck)"
                )

    def requesters_keep_to_their_own_tickets(self, store: Snapshot) -> None:
        """
        A requester may not view or list another requester's ticket, no command of theirs
        changes one, and they fire only ``requester_triggers`` themselves.
        """
        tickets = store.tickets
        versions = tuple((i, t.version) for i, t in tickets.items())
        for requester_id in self.cast.requesters if versions != self.listed else ():
            requester = self.actor(requester_id)
            for ticket in tickets.values():
                if ticket.requester == requester_id:
                    continue
                try:
                    self.service.view(requester, ticket.id)
                except PermissionDenied:
                    continue
                raise AssertionError(f"{requester_id} may view {ticket.id}, not theirs")
            listed = [v.id for v in self.service.tickets(requester, limit=1000).items]
            assert [] == [i for i in listed if tickets[i].requester != requester_id], requester_id
        self.listed = versions
        last = self.last
        if last is None or last.error is not None or last.actor is None:
            return
        if last.actor.role is Role.REQUESTER:
            others = [t.id for t in last.changed if t.requester != last.actor.id]
            assert [] == others, f"{last.actor.id}'s {last.command} changed {others}"
            for ticket in last.changed:
                prior = last.before.tickets.get(ticket.id)
                fired = [
                    e.trigger
                    for e in ticket.history[0 if prior is None else prior.version :]
                    if isinstance(e, StateChanged) and e.actor == last.actor.id
                ]
                staff_only = sorted(set(fired) - self.requester_triggers)
                assert [] == staff_only, f"requester {last.actor.id} fired {staff_only}"

    def each_dedup_key_is_queued_once_and_delivered_once(self, store: Snapshot) -> None:
        """
        No dedup key reaches the notifier twice, and none delivered is queued again.
        """
        counts = Counter(sent.dedup_key for sent in self.notifier.sent)
        assert [] == [key for key, count in counts.items() if count > 1]
        pending = {n.dedup_key for n in self.repository.pending_notifications(ALL)}
        assert [] == sorted(pending & self.delivered), "delivered, then queued again"
        self.delivered.update(counts)

    def sla_clocks_are_monotone(self, store: Snapshot) -> None:
        """
        Within a cycle, a clock's elapsed business time never decreases and a clock met
        before now stays met.
        """
        at = self.now()
        for ticket in store.tickets.values():
            report = self.desk.sla_for(ticket).evaluate(ticket, max(at, ticket.updated_at))
            for metric, clock in report.clocks.items():
                key = (ticket.id, str(metric), clock.cycle)
                # Met before now: events at one instant are one group, so a later command
                # at the instant a clock was met may still undo it (resolve, then reopen).
                met = clock.met_at is not None and clock.met_at < at
                seen = self.clocks.get(key)
                if seen is not None:
                    assert clock.elapsed >= seen[0], f"{key}: {clock.elapsed} < {seen[0]}"
                    assert met or not seen[1], f"{key} was met and is no longer"
                self.clocks[key] = (clock.elapsed, met)

    def the_next_check_is_never_in_the_past_after_a_save(self, store: Snapshot) -> None:
        """
        A ticket a step saved has its next check time at or after the step's instant.
        """
        last = self.last
        if last is None or last.error is not None:
            return
        changed = {t.id for t in last.changed}
        if not changed:
            return
        overdue = set(self.repository.due(self.now() - EPSILON, ALL))
        assert [] == sorted(changed & overdue), "saved with a next check in the past"

    def allowed_agrees_with_what_the_service_accepts(self, store: Snapshot) -> None:
        """
        A trigger-based command accepted fired its trigger from a state the workflow allows
        it in, landing where the workflow says; refused from a state the workflow does not
        allow it in, a permitted actor is refused for that, not for want of permission.
        """
        last = self.last
        if last is None or last.command not in TRIGGERED or last.actor is None:
            return
        target = last.before.tickets.get(last.ticket_id or "")
        if target is None:
            return
        trigger, permission = TRIGGERED[last.command]
        workflow = self.desk.workflow_for(target)
        name: str = trigger
        if name == "resolve" and "resolve" not in workflow.triggers:
            name = "fulfil"
        if name not in workflow.triggers:
            return
        allowed = name in workflow.allowed(target.state)
        if last.error is None:
            assert allowed, f"{last.command} accepted in {target.state!r}"
            fired = [
                e
                for e in last.after.tickets[target.id].history[target.version :]
                if isinstance(e, StateChanged)
            ]
            assert fired, last.command
            assert name == fired[0].trigger, last.command
            assert workflow.destination(target.state, name) == fired[0].dest, last.command
        else:
            error = last.error
            if isinstance(error, InvalidTransition) and error.state == target.state:
                said = set(error.allowed)
                assert said == set(workflow.allowed(target.state)) or not said, (
                    f"the service says {sorted(said)} are allowed from {target.state!r}, "
                    f"the workflow {sorted(workflow.allowed(target.state))}"
                )
            decision = self.desk.authorization.authorize(last.actor, permission, target)
            if not allowed and decision.allowed:
                assert not isinstance(error, PermissionDenied), error

    def a_tick_fails_on_no_ticket(self, store: Snapshot) -> None:
        """
        The time-based work of every due ticket is saved: none fails, none loses a race (one
        process, nobody else writing).
        """
        assert [] == self.tick_failures


def _answers_its_survey(was: Ticket, now: Ticket) -> bool:
    # Only its requester's one answer to a survey the ticket was sent (and who was told).
    added = now.history[was.version :]
    answers = [e for e in added if isinstance(e, FeedbackGiven)]
    return (
        now.history[: was.version] == was.history
        and now.state == was.state
        and was.feedback is None
        and any(isinstance(e, SurveySent) for e in was.history)
        and len(answers) == 1
        and answers[0].actor == was.requester
        and all(isinstance(e, FeedbackGiven | NotificationQueued) for e in added)
    )
