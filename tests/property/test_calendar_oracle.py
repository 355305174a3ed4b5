"""
BusinessCalendar against a brute-force oracle that walks UTC minutes, near real DST changes.

The oracle applies the rule literally: a minute is business time iff its local wall-clock time
falls in an interval of its local date, or in the after-midnight part of the previous date's
overnight interval. Calendars, offsets and starts are minute-aligned, so counting minutes is
exact. The four oracle tests run ``max_examples`` each (2,000 in all with the ``ci`` profile).
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskflow.calendars import BusinessCalendar

ZONES = (
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Santiago",
    "America/Havana",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "Asia/Kathmandu",
    "America/Sao_Paulo",
    "Pacific/Auckland",
    "Asia/Kolkata",
    "UTC",
)
DAY_NAMES = ("mon", "Tuesday", "WED", "thu", "friday", "Sat", "sun")
MINUTE = timedelta(minutes=1)
WINDOW_MINUTES = 3 * 24 * 60
QUERIES = 25

Interval = tuple[int, int]  # minutes since the local date's midnight, end may pass 1440


@functools.cache
def transitions(zone_name: str) -> tuple[datetime, ...]:
    """
    The UTC instants at which the zone's offset changed in 2015-2027 (mid-year dates if none).
    """
    zone = ZoneInfo(zone_name)

    def offset(at: datetime) -> timedelta | None:
        return at.astimezone(zone).utcoffset()

    found: list[datetime] = []
    day = datetime(2015, 1, 1, tzinfo=UTC)
    while day.year < 2028:
        following = day + timedelta(days=1)
        if offset(day) != offset(following):
            low, high = day, following
            while high - low > MINUTE:
                middle = low + (high - low) // 2 // MINUTE * MINUTE
                low, high = (middle, high) if offset(middle) == offset(low) else (low, middle)
            found.append(high)
        day = following
    return tuple(found) or tuple(datetime(year, 6, 15, tzinfo=UTC) for year in range(2015, 2028))


@dataclass(frozen=True)
class Spec:
    """
    A random calendar as plain data: minute intervals per weekday, holidays and overrides.
    """

    zone: str
    weekly: tuple[tuple[Interval, ...], ...]
    holidays: frozenset[date]
    overrides: dict[date, tuple[Interval, ...]]
    origin: datetime  # first UTC minute of the window

    def schedule(self, day: date) -> tuple[Interval, ...]:
        """
        The intervals starting on a local date, with ends past the start.
        """
        if day in self.overrides:
            spans = self.overrides[day]
        elif day in self.holidays:
            spans = ()
        else:
            spans = self.weekly[day.weekday()]
        return tuple((start, end if end > start else end + 1440) for start, end in spans)

    def calendar(self) -> BusinessCalendar:
        """
        The BusinessCalendar this spec describes.
        """
        return BusinessCalendar(
            self.zone,
            {DAY_NAMES[i]: [text(span) for span in spans] for i, spans in enumerate(self.weekly)},
            holidays=self.holidays,
            overrides={
                day: [text(span) for span in spans] for day, spans in self.overrides.items()
            },
        )


def utc(value: datetime) -> datetime:
    """
    The same instant in UTC.

    Python compares aware datetimes by wall time when they share a tzinfo, and never finds one
    in a fall-back fold equal to any datetime of another zone (PEP 495), so compare in UTC.
    """
    return value.astimezone(UTC)


def text(span: Interval) -> str:
    """
    Format a minute interval as "HH:MM-HH:MM".
    """
    start, end = span
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


class Oracle:
    """
    Per-minute open flags over the window and their running counts.
    """

    def __init__(self, spec: Spec) -> None:
        zone = ZoneInfo(spec.zone)
        self.open: list[bool] = []
        for k in range(WINDOW_MINUTES):
            local = (spec.origin + k * MINUTE).astimezone(zone)
            minute = local.hour * 60 + local.minute
            today = spec.schedule(local.date())
            yesterday = spec.schedule(local.date() - timedelta(days=1))
            self.open.append(
                any(start <= minute < end for start, end in today)
                or any(start <= minute + 1440 < end for start, end in yesterday)
            )
        self.count = [0]
        for flag in self.open:
            self.count.append(self.count[-1] + flag)


@st.composite
def intervals(draw: st.DrawFn, grid: int) -> tuple[Interval, ...]:
    """
    0-3 intervals on a grid, some overnight, some ending at "24:00" or "00:00".
    """
    spans = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.integers(0, 1440 // grid - 1)) * grid
        end = start + draw(st.integers(1, 1440 // grid)) * grid
        if end > 1440 or (end == 1440 and draw(st.booleans())):
            end -= 1440
        spans.append((start, end))
    return tuple(spans)


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    """
    A random calendar in a random zone, with a window starting up to 3 days from a DST change.
    """
    zone = draw(st.sampled_from(ZONES))
    grid = draw(st.sampled_from((15, 30, 60)))
    weekly = [draw(intervals(grid)) for _ in range(7)]
    if not any(weekly):
        weekly[0] = ((9 * 60, 17 * 60),)
    change = draw(st.sampled_from(transitions(zone)))
    origin = change + draw(st.integers(-3 * 1440, 1440)) * MINUTE
    first_day = origin.date() - timedelta(days=1)
    days = st.builds(lambda n: first_day + timedelta(days=n), st.integers(0, 5))
    holidays = draw(st.frozensets(days, max_size=2))
    overrides = draw(st.dictionaries(days, intervals(grid), max_size=2))
    return Spec(zone, tuple(weekly), holidays, overrides, origin)


@pytest.mark.slow
@given(specs())
def test_is_open_matches_the_oracle_on_every_minute(spec: Spec) -> None:
    """is_open agrees with the oracle on every minute of a window around a DST change."""
    calendar, oracle = spec.calendar(), Oracle(spec)
    actual = [calendar.is_open(spec.origin + k * MINUTE) for k in range(WINDOW_MINUTES)]
    assert oracle.open == actual


@pytest.mark.slow
@given(specs(), st.data())
def test_elapsed_matches_the_oracle(spec: Spec, data: st.DataObject) -> None:
    """elapsed(a, b) equals the oracle's count of open minutes in [a, b)."""
    calendar, oracle = spec.calendar(), Oracle(spec)
    for _ in range(QUERIES):
        a = data.draw(st.integers(0, WINDOW_MINUTES))
        b = data.draw(st.integers(a, WINDOW_MINUTES))
        actual = calendar.elapsed(spec.origin + a * MINUTE, spec.origin + b * MINUTE)
        assert (oracle.count[b] - oracle.count[a]) * MINUTE == actual


