"""
The rules of a DeskStateMachine: every command of HelpDesk, by an actor of the cast (drawn
by id, so a failing script reads ``actor='service-desk.1'``), on tickets of the run (the
``tickets`` bundle), with readable arguments; the clock's steps, ticks and deliveries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, multiple, precondition, rule

from deskflow.enums import LinkKind, Priority
from deskflow.routing import Candidate
from deskflow.testing import _desk_time, _desk_work
from deskflow.testing._desk_base import DeskBase
from deskflow.ticket import Ticket

T = TypeVar("T")


def _from(pick: Callable[[Any], Sequence[T]]) -> st.SearchStrategy[T]:
    # One of what the running machine offers (its cast, its desk's names).
    def choose(machine: Any) -> st.SearchStrategy[T]:
        values = pick(machine)
        return st.sampled_from(values) if values else st.nothing()

    return st.runner().flatmap(choose)


anyone = _from(lambda m: m.cast.ids)
#: Staff more often than the others, for the commands staff do: the others are refused.
workers = _from(lambda m: m.cast.staff) | anyone
#: The people tickets are raised for: requesters and approvers (who raise requests too).
raised_for = st.none() | _from(lambda m: m.cast.outsiders)
kinds = _from(lambda m: [kind.value for kind in m.desk.workflows])
categories = st.none() | _from(lambda m: m.cast.categories)
services = st.none() | _from(lambda m: m.cast.services)
groups = st.none() | _from(lambda m: m.cast.groups)
assignees = st.none() | _from(lambda m: m.cast.assignees)
levels = st.sampled_from([None, "high", "medium", "low"])
#: Public text: a few plain phrases, sometimes blank (which every command refuses).
words = st.sampled_from(["vpn down", "printer jam", "new laptop", "thanks", "see above", ""])
maybe_words = st.none() | words
#: Internal text, recognizable anywhere: no public text holds the marker.
secrets = st.integers(0, 999).map(lambda n: f"INTERNAL-{n:03d}")
reasons = st.sampled_from(["vendor", "change", "problem", "lunch"])


class DeskRules(DeskBase):
    """
    Every HelpDesk command as a rule.
    """

    tickets = Bundle("tickets")

    # -- opening -----------------------------------------------------------------------------

    @initialize(target=tickets)
    def open_first_tickets(self) -> Any:
        """
        Of each kind, a P1 (in the first category) from the first requester and a plain
        ticket from the second; a request needing approval is asked for it, the second
        requester's first ticket resolved: every run has something to work from its first
        step.
        """
        ids: list[str] = []
        if not self.cast.requesters:
            return multiple()
        first, *others = self.cast.requesters
        second = others[0] if others else first
        # Of each kind, a P1 (in the first approval category) from the first requester and
        # a plain one from the second.
        for kind in self.desk.workflows:
            for requester_id, category, level in (
                (first, self.cast.categories[0], "high"),
                (second, None, None),
            ):
                requester = self.actor(requester_id)
                call = partial(
                    self.service.open,
                    requester,
                    title="first ticket",
                    kind=kind,
                    category=category,
                    impact=level,
                    urgency=level,
                )
                view = self.attempt("open", requester, None, call)
                if view is not None:
                    self.say(f"# opened {view.id}")
                    ids.append(view.id)
        # And a request awaiting approval, where the desk has approvals.
        for ticket_id in ids:
            ticket = self.repository.get(ticket_id)
            policy = self.desk.approval
            if policy is not None and policy.needs_approval(ticket):
                self.fire(ticket, "request_approval", 0)
        # And the second requester's first ticket resolved: reopen and auto-close are near.
        if len(ids) > 1:
            ticket = self.repository.get(ids[1])
            if "resolve" in self.desk.workflow_for(ticket).allowed(ticket.state):
                self.fire(ticket, "resolve", 0)
        return multiple(*ids)

    @precondition(lambda self: self.stored < self.max_tickets)
    @rule(
        target=tickets,
        actor=anyone,
        kind=kinds,
        requester=raised_for,
        title=words,
        category=categories,
        service=services,
        impact=levels,
        urgency=levels,
    )
    def open(
        self,
        actor: str,
        kind: str,
        requester: str | None,
        title: str,
        category: str | None,
        service: str | None,
        impact: str | None,
        urgency: str | None,
    ) -> Any:
        who = self.actor(actor)
        return self.opened(
            "open",
            who,
            lambda: self.service.open(
                who,
                title=title,
                kind=kind,
                requester=requester,
                category=category,
                service=service,
                impact=impact,
                urgency=urgency,
            ),
        )

    @precondition(lambda self: self.stored < self.max_tickets)
    @rule(
        target=tickets,
        actor=anyone,
        alert_key=st.sampled_from(["disk-full", "link-down"]),
        title=words,
        impact=levels,
        urgency=levels,
    )
    def open_from_alert(
        self, actor: str, alert_key: str, title: str, impact: str | None, urgency: str | None
    ) -> Any:
        # A repeated alert leaves an internal note naming the alert and the new title.
        self.secrets.add(f"Alert {alert_key} fired again: {title}")
        who = self.actor(actor)
        return self.opened(
            "open_from_alert",
            who,
            lambda: self.service.open_from_alert(
                who, alert_key=alert_key, title=title, impact=impact, urgency=urgency
            ),
        )

    @precondition(lambda self: self.stored < self.max_tickets)
    @rule(target=tickets, actor=workers, ticket=tickets, titles=st.lists(words, max_size=2))
    def split(self, actor: str, ticket: str, titles: list[str]) -> Any:
        who = self.actor(actor)
        return self.opened("split", who, lambda: self.service.split(who, ticket, titles=titles))

    # -- working a ticket --------------------------------------------------------------------

    def command(self, name: str, actor: str, ticket: str, **options: Any) -> None:
        """
        Run ``HelpDesk.<name>(actor, ticket, **options)`` as one step.
        """
        who = self.actor(actor)
        call = getattr(self.service, name)
        self.attempt(name, who, ticket, lambda: call(who, ticket, **options))

    @rule(
        actor=workers,
        ticket=tickets,
        category=categories,
        service=services,
        impact=levels,
        urgency=levels,
    )
    def classify(
        self,
        actor: str,
        ticket: str,
        category: str | None,
        service: str | None,
        impact: str | None,
        urgency: str | None,
    ) -> None:
        self.command(
            "classify",
            actor,
            ticket,
            category=category,
            service=service,
            impact=impact,
            urgency=urgency,
        )

    @rule(actor=workers, ticket=tickets, group=groups, assignee=assignees)
    def assign(self, actor: str, ticket: str, group: str | None, assignee: str | None) -> None:
        self.command("assign", actor, ticket, group=group, assignee=assignee)

    @rule(actor=workers, ticket=tickets, group=groups)
    def route(self, actor: str, ticket: str, group: str | None) -> None:
        """
        Assign through the desk's routing policy, the cast's agents and supervisors the
        candidates (each with room for five tickets).
        """
        candidates = [
            Candidate(a.id, groups=a.groups, capacity=5)
            for a in map(self.actor, self.cast.assignees)
        ]
        self.command("assign", actor, ticket, group=group, candidates=candidates)

    @rule(actor=workers, ticket=tickets)
    def start(self, actor: str, ticket: str) -> None:
        self.command("start", actor, ticket)

    @rule(actor=workers, ticket=tickets, question=words)
    def request_info(self, actor: str, ticket: str, question: str) -> None:
        self.command("request_info", actor, ticket, question=question)

    @rule(actor=anyone, ticket=tickets, body=words)
    def reply(self, actor: str, ticket: str, body: str) -> None:
        self.command("reply", actor, ticket, body=body)

    @rule(actor=anyone, ticket=tickets, body=words)
    def comment(self, actor: str, ticket: str, body: str) -> None:
        self.command("comment", actor, ticket, body=body)

    @rule(actor=workers, ticket=tickets, secret=secrets)
    def internal_note(self, actor: str, ticket: str, secret: str) -> None:
        self.secrets.add(secret)
        self.command("comment", actor, ticket, body=f"note {secret}", internal=True)

    @rule(actor=workers, ticket=tickets, reason=reasons, note=maybe_words)
    def hold(self, actor: str, ticket: str, reason: str, note: str | None) -> None:
        self.command("hold", actor, ticket, reason=reason, note=note)

    @rule(actor=workers, ticket=tickets)
    def resume(self, actor: str, ticket: str) -> None:
        self.command("resume", actor, ticket)

    @rule(
        actor=workers,
        ticket=tickets,
        reason=words,
        tier=st.sampled_from([None, 2, 3]),
        group=groups,
    )
    def escalate(
        self, actor: str, ticket: str, reason: str, tier: int | None, group: str | None
    ) -> None:
        self.command("escalate", actor, ticket, reason=reason, tier=tier, group=group)

    @rule(actor=workers, ticket=tickets, reason=words, group=groups)
    def return_to_first_line(self, actor: str, ticket: str, reason: str, group: str | None) -> None:
        self.command("return_to_first_line", actor, ticket, reason=reason, group=group)

    @rule(actor=workers, ticket=tickets, resolution=words)
    def resolve(self, actor: str, ticket: str, resolution: str) -> None:
        self.command("resolve", actor, ticket, resolution=resolution)

    @rule(
        actor=anyone,
        ticket=tickets,
        rating=st.none() | st.integers(0, 6),
        comment=maybe_words,
    )
    def close(self, actor: str, ticket: str, rating: int | None, comment: str | None) -> None:
        self.command("close", actor, ticket, rating=rating, comment=comment)

    @rule(actor=anyone, ticket=tickets, rating=st.integers(0, 6), comment=maybe_words)
    def answer_survey(self, actor: str, ticket: str, rating: int, comment: str | None) -> None:
        self.command("answer_survey", actor, ticket, rating=rating, comment=comment)

    @rule(actor=anyone, ticket=tickets, reason=words)
    def reopen(self, actor: str, ticket: str, reason: str) -> None:
        self.command("reopen", actor, ticket, reason=reason)

    @rule(actor=anyone, ticket=tickets, reason=words)
    def cancel(self, actor: str, ticket: str, reason: str) -> None:
        self.command("cancel", actor, ticket, reason=reason)

    @rule(
        actor=workers,
        ticket=tickets,
        priority=st.sampled_from([p.value for p in Priority]),
        reason=words,
    )
    def override_priority(self, actor: str, ticket: str, priority: str, reason: str) -> None:
        self.command("override_priority", actor, ticket, priority=priority, reason=reason)

    @rule(actor=workers, ticket=tickets)
    def acknowledge(self, actor: str, ticket: str) -> None:
        self.command("acknowledge", actor, ticket)

    @rule(actor=workers, ticket=tickets)
    def request_approval(self, actor: str, ticket: str) -> None:
        self.command("request_approval", actor, ticket)

    @rule(actor=anyone, ticket=tickets, comment=maybe_words)
    def approve(self, actor: str, ticket: str, comment: str | None) -> None:
        self.command("approve", actor, ticket, comment=comment)

    @rule(actor=anyone, ticket=tickets, comment=maybe_words)
    def reject(self, actor: str, ticket: str, comment: str | None) -> None:
        self.command("reject", actor, ticket, comment=comment)

    @rule(
        actor=workers,
        ticket=tickets,
        other=tickets,
        kind=st.sampled_from([k.value for k in LinkKind]),
    )
    def link(self, actor: str, ticket: str, other: str, kind: str) -> None:
        self.command("link", actor, ticket, other_id=other, kind=kind)

    @rule(actor=workers, ticket=tickets, into=tickets)
    def merge(self, actor: str, ticket: str, into: str) -> None:
        self.command("merge", actor, ticket, into=into)

    @rule(
        actor=workers,
        ticket=tickets,
        name=_from(lambda m: [*m.desk.fields, "no_such_field"]),
        value=st.sampled_from([None, "yes", 3, True]),
    )
    def set_fields(self, actor: str, ticket: str, name: str, value: object) -> None:
        self.command("set_fields", actor, ticket, values={name: value})

    @rule(
        actor=workers,
        ticket=tickets,
        add=st.lists(st.sampled_from(["vip", "outage", "secret-tag"]), max_size=2),
        remove=st.lists(st.sampled_from(["vip", "secret-tag"]), max_size=1),
    )
    def tag(self, actor: str, ticket: str, add: list[str], remove: list[str]) -> None:
        if "secret-tag" in add:
            self.secrets.add("secret-tag")
        self.command("tag", actor, ticket, add=add, remove=remove)

    @rule(actor=workers, ticket=tickets, macro=_from(lambda m: [*m.desk.macros, "no_such_macro"]))
    def apply_macro(self, actor: str, ticket: str, macro: str) -> None:
        self.command("apply_macro", actor, ticket, macro=macro)

    @rule(ticket=tickets, which=st.integers(0, 3), who=st.integers(0, 3))
    def work(self, ticket: str, which: int, who: int) -> None:
        """
        The ``which``-th thing the workflow allows next on the ticket, by the ``who``-th
        cast member the desk permits (printed as a comment above the step); on a ticket
        that would close itself, ``which=3`` waits until it does and ticks.
        """
        stored = self.snapshot().tickets.get(ticket)
        if stored is None:
            return
        closes_at = self.desk.auto_close_at(stored)
        if closes_at is not None and which == 3:
            # Leave a resolved ticket alone until it closes itself.
            self.say(f"# work: wait for {stored.id} to close itself")
            self.clock.set(max(self.clock.now(), closes_at + timedelta(minutes=1)))
            self.say(f"# the clock is now {self.clock.now().isoformat()}")
            self.tick(1000)
            return
        workflow = self.desk.workflow_for(stored)
        if workflow.is_final(stored.state) and stored.feedback is None:
            # A closed ticket's next step is its requester answering the survey, if one came.
            self.say(f"# work: {stored.requester!r} answers the survey on {stored.id}")
            self.command("answer_survey", stored.requester, stored.id, rating=1 + which)
            return
        trigger = _desk_work.next_trigger(workflow.allowed(stored.state), which)
        if trigger is not None:
            self.fire(stored, trigger, who)

    def fire(self, ticket: Ticket, trigger: str, who: int) -> None:
        """
        Fire ``trigger`` on ``ticket`` through its HelpDesk command, as the ``who``-th cast
        member the desk permits to.
        """
        cast = [self.actor(i) for i in self.cast.ids]
        able = _desk_work.permitted(self.desk.authorization, cast, trigger, ticket) or cast
        actor = able[who % len(able)]
        assignees = [self.actor(i) for i in self.cast.assignees]
        name, options = _desk_work.command_for(trigger, actor, assignees, who)
        shown = "".join(f", {k}={v!r}" for k, v in options.items())
        self.say(f"# work: {name} {ticket.id} as {actor.id!r}{shown}")
        self.command(name, actor.id, ticket.id, **options)

    #: Three times as likely as any other step: two names more for the same rule.
    work_on = work
    work_more = work

    @rule(step=_desk_time.steps(), nudge=_desk_time.nudges())
    def wait(self, step: str, nudge: int) -> None:
        """
        A scheduler's turn: the clock moves, then a tick and a delivery round.
        """
        self.advance_clock(step, nudge)
        self.tick(1000)

    # -- reads -------------------------------------------------------------------------------

    @rule(actor=anyone, ticket=tickets)
    def view(self, actor: str, ticket: str) -> None:
        self.command("view", actor, ticket)

    @rule(actor=anyone, ticket=tickets)
    def sla(self, actor: str, ticket: str) -> None:
        self.command("sla", actor, ticket)

    @rule(actor=anyone, ticket=tickets)
    def explain(self, actor: str, ticket: str) -> None:
        self.command("explain", actor, ticket)

    @rule(actor=anyone)
    def list_tickets(self, actor: str) -> None:
        who = self.actor(actor)
        self.attempt("tickets", who, None, lambda: self.service.tickets(who))

    # -- time and delivery -------------------------------------------------------------------

    @rule(step=_desk_time.steps(), nudge=_desk_time.nudges())
    def advance_clock(self, step: str, nudge: int) -> None:
        self.last = None  # not a command
        now = self.clock.now()
        to = _desk_time.target(step, nudge, now, self.desk, self.snapshot().tickets.values())
        self.clock.set(to)
        self.say(f"# the clock is now {to.isoformat()}")

    @rule(limit=st.sampled_from([1, 1000]))
    def tick(self, limit: int) -> None:
        report = self.attempt("tick", None, None, lambda: self.service.tick(limit=limit))
        assert report is not None, "a tick refuses nothing: its failures are in its report"
        self.tick_failures.extend(report.failed + report.conflicts)

    @rule(limit=st.sampled_from([1, 100]))
    def deliver_pending(self, limit: int) -> None:
        self.attempt("deliver_pending", None, None, lambda: self.service.deliver_pending(limit))

    @rule()
    def retry_dead(self) -> None:
        """
        Put every dead letter back in the outbox.
        """
        self.attempt("retry_dead", None, None, self.service.retry_dead)

    @rule(times=st.integers(1, 3))
    def notifier_fails(self, times: int) -> None:
        self.last = None  # not a command
        self.notifier.fail_next(times)
