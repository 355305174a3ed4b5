"""
Business calendars: when a help desk is open, and business-time arithmetic on real instants.

See ``docs/calendars.md`` for the rule, with worked examples across DST changes.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from itertools import accumulate
from operator import sub
from types import MappingProxyType
from typing import NamedTuple
from zoneinfo import ZoneInfo

import attrs

from deskflow._internal.business_days import DayIndex, business_point
from deskflow._internal.calendar_compile import (
    EPOCH_ORDINAL,
    MAX_YEAR,
    MIN_YEAR,
    US_PER_DAY,
    US_PER_SECOND,
    DaySchedule,
    compile_year,
    load_zone,
    parse_date,
    parse_day,
    parse_weekly,
    year_start,
)
from deskflow.exceptions import ConfigError, InvalidInput

__all__ = ["SEARCH_HORIZON_YEARS", "BusinessCalendar"]

SEARCH_HORIZON_YEARS = 10
"""How far ``next_open``, ``next_close`` and ``add`` look ahead for an opening or a closing."""

#: How many years apart a query may be from the compiled range and still extend it.
_NEAR_YEARS = 3
_MIN_US = year_start(MIN_YEAR)
_MAX_US = year_start(MAX_YEAR + 1)
_NO_OVERRIDES: Mapping[date, Sequence[str]] = MappingProxyType({})
_WHOLE_WEEK = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


class _Compiled(NamedTuple):
    """
    The open intervals of the UTC years ``first_year..last_year``, with running totals.

    ``cumulative[i]`` is the business time from the first interval's start to ``ends[i]``.
    Never mutated: a bigger one replaces it, so readers need no lock.
    """

    first_year: int
    last_year: int
    low: int
    high: int
    starts: list[int]
    ends: list[int]
    cumulative: list[int]


class _Cache:
    """
    The lazily compiled intervals of one calendar; a copy or an unpickled calendar starts empty.
    """

    __slots__ = ("always", "compiled", "days", "epoch", "lock", "overrides", "years")

    def __init__(self) -> None:
        self.always: bool | None = None
        self.compiled: _Compiled | None = None
        self.days: DayIndex | None = None
        self.epoch: datetime | None = None
        self.lock = threading.Lock()
        self.overrides: dict[int, DaySchedule] | None = None
        self.years: dict[int, tuple[list[int], list[int]]] = {}

    def __reduce__(self) -> tuple[type[_Cache], tuple[()]]:
        return _Cache, ()


def _instant(value: object, what: str) -> int:
    # The hot path of every query: plain int arithmetic on the fields is about twice as fast
    # as subtracting datetimes, and cannot overflow.
    if not isinstance(value, datetime):
        raise InvalidInput(f"{what} must be a timezone-aware datetime, got {value!r}")
    offset = value.utcoffset()
    if offset is None:
        raise InvalidInput(
            f"{what} must be timezone-aware, got the naive datetime {value!r}; attach a zone, "
            "e.g. value.replace(tzinfo=ZoneInfo('Europe/London'))"
        )
    seconds = (value.toordinal() - EPOCH_ORDINAL - offset.days) * 86_400 - offset.seconds
    seconds += value.hour * 3600 + value.minute * 60 + value.second
    micros = seconds * US_PER_SECOND + value.microsecond - offset.microseconds
    if not _MIN_US <= micros < _MAX_US:
        raise InvalidInput(f"{what} {value!r} is outside the years {MIN_YEAR}..{MAX_YEAR}")
    return micros


def _business_before(compiled: _Compiled, instant: int) -> int:
    # Running total from the first compiled interval up to ``instant``.
    i = bisect_right(compiled.starts, instant) - 1
    if i < 0:
        return 0
    return compiled.cumulative[i] - max(0, compiled.ends[i] - instant)


def _year_of(micros: int) -> int:
    return date.fromordinal(EPOCH_ORDINAL + micros // US_PER_DAY).year


@attrs.frozen(init=False, repr=False)
class BusinessCalendar:
    """
    The open hours of a desk in one time zone, and exact business-time arithmetic.

    An instant is business time iff its local wall-clock time falls inside an interval of its
    local date (or in the after-midnight part of the previous date's overnight interval).
    Business time is real elapsed time, so a 22:00-06:00 shift on the night the clocks change
    lasts 7 or 9 hours. Open intervals are compiled lazily, one UTC year at a time, into
    sorted instants with running totals: ``add`` and ``elapsed`` are binary searches.

    >>> from datetime import datetime, timedelta
    >>> from zoneinfo import ZoneInfo
    >>> weekdays = ("mon", "tue", "wed", "thu", "fri")
    >>> cal = BusinessCalendar("Europe/London", {day: ["09:00-17:00"] for day in weekdays})
    >>> friday = datetime(2026, 3, 27, 16, 0, tzinfo=ZoneInfo("Europe/London"))
    >>> print(cal.add(friday, timedelta(hours=2)))  # Monday, after the clocks went forward
    2026-03-30 10:00:00+01:00
    """

    timezone: str
    name: str
    _weekly: tuple[DaySchedule, ...]
    _closed: frozenset[int]
    _overrides: tuple[tuple[int, DaySchedule], ...]
    _zone: ZoneInfo = attrs.field(eq=False, hash=False)
    _cache: _Cache = attrs.field(eq=False, hash=False, init=False, factory=_Cache)

    def __init__(
        self,
        timezone: str,
        weekly: Mapping[str, Sequence[str]],
        holidays: Iterable[date] = (),
        overrides: Mapping[date, Sequence[str]] = _NO_OVERRIDES,
        name: str = "",
    ) -> None:
        """
        Define a calendar; raise [`ConfigError`][deskflow.exceptions.ConfigError] if the
        definition is invalid.

        Overlapping intervals of one day are merged. On a date that is both a holiday and an
        override, the override wins (a special opening on a holiday).
        """
        zone = load_zone(timezone)
        parsed_weekly = parse_weekly(weekly)
        if isinstance(holidays, str | bytes) or not isinstance(holidays, Iterable):
            raise ConfigError(
                f"expected an iterable of dates, got {holidays!r}", path=("holidays",)
            )
        closed = frozenset(parse_date(day, ("holidays", str(day))) for day in holidays)
        if not isinstance(overrides, Mapping):
            raise ConfigError(
                f"expected a mapping of dates to interval lists, got {overrides!r}",
                path=("overrides",),
            )
        parsed_overrides = tuple(
            sorted(
                (
                    parse_date(day, ("overrides", str(day))),
                    parse_day(spans, ("overrides", str(day))),
                )
                for day, spans in overrides.items()
            )
        )
        if not any(parsed_weekly) and not any(spans for _, spans in parsed_overrides):
            raise ConfigError(
                "the calendar is never open: give at least one interval", path=("weekly",)
            )
        if not isinstance(name, str):
            raise ConfigError(f"name must be a string, got {name!r}", path=("name",))
        self.__attrs_init__(timezone, name, parsed_weekly, closed, parsed_overrides, zone)

    def __repr__(self) -> str:
        return f"BusinessCalendar(timezone={self.timezone!r}, name={self.name!r})"

    @classmethod
    def always(cls, timezone: str = "UTC") -> BusinessCalendar:
        """
        Return a calendar open around the clock, every day (24x7).
        """
        return cls(timezone, _WHOLE_WEEK, name="24x7")

    @classmethod
    def from_country(
        cls,
        timezone: str,
        weekly: Mapping[str, Sequence[str]],
        country: str,
        *,
        subdiv: str | None = None,
        years: Iterable[int],
        extra_holidays: Iterable[date] = (),
        overrides: Mapping[date, Sequence[str]] = _NO_OVERRIDES,
        name: str = "",
    ) -> BusinessCalendar:
        """
        Return a calendar closed on ``country``'s public holidays in ``years``.

        Uses the optional ``holidays`` package (``pip install deskflow[holidays]``). Dates
        outside ``years`` have no country holidays.
        """
        try:
            import holidays as holidays_package
        except ImportError:
            raise ConfigError(
                "country holidays need the 'holidays' package: pip install 'deskflow[holidays]'",
                path=("country",),
            ) from None
        if isinstance(years, str | bytes) or not isinstance(years, Iterable):
            raise ConfigError(f"years must be a range of years, got {years!r}", path=("years",))
        try:
            public = holidays_package.country_holidays(country, subdiv=subdiv, years=list(years))
        except (NotImplementedError, KeyError, ValueError, TypeError) as error:
            raise ConfigError(
                f"no holidays known for country {country!r} subdivision {subdiv!r}: {error}",
                path=("country",),
            ) from None
        return cls(
            timezone,
            weekly,
            holidays=[*public.keys(), *extra_holidays],
            overrides=overrides,
            name=name or country,
        )

    @property
    def zone(self) -> ZoneInfo:
        """
        The calendar's time zone.
        """
        return self._zone

    @property
    def always_open(self) -> bool:
        """
        True if every instant is business time (every day open from 00:00 to 24:00, no
        holiday): business time is then real elapsed time, and the arithmetic takes a short
        path with the same results.

        >>> BusinessCalendar.always().always_open
        True
        """
        always = self._cache.always
        if always is None:

            def whole(day: DaySchedule) -> bool:
                return any(start <= 0 and end >= US_PER_DAY for start, end in day)

            overridden = {ordinal for ordinal, _ in self._overrides}
            always = self._cache.always = (
                all(whole(day) for day in self._weekly)
                and all(whole(day) for _, day in self._overrides)
                and self._closed <= overridden
            )
        return always

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """
        Return the earliest instant by which ``duration`` of business time has elapsed.

        A duration ending exactly at closing time is due at closing time.
        """
        at = _instant(start, "start")
        if not isinstance(duration, timedelta) or duration < timedelta(0):
            raise InvalidInput(f"duration must be a timedelta >= 0, got {duration!r}")
        wanted = (duration.days * 86_400 + duration.seconds) * US_PER_SECOND + duration.microseconds
        if not wanted:
            return self._datetime(at)
        if self.always_open and at + wanted < _MAX_US:
            return self._datetime(at + wanted)
        compiled = self._covering(at, at)
        while True:
            target = _business_before(compiled, at) + wanted
            i = bisect_left(compiled.cumulative, target)
            if i < len(compiled.cumulative):
                return self._datetime(compiled.ends[i] - (compiled.cumulative[i] - target))
            known = compiled.cumulative[-1] if compiled.cumulative else 0  # a year may be shut
            compiled = self._grow_forward(compiled, at, target - known)

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """
        Return the same point of the working day ``days`` business days later: the same
        wall-clock time on the ``days``-th business day (a date with open hours) after
        ``start``'s, or the next opening after it when that day is not open then. From outside
        business hours, counting starts at the next opening; 0 days is that opening. A
        negative ``days`` counts back from ``start``'s own date and time.

        An overnight shift belongs to the date it starts on. Wall-clock times make DST
        changes disappear: Friday 16:00 GMT plus 2 business days is Tuesday 16:00 BST.

        >>> from datetime import datetime
        >>> from zoneinfo import ZoneInfo
        >>> weekdays = ("mon", "tue", "wed", "thu", "fri")
        >>> cal = BusinessCalendar("Europe/London", {day: ["09:00-17:00"] for day in weekdays})
        >>> friday = datetime(2026, 3, 27, 16, 0, tzinfo=ZoneInfo("Europe/London"))
        >>> print(cal.add_business_days(friday, 2))
        2026-03-31 16:00:00+01:00
        >>> print(cal.add_business_days(friday.replace(hour=18), 2))  # counted from Monday 09:00
        2026-04-01 09:00:00+01:00
        """
        if isinstance(days, bool) or not isinstance(days, int):
            raise InvalidInput(f"days must be an int, got {days!r}")
        at = self.next_open(start) if days >= 0 else self._datetime(_instant(start, "start"))
        if days == 0:
            return at
        index = self._cache.days
        if index is None:
            index = self._cache.days = DayIndex(self._weekly, self._closed, dict(self._overrides))
        wall = ((at.hour * 60 + at.minute) * 60 + at.second) * US_PER_SECOND + at.microsecond
        ordinal, point = business_point(index, at.toordinal(), wall)
        target = index.nth_after(ordinal, days) if days > 0 else index.nth_before(ordinal, -days)
        if target is None or target < date(MIN_YEAR, 1, 1).toordinal():
            raise InvalidInput(f"{days} business days from {start!r} fall outside the years")
        local = datetime.fromordinal(target) + timedelta(microseconds=point)
        if local.year > MAX_YEAR:
            raise InvalidInput(f"{days} business days from {start!r} fall after {MAX_YEAR}")
        return self.next_open(local.replace(tzinfo=self._zone))

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """
        Return the business time in ``[start, end)``.
        """
        low, high = _instant(start, "start"), _instant(end, "end")
        if high < low:
            raise InvalidInput(f"end {end!r} is before start {start!r}; expected start <= end")
        if self.always_open:
            return timedelta(0, 0, high - low)
        compiled = self._covering(low, high)
        # _business_before inlined: this is the hottest query of SLA clocks.
        starts, ends, cumulative = compiled.starts, compiled.ends, compiled.cumulative
        i, j = bisect_right(starts, high) - 1, bisect_right(starts, low) - 1
        until_high = cumulative[i] - max(0, ends[i] - high) if i >= 0 else 0
        until_low = cumulative[j] - max(0, ends[j] - low) if j >= 0 else 0
        return timedelta(0, 0, until_high - until_low)

    def is_open(self, at: datetime) -> bool:
        """
        Return whether ``at`` is business time.
        """
        instant = _instant(at, "at")
        compiled = self._covering(instant, instant)
        i = bisect_right(compiled.starts, instant) - 1
        return i >= 0 and instant < compiled.ends[i]

    def next_open(self, at: datetime) -> datetime:
        """
        Return ``at`` if it is business time, else the start of the next open interval.
        """
        instant = _instant(at, "at")
        compiled = self._covering(instant, instant)
        while True:
            i = bisect_right(compiled.starts, instant)
            if i and instant < compiled.ends[i - 1]:
                return self._datetime(instant)
            if i < len(compiled.starts):
                return self._datetime(compiled.starts[i])
            compiled = self._grow_forward(compiled, instant, 1)

    def next_close(self, at: datetime) -> datetime:
        """
        Return the end of the open interval containing ``at``, or else of the next one.
        """
        instant = _instant(at, "at")
        compiled = self._covering(instant, instant)
        while True:
            i = bisect_right(compiled.starts, instant)
            if not (i and instant < compiled.ends[i - 1]):
                i += 1
            if i <= len(compiled.ends):
                # An interval reaching the end of the compiled years may go on in the next one.
                if compiled.ends[i - 1] < compiled.high:
                    return self._datetime(compiled.ends[i - 1])
                if compiled.last_year - _year_of(instant) >= SEARCH_HORIZON_YEARS:
                    raise InvalidInput(
                        f"{self!r} does not close within {SEARCH_HORIZON_YEARS} years after {at!r}"
                    )
            compiled = self._grow_forward(compiled, instant, 1)

    def _datetime(self, micros: int) -> datetime:
        epoch = self._cache.epoch
        if epoch is None:
            epoch = self._cache.epoch = datetime(1970, 1, 1, tzinfo=self._zone)
        return self._zone.fromutc(epoch + timedelta(0, 0, micros))

    def _covering(self, low: int, high: int) -> _Compiled:
        compiled = self._cache.compiled
        if compiled is not None and compiled.low <= low and high < compiled.high:
            return compiled
        return self._compile(_year_of(low), _year_of(high))

    def _grow_forward(self, compiled: _Compiled, since: int, missing: int) -> _Compiled:
        """
        Compile years after ``compiled`` until about ``missing`` more business time is known.
        """
        last_open = max(since, compiled.ends[-1] if compiled.ends else since)
        if compiled.last_year - _year_of(last_open) >= SEARCH_HORIZON_YEARS:
            raise InvalidInput(
                f"{self!r} has no open time in the {SEARCH_HORIZON_YEARS} years after "
                f"{self._datetime(last_open)}"
            )
        if missing > (MAX_YEAR - compiled.last_year) * 366 * US_PER_DAY:
            raise InvalidInput(f"the result would fall after the year {MAX_YEAR}")
        years = compiled.last_year - compiled.first_year + 1
        per_year = compiled.cumulative[-1] // years if compiled.cumulative else 0
        ahead = min(missing // per_year + 1, 100) if per_year else 1
        last_year = compiled.last_year + ahead
        if last_year > MAX_YEAR:
            raise InvalidInput(f"the result would fall after the year {MAX_YEAR}")
        return self._compile(compiled.first_year, last_year)

    def _compile(self, first_year: int, last_year: int) -> _Compiled:
        cache = self._cache
        with cache.lock:
            current = cache.compiled
            if current is not None:
                if current.first_year <= first_year and last_year <= current.last_year:
                    return current
                gap = max(first_year - current.last_year, current.first_year - last_year)
                if gap <= _NEAR_YEARS:
                    # Near: one continuous range serves both. Far (a query in 9000 after
                    # one in 2026): compile just the years asked, not the millennia between.
                    first_year = min(first_year, current.first_year)
                    last_year = max(last_year, current.last_year)
            if cache.overrides is None:
                cache.overrides = dict(self._overrides)
            starts: list[int] = []
            ends: list[int] = []
            for year in range(first_year, last_year + 1):
                if year not in cache.years:
                    cache.years[year] = compile_year(
                        self._zone, year, self._weekly, self._closed, cache.overrides
                    )
                year_starts, year_ends = cache.years[year]
                if starts and year_starts and year_starts[0] == ends[-1]:
                    # An interval running over New Year is one interval, not two.
                    ends[-1] = year_ends[0]
                    starts.extend(year_starts[1:])
                    ends.extend(year_ends[1:])
                else:
                    starts.extend(year_starts)
                    ends.extend(year_ends)
            cumulative = list(accumulate(map(sub, ends, starts)))
            compiled = _Compiled(
                first_year,
                last_year,
                year_start(first_year),
                year_start(last_year + 1),
                starts,
                ends,
                cumulative,
            )
            cache.compiled = compiled
            return compiled
