"""
The virtual clock moves in real time, whatever zone it was started in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from deskflow.adapters import ManualClock

LONDON = ZoneInfo("Europe/London")
#: 00:30 BST on the night the clocks go back (01:00 UTC is 02:00 BST -> 01:00 GMT).
FALL_BACK_NIGHT = datetime(2026, 10, 25, 0, 30, tzinfo=LONDON)


def test_advance_across_fall_back_moves_in_real_time() -> None:
    """
    Two one-hour advances from 00:30 BST on the fall-back night land at 01:30 UTC.
    """
    clock = ManualClock(FALL_BACK_NIGHT)
    clock.advance(timedelta(hours=1))
    clock.advance(timedelta(hours=1))
    # Compared in UTC: PEP 495 makes an instant in the repeated hour unequal to every
    # datetime of another zone.
    assert datetime(2026, 10, 25, 1, 30, tzinfo=UTC) == clock.now().astimezone(UTC)
    assert (1, 30, 1) == (clock.now().hour, clock.now().minute, clock.now().fold)


def test_now_stays_in_the_start_zone() -> None:
    """
    After advancing, now() is still given in the zone the clock was started in.
    """
    clock = ManualClock(FALL_BACK_NIGHT)
    clock.advance(timedelta(hours=3))
    assert LONDON is clock.now().tzinfo
    assert timedelta(0) == clock.now().utcoffset()


def test_set_compares_in_real_time_in_the_repeated_hour() -> None:
    """
    Setting 01:10 GMT after 01:30 BST (an earlier wall clock, 40 minutes later) moves forward.
    """
    clock = ManualClock(datetime(2026, 10, 25, 1, 30, tzinfo=LONDON))
    clock.set(datetime(2026, 10, 25, 1, 10, fold=1, tzinfo=LONDON))
    assert datetime(2026, 10, 25, 1, 10, tzinfo=UTC) == clock.now().astimezone(UTC)


@given(
    start=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2090, 1, 1),
        timezones=st.sampled_from([LONDON, ZoneInfo("America/New_York"), UTC]),
    ),
    step=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
    n=st.integers(min_value=0, max_value=30),
)
def test_n_advances_equal_one_advance_of_n_times_the_step(
    start: datetime, step: timedelta, n: int
) -> None:
    """
    n advances of d reach the same UTC instant as one advance of n*d, and both are real time.
    """
    stepped = ManualClock(start)
    for _ in range(n):
        stepped.advance(step)
    once = ManualClock(start)
    once.advance(step * n)
    expected = start.astimezone(UTC) + step * n
    assert expected == stepped.now().astimezone(UTC) == once.now().astimezone(UTC)
