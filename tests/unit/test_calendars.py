"""
Table tests of BusinessCalendar: office hours, overnight shifts, holidays, overrides and the
DST changes of zones that move at 02:00, at midnight, by 30 minutes or by odd offsets.

Results are compared in UTC: Python compares aware datetimes sharing a tzinfo by wall time,
and never finds one inside a fall-back fold equal to a datetime of another zone (PEP 495).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from builders import H
from deskflow.calendars import BusinessCalendar
from deskflow.exceptions import ConfigError, DeskflowError, InvalidInput

OFFICE = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def local(zone: str, *fields: int, fold: int = 0) -> datetime:
    """
    A wall-clock time in ``zone``.
    """
    return datetime(*fields, tzinfo=ZoneInfo(zone), fold=fold)  # type: ignore[arg-type, misc]


def utc(value: datetime) -> datetime:
    """
    The same instant in UTC.
    """
    return value.astimezone(UTC)


def daily(*intervals: str) -> dict[str, list[str]]:
    """
    The same intervals on every day of the week.
    """
    return {day: list(intervals) for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.mark.parametrize(
    ("zone", "monday"),
    [
        ("Europe/London", date(2026, 3, 30)),  # the Monday after spring forward
        ("Europe/London", date(2026, 10, 26)),  # the Monday after fall back
        ("America/New_York", date(2026, 3, 9)),
        ("America/New_York", date(2026, 11, 2)),
    ],
)
def test_office_hours_after_a_dst_change(zone: str, monday: date) -> None:
    """A 9-17 weekday is 8 h whatever the offset, and arithmetic lands on local wall times."""
    cal = BusinessCalendar(zone, OFFICE)
    mon = local(zone, monday.year, monday.month, monday.day)
    friday_before = mon - timedelta(days=3)
    assert 8 * H == cal.elapsed(mon, mon + timedelta(days=1))
    assert 40 * H == cal.elapsed(friday_before - timedelta(days=4), friday_before + 24 * H)
    assert utc(mon + 17 * H) == utc(cal.add(mon + 9 * H, 8 * H))
    assert utc(mon + 10 * H) == utc(cal.add(friday_before + 16 * H, 2 * H))
    assert 2 * H == cal.elapsed(friday_before + 16 * H, mon + 10 * H)


def test_due_at_closing_time_not_next_morning() -> None:
    """A duration ending exactly at closing time is due at closing time."""
    cal = BusinessCalendar("Europe/London", OFFICE)
    due = cal.add(local("Europe/London", 2026, 3, 30, 9), 8 * H)
    assert local("Europe/London", 2026, 3, 30, 17) == due
    assert LONDON is due.tzinfo


@pytest.mark.parametrize(
    ("zone", "night", "expected"),
    [
        ("Europe/London", date(2026, 3, 28), 7 * H),  # clocks go forward on Sunday 01:00
        ("Europe/London", date(2026, 10, 24), 9 * H),  # clocks go back on Sunday 02:00
        ("America/New_York", date(2026, 3, 7), 7 * H),
        ("America/New_York", date(2026, 10, 31), 9 * H),
        ("Europe/London", date(2026, 6, 6), 8 * H),
    ],
)
def test_overnight_shift_across_a_dst_change(zone: str, night: date, expected: timedelta) -> None:
    """A 22:00-06:00 shift lasts 7 or 9 real hours on the nights the clocks change."""
    cal = BusinessCalendar(zone, daily("22:00-06:00"))
    start = local(zone, night.year, night.month, night.day, 22)
    assert expected == cal.elapsed(start, start + timedelta(days=1))
    assert utc(start) == utc(cal.next_open(start - 3 * H))
    assert utc(start) + expected == utc(cal.next_close(start))


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        ("Europe/Berlin", date(2026, 3, 29), 23 * H),
        ("Europe/Berlin", date(2026, 10, 25), 25 * H),
        ("America/Santiago", date(2026, 9, 6), 23 * H),  # 00:00 does not exist
        ("America/Santiago", date(2026, 4, 4), 25 * H),  # 23:00-24:00 happens twice
        ("America/Havana", date(2026, 3, 8), 23 * H),  # 00:00 does not exist
        ("America/Havana", date(2026, 11, 1), 25 * H),  # 00:00-01:00 happens twice
        ("Australia/Lord_Howe", date(2026, 10, 4), timedelta(hours=23, minutes=30)),
        ("Australia/Lord_Howe", date(2026, 4, 5), timedelta(hours=24, minutes=30)),
        ("Asia/Kathmandu", date(2026, 3, 29), 24 * H),
    ],
)
def test_whole_day_on_a_dst_change(zone: str, day: date, expected: timedelta) -> None:
    """A whole day "00:00-24:00" lasts its real length: 23, 23.5, 24, 24.5 or 25 hours."""
    weekday = day.strftime("%a").lower()
    cal = BusinessCalendar(zone, {weekday: ["00:00-24:00"]})
    start = utc(local(zone, day.year, day.month, day.day) - 12 * H)
    assert expected == cal.elapsed(start, start + 48 * H)


@pytest.mark.parametrize(
    ("zone", "day", "interval", "expected"),
    [
        ("Europe/London", date(2026, 3, 29), "01:00-02:00", timedelta(0)),  # in the gap
        ("Europe/London", date(2026, 3, 29), "01:30-03:00", 1 * H),
        ("Europe/London", date(2026, 10, 25), "01:00-02:00", 2 * H),  # in the fold
        ("Europe/London", date(2026, 10, 25), "01:15-01:45", 1 * H),
        ("America/Santiago", date(2026, 9, 6), "00:00-08:00", 7 * H),
        ("America/Santiago", date(2026, 4, 4), "23:00-24:00", 2 * H),
        ("America/Havana", date(2026, 11, 1), "00:30-00:45", timedelta(minutes=30)),
        ("Australia/Lord_Howe", date(2026, 4, 5), "01:30-02:00", 1 * H),
        ("Australia/Lord_Howe", date(2026, 10, 4), "02:00-03:00", timedelta(minutes=30)),
    ],
)
def test_gap_and_fold_wall_times(zone: str, day: date, interval: str, expected: timedelta) -> None:
    """Wall times in a gap never happen; wall times in a fold happen, and count, twice."""
    cal = BusinessCalendar(zone, {day.strftime("%A"): [interval]})
    start = utc(local(zone, day.year, day.month, day.day) - 12 * H)
    assert expected == cal.elapsed(start, start + 48 * H)


def test_fold_instants_are_both_open() -> None:
    """Both real instants showing 01:30 on the fall-back night are business time."""
    cal = BusinessCalendar("Europe/London", {"sun": ["01:00-02:00"]})
    assert cal.is_open(local("Europe/London", 2026, 10, 25, 1, 30, fold=0))
    assert cal.is_open(local("Europe/London", 2026, 10, 25, 1, 30, fold=1))
    assert not cal.is_open(local("Europe/London", 2026, 10, 25, 2, 0))


def test_odd_offset_zone() -> None:
    """Kathmandu (+05:45) opens at 09:00 local, which is 03:15 UTC."""
    cal = BusinessCalendar("Asia/Kathmandu", OFFICE)
    monday_utc = datetime(2026, 6, 1, tzinfo=UTC)
    assert datetime(2026, 6, 1, 3, 15, tzinfo=UTC) == utc(cal.next_open(monday_utc))
    assert datetime(2026, 6, 1, 4, 15, tzinfo=UTC) == utc(cal.add(monday_utc, 1 * H))
    assert ZoneInfo("Asia/Kathmandu") is cal.add(monday_utc, 1 * H).tzinfo


def test_always_open_has_no_gap_at_midnight() -> None:
    """24x7 business time is real time: 48 h across Berlin's spring change is 48 h."""
    cal = BusinessCalendar.always("Europe/Berlin")
    t = datetime(2026, 3, 28, 12, tzinfo=UTC)
    assert 48 * H == cal.elapsed(t, t + 48 * H)
    assert t + 48 * H == utc(cal.add(t, 48 * H))
    assert cal.is_open(local("Europe/Berlin", 2026, 3, 29, 0, 0))
    new_year = local("Europe/Berlin", 2027, 1, 1)
    assert 2 * H == cal.elapsed(new_year - 1 * H, new_year + 1 * H)


