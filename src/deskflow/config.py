"""
Build a [`Desk`][deskflow.desk.Desk] from configuration: a TOML or JSON file, or a mapping.

pydantic validates the untrusted input at this edge; every problem becomes a
[`ConfigError`][deskflow.exceptions.ConfigError] whose ``path`` names the bad field. Policies
are named and built through [`deskflow.plugins`][deskflow.plugins], so a config file can name a
host's own plug-ins too.

>>> desk = load_desk({
...     "calendars": {"office": {"timezone": "Europe/London",
...                              "weekly": {"mon-fri": ["09:00-17:00"]}}},
...     "sla": {"calendar": "office"},
...     "auto_close_after": "16h",
... })
>>> desk.sla["incident"].calendar.timezone, desk.auto_close_after
('Europe/London', datetime.timedelta(seconds=57600))
>>> load_desk({"sla": {"calendar": "nowhere"}})
Traceback (most recent call last):
...
deskflow.exceptions.ConfigError: sla.incident.calendar: unknown calendar 'nowhere'; known: default
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from deskflow import plugins
from deskflow.approval import ApprovalPolicy, ApprovalStage
from deskflow.calendars import BusinessCalendar
from deskflow.desk import Desk
from deskflow.enums import HoldReason, Metric, Priority, TicketKind
from deskflow.escalation import CompositePolicy, EscalationPolicy, check_thresholds
from deskflow.exceptions import ConfigError, DeskflowError
from deskflow.policies.notices import MappingDirectory
from deskflow.sla import MetricPolicy, SlaPolicy, Threshold
from deskflow.workflows import incident_workflow, service_request_workflow

__all__ = ["DEFAULT_CONFIG", "DeskConfig", "load_desk", "parse_duration"]

#: The desk the demo runs on: a London service desk, shipped with the package.
DEFAULT_CONFIG = Path(__file__).parent / "data" / "desk.toml"

_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*[wdhms]\s*)+$")
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhms])")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_duration(value: object) -> timedelta:
    """
    A duration from config: ``"4h"``, ``"1h30m"``, ``"2d"``, ISO 8601 (``"PT4H"``) or
    seconds.

    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    if isinstance(value, str) and _DURATION.match(value.lower()):
        seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(value.lower()))
        try:
            return timedelta(seconds=seconds)
        except OverflowError:
            raise ValueError(f"duration {value!r} is too long") from None
    if isinstance(value, str) and value.upper().startswith("P"):
        from pydantic import TypeAdapter

        return TypeAdapter(timedelta).validate_python(value)
    raise ValueError(f"not a duration: {value!r}; write e.g. '4h', '1h30m', '2d' or 'PT4H'")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CalendarConfig(_Model):
    """
    A business calendar: ``weekly`` maps days (``mon``, ``mon-fri``) to intervals.
    """

    timezone: str
    weekly: dict[str, list[str]] = Field(default_factory=dict)
    always: bool = False
    holidays: list[date] = Field(default_factory=list)
    overrides: dict[date, list[str]] = Field(default_factory=dict)
    country: str | None = None
    subdivision: str | None = None
    years: tuple[int, int] | None = None


class MetricConfig(_Model):
    """
    One metric's targets per priority and what pauses, stops and warns about it.
    """

    targets: dict[Priority, Duration]
    pause_states: list[str] | None = None
    stop_states: list[str] | None = None
    pause_hold_reasons: list[str] | None = None
    thresholds: list[str] = Field(default_factory=lambda: ["50%", "75%", "100%"])


class SlaConfig(_Model):
    """
    SLA targets (ITIL defaults when ``metrics`` is omitted), calendar and priority mode.
    """

    calendar: str = "default"
    priority_change: Literal["retroactive", "prospective"] = "retroactive"
    metrics: dict[Metric, MetricConfig] | None = None


class SlaSection(SlaConfig):
    """
    The ``[sla]`` section: settings for every kind of ticket, and optional per-kind
    sections (``[sla.service_request]``) that replace them for that kind.
    """

    incident: SlaConfig | None = None
    service_request: SlaConfig | None = None

    def for_kind(self, kind: TicketKind) -> SlaConfig:
        """
        The settings that apply to ``kind``.
        """
        own = getattr(self, kind.value)
        return own if own is not None else self


class PolicyConfig(_Model):
    """
    A policy by name (a built-in or a plug-in) and its options; an escalation policy also
    names the kinds of ticket it escalates (incidents by default).
    """

    name: str
    options: dict[str, Any] = Field(default_factory=dict)
    kinds: list[TicketKind] = Field(default_factory=lambda: [TicketKind.INCIDENT])


class StageConfig(_Model):
    """
    An approval stage: approver ids and how many must approve.
    """

    approvers: list[str]
    required: Literal["all", "any"] | int = "all"


