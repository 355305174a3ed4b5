"""
Argument checks shared by the public API: each raises InvalidInput with a useful message.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TypeVar

import attrs

from deskflow._internal import checks as _checks
from deskflow.exceptions import InvalidInput

E = TypeVar("E", bound=enum.Enum)


def aware(name: str, value: object) -> datetime:
    """
    Return ``value`` if it is a timezone-aware datetime, else raise InvalidInput.
    """
    if not isinstance(value, datetime):
        raise InvalidInput(
            f"{name} must be a timezone-aware datetime, got {type(value).__name__} {value!r}"
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            f"{name} must be timezone-aware, got the naive datetime {value.isoformat()}; "
            "attach a zone, e.g. value.replace(tzinfo=ZoneInfo('Europe/London'))"
        )
    return value


def duration(name: str, value: object) -> timedelta:
    """
    Return ``value`` if it is a non-negative timedelta, else raise InvalidInput.
    """
    if not isinstance(value, timedelta):
        raise InvalidInput(f"{name} must be a datetime.timedelta, got {type(value).__name__}")
    if value < timedelta(0):
        raise InvalidInput(f"{name} must not be negative, got {value}")
    return value


def text(name: str, value: object, *, allow_empty: bool = False) -> str:
    """
    Return ``value`` stripped if it is a (non-blank, unless allowed) string.
    """
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string, got {type(value).__name__} {value!r}")
    if not allow_empty and not value.strip():
        raise InvalidInput(f"{name} must not be empty")
    return value


def optional_text(name: str, value: object) -> str | None:
    """
    Return ``value`` if it is None or a non-blank string.
    """
    return None if value is None else text(name, value)


def member(name: str, enum_type: type[E], value: object) -> E:
    """
    Coerce ``value`` (a member or its value) to a member of ``enum_type``.
    """
    if isinstance(value, enum_type):
        return value
    try:
        return enum_type(value)
    except (ValueError, TypeError):
        accepted = ", ".join(repr(m.value) for m in enum_type)
        raise InvalidInput(f"{name} must be one of {accepted}; got {value!r}") from None


def one_of(name: str, value: object, accepted: Iterable[str]) -> str:
    """
    Return ``value`` if it is one of the ``accepted`` strings.
    """
    names = tuple(accepted)
    if not isinstance(value, str) or value not in names:
        raise InvalidInput(f"{name} must be one of {', '.join(map(repr, names))}; got {value!r}")
    return value


def required_text_field(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    _checks.text(attribute.name, value)


def any_text_field(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    _checks.text(attribute.name, value, allow_empty=True)