def test_end_at_24_00_equals_end_at_00_00() -> None:
    """An end of "24:00" and an end of "00:00" both mean midnight."""
    a = BusinessCalendar("Europe/London", daily("18:00-24:00"))
    b = BusinessCalendar("Europe/London", daily("18:00-00:00"))
    start = local("Europe/London", 2026, 5, 4, 17)
    assert 6 * H == a.elapsed(start, start + 12 * H)
    assert a.elapsed(start, start + 12 * H) == b.elapsed(start, start + 12 * H)
    assert a == b


def test_overlapping_intervals_are_merged() -> None:
    """Overlapping or touching intervals of one day are joined."""
    cal = BusinessCalendar("UTC", {"mon": ["09:00-12:00", "11:00-13:00", "13:00-14:00"]})
    start = datetime(2026, 6, 1, tzinfo=UTC)
    assert 5 * H == cal.elapsed(start, start + 24 * H)
    assert start + 14 * H == cal.next_close(start + 10 * H)


def test_holiday_closes_the_day_but_not_the_shift_started_before() -> None:
    """A holiday starts no interval; last night's overnight shift still runs into it."""
    cal = BusinessCalendar("Europe/London", daily("22:00-06:00"), holidays=[date(2026, 5, 4)])
    assert cal.is_open(local("Europe/London", 2026, 5, 4, 5))
    assert not cal.is_open(local("Europe/London", 2026, 5, 4, 23))
    sunday_night = local("Europe/London", 2026, 5, 3, 22)
    assert 8 * H == cal.elapsed(sunday_night, sunday_night + 48 * H)


