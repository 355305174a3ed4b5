"""
A simulation scenario: the traffic a desk gets and the people who work it.

A scenario is data (a TOML or JSON file, or a mapping) validated at this edge as a desk's
configuration is: a bad scenario raises one [`ConfigError`][deskflow.exceptions.ConfigError]
listing every problem with its path as written in the file. It says:

- ``arrivals``: streams of tickets, each a Poisson process with a mean rate per hour shaped
  by a weekly ``profile`` (a multiplier per hour of each day), and a ``mix`` of kinds,
  impacts, urgencies and categories; ``surges`` multiply the rates at some hours of some
  weekdays (a bad Monday); ``bursts`` are outages: monitoring alerts (deduplicated by their
  alert key into one incident) and the requesters' own reports;
- ``shifts``: business calendars of working hours, and ``agents``: pools per tier and group,
  each on a shift, with a handling-time distribution;
- ``work``: what an agent does after a spell of work (ask the requester, put on hold,
  escalate, or resolve), ``requesters``: how late they reply and whether they confirm a
  resolution, ``approvers``: who approves the service requests that need it, and how fast.

Durations are written as in a desk's configuration (``"20m"``, ``"1h30m"``, ``"PT4H"``); a
distribution is ``{ median = "20m", p90 = "1h" }`` (log-normal), ``{ mean = "4h" }``
(exponential) or ``{ fixed = "10m" }``.

>>> scenario = load_scenario(DEFAULT_SCENARIO)
>>> scenario.name, scenario.days, len(scenario.agents)
('london-desk', 7, 4)
>>> load_scenario({"days": 0})
Traceback (most recent call last):
...
deskflow.exceptions.ConfigError: days: must be positive, got 0
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from deskflow._internal.config_problems import Problems, problems_of
from deskflow._internal.config_text import day_names, parse_duration, read_source
from deskflow.calendars import BusinessCalendar
from deskflow.enums import Impact, TicketKind, Urgency
from deskflow.exceptions import ConfigError

__all__ = [
    "DEFAULT_SCENARIO",
    "AgentPool",
    "ArrivalStream",
    "Burst",
    "Distribution",
    "Scenario",
    "Surge",
    "TicketMix",
    "load_scenario",
]

#: The example scenario shipped with the package: a week of the London desk of the default
#: configuration (``deskflow/data/desk.toml``).
DEFAULT_SCENARIO = Path(__file__).parent.parent / "data" / "scenario.toml"

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: The z-score of the 90th percentile of a standard normal distribution.
_Z90 = 1.2815515655446004

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
PositiveDuration = Annotated[Duration, Field(gt=timedelta(0))]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must have a UTC offset, e.g. 2026-10-19T00:00:00+01:00")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Distribution(_Model):
    """
    A random duration: log-normal from ``median`` and ``p90``, exponential from ``mean``,
    or ``fixed``.

    >>> d = Distribution(median="20m", p90="1h")
    >>> rng = random.Random(0)
    >>> samples = sorted(d.sample(rng) for _ in range(10_000))
    >>> 1150 < samples[5000] < 1250, 3400 < samples[9000] < 3800
    (True, True)
    """

    median: PositiveDuration | None = None
    p90: PositiveDuration | None = None
    mean: PositiveDuration | None = None
    fixed: Duration | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Distribution:
        lognormal = self.median is not None or self.p90 is not None
        forms = sum((lognormal, self.mean is not None, self.fixed is not None))
        if forms != 1:
            raise ValueError(
                "give one of {median, p90} (log-normal), {mean} (exponential) or {fixed}"
            )
        if lognormal and (self.median is None or self.p90 is None):
            raise ValueError("a log-normal distribution needs both median and p90")
        if self.median is not None and self.p90 is not None and self.p90 < self.median:
            raise ValueError("p90 must not be below the median")
        return self

    def sample(self, rng: random.Random) -> float:
        """
        One duration, in seconds, drawn from ``rng``.
        """
        if self.fixed is not None:
            return self.fixed.total_seconds()
        if self.mean is not None:
            return rng.expovariate(1.0 / self.mean.total_seconds())
        assert self.median is not None  # both checked when built
        assert self.p90 is not None
        mu = math.log(self.median.total_seconds())
        sigma = (math.log(self.p90.total_seconds()) - mu) / _Z90
        return rng.lognormvariate(mu, sigma)


class TicketMix(_Model):
    """
    One kind of ticket in a stream, with its ``share`` of the stream (shares are weights).
    """

    share: float = Field(default=1.0, gt=0)
    kind: TicketKind = TicketKind.INCIDENT
    impact: Impact = Impact.MEDIUM
    urgency: Urgency = Urgency.MEDIUM
    category: str | None = None
    service: str | None = None


class ArrivalStream(_Model):
    """
    A Poisson stream of tickets: ``per_hour`` on average at a ``profile`` multiplier of 1,
    triaged to ``group`` (unset: the desk's routing policy, else the first tier's group).
    """

    name: str = Field(min_length=1)
    per_hour: float = Field(ge=0)
    profile: str | None = None
    mix: list[TicketMix] = Field(default_factory=lambda: [TicketMix()], min_length=1)
    group: str | None = None


class Surge(_Model):
    """
    Arrivals multiplied by ``factor`` on some weekdays between two hours (a bad Monday).
    """

    days: list[str] = Field(min_length=1)
    hours: tuple[int, int] = (0, 24)
    factor: float = Field(ge=0)
    streams: list[str] | None = None

    @model_validator(mode="after")
    def _checked(self) -> Surge:
        for spec in self.days:
            day_names(spec)
        first, last = self.hours
        if not 0 <= first < last <= 24:
            raise ValueError("hours must be [first, last] with 0 <= first < last <= 24")
        return self

    def weekdays(self) -> frozenset[int]:
        """
        The weekdays the surge applies to (Monday is 0).
        """
        return frozenset(_DAYS.index(d) for spec in self.days for d in day_names(spec))


class Burst(_Model):
    """
    An outage: from ``start`` (after the scenario's start) for ``duration``, monitoring
    sends ``alerts_per_hour`` alerts under one ``alert_key`` and requesters report it at
    ``reports_per_hour``.
    """

    start: Duration
    duration: PositiveDuration
    alert_key: str = Field(min_length=1)
    title: str = "Service outage"
    alerts_per_hour: float = Field(default=0.0, ge=0)
    reports_per_hour: float = Field(default=0.0, ge=0)
    impact: Impact = Impact.HIGH
    urgency: Urgency = Urgency.HIGH
    category: str | None = None
    service: str | None = None
    group: str | None = None


class Shift(_Model):
    """
    Working hours as a business calendar: ``weekly`` as in a desk's calendars.
    """

    timezone: str | None = None
    weekly: dict[str, list[str]] = Field(min_length=1)
    holidays: list[date] = Field(default_factory=list)


class AgentPool(_Model):
    """
    ``count`` agents at ``tier`` in ``groups``, on ``shift``, each working a ticket for a
    spell drawn from ``handling``, ``capacity`` tickets at a time.
    """

    name: str = Field(min_length=1)
    count: int = Field(ge=0)
    tier: int = Field(ge=1)
    groups: list[str] = Field(min_length=1)
    shift: str
    handling: Distribution


class Work(_Model):
    """
    What an agent does after a spell of work on a ticket: ask the requester
    (``request_info``), put it on hold (``hold``), escalate it to the next tier
    (``escalate``), or else resolve it. Each share applies once per ticket at most.
    """

    request_info: Share = 0.0
    hold: Share = 0.0
    hold_reason: str = "vendor"
    hold_for: Distribution = Field(default_factory=lambda: Distribution(mean=timedelta(hours=4)))
    escalate: Share = 0.0


class Requesters(_Model):
    """
    The requesters: how many distinct people, how late they reply, whether they confirm
    a resolution (``confirm``, the rest are closed by the desk's auto-close) and their
    ratings (weights of 1 to 5 stars).
    """

    count: int = Field(default=200, ge=1)
    reply_delay: Distribution = Field(default_factory=lambda: Distribution(mean=timedelta(hours=2)))
    confirm: Share = 0.5
    confirm_delay: Distribution = Field(
        default_factory=lambda: Distribution(mean=timedelta(hours=3))
    )
    ratings: tuple[float, float, float, float, float] = (0.02, 0.03, 0.1, 0.35, 0.5)


class Approvers(_Model):
    """
    How long the approvers (those the desk's approval policy names) take to approve.
    """

    delay: Distribution = Field(default_factory=lambda: Distribution(mean=timedelta(hours=2)))


class Scenario(_Model):
    """
    A simulated desk's traffic and staff; see the module's documentation.
    """

    name: str = "scenario"
    start: Annotated[datetime, AfterValidator(_aware)] = datetime.fromisoformat(
        "2026-10-19T00:00:00+01:00"
    )
    days: int = Field(default=7, gt=0)
    timezone: str = "Europe/London"
    tick_every: PositiveDuration = timedelta(minutes=5)
    sample_every: PositiveDuration = timedelta(hours=1)
    profiles: dict[str, dict[str, list[Annotated[float, Field(ge=0)]]]] = Field(
        default_factory=dict
    )
    arrivals: list[ArrivalStream] = Field(default_factory=list)
    surges: list[Surge] = Field(default_factory=list)
    bursts: list[Burst] = Field(default_factory=list)
    shifts: dict[str, Shift] = Field(default_factory=dict)
    agents: list[AgentPool] = Field(default_factory=list)
    work: Work = Work()
    requesters: Requesters = Requesters()
    approvers: Approvers = Approvers()

    def profile_table(self, name: str | None) -> tuple[tuple[float, ...], ...]:
        """
        The multipliers of profile ``name`` as 7 rows (Monday first) of 24 hours; None
        gives 1 everywhere. Days a profile does not name have no arrivals.
        """
        if name is None:
            return tuple((1.0,) * 24 for _ in _DAYS)
        rows: list[tuple[float, ...]] = [(0.0,) * 24 for _ in _DAYS]
        for spec, hours in self.profiles[name].items():
            for day in day_names(spec):
                rows[_DAYS.index(day)] = tuple(hours)
        return tuple(rows)

    def calendars(self) -> dict[str, BusinessCalendar]:
        """
        The shifts as business calendars, by name.
        """
        return {name: _calendar(name, shift, self.timezone) for name, shift in self.shifts.items()}

    def replaced(self, **changes: Any) -> Scenario:
        """
        A copy with some fields changed, validated again (``days=3``, ``agents=[...]``).
        """
        return load_scenario({**self.model_dump(mode="python"), **changes})


def _calendar(name: str, shift: Shift, timezone: str) -> BusinessCalendar:
    weekly: dict[str, list[str]] = {}
    for spec, spans in shift.weekly.items():
        for day in day_names(spec):
            weekly.setdefault(day, []).extend(spans)
    return BusinessCalendar(shift.timezone or timezone, weekly, shift.holidays, name=name)


def _meaning(scenario: Scenario) -> None:
    """
    Check what the values mean together: names that refer to profiles and shifts, hours.
    """
    problems = Problems()
    for name, profile in scenario.profiles.items():
        for spec, hours in profile.items():
            with problems.at("profiles", name, spec):
                day_names(spec)
                if len(hours) != 24:
                    raise ConfigError(f"needs 24 multipliers, one per hour, got {len(hours)}")
    for i, stream in enumerate(scenario.arrivals):
        if stream.profile is not None and stream.profile not in scenario.profiles:
            known = ", ".join(sorted(scenario.profiles)) or "none"
            problems.add(
                ("arrivals", i, "profile"), f"unknown profile {stream.profile!r}; known: {known}"
            )
    names = {s.name for s in scenario.arrivals}
    for i, surge in enumerate(scenario.surges):
        for name in surge.streams or ():
            if name not in names:
                problems.add(("surges", i, "streams"), f"unknown arrival stream {name!r}")
    for name, shift in scenario.shifts.items():
        with problems.at("shifts", name):
            _calendar(name, shift, scenario.timezone)
    for i, pool in enumerate(scenario.agents):
        if pool.shift not in scenario.shifts:
            known = ", ".join(sorted(scenario.shifts)) or "none"
            problems.add(("agents", i, "shift"), f"unknown shift {pool.shift!r}; known: {known}")
    problems.raise_any()


def load_scenario(source: str | Path | Mapping[str, Any] | Scenario) -> Scenario:
    """
    Read a scenario from a ``.toml``/``.json`` path or a mapping (a Scenario is returned as
    it is). A bad one raises one ConfigError listing every problem, each with its path.
    """
    if isinstance(source, Scenario):
        return source
    data = read_source(source)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise ConfigError.from_problems(problems_of(error, Scenario)) from None
    _meaning(scenario)
    return scenario
