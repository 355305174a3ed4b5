"""
Checks of SLA policy configuration ([`deskflow.sla`][deskflow.sla]).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from deskflow._internal import checks as _checks
from deskflow.enums import Priority
from deskflow.exceptions import ConfigError, InvalidInput

__all__ = ["targets"]


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
