"""
Clocks: the wall clock (the only place in deskflow that reads it) and virtual time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deskflow._internal import checks as _checks
from deskflow.exceptions import InvalidInput

__all__ = ["ManualClock", "SystemClock"]


class SystemClock:
    """
    The wall clock, in UTC: the only place in deskflow that reads it.

    >>> SystemClock().now().tzinfo
    datetime.timezone.utc
    """

    def now(self) -> datetime:
        """
        Return the current instant in UTC.
        """
        return datetime.now(UTC)


class ManualClock:
    """
    Virtual time for tests and simulations: it moves only when told, and only forward.

    Time moves in real (UTC) time, and [`now()`][deskflow.adapters.clocks.ManualClock.now]
    gives the instant in the zone the clock was started in: an hour after 00:30 BST on the
    night the clocks go back is 01:30 BST, and an hour after that 01:30 GMT, not 02:30.

    >>> from datetime import datetime, timedelta, timezone
    >>> clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    >>> clock.advance(timedelta(hours=2))
    >>> clock.now()
    datetime.datetime(2026, 3, 2, 11, 0, tzinfo=datetime.timezone.utc)
    """

    def __init__(self, start: datetime) -> None:
        self._zone = _checks.aware("start", start).tzinfo
        # Kept in UTC: adding a timedelta to a zoned datetime moves its wall clock, which
        # is wrong across a DST change; in UTC, addition is real time.
        self._utc = start.astimezone(UTC)
        self._now = start

    def now(self) -> datetime:
        """
        Return the current virtual instant, in the zone of the start instant.
        """
        return self._now

    def set(self, at: datetime) -> None:
        """
        Move to ``at``; moving backwards raises InvalidInput (time never runs back).
        """
        utc = _checks.aware("at", at).astimezone(UTC)
        if utc < self._utc:
            raise InvalidInput(
                f"the clock cannot go back from {self._now.isoformat()} to {at.isoformat()}"
            )
        self._move_to(utc)

    def advance(self, delta: timedelta) -> None:
        """
        Move forward by ``delta`` (a non-negative timedelta) of real time.
        """
        self._move_to(self._utc + _checks.duration("delta", delta))

    def _move_to(self, utc: datetime) -> None:
        self._utc = utc
        self._now = utc.astimezone(self._zone)
