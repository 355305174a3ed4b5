"""
The fold behind SLA clocks: from a ticket's history to, per metric, the running intervals of
its current cycle and the targets in force. Private; [`deskflow.sla`][deskflow.sla] reports on it.

Events are taken in groups of equal timestamps, and a group is applied in a canonical order,
so events with equal timestamps give the same clocks in whatever order they were recorded:
state changes follow their chain (``source`` -> ``dest``), agents' public replies are applied
before requesters' messages (a reply at the very instant of a message does not answer it),
and the last priority of the group's chain is the one in force.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from deskflow.enums import Metric, Priority, Visibility
from deskflow.events import CommentAdded, Event, PriorityChanged, StateChanged, TicketOpened

if TYPE_CHECKING:
    from deskflow._internal.sla_pieces import Steps
    from deskflow.calendars import BusinessCalendar

#: Roles whose public comments count as a response to the requester.
AGENT_ROLES = frozenset({"agent", "supervisor", "admin"})
REQUESTER_ROLE = "requester"


@attrs.frozen
class Rules:
    """
    What pauses and stops one metric's clock, resolved from the policy and the workflow.
    """

    pause_states: frozenset[str]
    stop_states: frozenset[str]
    pause_hold_reasons: frozenset[str] | None

    def paused(self, state: str, hold_reason: str | None) -> bool:
        """
        True if the clock does not run in ``state`` (with ``hold_reason``).
        """
        if state not in self.pause_states:
            return False
        if hold_reason is None or self.pause_hold_reasons is None:
            return True
        return hold_reason in self.pause_hold_reasons


@attrs.define
class Cycle:
    """
    One run of a clock: from its start until it is met (or stopped).

    ``segments`` are the running intervals (the last one open while it runs);
    ``priorities`` the priority in force from each instant on; ``numbers`` which dedup cycle
    was in force from each instant on (a reopen starts a new one for a resumed clock).
    """

    number: int
    started_at: datetime
    segments: list[tuple[datetime, datetime | None]] = attrs.Factory(list)
    priorities: list[tuple[datetime, Priority | None]] = attrs.Factory(list)
    numbers: list[tuple[datetime, int]] = attrs.Factory(list)
    completed_at: datetime | None = None
    #: Per calendar (by id, with the calendar): the business time before each closed
    #: interval and after the last. A closed interval never changes, so these only grow.
    sums: dict[int, tuple[BusinessCalendar, list[timedelta]]] = attrs.Factory(dict)
    #: Per (calendar, targets) by id: the prospective targets of ``priorities`` so far and
    #: what the finished pieces ran (see `Steps`). A priority change never changes once past.
    steps: dict[tuple[int, int], Steps] = attrs.Factory(dict)

    def copy(self) -> Cycle:
        """
        An independent copy, to fold on without changing this one.
        """
        return Cycle(
            self.number,
            self.started_at,
            list(self.segments),
            list(self.priorities),
            list(self.numbers),
            self.completed_at,
            {key: (cal, list(cum)) for key, (cal, cum) in self.sums.items()},
            {key: steps.copy() for key, steps in self.steps.items()},
        )

    def cumulative(self, cal: BusinessCalendar) -> list[timedelta]:
        """
        ``[0, b(0), b(0) + b(1), ...]``: the business time before each closed interval and
        after the last one (``b(i)``: interval i's business time on ``cal``).
        """
        entry = self.sums.get(id(cal))
        if entry is None or entry[0] is not cal:
            entry = self.sums[id(cal)] = (cal, [timedelta(0)])
        cum = entry[1]
        segments = self.segments
        closed = len(segments) - (1 if self.running else 0)
        elapsed = cal.elapsed
        while len(cum) <= closed:
            start, stop = segments[len(cum) - 1]
            assert stop is not None
            cum.append(cum[-1] + elapsed(start, stop))
        return cum

    @property
    def running(self) -> bool:
        """
        True while the last running interval is open.
        """
        return bool(self.segments) and self.segments[-1][1] is None

    def run(self, at: datetime, should_run: bool) -> None:
        """
        Open or close the running interval at ``at``.
        """
        if should_run and not self.running:
            self.segments.append((at, None))
        elif not should_run and self.running:
            start, _ = self.segments[-1]
            if start == at:
                self.segments.pop()  # an empty interval tells nothing
            else:
                self.segments[-1] = (start, at)

    def cycle_at(self, at: datetime) -> int:
        """
        The dedup cycle number in force at ``at``.
        """
        number = self.number
        for since, n in self.numbers:
            if since <= at:
                number = n
        return number


@attrs.define
class _View:
    state: str = ""
    hold_reason: str | None = None
    priority: Priority | None = None


@attrs.define
class Clock:
    """
    The fold of one metric: its current cycle and how many cycles it has run.
    """

    metric: Metric
    rules: Rules
    cycle: Cycle | None = None
    cycles: int = 0
    dedup_cycle: int = 0

    def copy(self) -> Clock:
        """
        An independent copy, to fold on without changing this one.
        """
        cycle = None if self.cycle is None else self.cycle.copy()
        return Clock(self.metric, self.rules, cycle, self.cycles, self.dedup_cycle)

    def _start(self, at: datetime, view: _View) -> None:
        self.cycles += 1
        self.dedup_cycle += 1
        self.cycle = Cycle(self.dedup_cycle, at, priorities=[(at, view.priority)])

    def _complete(self, at: datetime) -> None:
        if self.cycle is not None and self.cycle.completed_at is None:
            self.cycle.run(at, False)
            self.cycle.completed_at = at

    def apply(
        self,
        at: datetime,
        before: _View,
        after: _View,
        *,
        opened: bool,
        agent_replied: bool,
        requester_wrote: bool,
    ) -> None:
        """
        Apply one group of simultaneous events.
        """
        stopped = after.state in self.rules.stop_states
        was_stopped = before.state in self.rules.stop_states and not opened
        metric = self.metric
        if metric is Metric.RESOLUTION:
            if opened:
                self._start(at, after)
                if stopped:  # logged already solved (or withdrawn) at the same instant
                    self._complete(at)
            elif self.cycle is not None:
                if stopped and not was_stopped:
                    self._complete(at)
                elif was_stopped and not stopped:
                    # A reopen resumes the clock (elapsed time is kept) in a new dedup cycle.
                    self.cycle.completed_at = None
                    self.dedup_cycle += 1
                    self.cycle.numbers.append((at, self.dedup_cycle))
        elif metric is Metric.FIRST_RESPONSE:
            if opened:
                self._start(at, after)
            if agent_replied or stopped:
                self._complete(at)
        elif metric is Metric.NEXT_RESPONSE:
            if agent_replied or stopped:
                self._complete(at)
            waiting = self.cycle is not None and self.cycle.completed_at is None
            if requester_wrote and not waiting and not stopped:
                self._start(at, after)
        elif metric is Metric.PERIODIC_UPDATE:
            if opened:
                self._start(at, after)
            if stopped:
                self._complete(at)
            elif agent_replied or was_stopped:
                self._complete(at)
                self._start(at, after)
        cycle = self.cycle
        if cycle is None:
            return
        if cycle.completed_at is None:
            if after.priority != cycle.priorities[-1][1]:
                cycle.priorities.append((at, after.priority))
            cycle.run(at, not stopped and not self.rules.paused(after.state, after.hold_reason))


def _chain(changes: Sequence[StateChanged], state: str) -> tuple[str, str | None]:
    # Follow source -> dest from the current state, whatever order they were recorded in.
    remaining = list(changes)
    hold: str | None = None
    progressed = True
    while remaining and progressed:
        progressed = False
        for change in remaining:
            if change.source == state:
                state, hold = change.dest, change.hold_reason
                remaining.remove(change)
                progressed = True
                break
    if remaining:  # not a chain (a host's own history): fall back to recorded order
        last = remaining[-1]
        state, hold = last.dest, last.hold_reason
    return state, hold


def _priority_chain(
    changes: Sequence[PriorityChanged], priority: Priority | None
) -> Priority | None:
    remaining = list(changes)
    progressed = True
    while remaining and progressed:
        progressed = False
        for change in remaining:
            if change.previous == priority:
                priority = change.priority
                remaining.remove(change)
                progressed = True
                break
    if remaining:
        priority = max(c.priority for c in remaining)
    return priority


def fold(history: Iterable[Event], clocks: Sequence[Clock], view: _View | None = None) -> _View:
    """
    Feed ``history`` to ``clocks``, one group of equal timestamps at a time, from ``view``
    (what the events before it left); return what it leaves.
    """
    view = _View() if view is None else attrs.evolve(view)
    for at, group_iter in itertools.groupby(history, key=lambda e: e.at):
        group = list(group_iter)
        before = attrs.evolve(view)
        opened = False
        agent_replied = requester_wrote = False
        changes: list[StateChanged] = []
        priorities: list[PriorityChanged] = []
        for event in group:
            if isinstance(event, TicketOpened):
                opened = True
                view = _View(event.state, None, event.priority)
                before = attrs.evolve(view)
            elif isinstance(event, StateChanged):
                changes.append(event)
                if event.trigger == "reply":
                    requester_wrote = True
            elif isinstance(event, PriorityChanged):
                priorities.append(event)
            elif isinstance(event, CommentAdded) and event.visibility is Visibility.PUBLIC:
                if event.author_role in AGENT_ROLES:
                    agent_replied = True
                elif event.author_role == REQUESTER_ROLE:
                    requester_wrote = True
        if changes:
            view.state, view.hold_reason = _chain(changes, view.state)
        if priorities:
            view.priority = _priority_chain(priorities, view.priority)
        for clock in clocks:
            clock.apply(
                at,
                before,
                view,
                opened=opened,
                agent_replied=agent_replied,
                requester_wrote=requester_wrote,
            )
    return view


@attrs.frozen
class Folded:
    """
    The fold of a history's first ``count`` events, which end a group of equal timestamps:
    a command folds only the events after it. Never changed once built (it is shared by
    the tickets that carry it); folding on works on a copy.
    """

    count: int
    view: _View
    clocks: tuple[Clock, ...]

    def extend(self, history: Sequence[Event], stop: int) -> Folded:
        """
        This fold carried on through ``history[count:stop]`` (whole groups, or the rest).
        """
        if stop <= self.count:
            return self
        clocks = tuple(clock.copy() for clock in self.clocks)
        view = fold(itertools.islice(history, self.count, stop), clocks, self.view)
        return Folded(stop, view, clocks)

    def warm(self, cal: BusinessCalendar) -> None:
        """
        Work out the running totals of the closed intervals on ``cal`` ahead, once.
        """
        for clock in self.clocks:
            if clock.cycle is not None:
                clock.cycle.cumulative(cal)


def last_group_start(history: Sequence[Event]) -> int:
    """
    The index of the first event of the last group of equal timestamps.
    """
    j = len(history) - 1
    last = history[j].at
    while j > 0 and history[j - 1].at == last:
        j -= 1
    return j


Pieces = list[tuple[datetime, timedelta | None]]


class Timeline:
    """
    The running intervals of a cycle up to ``end`` with running totals of their business
    time, so the business time run before any instant is one binary search and one
    ``elapsed`` away.
    """

    __slots__ = ("cal", "cumulative", "end", "segments", "total")

    def __init__(self, cycle: Cycle, cal: BusinessCalendar, end: datetime) -> None:
        self.cal = cal
        self.end = end
        self.segments = cycle.segments
        #: The business time before each interval (and after the last closed one).
        self.cumulative = cycle.cumulative(cal)
        total = self.cumulative[-1]
        if cycle.running:
            start = self.segments[-1][0]
            if start < end:
                total += cal.elapsed(start, end)
        self.total = total

    def at(self, until: datetime) -> timedelta:
        """
        Business time run before ``until`` (at most ``end``).
        """
        j = bisect_left(self.segments, until, key=_start_of) - 1
        if j < 0:
            return timedelta(0)
        start, stop = self.segments[j]
        stop = self.end if stop is None or stop > self.end else stop
        return self.cumulative[j] + self.cal.elapsed(start, until if until < stop else stop)


def _start_of(segment: tuple[datetime, datetime | None]) -> datetime:
    return segment[0]


def crossing(
    cycle: Cycle,
    cal: BusinessCalendar,
    pieces: Pieces,
    mark_of: Callable[[timedelta], timedelta],
    end: datetime,
    *,
    future: bool,
) -> datetime | None:
    """
    When the clock reaches ``threshold``: within [start, end], or (``future``) after ``end``
    if it keeps running under the last target.

    The running intervals are cut at each change of target; one pass walks both in order.
    """
    elapsed = timedelta(0)
    bounds = [at for at, _ in pieces[1:]]
    marks = [None if target is None else mark_of(target) for _, target in pieces]
    k = 0  # pieces[k] is in force; bounds[k] is when the next one starts
    for start, stop in cycle.segments:
        stop = stop or end
        a = start
        while True:
            while k < len(bounds) and bounds[k] <= a:
                k += 1
            b = bounds[k] if k < len(bounds) and bounds[k] < stop else stop
            part = cal.elapsed(a, b)
            mark = marks[k]
            if mark is not None:
                if elapsed >= mark:
                    return a
                if elapsed + part >= mark:
                    return cal.add(a, mark - elapsed)
            elapsed += part
            if b >= stop:
                break
            a = b
    if future:
        mark = marks[-1]
        if mark is not None:
            return cal.add(end, max(mark - elapsed, timedelta(0)))
    return None
