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

    >>> from datetime import datetime, timedelta, timezone
    >>> clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    >>> clock.advance(timedelta(hours=2))
    >>> clock.now()
    datetime.datetime(2026, 3, 2, 11, 0, tzinfo=datetime.timezone.utc)
    """

    def __init__(self, start: datetime) -> None:
        self._now = _checks.aware("start", start)

    def now(self) -> datetime:
        """
        Return the current virtual instant.
        """
        return self._now

    def set(self, at: datetime) -> None:
        """
        Move to ``at``; moving backwards raises InvalidInput (time never runs back).
        """
        _checks.aware("at", at)
        if at < self._now:
            raise InvalidInput(
                f"the clock cannot go back from {self._now.isoformat()} to {at.isoformat()}"
            )
        self._now = at

    def advance(self, delta: timedelta) -> None:
        """
        Move forward by ``delta`` (a non-negative timedelta).
        """
        self._now = self._now + _checks.duration("delta", delta)
