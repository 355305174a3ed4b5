"""
Argument checks shared by the public API: each raises InvalidInput with a useful message.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import attrs

from deskflow.exceptions import ConfigError, InvalidInput

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


def text(
    name: str, value: object, *, allow_empty: bool = False, keep_whitespace: bool = False
) -> str:
    """
    Return ``value`` if it is a string with more than whitespace in it (unless ``allow_empty``).

    This is the one check of ids, names and texts. An id or a name comes back stripped of
    surrounding whitespace, so ``" ann "`` and ``"ann"`` cannot name two people, and a blank
    one (``""``, ``" "``, ``"\\t\\n"``) is refused with InvalidInput naming the field. Free text
    (``keep_whitespace=True``: comment bodies, descriptions, resolutions) is checked for
    blankness the same way but comes back as given: its indentation and line breaks are
    the author's (a pasted log, a Markdown list), and the audit trail keeps what was written.
    """
    # The common case, an ASCII string without NUL that neither starts nor ends with
    # whitespace, is returned at the cost of a few C-speed tests: this check sits on the hot
    # path of every event.
    if (
        type(value) is str
        and value
        and not value[0].isspace()
        and not value[-1].isspace()
        and storable(value)
    ):
        return value
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string, got {type(value).__name__} {value!r}")
    refuse_unstorable(name, value)
    stripped = value.strip()
    if not stripped and not allow_empty:
        raise InvalidInput(f"{name} must not be empty or only whitespace, got {value!r}")
    return value if keep_whitespace else stripped


def storable(value: str) -> bool:
    """
    True if ``value`` can be written as UTF-8 without NUL: what every store can hold.
    """
    if "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def refuse_unstorable(name: str, value: str) -> None:
    """
    Raise InvalidInput if ``value`` holds a NUL character or a lone surrogate.

    Neither can be stored (PostgreSQL refuses NUL in text, UTF-8 has no lone surrogates), so
    they are refused where text enters, the same for every repository.
    """
    if "\x00" in value:
        raise InvalidInput(f"{name} must not contain NUL characters, got {value!r}")
    if not storable(value):
        raise InvalidInput(f"{name} must not contain lone surrogates, got {value!r}")


def optional_text(name: str, value: object) -> str | None:
    """
    Return ``value`` if it is None, or as [`text()`][deskflow._internal.checks.text] returns it.
    """
    return None if value is None else text(name, value)


def names(name: str, value: object) -> tuple[str, ...]:
    """
    Return a lone name or an iterable of names, each checked by
    [`text()`][deskflow._internal.checks.text]; a lone string is one name, not its letters.
    """
    if isinstance(value, str):
        return (text(name, value),)
    if not isinstance(value, Iterable):
        raise InvalidInput(f"{name} must be a name or names, got {type(value).__name__} {value!r}")
    return tuple(text(name, item) for item in value)


@contextmanager
def config_path(*path: str | int) -> Iterator[None]:
    """
    Raise a failed check inside the block as a ConfigError at ``path``.
    """
    try:
        yield
    except InvalidInput as error:
        raise ConfigError(str(error), path=path) from None


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
    text(attribute.name, value)


def any_text_field(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    text(attribute.name, value, allow_empty=True)


def in_utc(value: datetime) -> datetime:
    """
    An aware instant in UTC; anything else is returned as is, to be refused where recorded.
    """
    if type(value) is datetime and value.tzinfo is not UTC and value.utcoffset() is not None:
        return value.astimezone(UTC)
    return value  # already UTC, or not an aware datetime (refused where it is recorded)


def config_int(value: object, requirement: str) -> int:
    """
    Return ``value`` if it is an int (not a bool); else a ConfigError stating ``requirement``.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{requirement}, got {value!r}")
    return value
