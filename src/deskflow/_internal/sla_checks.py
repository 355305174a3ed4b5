"""
Checks of SLA policy configuration ([`deskflow.sla`][deskflow.sla]).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, TypeVar

from deskflow._internal import checks as _checks
from deskflow.enums import Metric, Priority
from deskflow.exceptions import ConfigError, InvalidInput

__all__ = ["checked_items", "checked_metrics", "names", "targets"]

_T = TypeVar("_T")


def names(value: Iterable[str] | None) -> frozenset[str] | None:
    """
    A set of state or reason names, or None.
    """
    return None if value is None else frozenset(str(v) for v in value)


def checked_items(value: Iterable[Any], kind: type[_T], what: str) -> tuple[_T, ...]:
    """
    The ``kind`` objects of ``value`` (``what``: their name in errors), no name given twice.
    """
    out = tuple(value)
    for item in out:
        if not isinstance(item, kind):
            raise ConfigError(f"{what} must be {kind.__name__} objects, got {item!r}")
    given = [getattr(item, "name", "") for item in out]
    twice = sorted({n for n in given if given.count(n) > 1})
    if twice:
        raise ConfigError(f"{what} named twice: {', '.join(twice)}", path=(what,))
    return out


def checked_metrics(value: Mapping[Any, Any], kind: type[_T]) -> Mapping[Metric, _T]:
    """
    The metric policies of an SLA policy by metric; at least one.
    """
    if not isinstance(value, Mapping) or not value:
        raise ConfigError("an SLA policy needs at least one metric", path=("metrics",))
    out: dict[Metric, _T] = {}
    for key, policy in value.items():
        try:
            metric = _checks.member("metric", Metric, key)
        except InvalidInput as error:
            raise ConfigError(str(error), path=("metrics", str(key))) from None
        if not isinstance(policy, kind):
            raise ConfigError(
                f"expected a {kind.__name__}, got {type(policy).__name__}",
                path=("metrics", metric),
            )
        out[metric] = policy
    return out


def targets(value: Mapping[Any, timedelta]) -> Mapping[Priority, timedelta]:
    """
    The targets of a metric policy by priority, each a positive timedelta.
    """
    if not isinstance(value, Mapping):
        raise ConfigError(f"targets must map priorities to timedeltas, got {value!r}")
    out: dict[Priority, timedelta] = {}
    for key, target in value.items():
        try:
            priority = _checks.member("priority", Priority, key)
        except InvalidInput as error:
            raise ConfigError(str(error), path=("targets", str(key))) from None
        if not isinstance(target, timedelta) or target <= timedelta(0):
            raise ConfigError(
                f"a target must be a positive timedelta, got {target!r}",
                path=("targets", str(key)),
            )
        out[priority] = target
    return out
