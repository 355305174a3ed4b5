"""
Private half of [`deskflow.calendars`][deskflow.calendars]: parse a calendar's definition and
compile one year of it into sorted UTC open intervals.

Instants are integers of microseconds since 1970-01-01 UTC, so arithmetic is exact at the
resolution of `datetime.datetime`. Wall-clock times use the same unit on a "naive"
time line (local wall time read as if it were UTC).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deskflow.exceptions import ConfigError

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_DAY = 86_400 * US_PER_SECOND
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
EPOCH_NAIVE = datetime(1970, 1, 1)
# Year 1 and 9999 are left out so that the margins around a compiled year stay in range.
MIN_YEAR = 2
MAX_YEAR = 9998
# A local date's intervals reach at most 48 h past its midnight and UTC offsets stay within
# +-26 h, so the dates up to 3 days either side of a UTC year decide everything in it.
_MARGIN_DAYS = 3
# In the tz database (checked against release 2025b) no offset changes and changes back
# within less than 95 hours, so sampling every 6 hours and bisecting to the second finds every
# change; zoneinfo does not expose its transitions.
_SAMPLE_SECONDS = 6 * 3600

Span = tuple[int, int]
"""A half-open interval ``[start, end)`` in microseconds."""

DaySchedule = tuple[Span, ...]
"""The open intervals of one local date, as microseconds since its midnight, merged."""

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_INDEX = {name: i for i, name in enumerate(WEEKDAY_NAMES)} | {
    name[:3]: i for i, name in enumerate(WEEKDAY_NAMES)
}
_INTERVAL = re.compile(r"\s*(\d\d?):(\d\d)\s*-\s*(\d\d?):(\d\d)\s*")


def load_zone(name: object) -> ZoneInfo:
    """
    Return the `ZoneInfo` named ``name`` or raise [`ConfigError`][deskflow.exceptions.ConfigError].
    """
    if not isinstance(name, str):
        raise ConfigError(
            f"the time zone must be an IANA name such as 'Europe/London', got {name!r}",
            path=("timezone",),
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ConfigError(
            f"unknown time zone {name!r}; use an IANA name such as 'Europe/London'",
            path=("timezone",),
        ) from None


def parse_interval(text: object, path: tuple[str | int, ...]) -> Span:
    """
    Parse ``"HH:MM-HH:MM"`` into microseconds since the local date's midnight.

    An end at or before the start runs into the next day; ``24:00`` is accepted as an end.
    """
    match = _INTERVAL.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ConfigError(
            f"expected an interval 'HH:MM-HH:MM' such as '09:00-17:00', got {text!r}", path=path
        )
    start_h, start_m, end_h, end_m = (int(group) for group in match.groups())
    if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
        raise ConfigError(
            f"{text!r} is not a valid interval: hours run 00-23, minutes 00-59, and only "
            "an end may be 24:00",
            path=path,
        )
    start = (start_h * 60 + start_m) * US_PER_MINUTE
    end = (end_h * 60 + end_m) * US_PER_MINUTE
    if end <= start:
        end += US_PER_DAY
    return start, end


def merge(spans: Iterable[Span]) -> list[Span]:
    """
    Return the union of ``spans`` as sorted, disjoint, non-touching spans.
    """
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def parse_day(intervals: object, path: tuple[str | int, ...]) -> DaySchedule:
    """
    Parse one date's list of interval strings; overlapping intervals are merged.
    """
    if isinstance(intervals, str | bytes) or not isinstance(intervals, Iterable):
        raise ConfigError(
            f"expected a list of 'HH:MM-HH:MM' strings such as ['09:00-17:00'], got {intervals!r}",
            path=path,
        )
    return tuple(merge(parse_interval(text, (*path, i)) for i, text in enumerate(intervals)))


def parse_weekly(weekly: object) -> tuple[DaySchedule, ...]:
    """
    Parse the weekly schedule into seven day schedules, Monday first; missing days are closed.
    """
    if not isinstance(weekly, Mapping):
        raise ConfigError(
            f"weekly must map weekday names ('mon'..'sun') to interval lists, got {weekly!r}",
            path=("weekly",),
        )
    days: list[DaySchedule | None] = [None] * 7
    for key, intervals in weekly.items():
        index = _WEEKDAY_INDEX.get(key.strip().lower()) if isinstance(key, str) else None
        if index is None:
            raise ConfigError(
                f"unknown weekday {key!r}; use 'mon'..'sun' or 'monday'..'sunday'",
                path=("weekly", str(key)),
            )
        if days[index] is not None:
            raise ConfigError(f"{WEEKDAY_NAMES[index]} is given twice", path=("weekly", str(key)))
        days[index] = parse_day(intervals, ("weekly", key))
    return tuple(day or () for day in days)


def parse_date(value: object, path: tuple[str | int, ...]) -> int:
    """
    Return the proleptic ordinal of a `date` (a datetime is refused as ambiguous).
    """
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ConfigError(f"expected a datetime.date, got {value!r}", path=path)
    return value.toordinal()


def year_start(year: int) -> int:
    """
    Return 00:00 UTC on 1 January of ``year`` as microseconds since the epoch.
    """
    return (date(year, 1, 1).toordinal() - EPOCH_ORDINAL) * US_PER_DAY


def _offset_at(zone: ZoneInfo, second: int) -> int:
    local = zone.fromutc((EPOCH_NAIVE + timedelta(seconds=second)).replace(tzinfo=zone))
    offset = local.utcoffset() or timedelta()
    return (offset.days * 86_400 + offset.seconds) * US_PER_SECOND + offset.microseconds


@lru_cache(maxsize=4096)
def offset_segments(zone: ZoneInfo, year: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """
    Return the UTC instants starting each constant-offset stretch of ``year``, and the offsets.

    The first stretch starts at the year's first instant; each lasts until the next one's start
    (the last until the year ends). Shared by every calendar in the zone, hence the cache.
    """
    # Offsets change on whole seconds, so the search runs on seconds.
    second = year_start(year) // US_PER_SECOND
    stop = year_start(year + 1) // US_PER_SECOND
    current = _offset_at(zone, second)
    starts, offsets = [second * US_PER_SECOND], [current]
    while second < stop:
        probe = min(second + _SAMPLE_SECONDS, stop)
        if _offset_at(zone, probe) == current:
            second = probe
            continue
        low, high = second, probe  # same offset at low, another one at high
        while high - low > 1:
            middle = (low + high) // 2
            if _offset_at(zone, middle) == current:
                low = middle
            else:
                high = middle
        second, current = high, _offset_at(zone, high)
        starts.append(second * US_PER_SECOND)
        offsets.append(current)
    return tuple(starts), tuple(offsets)


def compile_year(
    zone: ZoneInfo,
    year: int,
    weekly: tuple[DaySchedule, ...],
    closed: frozenset[int],
    overrides: Mapping[int, DaySchedule],
) -> tuple[list[int], list[int]]:
    """
    Return the open intervals of the UTC year ``year`` as sorted lists of starts and ends.

    An instant is open iff its local wall time lies in an interval of its local date, or in
    the part after midnight of the previous date's overnight interval. Wall intervals are
    joined first, then each stretch of constant UTC offset maps the wall times it shows back
    to real instants: a wall time in a spring-forward gap maps to none, one in a fall-back
    fold to two.
    """
    first = date(year, 1, 1).toordinal() - _MARGIN_DAYS
    last = date(year, 12, 31).toordinal() + _MARGIN_DAYS
    wall: list[Span] = []
    for ordinal in range(first, last + 1):
        schedule = overrides.get(ordinal)
        if schedule is None:
            if ordinal in closed:
                continue
            schedule = weekly[(ordinal - 1) % 7]  # ordinal 1 (0001-01-01) is a Monday
        midnight = (ordinal - EPOCH_ORDINAL) * US_PER_DAY
        wall.extend((midnight + start, midnight + end) for start, end in schedule)
    wall = merge(wall)
    wall_starts = [start for start, _ in wall]
    wall_ends = [end for _, end in wall]

    year_end = year_start(year + 1)
    stretch_starts, offsets = offset_segments(zone, year)
    pieces: list[Span] = []
    for i, (low, offset) in enumerate(zip(stretch_starts, offsets, strict=True)):
        high = stretch_starts[i + 1] if i + 1 < len(stretch_starts) else year_end
        shown_low, shown_high = low + offset, high + offset
        j = bisect_right(wall_ends, shown_low)
        while j < len(wall) and wall_starts[j] < shown_high:
            pieces.append(
                (max(wall_starts[j], shown_low) - offset, min(wall_ends[j], shown_high) - offset)
            )
            j += 1
    merged = merge(pieces)
    return [start for start, _ in merged], [end for _, end in merged]