def test_holiday_moves_the_due_date() -> None:
    """Friday 16:00 + 2 h with the Monday a holiday is Tuesday 10:00."""
    cal = BusinessCalendar("Europe/London", OFFICE, holidays=[date(2026, 5, 4)])
    due = cal.add(local("Europe/London", 2026, 5, 1, 16), 2 * H)
    assert local("Europe/London", 2026, 5, 5, 10) == due


def test_overrides_replace_the_weekday() -> None:
    """An override gives a date its own hours; an empty list closes it; it beats a holiday."""
    cal = BusinessCalendar(
        "Europe/London",
        OFFICE,
        holidays=[date(2026, 5, 6)],
        overrides={
            date(2026, 5, 4): ["10:00-12:00"],
            date(2026, 5, 5): [],
            date(2026, 5, 6): ["09:00-10:00"],
            date(2026, 5, 9): ["10:00-11:00"],  # a Saturday opening
        },
    )
    monday = local("Europe/London", 2026, 5, 4)
    expected = [2 * H, timedelta(0), 1 * H, 8 * H, 8 * H, 1 * H, timedelta(0)]
    actual = [cal.elapsed(monday + n * 24 * H, monday + (n + 1) * 24 * H) for n in range(7)]
    assert expected == actual


def test_country_holidays() -> None:
    """from_country("DE") closes Christmas: Thursday 24 Dec 16:00 + 2 h is Monday 10:00."""
    cal = BusinessCalendar.from_country("Europe/Berlin", OFFICE, "DE", years=range(2026, 2028))
    due = cal.add(local("Europe/Berlin", 2026, 12, 24, 16), 2 * H)
    assert local("Europe/Berlin", 2026, 12, 28, 10) == due
    assert not cal.is_open(local("Europe/Berlin", 2026, 12, 25, 10))
    assert "DE" == cal.name


