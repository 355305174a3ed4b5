"""
How the codec writes one value of each type a stored field may have, as a JSON value.

- datetimes as ISO 8601 with their UTC offset, followed by the IANA zone in brackets when
  they carry one (RFC 9557);
- durations as ISO 8601 (``P0DT5400S``); enum members by value; tuples as lists; unions
  of types written as distinct JSON types.

[`value_codec()`][deskflow._internal.value_codecs.value_codec] picks the codec of a type
annotation; [`deskflow.codec`][deskflow.codec] walks the fields of events with it.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from deskflow.exceptions import InvalidInput

__all__ = ["Mismatch", "ValueCodec", "value_codec"]


class Mismatch(Exception):
    """
    A value does not fit its field; turned into InvalidInput naming the field.
    """


@attrs.frozen
class ValueCodec:
    """
    How the values of one annotation are written: ``kind`` is the JSON type they become.
    """

    kind: str
    encode: Callable[[object], object]
    decode: Callable[[object], object]


def _is_int(value: object) -> bool:
    # bool is an int to Python, but a different JSON value.
    return isinstance(value, int) and not isinstance(value, bool)


def _scalar(kind: str, accepts: Callable[[object], bool]) -> ValueCodec:
    def check(value: object) -> object:
        if not accepts(value):
            raise Mismatch(f"expected {kind}, got {type(value).__name__} {value!r}")
        return value

    return ValueCodec(kind, check, check)


def _encode_float(value: object) -> object:
    if not (_is_int(value) or isinstance(value, float)):
        raise Mismatch(f"expected a number, got {type(value).__name__} {value!r}")
    return float(value)  # type: ignore[arg-type]


_NULL = _scalar("null", lambda v: v is None)
_BOOL = _scalar("bool", lambda v: isinstance(v, bool))
_INT = _scalar("int", _is_int)
_ANY_STR = _scalar("str", lambda v: isinstance(v, str))


def _encode_str(value: object) -> object:
    # A lone surrogate cannot be written as UTF-8: refused here, not by a database driver.
    if isinstance(value, str) and not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Mismatch(f"a string with a lone surrogate cannot be stored: {value!r}") from None
    return _ANY_STR.encode(value)


_STR = ValueCodec("str", _encode_str, _ANY_STR.decode)
_FLOAT = ValueCodec("float", _encode_float, _encode_float)

_INSTANT = re.compile(r"(?P<iso>[^\[\]]+)(?:\[(?P<zone>[^\[\]]+)\])?")


def _encode_datetime(value: object) -> object:
    if not isinstance(value, datetime):
        raise Mismatch(f"expected a datetime, got {type(value).__name__} {value!r}")
    if value.utcoffset() is None:
        raise Mismatch(f"expected a timezone-aware datetime, got {value.isoformat()}")
    text = value.isoformat()
    # The offset alone would lose the zone, and with it the wall time of later arithmetic
    # and equality with the original inside a repeated (DST) hour.
    zone = value.tzinfo
    if isinstance(zone, ZoneInfo) and zone.key is not None:
        text += f"[{zone.key}]"
    return text


def _decode_datetime(value: object) -> object:
    match = _INSTANT.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise Mismatch(f"expected an ISO 8601 datetime with offset, got {value!r}")
    try:
        parsed = datetime.fromisoformat(match["iso"])
    except ValueError:
        raise Mismatch(f"expected an ISO 8601 datetime with offset, got {value!r}") from None
    try:
        zone = None if match["zone"] is None else ZoneInfo(match["zone"])
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise Mismatch(f"unknown time zone {match['zone']!r} in {value!r}") from None
    offset = parsed.utcoffset()
    if offset is None:
        raise Mismatch(f"expected a datetime with a UTC offset, got {value!r}")
    if zone is None:
        return parsed
    # The same wall time in the zone, with the fold its recorded offset says; if the zone's
    # rules changed since, the recorded instant wins.
    for fold in (0, 1):
        local = parsed.replace(tzinfo=zone, fold=fold)
        if local.utcoffset() == offset:
            return local
    return parsed.astimezone(zone)


_DATETIME = ValueCodec("str", _encode_datetime, _decode_datetime)

_DURATION = re.compile(r"(?P<sign>-?)P(?P<days>\d+)DT(?P<seconds>\d+)(?:\.(?P<micro>\d{6}))?S")


def _encode_timedelta(value: object) -> object:
    if not isinstance(value, timedelta):
        raise Mismatch(f"expected a timedelta, got {type(value).__name__} {value!r}")
    size = abs(value)
    micro = f".{size.microseconds:06d}" if size.microseconds else ""
    return f"{'-' if value < timedelta(0) else ''}P{size.days}DT{size.seconds}{micro}S"


def _decode_timedelta(value: object) -> object:
    match = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise Mismatch(f"expected an ISO 8601 duration such as 'P0DT5400S', got {value!r}")
    try:
        size = timedelta(
            days=int(match["days"]),
            seconds=int(match["seconds"]),
            microseconds=int(match["micro"] or 0),
        )
    except OverflowError as error:
        raise Mismatch(f"duration {value!r} is out of range") from error
    return -size if match["sign"] else size


_TIMEDELTA = ValueCodec("str", _encode_timedelta, _decode_timedelta)


def _enum_codec(enum_type: type[enum.Enum], where: str) -> ValueCodec:
    values = [member.value for member in enum_type]
    if values and all(isinstance(v, str) for v in values):
        kind = "str"
    elif values and all(_is_int(v) for v in values):
        kind = "int"
    else:
        raise InvalidInput(f"{where}: enum {enum_type.__name__} needs all-str or all-int values")

    def encode(value: object) -> object:
        if not isinstance(value, enum_type):
            raise Mismatch(f"expected a {enum_type.__name__}, got {value!r}")
        return value.value

    def decode(value: object) -> object:
        if kind == "int" and not _is_int(value):
            raise Mismatch(f"expected a {enum_type.__name__} value, got {value!r}")
        try:
            return enum_type(value)
        except ValueError:
            accepted = ", ".join(repr(v) for v in values)
            raise Mismatch(f"expected one of {accepted}, got {value!r}") from None

    return ValueCodec(kind, encode, decode)


def _tuple_codec(items: tuple[ValueCodec, ...] | None, each: ValueCodec | None) -> ValueCodec:
    # Either `each` (tuple[X, ...]) or `items` (tuple[X, Y]) is given.
    def codecs_for(value: object) -> tuple[list[object], Iterable[ValueCodec]]:
        values = list(value)  # type: ignore[call-overload]
        if items is None:
            assert each is not None
            return values, [each] * len(values)
        if len(values) != len(items):
            raise Mismatch(f"expected {len(items)} items, got {len(values)}: {value!r}")
        return values, items

    def encode(value: object) -> object:
        if not isinstance(value, tuple | list):
            raise Mismatch(f"expected a tuple, got {type(value).__name__} {value!r}")
        values, codecs = codecs_for(value)
        return [codec.encode(v) for codec, v in zip(codecs, values, strict=True)]

    def decode(value: object) -> object:
        if not isinstance(value, list):
            raise Mismatch(f"expected a list, got {type(value).__name__} {value!r}")
        values, codecs = codecs_for(value)
        return tuple(codec.decode(v) for codec, v in zip(codecs, values, strict=True))

    return ValueCodec("list", encode, decode)


def _union_codec(options: list[ValueCodec], where: str) -> ValueCodec:
    kinds = [option.kind for option in options]
    if len(set(kinds)) != len(kinds):
        # Two types written the same way (a str and a datetime, say) could not be told
        # apart when read back.
        raise InvalidInput(f"{where}: the types of a union must be written as distinct JSON types")
    by_kind = {option.kind: option for option in options}

    def encode(value: object) -> object:
        for option in options:
            try:
                return option.encode(value)
            except Mismatch:
                continue
        raise Mismatch(f"{value!r} fits none of the field's types")

    def decode(value: object) -> object:
        kind = _json_kind(value)
        if kind == "int" and kind not in by_kind and "float" in by_kind:
            kind = "float"
        option = by_kind.get(kind)
        if option is None:
            raise Mismatch(f"{value!r} fits none of the field's types")
        return option.decode(value)

    return ValueCodec("union", encode, decode)


# What json.loads gives, by exact type: bool is an int subclass but its own JSON kind.
_JSON_KINDS = {
    type(None): "null",
    bool: "bool",
    int: "int",
    float: "float",
    str: "str",
    list: "list",
}


def _json_kind(value: object) -> str:
    return _JSON_KINDS.get(type(value), type(value).__name__)


_SIMPLE: dict[object, ValueCodec] = {
    type(None): _NULL,
    bool: _BOOL,
    int: _INT,
    float: _FLOAT,
    str: _STR,
    datetime: _DATETIME,
    timedelta: _TIMEDELTA,
}


def _field_value_encode(value: object) -> object:
    # A custom field's value as JSON that reads back as the same type: str, int, bool and
    # None as themselves, a multi-choice as a list, a decimal and a date tagged.
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, date) and not isinstance(value, datetime):
        return {"date": value.isoformat()}
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    raise Mismatch(f"{value!r} is not a custom field value")


def _field_value_decode(value: object) -> object:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    if isinstance(value, dict) and len(value) == 1:
        ((tag, text),) = value.items()
        try:
            if tag == "decimal" and isinstance(text, str):
                return Decimal(text)
            if tag == "date" and isinstance(text, str):
                return date.fromisoformat(text)
        except (InvalidOperation, ValueError):
            pass
    raise Mismatch(f"{value!r} is not a stored custom field value")


def _field_changes_encode(value: object) -> object:
    if not isinstance(value, Mapping):
        raise Mismatch(f"expected a mapping of field names, got {type(value).__name__}")
    return {str(name): _field_value_encode(v) for name, v in value.items()}


def _field_changes_decode(value: object) -> object:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise Mismatch(f"expected a dict of field names, got {value!r}")
    return {name: _field_value_decode(v) for name, v in value.items()}


#: Custom field values by name (``Mapping[str, FieldValue | None]`` of deskflow.fields).
FIELD_CHANGES = ValueCodec("dict", _field_changes_encode, _field_changes_decode)


def value_codec(hint: object, where: str) -> ValueCodec:
    """
    The codec of the values of annotation ``hint``; ``where`` names the field in errors.
    """
    if hint in _SIMPLE:
        return _SIMPLE[hint]
    if typing.get_origin(hint) is Mapping and typing.get_args(hint)[:1] == (str,):
        return FIELD_CHANGES
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _enum_codec(hint, where)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return _union_codec([value_codec(arg, where) for arg in args], where)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _tuple_codec(None, value_codec(args[0], where))
    if origin is tuple and args and Ellipsis not in args:
        return _tuple_codec(tuple(value_codec(arg, where) for arg in args), None)
    raise InvalidInput(
        f"{where}: cannot store a field of type {hint!r}; use str, int, float, bool, "
        "datetime, timedelta, an enum, tuples or unions of them"
    )