@pytest.mark.slow
@given(specs(), st.data())
def test_add_matches_the_oracle(spec: Spec, data: st.DataObject) -> None:
    """add(t, d) is the first minute at which the oracle has counted d open minutes since t."""
    calendar, oracle = spec.calendar(), Oracle(spec)
    for _ in range(QUERIES):
        t = data.draw(st.integers(0, WINDOW_MINUTES))
        d = data.draw(st.integers(0, oracle.count[-1] - oracle.count[t]))
        expected = bisect_left(oracle.count, oracle.count[t] + d, lo=t)
        actual = calendar.add(spec.origin + t * MINUTE, d * MINUTE)
        assert spec.origin + expected * MINUTE == utc(actual)
        assert ZoneInfo(spec.zone) is actual.tzinfo


@pytest.mark.slow
@given(specs(), st.data())
def test_next_open_and_next_close_match_the_oracle(spec: Spec, data: st.DataObject) -> None:
    """next_open is the first open minute from t; next_close the first closed one after it."""
    calendar, oracle = spec.calendar(), Oracle(spec)
    flags = oracle.open
    for _ in range(QUERIES):
        t = data.draw(st.integers(0, WINDOW_MINUTES - 1))
        if True not in flags[t:]:
            continue
        opens = flags.index(True, t)
        assert spec.origin + opens * MINUTE == utc(calendar.next_open(spec.origin + t * MINUTE))
        if False in flags[opens:]:
            closes = flags.index(False, opens)
            actual = utc(calendar.next_close(spec.origin + t * MINUTE))
            assert spec.origin + closes * MINUTE == actual