def test_country_holidays_extra_and_overrides() -> None:
    """extra_holidays close more dates; overrides still win over a country holiday."""
    cal = BusinessCalendar.from_country(
        "Europe/Berlin",
        OFFICE,
        "DE",
        subdiv="BY",
        years=[2026],
        extra_holidays=[date(2026, 12, 24)],
        overrides={date(2026, 12, 25): ["10:00-11:00"]},
    )
    eve = local("Europe/Berlin", 2026, 12, 24)
    assert 1 * H == cal.elapsed(eve, eve + 48 * H)


def test_next_open_and_next_close() -> None:
    """next_open is the instant itself when open; next_close ends the current or next interval."""
    cal = BusinessCalendar("Europe/London", OFFICE)
    saturday = local("Europe/London", 2026, 5, 2, 12)
    monday_9 = local("Europe/London", 2026, 5, 4, 9)
    assert monday_9 == cal.next_open(saturday)
    assert monday_9 + 8 * H == cal.next_close(saturday)
    assert monday_9 + 1 * H == cal.next_open(monday_9 + 1 * H)
    assert monday_9 + 8 * H == cal.next_close(monday_9)
    assert not cal.is_open(monday_9 + 8 * H)
    assert cal.is_open(monday_9)


def test_intervals_run_across_new_year() -> None:
    """An interval over New Year is one interval, for next_close and elapsed alike."""
    cal = BusinessCalendar("UTC", {"thu": ["20:00-20:00"]})  # Thursday 20:00 to Friday 20:00
    thursday = datetime(2026, 12, 31, 20, tzinfo=UTC)
    assert thursday + 24 * H == cal.next_close(thursday + 1 * H)
    assert 24 * H == cal.elapsed(thursday - 1 * H, thursday + 30 * H)


def test_long_durations_and_distant_years() -> None:
    """A 10,000-hour add works, and so do the years 1900 and 2200."""
    cal = BusinessCalendar("Europe/London", OFFICE)
    start = local("Europe/London", 2026, 1, 5, 9)
    due = cal.add(start, 10_000 * H)
    assert 10_000 * H == cal.elapsed(start, due)
    assert 8 * H == cal.elapsed(
        local("Europe/London", 1900, 1, 1), local("Europe/London", 1900, 1, 2)
    )
    assert 8 * H == cal.elapsed(
        local("Europe/London", 2200, 1, 1), local("Europe/London", 2200, 1, 2)
    )


def test_calendars_compare_by_definition() -> None:
    """Weekday spellings do not matter; calendars are hashable values."""
    a = BusinessCalendar("UTC", {"mon": ["09:00-17:00"]})
    b = BusinessCalendar("UTC", {"MONDAY": ["09:00-17:00"]})
    assert a == b
    assert hash(a) == hash(b)
    assert "BusinessCalendar(timezone='UTC', name='')" == repr(a)


