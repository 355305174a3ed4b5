"""
Instants in the hour a DST change repeats: order and durations are those of real time.

Python compares and subtracts two datetimes of one zone by their wall clocks, ignoring
``fold``; deskflow keeps event instants in UTC so the repeated hour cannot reorder history.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from builders import LEE
from deskflow import INCIDENT, InvalidInput, Metric, Trigger
from deskflow.calendars import BusinessCalendar
from deskflow.events import CommentAdded
from deskflow.sla import SlaPolicy

LONDON = ZoneInfo("Europe/London")
# 25 Oct 2026: London's clocks go back from 02:00 BST to 01:00 GMT.
FIRST_0145 = datetime(2026, 10, 25, 1, 45, tzinfo=LONDON)  # 00:45 UTC
SECOND_0115 = datetime(2026, 10, 25, 1, 15, tzinfo=LONDON, fold=1)  # 01:15 UTC


def test_a_later_instant_with_an_earlier_wall_clock_is_accepted() -> None:
    """
    01:15 GMT comes after 01:45 BST, though its wall clock reads earlier.
    """
    t = INCIDENT.open("T-1", title="x", requester="ann", at=FIRST_0145)
    t = INCIDENT.fire(t, Trigger.ASSIGN, actor=LEE, at=SECOND_0115, assignee="lee")
    assert timedelta(minutes=30) == t.updated_at - t.created_at
    assert UTC is t.updated_at.tzinfo


def test_an_earlier_instant_with_a_later_wall_clock_is_refused() -> None:
    """
    01:45 BST comes before 01:15 GMT, though its wall clock reads later.
    """
    t = INCIDENT.open("T-1", title="x", requester="ann", at=SECOND_0115)
    with pytest.raises(InvalidInput, match="earlier"):
        INCIDENT.fire(t, Trigger.ASSIGN, actor=LEE, at=FIRST_0145, assignee="lee")
    with pytest.raises(InvalidInput, match="earlier"):
        t.record(CommentAdded(at=FIRST_0145, actor="lee", body="late"))


def test_wall_time_elapsed_across_the_repeated_hour() -> None:
    """
    From 00:30 BST to 01:30 GMT two real hours pass, and the clock says so.
    """
    opened = datetime(2026, 10, 25, 0, 30, tzinfo=LONDON)
    now = datetime(2026, 10, 25, 1, 30, tzinfo=LONDON, fold=1)
    t = INCIDENT.open("T-1", title="x", requester="ann", at=opened, priority="P3")
    clock = SlaPolicy.itil(BusinessCalendar.always("Europe/London")).evaluate(t, now)
    resolution = clock[Metric.RESOLUTION]
    assert (timedelta(hours=2), timedelta(hours=2)) == (
        resolution.elapsed_wall,
        resolution.elapsed,
    )
