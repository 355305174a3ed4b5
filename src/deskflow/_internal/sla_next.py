"""
The next check time of a ticket's SLA clocks without building their report.

[`SlaPolicy.evaluate()`][deskflow.sla.SlaPolicy.evaluate] is the reference: its report's
``next_check_at`` is the earliest instant at which a running clock reaches a threshold it has
not reached yet, or its breach. Here only running clocks are looked at, once each: the
business time each has run, its target in force, which of its marks it has passed, and then
one ``add`` for the whole ticket, since ``add(now, d)`` grows with ``d`` (the soonest of the
instants is the instant of the smallest duration left).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from deskflow._internal.sla_timeline import (
    Clock,
    Folded,
    Pieces,
    Timeline,
    fold,
    last_group_start,
    pieces,
)
from deskflow.enums import Metric, Priority
from deskflow.ticket import Ticket, memo_of, remember

if TYPE_CHECKING:
    from deskflow.calendars import BusinessCalendar

Mark = Callable[[timedelta], timedelta]
_ZERO = timedelta(0)


class Targets(Protocol):
    """
    What the next check reads of a metric's policy.
    """

    @property
    def targets(self) -> Mapping[Priority, timedelta]:
        """
        The target per priority.
        """


def _start_of(segment: tuple[datetime, datetime | None]) -> datetime:
    return segment[0]


def _breach(target: timedelta) -> timedelta:
    return target * 1.0  # as Threshold("breach", share=1.0).mark


def _ran_into(
    timeline: Timeline, steps: Pieces, now: datetime
) -> list[tuple[timedelta, timedelta]]:
    # For each piece with a target that the clock ran in: (its target, the business time run
    # by the piece's end). A mark is passed iff one piece's time reaches that piece's mark.
    segments = timeline.segments
    out: list[tuple[timedelta, timedelta]] = []
    for i, (since, target) in enumerate(steps):
        if target is None:
            continue
        until = steps[i + 1][0] if i + 1 < len(steps) else None
        j = bisect_left(segments, since, key=_start_of)
        ran = (j < len(segments) and (until is None or segments[j][0] < until)) or (
            j > 0 and (segments[j - 1][1] or now) > since
        )
        if ran:
            reached = timeline.total if until is None or until >= now else timeline.at(until)
            out.append((target, reached))
    return out


def next_check(
    clocks: Iterable[Clock],
    metrics: Mapping[Metric, Targets],
    marks: Mapping[Metric, Sequence[Mark]],
    retroactive: bool,
    cal: BusinessCalendar,
    now: datetime,
) -> datetime | None:
    """
    ``evaluate(ticket, now).next_check_at`` for the folded ``clocks``, computed directly.
    """
    soonest: timedelta | None = None
    for clock in clocks:
        cycle = clock.cycle
        if cycle is None or cycle.completed_at is not None or not cycle.running:
            continue  # not started, met or paused: nothing changes until an event
        timeline = Timeline(cycle, cal, now)
        steps = pieces(cycle, metrics[clock.metric].targets, retroactive, timeline, now)
        target = steps[-1][1]
        if target is None:
            continue
        elapsed = timeline.total
        ran = [(target, elapsed)] if retroactive else _ran_into(timeline, steps, now)
        for mark_of in (*marks[clock.metric], _breach):
            if any(reached >= mark_of(t) for t, reached in ran):
                continue  # passed already: reported, not scheduled
            left = max(mark_of(target) - elapsed, _ZERO)
            if soonest is None or left < soonest:
                soonest = left
    return None if soonest is None else cal.add(now, soonest)


def folded_clocks(
    ticket: Ticket, owner: object, make: Callable[[], list[Clock]], cal: BusinessCalendar
) -> list[Clock]:
    """
    The clocks of ``owner`` (an SLA policy; ``make`` builds its fresh clocks) folded over
    ``ticket``'s history.

    The fold up to the last group of equal timestamps is carried by the ticket, and by the
    tickets `Ticket.evolve` makes from it, whose histories extend it: a command folds only
    its own events (and the group they join), whatever the length of the history.
    """
    history = ticket.history
    memo = memo_of(ticket)
    stop = last_group_start(history)
    folded: Folded | None = None
    if isinstance(memo, tuple) and memo[0] is owner and memo[1].count <= stop:
        folded = memo[1]
    if folded is None:
        clocks = tuple(make())
        folded = Folded(0, fold((), clocks), clocks)
    extended = folded.extend(history, stop)
    extended.warm(cal)
    if not (isinstance(memo, tuple) and memo[1] is extended):
        remember(ticket, (owner, extended))
    return extended.finish(history)
