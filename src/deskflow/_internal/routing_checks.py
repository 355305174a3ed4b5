"""
Checks of routing configuration shared by deskflow.routing and the built-in routers.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from deskflow.exceptions import ConfigError


def config_error(field: str, message: str) -> ConfigError:
    return ConfigError(message, path=("candidate", field))


def skill_levels(value: object) -> Mapping[str, int]:
    if not isinstance(value, Mapping) or not all(isinstance(s, str) and s for s in value):
        raise config_error("skills", f"expected a mapping of skill -> level, got {value!r}")
    return MappingProxyType({s: checked_count(f"skills.{s}", level) for s, level in value.items()})


def checked_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"must be an int >= 0, got {value!r}", path=[name])
    return value
