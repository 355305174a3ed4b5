"""
Checks shared by the priority policies (deskflow.priority and deskflow.policies.priority_rules).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from deskflow.enums import Priority
from deskflow.exceptions import ConfigError

if TYPE_CHECKING:
    from deskflow.priority import PriorityPolicy


def config_priority(value: object, *path: str | int) -> Priority:
    if isinstance(value, Priority):
        return value
    if isinstance(value, str) and value.upper() in Priority.__members__:
        return Priority(value.upper())
    raise ConfigError(f"expected a priority P1..P5, got {value!r}", path=path)


def priority_policy(value: object, *path: str | int) -> PriorityPolicy:
    if not callable(getattr(value, "prioritize", None)):
        raise ConfigError(f"expected a priority policy, got {value!r}", path=path)
    return value  # type: ignore[return-value]


def listed(name: str, values: object) -> None:
    if isinstance(values, str | Mapping) or not isinstance(values, Iterable):
        raise ConfigError(f"expected a list, got {values!r}", path=[name])


def named(value: object) -> bool:
    return isinstance(value, str) and bool(value)
