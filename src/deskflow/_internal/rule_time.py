"""
Private half of the time conditions of [`deskflow.rules`][deskflow.rules]: when "in state X
for D", "D since event E" and "within D of due" come true, and which episode they are in.

Durations are business time on the ticket's calendar: a ``timedelta`` of open time
(``BusinessCalendar.add``) or whole business days (``BusinessCalendar.add_business_days``:
the same point of the working day, n business days on). Episodes are named by the event that
started them (``"e7"``: the event at position 7 of the history), or by the SLA clock's cycle
(``"response.c2"``), so a time rule fires once per episode.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from deskflow._internal.rule_triggers import triggers_of
from deskflow.calendars import BusinessCalendar
from deskflow.enums import Metric, RuleTrigger
from deskflow.exceptions import InvalidInput
from deskflow.sla import ClockState, ClockStatus
from deskflow.ticket import Ticket

if TYPE_CHECKING:
    from deskflow.rules import RuleContext, TimeCondition, Wait

_ALWAYS = BusinessCalendar.always("UTC")


def last_event(ticket: Ticket, trigger: RuleTrigger) -> int | None:
    """
    The position in ``ticket``'s history of the last event raising ``trigger``, or None.
    """
    history = ticket.history
    if trigger is not RuleTrigger.ASSIGNED:
        for position in range(len(history) - 1, -1, -1):
            if trigger in triggers_of(history[position], None):
                return position
        return None
    # "assigned" depends on the ticket before each event: follow it from the opening.
    found: int | None = None
    current: Ticket | None = None
    for position, event in enumerate(history):
        if trigger in triggers_of(event, current):
            found = position
        current = event.open() if current is None else event.apply_to(current)
    return found


def calendar_of(context: RuleContext) -> BusinessCalendar:
    """
    The business calendar a context counts on: its own, else its SLA policy's for the
    ticket, else around the clock in UTC.
    """
    if context.calendar is not None:
        return context.calendar
    if context.sla is not None:
        return context.sla.calendar_for(context.ticket)
    return _ALWAYS


def wait_from(calendar: BusinessCalendar, start: datetime, wait: Wait) -> datetime | None:
    """
    The instant ``wait`` of business time after ``start``; None when it falls past the
    years a calendar counts (a wait that never ends: its condition never comes true).
    """
    try:
        if isinstance(wait, timedelta):
            return calendar.add(start, wait)
        return calendar.add_business_days(start, wait.days)
    except InvalidInput:
        return None


def describe_wait(wait: Wait) -> str:
    """
    ``wait`` in words: ``"2 business days"``, ``"0:10:00 of business time"``.
    """
    if isinstance(wait, timedelta):
        return f"{wait} of business time"
    return f"{wait.days} business day{'' if wait.days == 1 else 's'}"


# -- in state X for D -------------------------------------------------------------------


def state_entered(ticket: Ticket) -> int:
    """
    The position of the event that put the ticket in its current state (0: the opening).
    """
    history = ticket.history
    for position in range(len(history) - 1, 0, -1):
        if history[position].changes_state:
            return position
    return 0


def in_state_ready(state: str, wait: Wait, context: RuleContext) -> datetime | None:
    """
    When the ticket will have been (or has been) in ``state`` for ``wait``; None if it is not
    in that state.
    """
    ticket = context.ticket
    if ticket.state != state:
        return None
    return wait_from(calendar_of(context), ticket.state_since, wait)


def in_state_episode(state: str, context: RuleContext) -> str | None:
    """
    ``"e<position>"`` of the entry into ``state``, or None if the ticket is elsewhere.
    """
    if context.ticket.state != state:
        return None
    return f"e{state_entered(context.ticket)}"


# -- D since event E --------------------------------------------------------------------


def since_ready(trigger: RuleTrigger, wait: Wait, context: RuleContext) -> datetime | None:
    """
    When ``wait`` will have passed (or passed) since the last event raising ``trigger``.
    """
    position = last_event(context.ticket, trigger)
    if position is None:
        return None
    return wait_from(calendar_of(context), context.ticket.history[position].at, wait)


def since_episode(trigger: RuleTrigger, context: RuleContext) -> str | None:
    """
    ``"e<position>"`` of the last event raising ``trigger``, or None.
    """
    position = last_event(context.ticket, trigger)
    return None if position is None else f"e{position}"


# -- within D of due --------------------------------------------------------------------


def clock_of(metric: Metric, context: RuleContext) -> ClockStatus | None:
    """
    The status of ``metric``'s clock now, or None without an SLA policy measuring it.
    """
    sla = context.sla
    if sla is None or metric not in sla.metrics:
        return None
    return sla.evaluate(context.ticket, context.now, calendar=calendar_of(context))[metric]


def due_ready(metric: Metric, wait: Wait, context: RuleContext) -> datetime | None:
    """
    When the running clock of ``metric`` has ``wait`` of business time left (``now`` if it
    has less already); None unless the clock is running towards a due time.
    """
    clock = clock_of(metric, context)
    if clock is None or clock.state is not ClockState.RUNNING or clock.due_at is None:
        return None
    calendar = calendar_of(context)
    if not isinstance(wait, timedelta):
        try:
            return calendar.add_business_days(clock.due_at, -wait.days)
        except InvalidInput:  # further back than the calendar counts: ready already
            return context.now
    remaining = clock.remaining if clock.remaining is not None else timedelta(0)
    if remaining <= wait:
        return context.now
    return calendar.add(context.now, remaining - wait)


def due_episode(metric: Metric, context: RuleContext) -> str | None:
    """
    ``"<metric>.c<cycle>"`` of the clock's current cycle, or None before it starts.
    """
    clock = clock_of(metric, context)
    if clock is None or clock.state is ClockState.NOT_STARTED:
        return None
    return f"{metric.value}.c{clock.cycle}"


# -- test and explain -------------------------------------------------------------------


def explained(condition: TimeCondition, context: RuleContext) -> tuple[str, bool]:
    """
    The line explaining a time condition (what it waits for, and since when or until when)
    and whether it holds.
    """
    describe = getattr(condition, "describe", None)
    text = describe() if callable(describe) else type(condition).__name__
    at = condition.ready_at(context)
    if at is None:
        return f"{text}: not in this episode", False
    held = at <= context.now
    return f"{text}: ready {'since' if held else 'at'} {at.isoformat()}", held


class _Ready:
    # What the three bodies share: a time condition holds once its instant has come.
    def ready_at(self, context: RuleContext) -> datetime | None:
        raise NotImplementedError

    def test(self, context: RuleContext) -> bool:
        """
        Whether the condition is ready now (``ready_at`` is not after ``context.now``).
        """
        at = self.ready_at(context)
        return at is not None and at <= context.now


# -- the bodies of the time conditions ---------------------------------------------------


class InStateForTimes(_Ready):
    """
    When ``InStateFor`` comes true and its episode.
    """

    state: str
    duration: Wait

    def ready_at(self, context: RuleContext) -> datetime | None:
        """
        ``duration`` after the ticket entered ``state``; None while it is elsewhere.
        """
        return in_state_ready(self.state, self.duration, context)

    def episode(self, context: RuleContext) -> str | None:
        """
        ``"e<position>"`` of the event that entered ``state`` (``"e0"``: the opening).
        """
        return in_state_episode(self.state, context)

    def describe(self) -> str:
        """
        ``"in state pending for 2 business days"``.
        """
        return f"in state {self.state} for {describe_wait(self.duration)}"


class SinceEventTimes(_Ready):
    """
    When ``SinceEvent`` comes true and its episode.
    """

    event: RuleTrigger
    duration: Wait

    def ready_at(self, context: RuleContext) -> datetime | None:
        """
        ``duration`` after the last ``event``; None if there was none.
        """
        return since_ready(self.event, self.duration, context)

    def episode(self, context: RuleContext) -> str | None:
        """
        ``"e<position>"`` of the last ``event``.
        """
        return since_episode(self.event, context)

    def describe(self) -> str:
        """
        ``"0:10:00 of business time since opened"``.
        """
        return f"{describe_wait(self.duration)} since {self.event.value}"


class BeforeDueTimes(_Ready):
    """
    When ``BeforeDue`` comes true and its episode.
    """

    metric: Metric
    duration: Wait

    def ready_at(self, context: RuleContext) -> datetime | None:
        """
        When the running clock has ``duration`` left; None unless it is running.
        """
        return due_ready(self.metric, self.duration, context)

    def episode(self, context: RuleContext) -> str | None:
        """
        ``"<metric>.c<cycle>"``: the clock's current cycle.
        """
        return due_episode(self.metric, context)

    def describe(self) -> str:
        """
        ``"resolution due within 4:00:00 of business time"``.
        """
        return f"{self.metric.value} due within {describe_wait(self.duration)}"
