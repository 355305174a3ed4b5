"""
The JSON forms of deskflow's read models: one conversion shared by every ``to_dict()``.

Values become JSON values only: instants are ISO 8601 strings in UTC ending in ``Z``
(``2026-03-02T09:00:00Z``), dates ISO 8601 (``2026-03-02``), decimals strings (exact),
durations are seconds as a float, enum members their values,
tuples and sets lists, mappings dicts keyed by strings (an enum key by its value). An attrs
object becomes a dict of its fields and of its public properties (an event: its fields and
its type name under ``"type"``); a value that has its own ``to_dict()`` uses it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

__all__ = ["instant", "json_form", "json_value"]


def instant(value: datetime) -> str:
    """
    ``value`` as ISO 8601 in UTC with a ``Z``; ``datetime.fromisoformat`` reads it back.
    """
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def json_value(value: object) -> Any:
    """
    ``value`` as JSON values only (see the module's docstring for the rules).
    """
    if isinstance(value, enum.Enum):  # before str and int: StrEnum members are both
        return json_value(value.value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return instant(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):  # exact: a float would round it
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if attrs.has(type(value)):
        return json_form(value)
    if isinstance(value, Mapping):
        return {_key(k): json_value(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted((json_value(v) for v in value), key=repr)
    if isinstance(value, Iterable):
        return [json_value(v) for v in value]
    raise TypeError(f"no JSON form for {type(value).__name__} {value!r}")


def json_form(obj: Any, *, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """
    An attrs object as a dict of JSON values: its fields, then its public properties.

    ``given`` holds ready JSON forms of some fields, written in their place instead. An
    event (an object with ``apply_to``) gets its class name under ``"type"`` and no
    properties: its fields are the record.
    """
    given = given or {}
    cls = type(obj)
    event = callable(getattr(obj, "apply_to", None))
    out: dict[str, Any] = {"type": cls.__name__} if event else {}
    for field in attrs.fields(cls):
        if not field.name.startswith("_"):
            name = field.name
            out[name] = given[name] if name in given else json_value(getattr(obj, name))
    if not event:
        for name in _properties(cls):
            out[name] = json_value(getattr(obj, name))
    return out


def _properties(cls: type) -> list[str]:
    return [
        name
        for name in dir(cls)
        if not name.startswith("_") and isinstance(getattr(cls, name, None), property)
    ]


def _key(key: object) -> str:
    value = json_value(key)
    if not isinstance(value, str):
        raise TypeError(f"a JSON object key must be a string, got {key!r}")
    return value
