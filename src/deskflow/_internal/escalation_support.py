"""
Helpers shared by the escalation protocol and the built-in escalation policies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from deskflow._internal import checks as _checks
from deskflow.enums import Metric
from deskflow.exceptions import ConfigError, InvalidInput
from deskflow.sla import ClockState, ClockStatus, SlaReport, Threshold
from deskflow.states import Workflow


def config_text(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    # A policy's names come from configuration: a bad one is a configuration error.
    try:
        _checks.text(attribute.name, value)
    except InvalidInput as error:
        raise ConfigError(str(error), path=[attribute.name]) from None


def workflow_repr(workflow: Workflow) -> str:
    # A workflow's full repr runs to pages; its name says which one.
    return f"<workflow {workflow.name}>"


def soonest(*instants: datetime | None) -> datetime | None:
    """
    The earliest of ``instants`` that are not None, or None.
    """
    return min((at for at in instants if at is not None), default=None)


PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")


BEFORE_DUE = re.compile(r"due-(\d+)m")


def config_threshold(value: object, path: Sequence[str | int]) -> Threshold:
    """
    The SLA threshold a configuration names: ``"75%"`` or ``75`` (a percentage of the
    target), ``"due-30m"`` or ``timedelta(minutes=30)`` (a time before the clock is due).
    """
    try:
        if isinstance(value, timedelta):
            return Threshold.before_due(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Threshold.percent(value)
        if isinstance(value, str):
            if match := PERCENT.fullmatch(value.strip()):
                return Threshold.percent(float(match[1]))
            if match := BEFORE_DUE.fullmatch(value.strip()):
                return Threshold.before_due(timedelta(minutes=int(match[1])))
    except ConfigError as error:
        raise ConfigError(str(error), path=path) from None
    raise ConfigError(
        f"unknown threshold {value!r}; give a percentage ('75%' or 75) or a time before "
        "due ('due-30m' or timedelta(minutes=30))",
        path=path,
    )


def config_metric(value: object, path: Sequence[str | int]) -> Metric:
    """
    The metric a configuration names, or a ConfigError listing the known ones.
    """
    try:
        return _checks.member("metric", Metric, value)
    except InvalidInput as error:
        raise ConfigError(str(error), path=path) from None


def live_clock(sla: SlaReport, metric: Metric) -> ClockStatus | None:
    # A clock with a target that has started calls for action. A met clock still does for
    # what it passed before it was met: a breach that a command (not a tick) was the first
    # to notice must still be told, once — the dedup keys keep it from being told twice.
    clock = sla.clocks.get(metric)
    if clock is None or clock.target is None:
        return None
    live = (ClockState.RUNNING, ClockState.PAUSED, ClockState.MET)
    return clock if clock.state in live else None


def pending_at(clock: ClockStatus, threshold: str) -> datetime | None:
    # The clock's next change is the earliest instant a threshold it has not passed yet can
    # be reached: checking then is never too late, at worst a little early.
    if clock.state is not ClockState.RUNNING:
        return None
    reached = any(r.name == threshold and r.cycle == clock.cycle for r in clock.thresholds)
    return None if reached else clock.next_check_at
