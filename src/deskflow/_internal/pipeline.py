"""
The command pipeline behind [`HelpDesk`][deskflow.service.HelpDesk]: load the ticket(s) ->
authorize -> decide -> save every touched ticket in one atomic write -> deliver; and the
time-based work and delivery that run through it.

Every command of the service is a call of `_run` (or `_command`, for one ticket) with a
decision from [`deskflow.commands`][deskflow.commands]; nothing else writes to the repository.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeAlias

from deskflow import commands
from deskflow._internal import checks as _checks
from deskflow.actors import SYSTEM, Actor
from deskflow.authorization import Permission, require
from deskflow.desk import Desk
from deskflow.enums import TicketKind
from deskflow.escalation import next_check_without_report
from deskflow.exceptions import ConcurrencyError, DeskflowError, InvalidInput, NotFound
from deskflow.outbox import Delivery, queue_notifications
from deskflow.ports import Clock, KnowledgeBase, Notifier, TicketRepository, TicketWrite
from deskflow.tick import TickOutcome, TickReport, tick_ticket
from deskflow.ticket import Ticket
from deskflow.views import TicketView, visible

log = logging.getLogger("deskflow.service")

#: A decision over the loaded tickets and the ids reserved for new ones, at an instant: every
#: ticket it touched (new ones included) and the ids of those the caller is shown.
Decide: TypeAlias = Callable[
    [tuple[Ticket, ...], tuple[str, ...], datetime], tuple[Sequence[Ticket], Sequence[str]]
]
#: One ticket to load, with the permission the command needs on it (None: no check, for the
#: system's own time-based work) and whether a final ticket is refused.
_Load: TypeAlias = tuple[str, Permission | None, bool]
#: How many times a command is re-run when the id it reserved for a new ticket was taken.
_ID_ATTEMPTS = 100


class IdTaken(Exception):
    # Another process stored a ticket under an id this command had reserved.
    pass


def checked_actor(value: object) -> Actor:
    if not isinstance(value, Actor):
        raise InvalidInput(
            f"actor must be an Actor from the host's authenticated context, got "
            f"{type(value).__name__}"
        )
    return value


class Pipeline:
    """
    The repository, notifier, clock and desk a help desk runs on, and the one path every
    command takes through them.
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

    # -- the pipeline ----------------------------------------------------------------------

    def _run(
        self,
        actor: Actor,
        loads: Sequence[_Load],
        decide: Decide,
        *,
        new: Callable[[tuple[Ticket, ...]], Sequence[TicketKind]] = lambda _: (),
    ) -> list[TicketView]:
        # Reserved ids are probed, so another process may take one first: the whole command
        # then runs again from a fresh load (it wrote nothing), with the next free ids.
        for _attempt in range(_ID_ATTEMPTS):
            try:
                views = self._run_once(actor, loads, decide, new)
            except IdTaken:
                continue
            self._deliver_after_save()
            return views
        raise ConcurrencyError(f"could not find a free ticket id after {_ID_ATTEMPTS} attempts")

    def _run_once(
        self,
        actor: Actor,
        loads: Sequence[_Load],
        decide: Decide,
        new: Callable[[tuple[Ticket, ...]], Sequence[TicketKind]] = lambda _: (),
    ) -> list[TicketView]:
        policy = self.desk.authorization
        loaded: list[Ticket] = []
        for ticket_id, permission, refuse_final in loads:
            ticket = self.repository.get(_checks.text("ticket_id", ticket_id))
            if permission is not None:
                require(policy, actor, permission, ticket)
                if refuse_final:
                    commands.refuse_final(self.desk, ticket, permission)
            loaded.append(ticket)
        # A refused command gives its reserved numbers back: ids are only spent by a write.
        counters = dict(self._counters)
        new_ids = tuple(self._new_id(kind) for kind in new(tuple(loaded)))
        try:
            return self._decide_and_save(actor, tuple(loaded), decide, new_ids)
        except Exception as error:
            if not isinstance(error, IdTaken):
                self._counters = counters
            raise

    def _decide_and_save(
        self,
        actor: Actor,
        loaded: tuple[Ticket, ...],
        decide: Decide,
        new_ids: tuple[str, ...],
    ) -> list[TicketView]:
        policy = self.desk.authorization
        # Never earlier than what was loaded: a clock a little behind another process's must
        # not make a valid command fail.
        now = max([self._now(), *(t.updated_at for t in loaded)])
        touched, shown = decide(loaded, new_ids, now)
        before = {t.id: t for t in loaded}
        writes: list[TicketWrite] = []
        after: dict[str, Ticket] = dict(before)
        for ticket in touched:
            prior = before.get(ticket.id)
            if prior is not None and ticket.version == prior.version:
                continue  # unchanged: nothing to write
            ticket, outbox = queue_notifications(
                prior, ticket, now, rules=self.desk.notification_rules
            )
            # Every check before the write: the actor sees what they changed.
            require(policy, actor, Permission.VIEW, ticket)
            writes.append(
                TicketWrite(
                    ticket,
                    None if prior is None else prior.version,
                    self._next_check(ticket, now),
                    outbox,
                )
            )
            after[ticket.id] = ticket
        views = [visible(actor, after[i], policy=policy) for i in shown]
        try:
            self.repository.save_all(writes)
        except ConcurrencyError as error:
            if error.ticket_id is not None and error.ticket_id in new_ids:
                raise IdTaken(error.ticket_id) from error
            raise
        return views

    def _deliver_after_save(self) -> Delivery | None:
        # The command is saved: a delivery that fails now (a notifier, or the outbox itself)
        # must not make it look failed. What was not delivered stays pending.
        try:
            return self.deliver_pending()
        except Exception:
            log.exception("delivery after a saved command failed; the outbox keeps the rest")
            return None

    def _command(
        self,
        actor: Actor,
        ticket_id: str,
        permission: Permission,
        decide: Callable[..., Ticket],
        **options: object,
    ) -> TicketView:
        # A command on one ticket, decided by decide(ticket, actor, desk, now, **options).
        actor = checked_actor(actor)

        def run(
            loaded: tuple[Ticket, ...], _new: tuple[str, ...], now: datetime
        ) -> tuple[Sequence[Ticket], Sequence[str]]:
            changed = decide(loaded[0], actor, self.desk, now, **options)
            return (changed,), (changed.id,)

        return self._run(actor, [(ticket_id, permission, True)], run)[0]

    def _now(self) -> datetime:
        return _checks.aware("clock.now()", self.clock.now())

    def _next_check(self, ticket: Ticket, now: datetime) -> datetime | None:
        if self.desk.workflow_for(ticket).is_final(ticket.state):
            return None
        sla = self.desk.sla_for(ticket)
        escalation = self.desk.escalation_for(ticket)
        known, step = (True, None)
        if escalation is not None:
            known, step = next_check_without_report(escalation, ticket, now)
        if known:  # the clocks and the escalation's own time: no report needed
            candidates = [sla.next_check_at(ticket, now), self.desk.auto_close_at(ticket)]
            candidates.append(step)
        else:
            assert escalation is not None
            report = sla.evaluate(ticket, now)
            candidates = [report.next_check_at, self.desk.auto_close_at(ticket)]
            candidates.append(escalation.next_check_at(ticket, report, now))
        upcoming = [c for c in candidates if c is not None]
        if not upcoming:
            return None
        # Something already due is checked by the next tick, not by a busy loop.
        return max(min(upcoming), now + timedelta(seconds=1))

    def _new_id(self, kind: TicketKind) -> str:
        prefix = self.desk.id_prefixes[kind]
        number = self._counters.get(prefix, 0)
        while True:
            number += 1
            candidate = f"{prefix}-{number}"
            if not self._taken(candidate):
                self._counters[prefix] = number
                return candidate

    def _taken(self, ticket_id: str) -> bool:
        try:
            self.repository.get(ticket_id)
        except NotFound:
            return False
        return True

    # -- time-based work and delivery ------------------------------------------------------

    def tick(self, *, limit: int = 1000) -> TickReport:
        """
        Do the time-based work of the tickets that are due, and only those: SLA thresholds,
        escalation actions, auto-close. Each ticket goes through the command pipeline on its
        own: a lost race is listed in ``conflicts``, any other failure in ``failed`` (and
        logged), and neither stops the others. Then one round of delivery (``delivery`` is
        None if the outbox itself failed; that is logged, and the work stays saved).
        """
        report = TickReport(self._now())
        for ticket_id in self.repository.due(report.at, limit):
            report.checked.append(ticket_id)
            try:
                outcome = self._tick_one(ticket_id)
            except ConcurrencyError:
                report.conflicts.append(ticket_id)  # still due: the next tick retries it
            except Exception as error:  # one broken ticket must not stop the tick
                log.exception("the time-based work of %s failed", ticket_id)
                report.failed.append(f"{ticket_id}: {type(error).__name__}: {error}")
            else:
                report.add(ticket_id, outcome)
        # One delivery round per tick, after the work of every due ticket is saved.
        report.delivery = self._deliver_after_save()
        return report

    def _tick_one(self, ticket_id: str) -> TickOutcome:
        outcomes: list[TickOutcome] = []

        def decide(
            loaded: tuple[Ticket, ...], _new: tuple[str, ...], now: datetime
        ) -> tuple[Sequence[Ticket], Sequence[str]]:
            ticket, outcome = tick_ticket(self.desk, loaded[0], now)
            outcomes.append(outcome)
            return (ticket,), ()

        self._run_once(SYSTEM, [(ticket_id, None, False)], decide)
        return outcomes[0]

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
