"""
SLA clocks: targets per priority, on business calendars, computed from a ticket's history.

A clock is a pure function of (policy, calendar, history, now): nothing is stored, nothing is
counted up by a timer. [`SlaPolicy.evaluate()`][deskflow.sla.SlaPolicy.evaluate] returns an
[`SlaReport`][deskflow.sla.SlaReport] with one [`ClockStatus`][deskflow.sla.ClockStatus] per
metric and the next instant at which anything about them changes.

>>> from datetime import datetime, timedelta, timezone
>>> from deskflow import INCIDENT, Priority
>>> from deskflow.calendars import BusinessCalendar
>>> weekdays = ("mon", "tue", "wed", "thu", "fri")
>>> office = BusinessCalendar("UTC", {day: ["09:00-17:00"] for day in weekdays})
>>> policy = SlaPolicy.itil(office)
>>> opened = datetime(2026, 3, 6, 15, 0, tzinfo=timezone.utc)  # a Friday, 15:00
>>> ticket = INCIDENT.open("T-1", title="VPN down", requester="ann", at=opened,
...                        priority=Priority.P2)
>>> clock = policy.evaluate(ticket, opened + timedelta(hours=1))[Metric.RESOLUTION]
>>> clock.elapsed, clock.due_at.isoformat()
(datetime.timedelta(seconds=3600), '2026-03-09T15:00:00+00:00')
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

import attrs

from deskflow._internal import checks as _checks
from deskflow._internal.json_forms import json_form
from deskflow._internal.sla_checks import checked_items, checked_metrics, names, targets
from deskflow._internal.sla_next import folded_clocks, keep_report, kept_report, next_check
from deskflow._internal.sla_pieces import pieces
from deskflow._internal.sla_timeline import Clock, Rules, Timeline, crossing
from deskflow.calendars import BusinessCalendar
from deskflow.enums import Metric, Priority
from deskflow.exceptions import ConfigError, InvalidInput
from deskflow.states import Workflow
from deskflow.ticket import Ticket
from deskflow.workflows import INCIDENT

__all__ = [
    "DEFAULT_THRESHOLDS",
    "CalendarByField",
    "CalendarResolver",
    "ClockState",
    "ClockStatus",
    "MetricPolicy",
    "PriorityChangeMode",
    "SlaPolicy",
    "SlaReport",
    "Threshold",
    "ThresholdReached",
]


class PriorityChangeMode(enum.StrEnum):
    """
    What a priority change does to a running clock.

    - ``retroactive``: the new target applies from the clock's original start, as if the
      ticket had always had the new priority (a shorter target can breach in the past);
    - ``prospective``: the share of the target already used up is kept, and the new target
      applies to the share that remains. With half of a 8h target used, a change to a 2h
      target leaves 1h; a change to a 16h target leaves 8h. A breach stays a breach.
    """

    RETROACTIVE = "retroactive"
    PROSPECTIVE = "prospective"


class ClockState(enum.StrEnum):
    """
    Where a clock stands.
    """

    NOT_STARTED = "not_started"
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    NO_TARGET = "no_target"


@attrs.frozen
class Threshold:
    """
    A warning point of a clock: a percentage of its target, or a time before it is due.

    >>> Threshold.percent(75).mark(timedelta(hours=8))
    datetime.timedelta(seconds=21600)
    >>> Threshold.before_due(timedelta(minutes=30)).name
    'due-30m'
    """

    name: str
    share: float | None = None
    offset: timedelta | None = None

    def __attrs_post_init__(self) -> None:
        if (self.share is None) == (self.offset is None):
            raise ConfigError(f"threshold {self.name!r}: give a percentage or an offset")
        if self.share is not None and not 0 < self.share <= 10:
            raise ConfigError(f"threshold {self.name!r}: percentage must be in (0, 1000]")
        if self.offset is not None and self.offset < timedelta(0):
            raise ConfigError(f"threshold {self.name!r}: offset must not be negative")

    @classmethod
    def percent(cls, value: float) -> Threshold:
        """
        Reached when ``value`` percent of the target has elapsed (100 = breached).
        """
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"threshold percentage must be a number, got {value!r}")
        return cls(f"{value:g}%", share=value / 100)

    @classmethod
    def before_due(cls, offset: timedelta) -> Threshold:
        """
        Reached ``offset`` of business time before the clock is due.
        """
        if not isinstance(offset, timedelta):
            raise ConfigError(f"threshold offset must be a timedelta, got {offset!r}")
        seconds = int(offset.total_seconds())
        name = f"due-{seconds // 60}m" if seconds % 60 == 0 else f"due-{seconds}s"
        return cls(name, offset=offset)

    def mark(self, target: timedelta) -> timedelta:
        """
        The business time elapsed at which this threshold is reached, for ``target``.
        """
        if self.share is not None:
            return target * self.share
        assert self.offset is not None
        return max(target - self.offset, timedelta(0))


#: ServiceNow's defaults: 50% and 75% warnings, and the breach at 100%.
DEFAULT_THRESHOLDS = (Threshold.percent(50), Threshold.percent(75), Threshold.percent(100))


def _names(value: Iterable[str] | None) -> frozenset[str] | None:
    return names(value)


def _thresholds(value: Iterable[Threshold]) -> tuple[Threshold, ...]:
    return checked_items(value, Threshold, "thresholds")


@attrs.frozen
class MetricPolicy:
    """
    The targets of one metric per priority, and what pauses, stops and warns about it.

    ``pause_states`` / ``stop_states`` default to the workflow's; final states always stop.
    ``pause_hold_reasons`` narrows pausing in states that carry a hold reason (e.g. only
    "vendor" holds pause the resolution clock).
    """

    targets: Mapping[Priority, timedelta] = attrs.field(converter=targets)
    pause_states: frozenset[str] | None = attrs.field(default=None, converter=_names)
    stop_states: frozenset[str] | None = attrs.field(default=None, converter=_names)
    pause_hold_reasons: frozenset[str] | None = attrs.field(default=None, converter=_names)
    thresholds: tuple[Threshold, ...] = attrs.field(
        default=DEFAULT_THRESHOLDS, converter=_thresholds
    )


@runtime_checkable
class CalendarResolver(Protocol):
    """
    Picks the business calendar that applies to a ticket (per desk, customer or team).
    """

    def calendar_for(self, ticket: Ticket) -> BusinessCalendar:
        """
        The calendar whose hours the ticket's clocks run on.
        """


@attrs.frozen
class CalendarByField:
    """
    The calendar named by one field of the ticket (``group``, ``service``, ``category``,
    ``requester``), with a default.
    """

    field: str
    calendars: Mapping[str, BusinessCalendar]
    default: BusinessCalendar

    def __attrs_post_init__(self) -> None:
        if self.field not in ("group", "service", "category", "requester", "assignee"):
            raise ConfigError(
                f"cannot pick a calendar by {self.field!r}; use group, service, category, "
                "requester or assignee",
                path=("calendar", "field"),
            )

    def calendar_for(self, ticket: Ticket) -> BusinessCalendar:
        """
        The calendar for the ticket's value of ``field``, or the default.
        """
        key = getattr(ticket, self.field)
        return self.calendars.get(key, self.default) if key is not None else self.default


@attrs.frozen
class ThresholdReached:
    """
    A threshold a clock has passed: when, and in which cycle (for deduplication).
    """

    name: str
    at: datetime
    cycle: int


@attrs.frozen
class ClockStatus:
    """
    One metric's clock as of ``now``. Durations named plainly are business time.

    ``due_at`` is when the clock breaches if it runs from now on (for a met clock, when it
    would have); ``next_check_at`` the next instant at which anything about it changes
    (a threshold or the breach), or None while it is paused, met or without a target.
    """

    metric: Metric
    state: ClockState
    cycle: int
    target: timedelta | None
    started_at: datetime | None
    due_at: datetime | None
    elapsed: timedelta
    elapsed_wall: timedelta
    remaining: timedelta | None
    percent: float | None
    paused: timedelta
    paused_now: bool
    breached_at: datetime | None
    met_at: datetime | None
    thresholds: tuple[ThresholdReached, ...]
    next_check_at: datetime | None

    @property
    def breached(self) -> bool:
        """
        True if the clock ran past its target.
        """
        return self.breached_at is not None

    def to_dict(self) -> dict[str, Any]:
        """
        The clock as JSON values: its fields, then ``breached``.

        Instants are ISO 8601 UTC strings ending in ``Z`` (or None), durations seconds as a
        float, ``metric`` and ``state`` their values, ``thresholds`` a list of
        ``{"name", "at", "cycle"}``.
        """
        return json_form(self)


@attrs.frozen
class SlaReport:
    """
    Every clock of a ticket as of ``at``; index it by metric.
    """

    ticket_id: str
    at: datetime
    clocks: Mapping[Metric, ClockStatus]

    def __getitem__(self, metric: Metric | str) -> ClockStatus:
        try:
            return self.clocks[_checks.member("metric", Metric, metric)]
        except KeyError:
            raise InvalidInput(f"this report has no clock for {metric!r}") from None

    @property
    def next_check_at(self) -> datetime | None:
        """
        The earliest instant at which any clock changes, or None.
        """
        return min((c.next_check_at for c in self.clocks.values() if c.next_check_at), default=None)

    @property
    def breached(self) -> tuple[Metric, ...]:
        """
        The metrics whose clocks are breached.
        """
        return tuple(m for m, c in self.clocks.items() if c.breached)

    def to_dict(self) -> dict[str, Any]:
        """
        The report as JSON values: ``ticket_id``, ``at`` (ISO 8601 UTC, ``Z``), ``clocks``
        (metric value -> [`ClockStatus.to_dict()`][deskflow.sla.ClockStatus.to_dict]),
        ``breached`` (a list of metric values) and ``next_check_at`` (an instant or None).
        """
        return json_form(self)


def _metrics(value: Mapping[Any, MetricPolicy]) -> Mapping[Metric, MetricPolicy]:
    return checked_metrics(value, MetricPolicy)


def _mode(value: PriorityChangeMode | str) -> PriorityChangeMode:
    try:
        return _checks.member("priority_change", PriorityChangeMode, value)
    except InvalidInput as error:
        raise ConfigError(str(error), path=("priority_change",)) from None


@attrs.frozen
class SlaPolicy:
    """
    Targets per metric and priority, what pauses them, and the calendar they run on.
    """

    metrics: Mapping[Metric, MetricPolicy] = attrs.field(converter=_metrics)
    calendar: BusinessCalendar | CalendarResolver
    workflow: Workflow = INCIDENT
    priority_change: PriorityChangeMode = attrs.field(
        default=PriorityChangeMode.RETROACTIVE, converter=_mode
    )
    name: str = "default"

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.calendar, BusinessCalendar | CalendarResolver):
            raise ConfigError(
                "calendar must be a BusinessCalendar or have calendar_for(ticket)",
                path=("calendar",),
            )
        known = set(self.workflow.states)
        for metric, policy in self.metrics.items():
            for label in ("pause_states", "stop_states"):
                for state in sorted(getattr(policy, label) or ()):
                    if state not in known:
                        raise ConfigError(
                            f"unknown state {state!r} of workflow {self.workflow.name!r}",
                            path=("metrics", metric, label),
                        )

    @classmethod
    def itil(
        cls,
        calendar: BusinessCalendar | CalendarResolver,
        *,
        workflow: Workflow = INCIDENT,
        priority_change: PriorityChangeMode | str = PriorityChangeMode.RETROACTIVE,
    ) -> SlaPolicy:
        """
        Common ITIL targets in business time: P1 responds in 15 minutes and resolves in
        4 hours; P2 30 min / 8 h; P3 1 h / 24 h; P4 4 h / 40 h; P5 8 h / 80 h.
        """
        h, m = timedelta(hours=1), timedelta(minutes=1)
        p = Priority
        response = {p.P1: 15 * m, p.P2: 30 * m, p.P3: h, p.P4: 4 * h, p.P5: 8 * h}
        return cls(
            metrics={
                Metric.FIRST_RESPONSE: MetricPolicy(response),
                Metric.NEXT_RESPONSE: MetricPolicy(response),
                Metric.PERIODIC_UPDATE: MetricPolicy(
                    {p.P1: h, p.P2: 2 * h, p.P3: 8 * h, p.P4: 16 * h, p.P5: 40 * h}
                ),
                Metric.RESOLUTION: MetricPolicy(
                    {p.P1: 4 * h, p.P2: 8 * h, p.P3: 24 * h, p.P4: 40 * h, p.P5: 80 * h}
                ),
            },
            calendar=calendar,
            workflow=workflow,
            priority_change=priority_change,
        )

    def calendar_for(self, ticket: Ticket) -> BusinessCalendar:
        """
        The calendar that applies to ``ticket``.
        """
        if isinstance(self.calendar, BusinessCalendar):
            return self.calendar
        return self.calendar.calendar_for(ticket)

    def rules(self, metric: Metric) -> Rules:
        """
        What pauses and stops ``metric``, with the workflow's defaults filled in.
        """
        policy = self.metrics[metric]
        wf = self.workflow
        pause = policy.pause_states
        if pause is None:
            pause = wf.pauses.get(metric, frozenset())
        stop = policy.stop_states
        if stop is None:
            stop = wf.stops.get(metric, frozenset())
        return Rules(frozenset(pause), frozenset(stop) | wf.final, policy.pause_hold_reasons)

    def _fold(
        self, ticket: Ticket, now: datetime, calendar: BusinessCalendar | None
    ) -> tuple[Sequence[Clock], BusinessCalendar]:
        if not isinstance(ticket, Ticket):
            raise InvalidInput(f"ticket must be a Ticket, got {type(ticket).__name__}")
        _checks.aware("now", now)
        if now < ticket.updated_at:
            raise InvalidInput(
                f"now={now.isoformat()} precedes the ticket's last change at "
                f"{ticket.updated_at.isoformat()}"
            )
        cal = calendar if calendar is not None else self.calendar_for(ticket)
        clocks = folded_clocks(
            ticket,
            self,
            lambda: [Clock(metric, self.rules(metric)) for metric in self.metrics],
            cal,
        )
        return clocks, cal

    def next_check_at(
        self, ticket: Ticket, now: datetime, *, calendar: BusinessCalendar | None = None
    ) -> datetime | None:
        """
        ``evaluate(ticket, now, calendar=calendar).next_check_at``, without the report: only
        the running clocks are looked at, each once.
        """
        clocks, cal = self._fold(ticket, now, calendar)
        kept = kept_report(ticket, self, now, cal, clocks)
        if isinstance(kept, SlaReport):
            return kept.next_check_at
        marks = {m: (p.thresholds, [t.mark for t in p.thresholds]) for m, p in self.metrics.items()}
        retroactive = self.priority_change is PriorityChangeMode.RETROACTIVE
        return next_check(clocks, self.metrics, marks, retroactive, cal, now)

    def evaluate(
        self, ticket: Ticket, now: datetime, *, calendar: BusinessCalendar | None = None
    ) -> SlaReport:
        """
        Every clock of ``ticket`` as of ``now`` (which must not precede the ticket's last
        change). ``calendar`` overrides the policy's choice.
        """
        clocks, cal = self._fold(ticket, now, calendar)
        kept = kept_report(ticket, self, now, cal, clocks)
        if isinstance(kept, SlaReport) and kept.ticket_id == ticket.id:
            return kept  # say a tick's own: its thresholds and notices change no clock
        statuses = {
            clock.metric: _status(clock, self.metrics[clock.metric], self.priority_change, cal, now)
            for clock in clocks
        }
        report = SlaReport(ticket.id, now, statuses)
        keep_report(ticket, self, now, cal, clocks, report)
        return report


def _status(
    clock: Clock,
    policy: MetricPolicy,
    mode: PriorityChangeMode,
    cal: BusinessCalendar,
    now: datetime,
) -> ClockStatus:
    cycle = clock.cycle
    if cycle is None:
        return ClockStatus(
            clock.metric, ClockState.NOT_STARTED, 0, None, None, None, timedelta(0),
            timedelta(0), None, None, timedelta(0), False, None, None, (), None,
        )  # fmt: skip
    end = cycle.completed_at or now
    running_now = cycle.completed_at is None and cycle.running
    timeline = Timeline(cycle, cal, end)
    elapsed = timeline.total
    steps = pieces(cycle, policy.targets, mode is PriorityChangeMode.RETROACTIVE, timeline, end)
    target = steps[-1][1]
    wall = end - cycle.started_at
    paused = cal.elapsed(cycle.started_at, end) - elapsed
    number = cycle.cycle_at(end)
    if target is None:
        state = ClockState.NO_TARGET
    elif cycle.completed_at is not None:
        state = ClockState.MET
    else:
        state = ClockState.RUNNING if running_now else ClockState.PAUSED
    reached: list[ThresholdReached] = []
    next_check: datetime | None = None
    breached_at: datetime | None = None
    due_at: datetime | None = None
    if target is not None:
        for threshold in policy.thresholds:
            at = crossing(cycle, cal, steps, threshold.mark, end, future=False)
            if at is not None:
                reached.append(ThresholdReached(threshold.name, at, cycle.cycle_at(at)))
            elif running_now:
                upcoming = crossing(cycle, cal, steps, threshold.mark, end, future=True)
                if upcoming is not None and (next_check is None or upcoming < next_check):
                    next_check = upcoming
        breach = Threshold("breach", share=1.0)
        breached_at = crossing(cycle, cal, steps, breach.mark, end, future=False)
        if breached_at is not None:
            due_at = breached_at
        else:
            due_at = cal.add(end, target - elapsed)
            if running_now and (next_check is None or due_at < next_check):
                next_check = due_at
    return ClockStatus(
        metric=clock.metric,
        state=state,
        cycle=number,
        target=target,
        started_at=cycle.started_at,
        due_at=due_at,
        elapsed=elapsed,
        elapsed_wall=wall,
        remaining=None if target is None else target - elapsed,
        percent=None if not target else round(elapsed / target * 100, 6),
        paused=paused,
        paused_now=cycle.completed_at is None and not running_now,
        breached_at=breached_at,
        met_at=cycle.completed_at,
        thresholds=tuple(sorted(reached, key=lambda r: (r.at, r.name))),
        next_check_at=next_check,
    )
