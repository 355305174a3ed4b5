"""
The command pipeline behind [`HelpDesk`][deskflow.service.HelpDesk]: load the ticket(s) ->
authorize -> decide -> save every touched ticket in one atomic write -> deliver; and the
time-based work and delivery that run through it.

Every command of the service is a call of `_run` (or `_command`, for one ticket) with a
decision from [`deskflow.commands`][deskflow.commands]; nothing else writes to the repository.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Literal, TypeAlias
from zoneinfo import ZoneInfo

from deskflow import commands
from deskflow._internal import checks as _checks
from deskflow._internal.delivery import deliver_round, describe
from deskflow._internal.survey_dispatch import offer_survey
from deskflow.actors import SYSTEM, Actor
from deskflow.authorization import Permission, require
from deskflow.automation import next_rule_check, run_rules
from deskflow.desk import Desk
from deskflow.enums import TicketKind
from deskflow.escalation import next_check_without_report
from deskflow.exceptions import ConcurrencyError, InvalidInput
from deskflow.outbox import Delivery, OutboxItem, queue_notifications
from deskflow.ports import Clock, KnowledgeBase, Notifier, TicketRepository, TicketWrite
from deskflow.retry import RetryPolicy
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
#: When notifications are delivered: by workers (and explicit calls) only, or also by each
#: command right after its save.
DeliveryMode: TypeAlias = Literal["worker", "inline"]


class IdTaken(Exception):
    # A ticket the host stored itself already has an id the store handed this command.
    pass


def default_worker_id() -> str:
    """
    A name for this process's claims that no other process has: host, pid and a random part.
    """
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"


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
        deliver: DeliveryMode = "worker",
        retry_policy: RetryPolicy | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.repository = repository
        self.notifier = notifier
        self.clock = clock
        self.desk = desk if desk is not None else Desk()
        self.knowledge_base = knowledge_base
        if deliver not in ("worker", "inline"):
            raise InvalidInput(f"deliver must be 'worker' or 'inline', got {deliver!r}")
        #: ``"worker"``: commands return after their save and workers deliver; ``"inline"``:
        #: each command also runs one delivery round after its save.
        self.deliver: DeliveryMode = deliver
        if retry_policy is not None and not isinstance(retry_policy, RetryPolicy):
            raise InvalidInput(
                f"retry_policy must be a RetryPolicy, got {type(retry_policy).__name__}"
            )
        #: How failed deliveries and failed time-based work are retried, and claim leases.
        self.retry_policy = retry_policy if retry_policy is not None else RetryPolicy()
        #: The owner of this help desk's claims on due tickets and outbox items.
        self.worker_id = (
            default_worker_id() if worker_id is None else _checks.text("worker_id", worker_id)
        )
        # Consecutive failures of a ticket's time-based work in this process, for its backoff.
        self._tick_failures: dict[str, int] = {}

    # -- the pipeline ----------------------------------------------------------------------

    def _run(
        self,
        actor: Actor,
        loads: Sequence[_Load],
        decide: Decide,
        *,
        new: Callable[[tuple[Ticket, ...]], Sequence[TicketKind]] = lambda _: (),
    ) -> list[TicketView]:
        # The store hands out ids, but one a host stored itself may come back: the whole
        # command then runs again from a fresh load (it wrote nothing), with new ids.
        for _attempt in range(_ID_ATTEMPTS):
            try:
                views, _saved = self._run_once(actor, loads, decide, new)
            except IdTaken:
                continue
            if self.deliver == "inline":
                self._deliver_after_save()
            return views
        raise ConcurrencyError(f"could not find a free ticket id after {_ID_ATTEMPTS} attempts")

    def _run_once(
        self,
        actor: Actor,
        loads: Sequence[_Load],
        decide: Decide,
        new: Callable[[tuple[Ticket, ...]], Sequence[TicketKind]] = lambda _: (),
        *,
        timed: bool = False,
    ) -> tuple[list[TicketView], bool]:
        # The views shown, and whether anything was written; ``timed`` for a tick's work.
        policy = self.desk.authorization
        loaded: list[Ticket] = []
        for ticket_id, permission, refuse_final in loads:
            ticket = self.repository.get(_checks.text("ticket_id", ticket_id))
            if permission is not None:
                require(policy, actor, permission, ticket)
                if refuse_final:
                    commands.refuse_final(self.desk, ticket, permission)
            loaded.append(ticket)
        # A command refused after this skips the numbers it was handed (never reuses them).
        new_ids = tuple(self._new_id(kind) for kind in new(tuple(loaded)))
        return self._decide_and_save(actor, tuple(loaded), decide, new_ids, timed=timed)

    def _decide_and_save(
        self,
        actor: Actor,
        loaded: tuple[Ticket, ...],
        decide: Decide,
        new_ids: tuple[str, ...],
        *,
        timed: bool = False,
    ) -> tuple[list[TicketView], bool]:
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
            # The rules run in this decision: what they do is notified and saved with it
            # (a cascade past its bound raises, and nothing is stored).
            ticket = run_rules(self.desk, prior, ticket, now, timed=timed)
            ticket = offer_survey(self.desk, self.repository, prior, ticket, now)
            if prior is not None and ticket.version == prior.version:
                continue  # unchanged: nothing to write
            ticket, outbox = queue_notifications(
                prior,
                ticket,
                now,
                rules=self.desk.notification_rules,
                renderer=self.desk.renderer,
                people=self.desk.people,
                fields=self.desk.fields,
                zone=ZoneInfo(self.desk.sla_for(ticket).calendar_for(ticket).timezone),
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
        views = [visible(actor, after[i], policy=policy, fields=self.desk.fields) for i in shown]
        if not writes:
            return views, False
        try:
            self.repository.save_all(writes)
        except ConcurrencyError as error:
            if error.ticket_id is not None and error.ticket_id in new_ids:
                raise IdTaken(error.ticket_id) from error
            raise
        return views, True

    def _deliver_after_save(self, stop: threading.Event | None = None) -> Delivery | None:
        # The work is saved: a delivery that fails now (a notifier, or the outbox itself)
        # must not make it look failed. What was not delivered stays pending.
        try:
            return self.deliver_pending(stop=stop)
        except Exception:
            log.exception("delivery after a saved change failed; the outbox keeps the rest")
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
        candidates.append(next_rule_check(self.desk, ticket, now))
        upcoming = [c for c in candidates if c is not None]
        if not upcoming:
            return None
        # Something already due is checked by the next tick, not by a busy loop.
        return max(min(upcoming), now + timedelta(seconds=1))

    def _new_id(self, kind: TicketKind) -> str:
        ticket_id = self.repository.next_id(self.desk.id_prefixes[kind])
        return _checks.text("next_id()", ticket_id)

    # -- time-based work and delivery ------------------------------------------------------

    def tick(self, *, limit: int = 1000, stop: threading.Event | None = None) -> TickReport:
        """
        Do the time-based work of the tickets that are due: SLA thresholds, escalation
        actions, auto-close. The due tickets are claimed first (``claim_due``, for the
        ``worker_id`` of this help desk and the lease of its ``retry_policy``), so workers
        ticking at once split them instead of racing over them.

        Each claimed ticket goes through the command pipeline on its own: a save ends its
        claim; a lost race is listed in ``conflicts`` (its claim released, the next tick
        retries it); any other failure — a raising policy, a row that does not load, a bad
        event — in ``failed`` with the ticket id and the reason, logged, and the ticket's next
        check backed off (longer after each failure in a row); a ticket with nothing to do has
        its next check moved to the one computed now. None of these stops the others. Then
        one round of delivery (``delivery`` is None if the outbox itself failed; that is
        logged, and the work stays saved).

        With ``stop`` set during the tick, the ticket in hand is finished, the claims on the
        rest are released and no delivery round runs.
        """
        report = TickReport(self._now())
        claimed = self.repository.claim_due(
            report.at, limit, owner=self.worker_id, lease=self.retry_policy.lease
        )
        for position, ticket_id in enumerate(claimed):
            if stop is not None and stop.is_set():
                self._release(claimed[position:])
                return report
            report.checked.append(ticket_id)
            self._tick_claimed(ticket_id, report)
        # One delivery round per tick, after the work of every due ticket is saved.
        report.delivery = self._deliver_after_save(stop)
        return report

    def _tick_claimed(self, ticket_id: str, report: TickReport) -> None:
        try:
            outcome, saved, next_check = self._tick_one(ticket_id)
        except ConcurrencyError:
            report.conflicts.append(ticket_id)  # someone saved it: the next tick looks again
            self._release([ticket_id])
        except Exception as error:  # one broken ticket must not stop the tick
            failures = self._tick_failures.get(ticket_id, 0) + 1
            self._tick_failures[ticket_id] = failures
            retry_at = report.at + max(self.retry_policy.delay(failures), timedelta(seconds=1))
            log.exception(
                "the time-based work of %s failed (%d in a row); next try at %s",
                ticket_id,
                failures,
                retry_at.isoformat(),
            )
            report.failed.append(f"{ticket_id}: {describe(error)}")
            self._release([ticket_id], retry_at=retry_at)
        else:
            self._tick_failures.pop(ticket_id, None)
            if saved:
                report.add(ticket_id, outcome)  # the save ended the claim
            else:
                # Nothing was due after all (a stale check time): look again when something
                # is, so the ticket is not due forever. With nothing ahead, after the cap.
                self._release([ticket_id], retry_at=next_check or report.at + self.retry_policy.cap)

    def _tick_one(self, ticket_id: str) -> tuple[TickOutcome, bool, datetime | None]:
        # What the work was, whether it was saved, and (if not) when the ticket is next due.
        done: list[tuple[Ticket, TickOutcome, datetime]] = []

        def decide(
            loaded: tuple[Ticket, ...], _new: tuple[str, ...], now: datetime
        ) -> tuple[Sequence[Ticket], Sequence[str]]:
            ticket, outcome = tick_ticket(self.desk, loaded[0], now)
            done.append((ticket, outcome, now))
            return (ticket,), ()

        _views, saved = self._run_once(SYSTEM, [(ticket_id, None, False)], decide, timed=True)
        ticket, outcome, now = done[0]
        return outcome, saved, None if saved else self._next_check(ticket, now)

    def _release(self, ticket_ids: Sequence[str], *, retry_at: datetime | None = None) -> None:
        try:
            self.repository.release_due(self.worker_id, ticket_ids, retry_at=retry_at)
        except Exception:  # the lease gives the tickets back all the same
            log.exception("could not release the claims on %s", ", ".join(ticket_ids))

    def deliver_pending(self, limit: int = 100, *, stop: threading.Event | None = None) -> Delivery:
        """
        One delivery round: claim at most ``limit`` outbox items that are due (for this help
        desk's ``worker_id``), hand each to the notifier and record the outcome. A send that
        raises anything is a failure: the item is tried again after the ``retry_policy``'s
        backoff, and after its last attempt it becomes a dead letter (see ``dead_letters``).
        A failing item never holds up the others. ``stop`` set ends the round early; the
        items not sent go back to the outbox when their claim's lease runs out.
        """
        return deliver_round(
            self.repository,
            self.notifier,
            self.retry_policy,
            owner=self.worker_id,
            now=self._now,
            limit=limit,
            stop=stop,
        )

    def dead_letters(self, limit: int = 100) -> list[OutboxItem]:
        """
        The notifications given up on after the retry policy's last attempt, oldest first,
        each with its attempts and last error. An operator's tool: it takes no actor, so a
        host exposes it to its administrators only.
        """
        return self.repository.dead_letters(limit)

    def retry_dead(self, keys: Iterable[str] | None = None) -> int:
        """
        Put these dead letters (all of them if None) back in the outbox with no attempts
        counted, once whatever failed is fixed; return how many. An operator's tool, like
        ``dead_letters``.
        """
        return self.repository.retry_dead(keys)
