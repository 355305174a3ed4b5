"""
Private half of ``BusinessCalendar.add_business_days``: counting business days.

A business day is a local date with at least one open interval in its schedule (its
override, else closed if a holiday, else its weekday's). Dates are proleptic ordinals. The
count over a range is the weekly count (whole weeks at once) corrected by the dates whose
schedule differs from their weekday's, so finding the n-th business day after a date is a
binary search: O(log n) per query, whatever n.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from datetime import date
from itertools import accumulate

from deskflow._internal.calendar_compile import DaySchedule

#: The last ordinal a result may have.
MAX_ORDINAL = date(9998, 12, 31).toordinal()


class DayIndex:
    """
    Which dates of one calendar are business days, with counts over ranges.
    """

    __slots__ = ("_deltas", "_exceptions", "_open", "_overrides", "_per_week", "_weekly")

    def __init__(
        self,
        weekly: tuple[DaySchedule, ...],
        closed: frozenset[int],
        overrides: Mapping[int, DaySchedule],
    ) -> None:
        self._weekly = weekly
        self._overrides = dict(overrides)
        self._open = tuple(bool(day) for day in weekly)
        self._per_week = sum(self._open)
        exceptions: list[tuple[int, int]] = []
        for ordinal in sorted(closed | set(overrides)):
            usual = self._open[(ordinal - 1) % 7]
            actual = bool(overrides[ordinal]) if ordinal in overrides else False
            if actual != usual:
                exceptions.append((ordinal, 1 if actual else -1))
        self._exceptions = [ordinal for ordinal, _ in exceptions]
        self._deltas = [0, *accumulate(delta for _, delta in exceptions)]

    def schedule(self, ordinal: int) -> DaySchedule:
        """
        The open intervals of one date (microseconds since its midnight).
        """
        if ordinal in self._overrides:
            return self._overrides[ordinal]
        if self.is_exception(ordinal):
            return ()
        return self._weekly[(ordinal - 1) % 7]

    def is_exception(self, ordinal: int) -> bool:
        """
        Whether ``ordinal``'s openness differs from its weekday's.
        """
        i = bisect_left(self._exceptions, ordinal)
        return i < len(self._exceptions) and self._exceptions[i] == ordinal

    def count(self, low: int, high: int) -> int:
        """
        The number of business days among the ordinals ``[low, high)``.
        """
        if high <= low:
            return 0
        weeks, rest = divmod(high - low, 7)
        total = weeks * self._per_week
        first = (low - 1 + weeks * 7) % 7
        total += sum(self._open[(first + k) % 7] for k in range(rest))
        i, j = bisect_left(self._exceptions, low), bisect_left(self._exceptions, high)
        return total + self._deltas[j] - self._deltas[i]

    def nth_after(self, ordinal: int, days: int) -> int | None:
        """
        The ``days``-th business day after ``ordinal`` (``days`` >= 1), or None if there is
        none up to the last supported date.
        """
        start = ordinal + 1
        span = 8
        while self.count(start, start + span) < days:
            if start + span > MAX_ORDINAL:
                return None
            span = min(span * 2, MAX_ORDINAL + 1 - start)
        low, high = start, start + span  # count(start, high) >= days
        while high - low > 1:
            middle = (low + high) // 2
            if self.count(start, middle) >= days:
                high = middle
            else:
                low = middle
        return high - 1

    def nth_before(self, ordinal: int, days: int) -> int | None:
        """
        The ``days``-th business day before ``ordinal`` (``days`` >= 1), or None.
        """
        end = ordinal
        span = 8
        while self.count(end - span, end) < days:
            if end - span <= 1:
                return None
            span = min(span * 2, end - 1)
        low, high = end - span, end  # count(low, end) >= days
        while high - low > 1:
            middle = (low + high) // 2
            if self.count(middle, end) >= days:
                low = middle
            else:
                high = middle
        return low


def business_point(index: DayIndex, ordinal: int, wall: int) -> tuple[int, int]:
    """
    The business date and the point of its working day (microseconds since its midnight) of
    an open instant showing ``wall`` microseconds past the midnight of local date
    ``ordinal``: the previous date when the instant lies in that date's overnight interval.
    """
    if not any(start <= wall < end for start, end in index.schedule(ordinal)):
        previous = index.schedule(ordinal - 1)
        shifted = wall + 86_400_000_000
        if any(start <= shifted < end for start, end in previous):
            return ordinal - 1, shifted
    return ordinal, wall
