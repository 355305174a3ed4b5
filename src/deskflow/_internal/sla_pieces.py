"""
Prospective targets of SLA clocks, kept as the fold goes: a clock's target from each
priority change on, and which warning marks the finished pieces passed. Private;
[`deskflow.sla`][deskflow.sla] reports on it.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from deskflow._internal.sla_timeline import Cycle, Pieces, Timeline
from deskflow.enums import Priority

if TYPE_CHECKING:
    from deskflow.calendars import BusinessCalendar

__all__ = ["Steps", "pieces", "steps_of"]


def _start_of(segment: tuple[datetime, datetime | None]) -> datetime:
    return segment[0]


class Steps:
    """
    The prospective target of a cycle from each priority change on, for one calendar and
    one table of targets, kept as the fold goes: a piece depends only on the running
    intervals before its change, which never change once the change is recorded.

    ``ran`` holds, for each finished piece (one followed by another) that has a target and
    that the clock ran in, its target and the business time run by its end; ``passed``, per
    list of marks (by id), how many of ``ran`` were looked at and which marks they passed.
    """

    __slots__ = ("cal", "passed", "pieces", "ran", "ran_done", "targets")

    def __init__(self, cal: BusinessCalendar, targets: Mapping[Priority, timedelta]) -> None:
        self.cal = cal
        self.targets = targets
        self.pieces: Pieces = []
        self.ran: list[tuple[timedelta, timedelta]] = []
        self.ran_done = 0
        self.passed: dict[int, tuple[object, int, list[bool]]] = {}

    def copy(self) -> Steps:
        """
        An independent copy.
        """
        out = Steps(self.cal, self.targets)
        out.pieces = list(self.pieces)
        out.ran = list(self.ran)
        out.ran_done = self.ran_done
        out.passed = {k: (key, n, list(flags)) for k, (key, n, flags) in self.passed.items()}
        return out

    def extend(self, cycle: Cycle, timeline: Timeline, end: datetime) -> Pieces:
        """
        The pieces of every priority of ``cycle``, working out only the new ones.
        """
        pieces = self.pieces
        priorities = cycle.priorities
        targets = self.targets
        for at, p in itertools.islice(priorities, len(pieces), None):
            new = targets.get(p) if p is not None else None
            if not pieces or pieces[-1][1] is None or new is None:
                pieces.append((at, new))
                continue
            used = timeline.at(min(at, end))
            old = pieces[-1][1]
            left = max(0.0, 1 - used / old) if old else 0.0
            pieces.append((at, used + new * left))
        return pieces

    def finished_runs(self, timeline: Timeline, now: datetime) -> list[tuple[timedelta, timedelta]]:
        """
        ``ran`` brought up to date with the pieces (all but the last are finished).
        """
        pieces = self.pieces
        segments = timeline.segments
        for i in range(self.ran_done, len(pieces) - 1):
            since, target = pieces[i]
            if target is None:
                continue
            until = pieces[i + 1][0]
            j = bisect_left(segments, since, key=_start_of)
            ran = (j < len(segments) and segments[j][0] < until) or (
                j > 0 and (segments[j - 1][1] or now) > since
            )
            if ran:
                self.ran.append((target, timeline.at(until)))
        self.ran_done = max(self.ran_done, len(pieces) - 1)
        return self.ran

    def passed_before_last(
        self,
        key: object,
        marks: Sequence[Callable[[timedelta], timedelta]],
        timeline: Timeline,
        now: datetime,
    ) -> list[bool]:
        """
        Which of ``marks`` (``key``: the object they come from, the same every call) one
        of the finished pieces passed.
        """
        ran = self.finished_runs(timeline, now)
        entry = self.passed.get(id(key))
        if entry is None or entry[0] is not key:
            entry = (key, 0, [False] * len(marks))
        _key, done, flags = entry
        for target, reached in itertools.islice(ran, done, None):
            for m, mark_of in enumerate(marks):
                if not flags[m] and reached >= mark_of(target):
                    flags[m] = True
        self.passed[id(key)] = (key, len(ran), flags)
        return flags


def steps_of(cycle: Cycle, cal: BusinessCalendar, targets: Mapping[Priority, timedelta]) -> Steps:
    """
    The prospective pieces kept on ``cycle`` for ``cal`` and ``targets``.
    """
    key = (id(cal), id(targets))
    steps = cycle.steps.get(key)
    if steps is None or steps.cal is not cal or steps.targets is not targets:
        steps = cycle.steps[key] = Steps(cal, targets)
    return steps


def pieces(
    cycle: Cycle,
    targets_by_priority: Mapping[Priority, timedelta],
    retroactive: bool,
    timeline: Timeline,
    end: datetime,
) -> Pieces:
    """
    The clock's total target from each instant on (piecewise constant; do not change it).

    Retroactive: the latest target, from the start. Prospective: at each change the share
    of the target already used is kept and the new target applies to the share left.
    """
    if retroactive:
        last = cycle.priorities[-1][1]
        return [(cycle.started_at, targets_by_priority.get(last) if last is not None else None)]
    return steps_of(cycle, timeline.cal, targets_by_priority).extend(cycle, timeline, end)