class ApprovalConfig(_Model):
    """
    Which service requests need approval, and by whom, stage by stage.
    """

    stages: list[StageConfig]
    categories: list[str] | None = None
    services: list[str] | None = None


class DirectoryConfig(_Model):
    """
    Who manages whom: agent -> manager, group -> supervisor (for escalation notices).
    """

    managers: dict[str, str] = Field(default_factory=dict)
    supervisors: dict[str, str] = Field(default_factory=dict)


class DeskConfig(_Model):
    """
    The whole desk, as a configuration file describes it.
    """

    calendars: dict[str, CalendarConfig] = Field(
        default_factory=lambda: {"default": CalendarConfig(timezone="UTC", always=True)}
    )
    priority: PolicyConfig = PolicyConfig(name="itil")
    sla: SlaSection = SlaSection()
    directory: DirectoryConfig = DirectoryConfig()
    escalation: list[PolicyConfig] = Field(default_factory=list)
    routing: PolicyConfig | None = None
    approval: ApprovalConfig | None = None
    auto_close_after: Duration | None = timedelta(days=1)
    reopen_window: Annotated[Duration, Field(gt=timedelta(0))] = timedelta(days=7)
    hold_reasons: list[str] = Field(
        default_factory=lambda: [r.value for r in HoldReason], min_length=1
    )


_MODELS = frozenset(
    {
        "CalendarConfig",
        "MetricConfig",
        "SlaConfig",
        "SlaSection",
        "PolicyConfig",
        "StageConfig",
        "ApprovalConfig",
        "DirectoryConfig",
        "DeskConfig",
    }
)


def _read(source: object) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot read {path}: {error.strerror}") from None
        try:
            if path.suffix == ".toml":
                return tomllib.loads(text)
            if path.suffix == ".json":
                loaded = json.loads(text)
                if not isinstance(loaded, dict):
                    raise ConfigError(f"{path}: the top level must be an object")
                return loaded
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
            raise ConfigError(f"{path}: {error}") from None
        raise ConfigError(f"{path}: use a .toml or .json file")
    raise ConfigError(f"expected a mapping or a .toml/.json path, got {type(source).__name__}")


def _validated(data: Mapping[str, Any]) -> DeskConfig:
    try:
        return DeskConfig.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        # pydantic also names the branches of unions ("SlaConfig", "dict[...]") and marks
        # dict keys; a person wants the path as written in the file.
        where = tuple(
            str(p)
            for p in first["loc"]
            if not (isinstance(p, str) and (p in _MODELS or p.startswith(("dict[", "[key]"))))
        )
        more = f" (and {error.error_count() - 1} more problems)" if error.error_count() > 1 else ""
        raise ConfigError(f"{first['msg']}{more}", path=where) from None


def _days(spec: str, where: tuple[str, ...]) -> list[str]:
    name = spec.strip().lower()[:3]
    if "-" in spec:
        first, last = (part.strip().lower()[:3] for part in spec.split("-", 1))
        if first not in _DAYS or last not in _DAYS:
            raise ConfigError(f"unknown day range {spec!r}; write e.g. 'mon-fri'", path=where)
        i, j = _DAYS.index(first), _DAYS.index(last)
        return list(_DAYS[i : j + 1]) if i <= j else [*_DAYS[i:], *_DAYS[: j + 1]]
    return [name]


def _calendar(name: str, spec: CalendarConfig) -> BusinessCalendar:
    where = ("calendars", name)
    try:
        if spec.always:
            return BusinessCalendar.always(spec.timezone)
        weekly: dict[str, list[str]] = {}
        for days, spans in spec.weekly.items():
            for day in _days(days, ("weekly", days)):
                weekly.setdefault(day, []).extend(spans)
        if spec.country is not None:
            if spec.years is None:
                # Not "this year and the next few": a desk must not change with the date
                # its configuration happens to be read.
                raise ConfigError("a country calendar needs years = [first, last]", path=("years",))
            first, last = spec.years
            return BusinessCalendar.from_country(
                spec.timezone,
                weekly,
                spec.country,
                subdiv=spec.subdivision,
                years=range(first, last + 1),
                extra_holidays=spec.holidays,
                overrides=spec.overrides,
                name=name,
            )
        return BusinessCalendar(
            spec.timezone, weekly, spec.holidays, overrides=spec.overrides, name=name
        )
    except ConfigError as error:
        raise ConfigError(str(error).split(": ", 1)[-1], path=(*where, *error.path)) from None
    except DeskflowError as error:
        raise ConfigError(str(error), path=where) from None


def _threshold(text: str, where: tuple[str, ...]) -> Threshold:
    cleaned = text.strip().lower()
    try:
        if cleaned.endswith("%"):
            return Threshold.percent(float(cleaned[:-1]))
        if cleaned.startswith("due-"):
            return Threshold.before_due(parse_duration(cleaned[4:]))
    except (ValueError, ConfigError) as error:
        raise ConfigError(str(error), path=where) from None
    raise ConfigError(f"write a threshold as '75%' or 'due-30m', got {text!r}", path=where)