def near_a_change(spec: Spec) -> st.SearchStrategy[datetime]:
    """
    Arbitrary instants (microsecond resolution) within the spec's window.
    """
    window = WINDOW_MINUTES * 60_000_000
    return st.integers(0, window).map(lambda us: spec.origin + timedelta(microseconds=us))


durations = st.integers(0, 300 * 3600 * 1_000_000).map(lambda us: timedelta(microseconds=us))


@given(specs(), st.data(), durations)
def test_elapsed_until_add_is_the_duration(
    spec: Spec, data: st.DataObject, duration: timedelta
) -> None:
    """elapsed(t, add(t, d)) == d, and add(t, 0) == t."""
    calendar = spec.calendar()
    t = data.draw(near_a_change(spec))
    assert duration == calendar.elapsed(t, calendar.add(t, duration))
    assert t == utc(calendar.add(t, timedelta(0)))


@given(specs(), st.data())
def test_elapsed_is_additive_and_bounded(spec: Spec, data: st.DataObject) -> None:
    """elapsed(a, c) == elapsed(a, b) + elapsed(b, c), and 0 <= elapsed(a, b) <= b - a."""
    calendar = spec.calendar()
    a, b, c = sorted(data.draw(st.lists(near_a_change(spec), min_size=3, max_size=3)))
    first, second = calendar.elapsed(a, b), calendar.elapsed(b, c)
    assert first + second == calendar.elapsed(a, c)
    assert timedelta(0) <= first <= b - a


@given(specs(), st.data(), durations, durations)
def test_add_is_monotonic(
    spec: Spec, data: st.DataObject, shorter: timedelta, longer: timedelta
) -> None:
    """add grows with the duration and with the start."""
    calendar = spec.calendar()
    shorter, longer = sorted((shorter, longer))
    early, late = sorted(data.draw(st.lists(near_a_change(spec), min_size=2, max_size=2)))
    assert utc(calendar.add(early, shorter)) <= utc(calendar.add(early, longer))
    assert utc(calendar.add(early, shorter)) <= utc(calendar.add(late, shorter))


@given(st.sampled_from(ZONES), st.data(), durations)
def test_always_open_is_wall_time(zone: str, data: st.DataObject, duration: timedelta) -> None:
    """On a 24x7 calendar business time is real elapsed time, across every DST change."""
    calendar = BusinessCalendar.always(zone)
    start = data.draw(st.sampled_from(transitions(zone))) - timedelta(days=1)
    a = start + data.draw(st.integers(0, 2 * 86_400_000_000)) * timedelta(microseconds=1)
    assert a + duration == utc(calendar.add(a, duration))
    assert duration == calendar.elapsed(a, a + duration)
    assert calendar.is_open(a)


@given(specs(), st.data())
def test_overnight_interval_equals_its_two_halves(spec: Spec, data: st.DataObject) -> None:
    """An overnight "22:00-06:00" equals "22:00-24:00" plus the next day's "00:00-06:00"."""
    weekly = {
        name: [text(span) for span in spans]
        for name, spans in zip(DAY_NAMES, spec.weekly, strict=True)
    }
    halves: dict[str, list[str]] = {name: [] for name in DAY_NAMES}
    for i, spans in enumerate(spec.weekly):
        for start, end in spans:
            if 0 < end <= start:
                halves[DAY_NAMES[i]].append(text((start, 1440)))
                halves[DAY_NAMES[(i + 1) % 7]].append(text((0, end)))
            else:
                halves[DAY_NAMES[i]].append(text((start, end)))
    whole, split = (BusinessCalendar(spec.zone, days) for days in (weekly, halves))
    a, b = sorted(data.draw(st.lists(near_a_change(spec), min_size=2, max_size=2)))
    assert whole.elapsed(a, b) == split.elapsed(a, b)
    assert whole.is_open(a) == split.is_open(a)
    assert utc(whole.next_open(a)) == utc(split.next_open(a))
