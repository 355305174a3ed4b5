"""
Business-day arithmetic: ``BusinessCalendar.add_business_days`` lands on the same point of the
working day n business days on, skips weekends and holidays, starts outside business hours
from the next opening, keeps wall-clock time across DST changes, and agrees with counting the
days one by one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import OFFICE, OFFICE_HOURS, WEEKDAYS
from deskflow.calendars import BusinessCalendar
from deskflow.exceptions import InvalidInput

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Monday 15:00 + 2 = Wednesday 15:00.
        (utc(2026, 3, 2, 15), 2, utc(2026, 3, 4, 15)),
        # Friday 16:00 + 2 = Tuesday 16:00: the weekend is not business days.
        (utc(2026, 3, 6, 16), 2, utc(2026, 3, 10, 16)),
        # Friday 18:00 (closed) counts from Monday 09:00: + 2 = Wednesday 09:00.
        (utc(2026, 3, 6, 18), 2, utc(2026, 3, 11, 9)),
        # Saturday counts from Monday 09:00 too.
        (utc(2026, 3, 7, 12), 1, utc(2026, 3, 10, 9)),
        # Before opening: from that day's opening.
        (utc(2026, 3, 2, 7), 1, utc(2026, 3, 3, 9)),
        # 0 days: the next business instant.
        (utc(2026, 3, 7, 12), 0, utc(2026, 3, 9, 9)),
        (utc(2026, 3, 2, 15), 0, utc(2026, 3, 2, 15)),
        # Whole weeks: + 10 = two weeks on.
        (utc(2026, 3, 2, 10, 30), 10, utc(2026, 3, 16, 10, 30)),
        # Counting back: Tuesday 16:00 - 2 = Friday 16:00.
        (utc(2026, 3, 10, 16), -2, utc(2026, 3, 6, 16)),
    ],
)
def test_office_hours(start: datetime, days: int, expected: datetime) -> None:
    assert expected == OFFICE.add_business_days(start, days)


def test_holidays_are_not_business_days_and_overrides_are() -> None:
    cal = BusinessCalendar(
        "UTC",
        OFFICE_HOURS,
        holidays=[date(2026, 3, 9)],  # Monday closed
        overrides={date(2026, 3, 7): ["10:00-12:00"]},  # Saturday morning open
    )
    # Friday 11:00 + 1 = Saturday 11:00 (open); + 2 = Tuesday 11:00 (Monday is a holiday).
    assert utc(2026, 3, 7, 11) == cal.add_business_days(utc(2026, 3, 6, 11), 1)
    assert utc(2026, 3, 10, 11) == cal.add_business_days(utc(2026, 3, 6, 11), 2)
    # Friday 16:00 + 1: Saturday is open only till 12:00, so the next opening after 16:00.
    assert utc(2026, 3, 10, 9) == cal.add_business_days(utc(2026, 3, 6, 16), 1)


def test_the_same_wall_time_across_dst_changes() -> None:
    london = BusinessCalendar("Europe/London", OFFICE_HOURS)
    friday = datetime(2026, 3, 27, 16, 0, tzinfo=LONDON)  # GMT; clocks go forward Sunday
    assert datetime(2026, 3, 31, 16, 0, tzinfo=LONDON) == london.add_business_days(friday, 2)
    assert london.add_business_days(friday, 2).utcoffset() == timedelta(hours=1)
    new_york = BusinessCalendar("America/New_York", OFFICE_HOURS)
    friday = datetime(2026, 10, 30, 9, 30, tzinfo=NEW_YORK)  # EDT; clocks go back 1 Nov
    result = new_york.add_business_days(friday, 1)
    assert (result.date(), result.hour, result.minute) == (date(2026, 11, 2), 9, 30)
    assert result.utcoffset() == timedelta(hours=-5)


def test_an_overnight_shift_belongs_to_the_date_it_starts_on() -> None:
    nights = BusinessCalendar("UTC", {day: ["22:00-06:00"] for day in WEEKDAYS})
    # Friday night 02:00 (Saturday's date) is Friday's shift: + 1 = Monday's shift, 02:00 Tue.
    assert utc(2026, 3, 10, 2) == nights.add_business_days(utc(2026, 3, 7, 2), 1)
    # Thursday 23:00 + 1 = Friday 23:00.
    assert utc(2026, 3, 6, 23) == nights.add_business_days(utc(2026, 3, 5, 23), 1)


def test_around_the_clock_is_whole_days() -> None:
    always = BusinessCalendar.always("UTC")
    assert utc(2026, 3, 9, 3) == always.add_business_days(utc(2026, 3, 7, 3), 2)


@pytest.mark.parametrize("days", [1.5, "2", True, None])
def test_days_must_be_an_int(days: object) -> None:
    with pytest.raises(InvalidInput, match="days must be an int"):
        OFFICE.add_business_days(utc(2026, 3, 2, 9), days)  # type: ignore[arg-type]


def test_a_result_past_the_supported_years_is_refused() -> None:
    with pytest.raises(InvalidInput, match="fall"):
        OFFICE.add_business_days(utc(9998, 12, 1, 10), 400)
    with pytest.raises(InvalidInput):
        OFFICE.add_business_days(utc(2026, 3, 2, 9), "x")  # type: ignore[arg-type]


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(InvalidInput, match="timezone-aware"):
        OFFICE.add_business_days(datetime(2026, 3, 2, 9), 1)


def test_large_counts_are_not_a_loop_over_days() -> None:
    # 200 years of business days: answered by counting weeks, not by walking dates.
    start = utc(2026, 3, 2, 10)
    result = OFFICE.add_business_days(start, 52 * 5 * 200)
    assert result.weekday() == 0
    assert result.hour == 10
    assert 2225 <= result.year <= 2226


weekly_days = st.sets(st.sampled_from((*WEEKDAYS, "sat", "sun")), min_size=1)
holiday_sets = st.sets(st.dates(date(2026, 1, 1), date(2027, 6, 30)), max_size=30)
zones = st.sampled_from(["UTC", "Europe/London", "America/New_York"])


@given(
    weekly_days,
    holiday_sets,
    zones,
    st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)),
    st.integers(0, 60),
)
def test_agrees_with_counting_days_one_by_one(
    days_open: set[str],
    holidays: set[date],
    zone: str,
    start: datetime,
    days: int,
) -> None:
    cal = BusinessCalendar(zone, {day: ["08:00-12:00", "13:00-18:00"] for day in days_open},
                           holidays=holidays)  # fmt: skip
    opened = cal.next_open(start)
    local = opened.astimezone(ZoneInfo(zone))
    day, counted = local.date(), 0
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    while counted < days:
        day += timedelta(days=1)
        if names[day.weekday()] in days_open and day not in holidays:
            counted += 1
    wall = datetime.combine(day, local.time()).replace(tzinfo=ZoneInfo(zone))
    result = cal.add_business_days(start, days)
    assert result == cal.next_open(wall)
    assert cal.is_open(result)
    assert result >= opened


@given(zones, st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)),
       st.integers(0, 30))  # fmt: skip
def test_more_days_land_later_and_counting_back_returns(
    zone: str, start: datetime, days: int
) -> None:
    cal = BusinessCalendar(zone, {day: ["09:00-17:00"] for day in WEEKDAYS})
    there = cal.add_business_days(start, days)
    assert cal.add_business_days(start, days + 1) > there
    assert cal.add_business_days(there, -days) == cal.next_open(start)