def _sla(
    kind: TicketKind, spec: SlaConfig, config: DeskConfig, calendars: Mapping[str, BusinessCalendar]
) -> SlaPolicy:
    where = ("sla", kind.value)
    workflow = (
        incident_workflow(reopen_window=config.reopen_window, hold_reasons=config.hold_reasons)
        if kind is TicketKind.INCIDENT
        else service_request_workflow(
            reopen_window=config.reopen_window, hold_reasons=config.hold_reasons
        )
    )
    if spec.calendar not in calendars:
        known = ", ".join(sorted(calendars))
        raise ConfigError(
            f"unknown calendar {spec.calendar!r}; known: {known}", path=(*where, "calendar")
        )
    calendar = calendars[spec.calendar]
    try:
        if spec.metrics is None:
            return SlaPolicy.itil(calendar, workflow=workflow, priority_change=spec.priority_change)
        metrics = {
            metric: MetricPolicy(
                dict(m.targets),
                pause_states=m.pause_states,
                stop_states=m.stop_states,
                pause_hold_reasons=m.pause_hold_reasons,
                thresholds=[
                    _threshold(t, (*where, "metrics", metric.value, "thresholds"))
                    for t in m.thresholds
                ],
            )
            for metric, m in spec.metrics.items()
        }
        return SlaPolicy(
            metrics=metrics,
            calendar=calendar,
            workflow=workflow,
            priority_change=spec.priority_change,
        )
    except ConfigError as error:
        if error.path and error.path[0] in ("sla", "calendars"):
            raise
        raise ConfigError(str(error).split(": ", 1)[-1], path=(*where, *error.path)) from None


#: Escalation built-ins that address people through the desk's directory.
_USES_DIRECTORY = frozenset({"sla_notices", "hierarchical"})
#: Escalation built-ins that fire triggers of the ticket's workflow.
_USES_WORKFLOW = frozenset({"functional_tiers", "hierarchical"})


def _policy(
    group: str, spec: PolicyConfig, where: tuple[str | int, ...], **defaults: object
) -> object:
    try:
        return plugins.load_policy(group, spec.name, **{**defaults, **spec.options})
    except ConfigError as error:
        raise ConfigError(str(error), path=where) from None


def load_desk(source: object) -> Desk:
    """
    Build a [`Desk`][deskflow.desk.Desk] from a ``.toml``/``.json`` path or a mapping.
    """
    config = _validated(_read(source))
    calendars = {name: _calendar(name, spec) for name, spec in config.calendars.items()}
    slas = {kind: _sla(kind, config.sla.for_kind(kind), config, calendars) for kind in TicketKind}
    directory = MappingDirectory(
        managers=config.directory.managers, supervisors=config.directory.supervisors
    )
    by_kind: dict[TicketKind, list[object]] = {}
    for i, spec in enumerate(config.escalation):
        for kind in spec.kinds:
            defaults: dict[str, object] = {}
            if spec.name in _USES_DIRECTORY:
                defaults["directory"] = directory
            if spec.name in _USES_WORKFLOW:
                defaults["workflow"] = slas[kind].workflow
            policy = _policy("deskflow.escalation", spec, ("escalation", i), **defaults)
            if callable(getattr(policy, "watched", None)):
                # A threshold the SLA never reports would silently never escalate.
                try:
                    check_thresholds(policy, slas[kind])  # type: ignore[arg-type]
                except ConfigError as error:
                    raise ConfigError(
                        str(error).split(": ", 1)[-1], path=("escalation", i, *error.path)
                    ) from None
            by_kind.setdefault(kind, []).append(policy)
    escalation: dict[TicketKind, EscalationPolicy] = {
        kind: policies[0] if len(policies) == 1 else CompositePolicy(policies)  # type: ignore[misc]
        for kind, policies in by_kind.items()
    }
    approval = None
    if config.approval is not None:
        try:
            approval = ApprovalPolicy(
                [ApprovalStage(s.approvers, s.required) for s in config.approval.stages],
                categories=config.approval.categories or (),
                services=config.approval.services or (),
            )
        except ConfigError as error:
            raise ConfigError(
                str(error).split(": ", 1)[-1], path=("approval", *error.path)
            ) from None
    return Desk(
        workflows={kind: policy.workflow for kind, policy in slas.items()},
        priority=_policy("deskflow.priority", config.priority, ("priority",)),  # type: ignore[arg-type]
        sla=slas,
        escalation=escalation,
        routing=(
            _policy("deskflow.routing", config.routing, ("routing",))  # type: ignore[arg-type]
            if config.routing is not None
            else None
        ),
        approval=approval,
        auto_close_after=config.auto_close_after,
    )
