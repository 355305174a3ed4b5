"""
The text of a configuration: reading the file, and the small notations inside it
(durations, day ranges, thresholds), each with a message that says how to write it.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from deskflow.exceptions import ConfigError
from deskflow.sla import Threshold

__all__ = ["day_names", "parse_duration", "read_source", "threshold"]

_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*[wdhms]\s*)+$")
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhms])")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _seconds(seconds: float, given: object) -> timedelta:
    try:
        return timedelta(seconds=seconds)
    except (OverflowError, ValueError):  # beyond timedelta's range, or not a number (nan)
        raise ValueError(f"duration {given!r} is out of range") from None


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
        return _seconds(value, value)
    if isinstance(value, str) and _DURATION.match(value.lower()):
        seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(value.lower()))
        return _seconds(seconds, value)
    if isinstance(value, str) and value.upper().startswith("P"):
        from pydantic import TypeAdapter

        return TypeAdapter(timedelta).validate_python(value)
    raise ValueError(f"not a duration: {value!r}; write e.g. '4h', '1h30m', '2d' or 'PT4H'")


def read_source(source: object) -> Mapping[str, Any]:
    """
    The configuration in ``source``: a mapping as it is, or a ``.toml``/``.json`` file read.
    """
    if isinstance(source, Mapping):
        return source
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot read {path}: {error.strerror}") from None
        except UnicodeDecodeError as error:
            raise ConfigError(
                f"cannot read {path}: not UTF-8 text (byte {error.start}: {error.reason})"
            ) from None
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


def day_names(spec: str) -> list[str]:
    """
    The days a key of ``weekly`` names: ``"mon"``, or a range such as ``"mon-fri"`` (which
    may wrap around the week, ``"fri-mon"``).
    """
    name = spec.strip().lower()[:3]
    if "-" in spec:
        first, last = (part.strip().lower()[:3] for part in spec.split("-", 1))
        if first not in _DAYS or last not in _DAYS:
            raise ConfigError(f"unknown day range {spec!r}; write e.g. 'mon-fri'")
        i, j = _DAYS.index(first), _DAYS.index(last)
        return list(_DAYS[i : j + 1]) if i <= j else [*_DAYS[i:], *_DAYS[: j + 1]]
    return [name]


def threshold(text: str) -> Threshold:
    """
    A threshold as written in a file: a share of the target (``"75%"``) or a time before
    the target is due (``"due-30m"``).
    """
    cleaned = text.strip().lower()
    try:
        if cleaned.endswith("%"):
            return Threshold.percent(float(cleaned[:-1]))
        if cleaned.startswith("due-"):
            return Threshold.before_due(parse_duration(cleaned[4:]))
    except ValueError as error:
        raise ConfigError(str(error)) from None
    raise ConfigError(f"write a threshold as '75%' or 'due-30m', got {text!r}")
