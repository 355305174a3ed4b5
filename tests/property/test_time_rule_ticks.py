"""
Time rules under any tick schedule: repeated (any interval, out of phase), or sparse (random
gaps of minutes to days). Each reminder fires exactly once, at the first tick at or after its
business instant; that instant is in business hours on the desk's calendar, across the DST
changes of Europe/London and America/New_York; and a tick before it does not even look at the
ticket (its next check time is the rule's instant: no sweep).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from builders import ANN, LEE, OFFICE_HOURS, WEEKDAYS, Rig, helpdesk
from deskflow import INCIDENT, SERVICE_REQUEST
from deskflow._internal.builtin_rules import BUILTIN_TEXTS
from deskflow.calendars import BusinessCalendar
from deskflow.desk import Desk
from deskflow.enums import Metric, RuleTrigger
from deskflow.events import RuleFired
from deskflow.rules import AddComment, AddTags, BusinessDays, InStateFor, Rule, RuleSet, Wait
from deskflow.sla import MetricPolicy, SlaPolicy

CALENDARS = {
    "Europe/London": BusinessCalendar("Europe/London", OFFICE_HOURS),
    "America/New_York": BusinessCalendar(
        "America/New_York", {day: ["08:30-12:00", "13:00-17:30"] for day in WEEKDAYS}
    ),
}
#: A week around each of the 2026 DST changes, by zone.
WINDOWS = {
    "Europe/London": [datetime(2026, 3, 25, tzinfo=UTC), datetime(2026, 10, 21, tzinfo=UTC)],
    "America/New_York": [datetime(2026, 3, 4, tzinfo=UTC), datetime(2026, 10, 28, tzinfo=UTC)],
}
NO_TARGETS = {Metric.RESOLUTION: MetricPolicy({})}
TIME = frozenset({RuleTrigger.TIME})


def desk_on(calendar: BusinessCalendar, wait: Wait) -> Desk:
    remind = Rule("remind", TIME, (AddComment("pending_reminder"),), InStateFor("pending", wait))
    return Desk(
        sla={
            wf.kind: SlaPolicy(metrics=NO_TARGETS, calendar=calendar, workflow=wf)
            for wf in (INCIDENT, SERVICE_REQUEST)
        },
        auto_close_after=None,
        rules=RuleSet((remind,)),
        texts=BUILTIN_TEXTS,
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[str, datetime, Wait]:
    zone = draw(st.sampled_from(sorted(CALENDARS)))
    window = draw(st.sampled_from(WINDOWS[zone]))
    start = window + timedelta(minutes=draw(st.integers(0, 7 * 24 * 60)))
    wait: Wait = draw(
        st.one_of(
            st.integers(1, 3).map(BusinessDays),
            st.integers(1, 16 * 60).map(lambda m: timedelta(minutes=m)),
        )
    )
    return zone, start, wait


@st.composite
def schedules(draw: st.DrawFn, start: datetime, horizon: datetime) -> list[datetime]:
    """
    Tick instants after ``start`` up to ``horizon``: repeated every N minutes from a phase,
    or separated by random gaps.
    """
    ticks: list[datetime] = []
    if draw(st.booleans()):
        interval = timedelta(minutes=draw(st.integers(20, 6 * 60)))
        at = start + timedelta(seconds=draw(st.integers(1, int(interval.total_seconds()))))
        while at <= horizon:
            ticks.append(at)
            at += interval
    else:
        at = start
        gaps = draw(st.lists(st.integers(1, 3 * 24 * 60), min_size=1, max_size=40))
        for gap in gaps:
            at += timedelta(minutes=gap)
            ticks.append(at)
    return ticks


def pending_at(rig: Rig, at: datetime) -> str:
    rig.clock.set(at)
    ticket = rig.desk.open(ANN, title="Printer jams").id
    rig.desk.assign(LEE, ticket, group="service-desk", assignee=LEE.id)
    rig.desk.start(LEE, ticket)
    rig.desk.request_info(LEE, ticket, question="Which tray?")
    return ticket


@given(st.data(), scenarios())
def test_a_reminder_fires_once_at_the_first_tick_at_or_after_its_business_instant(
    data: st.DataObject, scenario: tuple[str, datetime, Wait]
) -> None:
    zone, start, wait = scenario
    calendar = CALENDARS[zone]
    rig = helpdesk(desk_on(calendar, wait), at=start)
    ticket = pending_at(rig, start)
    due = (
        calendar.add(start, wait)
        if isinstance(wait, timedelta)
        else calendar.add_business_days(start, wait.days)
    )
    # The business instant: in business hours (or the very end of an open stretch).
    assert calendar.is_open(due) or calendar.is_open(due - timedelta(microseconds=1))
    ticks = data.draw(schedules(start, due + timedelta(days=2)))
    checked_at: list[datetime] = []
    for at in ticks:
        rig.clock.set(at)
        if ticket in rig.desk.tick().checked:
            checked_at.append(at)
    fired = [e.at for e in rig.repo.get(ticket).history if isinstance(e, RuleFired)]
    first = next((at for at in ticks if at >= due), None)
    assert fired == ([] if first is None else [first])
    # No sweep: the ticket was looked at by that one tick only.
    assert checked_at == fired


@given(scenarios(), st.integers(1, 3))
def test_every_episode_fires_once(scenario: tuple[str, datetime, Wait], episodes: int) -> None:
    zone, start, wait = scenario
    calendar = CALENDARS[zone]
    tagged = Rule("tag", TIME, (AddTags(("waited",)),), InStateFor("pending", wait))
    rig = helpdesk(attrs.evolve(desk_on(calendar, wait), rules=RuleSet((tagged,))), at=start)
    ticket = pending_at(rig, start)
    at = start
    for _ in range(episodes):
        due = rig.repo.due(at + timedelta(days=30), 1)
        assert [ticket] == due
        # Tick well after the instant twice: the second finds nothing to do.
        at = at + timedelta(days=10)
        rig.clock.set(at)
        assert [ticket] == rig.desk.tick().saved
        rig.clock.set(at + timedelta(hours=1))
        assert [] == rig.desk.tick().checked
        at += timedelta(hours=2)
        rig.clock.set(at)
        rig.desk.reply(ANN, ticket, body="Tray 2.")
        rig.desk.request_info(LEE, ticket, question="And now?")
    fired = [e for e in rig.repo.get(ticket).history if isinstance(e, RuleFired)]
    assert episodes == len(fired) == len({e.dedup_key for e in fired})
