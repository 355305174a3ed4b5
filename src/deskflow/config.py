"""
Build a [`Desk`][deskflow.desk.Desk] from configuration: a TOML or JSON file, or a mapping.

pydantic validates the untrusted input at this edge. A bad configuration raises one
[`ConfigError`][deskflow.exceptions.ConfigError] listing every problem, one per line, each as
``path.to.field: message`` with the path as written in the file (its ``problems`` holds them
as ``(path, message)`` pairs). Policies are named and built through
[`deskflow.plugins`][deskflow.plugins], so a config file can name a host's own plug-ins too.
Every field carries its description and an example, so
``DeskConfig.model_json_schema()`` documents the file for editors and validators.

>>> desk = load_desk({
...     "calendars": {"office": {"timezone": "Europe/London",
...                              "weekly": {"mon-fri": ["09:00-17:00"]}}},
...     "sla": {"calendar": "office"},
...     "auto_close_after": "16h",
... })
>>> desk.sla["incident"].calendar.timezone, desk.auto_close_after
('Europe/London', datetime.timedelta(seconds=57600))
>>> load_desk({"sla": {"calender": "office"}})
Traceback (most recent call last):
...
deskflow.exceptions.ConfigError: sla.calender: unknown field `calender` (did you mean `calendar`?)
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError

from deskflow import plugins
from deskflow._internal.automation_config import (
    AutomationSections,
    automation_parts,
    named_rule_paths,
)
from deskflow._internal.config_models import ConfigModel, doc, docs
from deskflow._internal.config_problems import Problems, problems_of
from deskflow._internal.config_text import day_names, parse_duration, read_source, threshold
from deskflow._internal.conversation_config import ConversationSections, conversation_parts
from deskflow._internal.survey_config import SurveySections, survey_policy
from deskflow.approval import ApprovalPolicy, ApprovalStage
from deskflow.calendars import BusinessCalendar
from deskflow.desk import Desk
from deskflow.enums import HoldReason, Metric, Priority, TicketKind
from deskflow.escalation import CompositePolicy, EscalationPolicy, check_thresholds
from deskflow.exceptions import ConfigError
from deskflow.limits import Limits
from deskflow.policies.notices import MappingDirectory
from deskflow.sla import MetricPolicy, SlaPolicy
from deskflow.workflows import incident_workflow, service_request_workflow

__all__ = ["DEFAULT_CONFIG", "DeskConfig", "load_desk", "parse_duration"]

#: The desk the demo runs on: a London service desk, shipped with the package.
DEFAULT_CONFIG = Path(__file__).parent / "data" / "desk.toml"

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
PositiveDuration = Annotated[Duration, Field(gt=timedelta(0))]


_Model = ConfigModel
_doc, _docs = doc, docs


class CalendarConfig(_Model):
    """
    A business calendar: ``weekly`` maps days (``mon``, ``mon-fri``) to intervals.
    """

    timezone: str = _doc("The IANA time zone of the opening hours.", "Europe/London")
    weekly: dict[str, list[str]] = _docs(
        "Opening hours by day (`mon`) or day range (`mon-fri`), as `HH:MM-HH:MM` intervals.",
        {"mon-fri": ["09:00-12:30", "13:30-17:00"]},
        dict,
    )
    always: bool = _doc("Open around the clock (24x7); the week is ignored.", True, False)
    holidays: list[date] = _docs("Days the desk is closed.", ["2026-12-25"], list)
    overrides: dict[date, list[str]] = _docs(
        "Days with their own hours instead of the week's (an empty list closes the day).",
        {"2026-12-24": ["09:00-12:00"]},
        dict,
    )
    country: str | None = _doc(
        "Add the public holidays of this country (ISO code; needs the `holidays` extra).",
        "GB",
        None,
    )
    subdivision: str | None = _doc(
        "The country's subdivision whose holidays apply too.", "ENG", None
    )
    years: tuple[int, int] | None = _doc(
        "First and last year of country holidays; required with `country`.", [2026, 2028], None
    )


class MetricConfig(_Model):
    """
    One metric's targets per priority and what pauses, stops and warns about it.
    """

    targets: dict[Priority, PositiveDuration] = _doc(
        "The target duration per priority; a priority left out has no target for this metric "
        "(an empty table stops measuring the metric).",
        {"P1": "1h", "P2": "4h"},
    )
    pause_states: list[str] | None = _doc(
        "States in which the clock pauses; unset, the workflow's.", ["pending"], None
    )
    stop_states: list[str] | None = _doc(
        "States in which the clock stops; unset, the workflow's (final states always stop).",
        ["resolved"],
        None,
    )
    pause_hold_reasons: list[str] | None = _doc(
        "Pause on hold only for these hold reasons; unset, for every reason.", ["vendor"], None
    )
    thresholds: list[str] = _docs(
        "When the clock reports progress: a share of the target or a time before it is due.",
        ["75%", "due-30m"],
        lambda: ["50%", "75%", "100%"],
    )


class SlaConfig(_Model):
    """
    SLA targets (ITIL defaults for every metric not configured), calendar and priority mode.
    """

    calendar: str = _doc("The calendar the SLA clocks run on.", "london", "default")
    priority_change: Literal["retroactive", "prospective"] = _doc(
        "On a priority change, recompute targets from the start (`retroactive`) or only "
        "from the change (`prospective`).",
        "prospective",
        "retroactive",
    )
    metrics: dict[Metric, MetricConfig] | None = _doc(
        "Targets per metric. A metric configured here replaces that metric's ITIL defaults "
        "as a whole; the metrics not configured keep theirs.",
        {"resolution": {"targets": {"P1": "4h", "P2": "8h"}}},
        None,
    )


class SlaSection(SlaConfig):
    """
    The ``[sla]`` section: settings for every kind of ticket, and optional per-kind
    sections (``[sla.service_request]``) that replace them for that kind.
    """

    incident: SlaConfig | None = _doc(
        "Settings for incidents only, replacing the section's.", {"calendar": "24x7"}, None
    )
    service_request: SlaConfig | None = _doc(
        "Settings for service requests only, replacing the section's.",
        {"calendar": "london"},
        None,
    )

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

    name: str = _doc("A built-in policy or a plug-in, by name.", "itil")
    options: dict[str, Any] = _docs(
        "Keyword options for the policy.", {"tiers": ["service-desk", "network"]}, dict
    )
    kinds: list[TicketKind] = _docs(
        "For an escalation policy: the kinds of ticket it escalates.",
        ["incident", "service_request"],
        lambda: [TicketKind.INCIDENT],
    )


class StageConfig(_Model):
    """
    An approval stage: approver ids and how many must approve.
    """

    approvers: list[str] = _doc("Who may approve at this stage.", ["max.approver"])
    required: Literal["all", "any"] | int = _doc(
        "How many must approve: `all`, `any` or a number.", "any", "all"
    )


class ApprovalConfig(_Model):
    """
    Which service requests need approval, and by whom, stage by stage.
    """

    stages: list[StageConfig] = _doc(
        "The approval stages, in order.",
        [{"approvers": ["max.approver", "mia.manager"], "required": "any"}],
    )
    categories: list[str] | None = _doc(
        "Service requests of these categories need approval.", ["access", "hardware"], None
    )
    services: list[str] | None = _doc(
        "Service requests for these services need approval.", ["vpn"], None
    )


class DirectoryConfig(_Model):
    """
    Who manages whom: agent -> manager, group -> supervisor (for escalation notices).
    """

    managers: dict[str, str] = _docs("Each agent's manager.", {"lee.l1": "mia.manager"}, dict)
    supervisors: dict[str, str] = _docs(
        "Each group's supervisor.", {"service-desk": "sam.supervisor"}, dict
    )


_LIMITS = Limits()
#: A length in characters: a whole number (``true`` or ``"200"`` are mistakes), positive.
_Chars = Annotated[int, Field(strict=True, gt=0)]


class LimitsConfig(_Model):
    """
    The most characters each free-text field may hold; longer text is refused with a
    message that says the limit. Every key is optional: a key left out keeps its default.
    """

    title: _Chars = _doc("The longest title.", 160, _LIMITS.title)
    description: _Chars = _doc("The longest description.", 10_000, _LIMITS.description)
    comment: _Chars = _doc("The longest comment or work note.", 10_000, _LIMITS.comment)
    resolution: _Chars = _doc("The longest resolution note.", 10_000, _LIMITS.resolution)
    reason: _Chars = _doc(
        "The longest reason given with a hold, an escalation, a reopening, a cancellation or "
        "a priority change.",
        500,
        _LIMITS.reason,
    )
    feedback_comment: _Chars = _doc(
        "The longest comment a requester leaves with their feedback.",
        1_000,
        _LIMITS.feedback_comment,
    )


class _CoreConfig(_Model):
    """
    The desk's calendars, policies and limits.
    """

    calendars: dict[str, CalendarConfig] = _docs(
        "Business calendars by name; SLA clocks run on one of them.",
        {"london": {"timezone": "Europe/London", "weekly": {"mon-fri": ["09:00-17:00"]}}},
        lambda: {"default": CalendarConfig(timezone="UTC", always=True)},
    )
    priority: PolicyConfig = _doc(
        "The priority policy that turns impact and urgency into P1..P5.",
        {"name": "five_by_five"},
        PolicyConfig(name="itil"),
    )
    sla: SlaSection = _doc(
        "SLA targets, calendar and priority mode.", {"calendar": "london"}, SlaSection()
    )
    directory: DirectoryConfig = _doc(
        "Who manages whom, for escalation notices.",
        {"managers": {"lee.l1": "mia.manager"}},
        DirectoryConfig(),
    )
    escalation: list[PolicyConfig] = _docs(
        "Escalation policies, applied in this order (an array of tables).",
        [{"name": "sla_notices"}],
        list,
    )
    routing: PolicyConfig | None = _doc(
        "The routing policy that picks an assignee; none means tickets are assigned by hand.",
        {"name": "round_robin"},
        None,
    )
    approval: ApprovalConfig | None = _doc(
        "Which service requests need approval; none means none do.",
        {"stages": [{"approvers": ["max.approver"]}]},
        None,
    )
    auto_close_after: PositiveDuration | None = _doc(
        "Business time after resolution when a resolved ticket closes by itself; unset, never.",
        "24h",
        timedelta(days=1),
    )
    reopen_window: PositiveDuration = _doc(
        "How long after resolution a requester may reopen a ticket.", "7d", timedelta(days=7)
    )
    hold_reasons: list[str] = _docs(
        "The reasons a ticket may be put on hold for.",
        ["vendor", "change"],
        lambda: [r.value for r in HoldReason],
        min_length=1,
    )
    limits: LimitsConfig = _doc(
        "How long each free-text field may be, in characters.",
        {"title": 160, "comment": 10_000},
        LimitsConfig(),
    )


class DeskConfig(SurveySections, ConversationSections, AutomationSections, _CoreConfig):
    """
    The whole desk, as a configuration file describes it.
    """


def _validated(data: Mapping[str, Any]) -> DeskConfig:
    try:
        return DeskConfig.model_validate(data)
    except ValidationError as error:
        problems = named_rule_paths(problems_of(error, DeskConfig), data)
        raise ConfigError.from_problems(problems) from None


def _calendar(name: str, spec: CalendarConfig) -> BusinessCalendar:
    if spec.always:
        return BusinessCalendar.always(spec.timezone)
    problems = Problems()
    weekly: dict[str, list[str]] = {}
    for days, spans in spec.weekly.items():
        with problems.at("weekly", days):
            for day in day_names(days):
                weekly.setdefault(day, []).extend(spans)
    if spec.country is not None and spec.years is None:
        # Not "this year and the next few": a desk must not change with the date its
        # configuration happens to be read.
        problems.add(("years",), "a country calendar needs years = [first, last]")
    problems.raise_any()
    if spec.country is not None and spec.years is not None:
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


def _metric(spec: MetricConfig) -> MetricPolicy:
    problems = Problems()
    thresholds = []
    for i, text in enumerate(spec.thresholds):
        with problems.at("thresholds", i):
            thresholds.append(threshold(text))
    problems.raise_any()
    return MetricPolicy(
        dict(spec.targets),
        pause_states=spec.pause_states,
        stop_states=spec.stop_states,
        pause_hold_reasons=spec.pause_hold_reasons,
        thresholds=thresholds,
    )


def _sla(
    kind: TicketKind, spec: SlaConfig, config: DeskConfig, calendar: BusinessCalendar
) -> SlaPolicy:
    workflow = (
        incident_workflow(reopen_window=config.reopen_window, hold_reasons=config.hold_reasons)
        if kind is TicketKind.INCIDENT
        else service_request_workflow(
            reopen_window=config.reopen_window, hold_reasons=config.hold_reasons
        )
    )
    # A metric configured replaces that metric's defaults; the others keep theirs, so
    # setting the resolution targets does not switch off the response clocks.
    metrics = dict(SlaPolicy.itil(calendar, workflow=workflow).metrics)
    problems = Problems()
    for metric, metric_spec in (spec.metrics or {}).items():
        with problems.at("metrics", metric.value):
            metrics[metric] = _metric(metric_spec)
    problems.raise_any()
    return SlaPolicy(
        metrics=metrics, calendar=calendar, workflow=workflow, priority_change=spec.priority_change
    )


#: Escalation built-ins that address people through the desk's directory.
_USES_DIRECTORY = frozenset({"sla_notices", "hierarchical"})
#: Escalation built-ins that fire triggers of the ticket's workflow.
_USES_WORKFLOW = frozenset({"functional_tiers", "hierarchical"})


def _policy(group: str, spec: PolicyConfig, **defaults: object) -> object:
    known = plugins.policy_names(group)
    if spec.name not in known:
        close = difflib.get_close_matches(spec.name, known, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        raise ConfigError(
            f"unknown policy {spec.name!r}{hint}; known: {', '.join(known)}", path=("name",)
        )
    try:
        return plugins.load_policy(group, spec.name, **{**defaults, **spec.options})
    except ConfigError as error:
        # The plug-in registry names the group and the policy; the file names the policy.
        reason = error.message.split("; known names: ")[0]
        raise ConfigError(f"policy {spec.name!r} {reason}") from None


def load_desk(source: object) -> Desk:
    """
    Build a [`Desk`][deskflow.desk.Desk] from a ``.toml``/``.json`` path or a mapping.

    A bad configuration raises one [`ConfigError`][deskflow.exceptions.ConfigError] that
    lists every problem found, one per line, each as ``path.to.field: message``. The file
    is checked in two passes: its shape first (unknown or missing keys, wrong types), then,
    when the shape is right, what its values mean (calendars, SLA metrics, policies).
    """
    config = _validated(read_source(source))
    problems = Problems()
    calendars: dict[str, BusinessCalendar] = {}
    for name, calendar_spec in config.calendars.items():
        with problems.at("calendars", name):
            calendars[name] = _calendar(name, calendar_spec)
    slas: dict[TicketKind, SlaPolicy] = {}
    for kind in TicketKind:
        spec = config.sla.for_kind(kind)
        # The path as written: `sla.incident...` for a kind's own section, else `sla...`.
        where = ("sla", kind.value) if spec is not config.sla else ("sla",)
        if spec.calendar not in config.calendars:
            known = ", ".join(sorted(config.calendars))
            problems.add(
                (*where, "calendar"), f"unknown calendar {spec.calendar!r}; known: {known}"
            )
        elif spec.calendar in calendars:
            with problems.at(*where):
                slas[kind] = _sla(kind, spec, config, calendars[spec.calendar])
    directory = MappingDirectory(
        managers=config.directory.managers, supervisors=config.directory.supervisors
    )
    by_kind: dict[TicketKind, list[object]] = {}
    for i, policy_spec in enumerate(config.escalation):
        for kind in policy_spec.kinds:
            if kind not in slas:
                continue  # its SLA is wrong, and reported
            defaults: dict[str, object] = {}
            if policy_spec.name in _USES_DIRECTORY:
                defaults["directory"] = directory
            if policy_spec.name in _USES_WORKFLOW:
                defaults["workflow"] = slas[kind].workflow
            with problems.at("escalation", i):
                policy = _policy("deskflow.escalation", policy_spec, **defaults)
                if callable(getattr(policy, "watched", None)):
                    # A threshold the SLA never reports would silently never escalate.
                    check_thresholds(policy, slas[kind])  # type: ignore[arg-type]
                by_kind.setdefault(kind, []).append(policy)
    priority: object = None
    with problems.at("priority"):
        priority = _policy("deskflow.priority", config.priority)
    routing: object = None
    if config.routing is not None:
        with problems.at("routing"):
            routing = _policy("deskflow.routing", config.routing)
    approval = None
    if config.approval is not None:
        with problems.at("approval"):
            approval = ApprovalPolicy(
                [ApprovalStage(s.approvers, s.required) for s in config.approval.stages],
                categories=config.approval.categories or (),
                services=config.approval.services or (),
            )
    limits = Limits()
    with problems.at("limits"):
        limits = Limits(**config.limits.model_dump())
    problems.raise_any()
    escalation: dict[TicketKind, EscalationPolicy] = {
        kind: policies[0] if len(policies) == 1 else CompositePolicy(policies)  # type: ignore[misc]
        for kind, policies in by_kind.items()
    }
    return Desk(
        workflows={kind: policy.workflow for kind, policy in slas.items()},
        priority=priority,  # type: ignore[arg-type]
        sla=slas,
        escalation=escalation,
        routing=routing,  # type: ignore[arg-type]
        approval=approval,
        auto_close_after=config.auto_close_after,
        limits=limits,
        directory=directory,
        surveys=survey_policy(config),
        **conversation_parts(config, source),
        **automation_parts(config),
    )