NAIVE = datetime(2026, 5, 4, 9)
AWARE = datetime(2026, 5, 4, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda cal: cal.is_open(NAIVE), "timezone-aware"),
        (lambda cal: cal.next_open(NAIVE), "timezone-aware"),
        (lambda cal: cal.next_close("2026-05-04"), "timezone-aware datetime"),
        (lambda cal: cal.add(NAIVE, H), "timezone-aware"),
        (lambda cal: cal.add(date(2026, 5, 4), H), "timezone-aware datetime"),
        (lambda cal: cal.add(AWARE, -H), "timedelta >= 0"),
        (lambda cal: cal.add(AWARE, 3600), "timedelta >= 0"),
        (lambda cal: cal.elapsed(AWARE, NAIVE), "end must be timezone-aware"),
        (lambda cal: cal.elapsed(AWARE, AWARE - H), "before start"),
        (lambda cal: cal.is_open(datetime(1, 1, 1, tzinfo=UTC)), "outside the years"),
        (lambda cal: cal.add(AWARE, timedelta(days=999_999_999)), "after the year"),
    ],
)
def test_bad_arguments(call: Callable[[BusinessCalendar], object], message: str) -> None:
    """Bad arguments raise InvalidInput saying what is accepted."""
    cal = BusinessCalendar("UTC", OFFICE)
    with pytest.raises(InvalidInput, match=message):
        call(cal)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"timezone": "../etc"}, "unknown time zone"),
        ({"timezone": None}, "IANA name"),
        ({"weekly": {"funday": ["09:00-17:00"]}}, "unknown weekday"),
        ({"weekly": {"mon": ["09:00-17:00"], "Monday": []}}, "given twice"),
        ({"weekly": {"mon": "09:00-17:00"}}, "list of"),
        ({"weekly": {"mon": ["9-17"]}}, "HH:MM-HH:MM"),
        ({"weekly": {"mon": ["25:00-26:00"]}}, "not a valid interval"),
        ({"weekly": {"mon": ["09:60-10:00"]}}, "not a valid interval"),
        ({"weekly": {"mon": ["24:00-02:00"]}}, "not a valid interval"),
        ({"weekly": {"mon": ["09:00-24:30"]}}, "not a valid interval"),
        ({"weekly": {"mon": [None]}}, "HH:MM-HH:MM"),
        ({"weekly": ["mon"]}, "weekly must map"),
        ({"weekly": {}}, "never open"),
        ({"weekly": {"mon": []}, "overrides": {date(2026, 1, 1): []}}, "never open"),
        ({"holidays": [datetime(2026, 1, 1)]}, "datetime.date"),
        ({"holidays": ["2026-01-01"]}, "datetime.date"),
        ({"holidays": date(2026, 1, 1)}, "iterable of dates"),
        ({"overrides": [date(2026, 1, 1)]}, "mapping of dates"),
        ({"overrides": {"2026-01-01": []}}, "datetime.date"),
        ({"name": 3}, "name must be a string"),
    ],
)
def test_bad_definitions(kwargs: dict[str, object], message: str) -> None:
    """A bad calendar definition raises ConfigError saying what is accepted."""
    arguments: dict[str, object] = {"timezone": "UTC", "weekly": OFFICE} | kwargs
    with pytest.raises(ConfigError, match=message):
        BusinessCalendar(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(("country", "subdiv"), [("XX", None), ("DE", "ZZ")])
def test_unknown_country(country: str, subdiv: str | None) -> None:
    """An unknown country or subdivision is a ConfigError."""
    with pytest.raises(ConfigError, match="no holidays known"):
        BusinessCalendar.from_country("UTC", OFFICE, country, subdiv=subdiv, years=[2026])


def test_country_holidays_need_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the holidays package, from_country says which extra to install."""
    monkeypatch.setitem(sys.modules, "holidays", None)
    with pytest.raises(ConfigError, match=r"deskflow\[holidays\]"):
        BusinessCalendar.from_country("UTC", OFFICE, "DE", years=[2026])


def test_no_open_time_ahead_is_reported_not_looped() -> None:
    """Searching more than 10 years ahead for an opening or a closing raises InvalidInput."""
    once = BusinessCalendar("UTC", {}, overrides={date(2026, 5, 4): ["09:00-10:00"]})
    after = datetime(2026, 6, 1, tzinfo=UTC)
    assert datetime(2026, 5, 4, 9, tzinfo=UTC) == once.next_open(datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(InvalidInput, match="no open time"):
        once.next_open(after)
    with pytest.raises(InvalidInput, match="no open time"):
        once.add(datetime(2026, 5, 4, 9, tzinfo=UTC), 2 * H)
    with pytest.raises(InvalidInput, match="does not close"):
        BusinessCalendar.always().next_close(after)


def test_errors_are_deskflow_errors_and_value_errors() -> None:
    """Every calendar error is a DeskflowError and a ValueError."""
    with pytest.raises(DeskflowError):
        BusinessCalendar("UTC", {"mon": ["oops"]})
    with pytest.raises(ValueError, match="timezone-aware"):
        BusinessCalendar.always().is_open(NAIVE)
