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

import attrs

from deskflow._internal.sla_pieces import steps_of
from deskflow._internal.sla_timeline import Clock, Cycle, Folded, Timeline, fold, last_group_start
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


def breach_mark(target: timedelta) -> timedelta:
    """
    The business time at which a clock with ``target`` breaches: ``Threshold("breach",
    share=1.0).mark``.
    """
    return target * 1.0


def next_check(
    clocks: Iterable[Clock],
    metrics: Mapping[Metric, Targets],
    marks: Mapping[Metric, tuple[object, Sequence[Mark]]],
    retroactive: bool,
    cal: BusinessCalendar,
    now: datetime,
) -> datetime | None:
    """
    ``evaluate(ticket, now).next_check_at`` for the folded ``clocks``, computed directly.

    ``marks`` gives per metric its warning marks and the object they come from (the same
    object every call, so what finished pieces passed is kept on the cycle).
    """
    soonest: timedelta | None = None
    for clock in clocks:
        cycle = clock.cycle
        if cycle is None or cycle.completed_at is not None or not cycle.running:
            continue  # not started, met or paused: nothing changes until an event
        timeline = Timeline(cycle, cal, now)
        key, given = marks[clock.metric]
        all_marks = (*given, breach_mark)
        targets = metrics[clock.metric].targets
        if retroactive:
            last = cycle.priorities[-1][1]
            target = targets.get(last) if last is not None else None
            if target is None:
                continue
            elapsed = timeline.total
            passed = [elapsed >= mark_of(target) for mark_of in all_marks]
        else:
            steps = steps_of(cycle, cal, targets)
            pieces = steps.extend(cycle, timeline, now)
            target = pieces[-1][1]
            if target is None:
                continue
            elapsed = timeline.total
            passed = steps.passed_before_last(key, all_marks, timeline, now)
            if _ran_last(timeline, pieces[-1][0], now):
                passed = [p or elapsed >= m(target) for p, m in zip(passed, all_marks, strict=True)]
        for done, mark_of in zip(passed, all_marks, strict=True):
            if done:
                continue  # passed already: reported, not scheduled
            left = max(mark_of(target) - elapsed, _ZERO)
            if soonest is None or left < soonest:
                soonest = left
    return None if soonest is None else cal.add(now, soonest)


def _ran_last(timeline: Timeline, since: datetime, now: datetime) -> bool:
    # True if the clock ran in the last piece (from ``since`` on).
    segments = timeline.segments
    j = bisect_left(segments, since, key=_start_of)
    return j < len(segments) or (j > 0 and (segments[j - 1][1] or now) > since)


def _start_of(segment: tuple[datetime, datetime | None]) -> datetime:
    return segment[0]


@attrs.define
class Carried:
    """
    The folds a ticket carries for one SLA policy: ``full`` of its whole history, and
    ``stable`` of its history up to its last instant (a group of equal timestamps), from
    which a ticket whose new events join that instant folds on; and ``last``, the last
    report made from such clocks: (its instant, its calendar, the clocks, the report).
    """

    owner: object
    stable: Folded
    full: Folded
    last: tuple[datetime, BusinessCalendar, Sequence[Clock], object] | None = None


def _same_cycle(a: Cycle | None, b: Cycle | None) -> bool:
    if a is None or b is None:
        return a is b
    return (
        a.number == b.number
        and a.started_at == b.started_at
        and a.completed_at == b.completed_at
        and a.segments == b.segments
        and a.priorities == b.priorities
        and a.numbers == b.numbers
    )


def _same_clocks(a: Sequence[Clock], b: Sequence[Clock]) -> bool:
    # Clocks a report is a function of, compared on what the report reads.
    return len(a) == len(b) and all(
        x.metric is y.metric
        and x.cycles == y.cycles
        and x.dedup_cycle == y.dedup_cycle
        and _same_cycle(x.cycle, y.cycle)
        for x, y in zip(a, b, strict=True)
    )


def kept_report(
    ticket: Ticket, owner: object, now: datetime, cal: BusinessCalendar, clocks: Sequence[Clock]
) -> object | None:
    """
    The report last made at ``now`` on ``cal`` for ``owner`` from clocks equal to
    ``clocks`` (the ticket's, folded), if the ticket carries one: the events since (say a
    tick's thresholds and notices) changed nothing the report reads.
    """
    memo = memo_of(ticket)
    if not isinstance(memo, Carried) or memo.owner is not owner or memo.last is None:
        return None
    at, on, folded, report = memo.last
    if at == now and on is cal and (folded is clocks or _same_clocks(folded, clocks)):
        return report
    return None


def keep_report(
    ticket: Ticket, owner: object, now: datetime, cal: BusinessCalendar, clocks: Sequence[Clock],
    report: object,
) -> None:  # fmt: skip
    """
    Let ``ticket`` (and the tickets made from it) carry ``report``, made from ``clocks``.
    """
    memo = memo_of(ticket)
    if isinstance(memo, Carried) and memo.owner is owner:
        memo.last = (now, cal, clocks, report)


def folded_clocks(
    ticket: Ticket, owner: object, make: Callable[[], list[Clock]], cal: BusinessCalendar
) -> Sequence[Clock]:
    """
    The clocks of ``owner`` (an SLA policy; ``make`` builds its fresh clocks) folded over
    ``ticket``'s history. They are shared with the ticket's carried fold: read them, and
    let them keep what they work out ahead (running totals, prospective pieces), but never
    change them.

    The folds are carried by the ticket, and by the tickets `Ticket.evolve` makes from it,
    whose histories extend it: a command folds only its own events (and the instant they
    join, if any), on one copy of the clocks, whatever the length of the history.
    """
    history = ticket.history
    n = len(history)
    memo = memo_of(ticket)
    carried = memo if isinstance(memo, Carried) and memo.owner is owner else None
    if carried is not None and carried.full.count == n:
        return carried.full.clocks  # this very history
    stop = last_group_start(history)
    base: Folded | None = None
    last = None
    if carried is not None:
        full = carried.full
        if full.count < n and history[full.count].at > history[full.count - 1].at:
            base, last = full, carried.last  # the new events start a later instant
        elif carried.stable.count <= stop:
            base = carried.stable  # they join the last instant: fold it again whole
    if base is None:
        clocks = tuple(make())
        base = Folded(0, fold((), clocks), clocks)
    stable = base.extend(history, stop)
    stable.warm(cal)  # so a ticket whose events join the last instant copies the totals
    full = stable.extend(history, n)
    full.warm(cal)
    remember(ticket, Carried(owner, stable, full, last))
    return full.clocks
