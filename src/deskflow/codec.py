"""
A JSON codec for events and notifications: how a ticket's history is stored as text.

An event becomes a dict of JSON values with its registered ``"type"`` name and one entry per
field; decoding it gives back an equal event (``event_from_dict(event_to_dict(e)) == e``), so
``Ticket.replay(history_from_json(history_to_json(t.history))) == t``. Values are written as:

- datetimes as ISO 8601 with their UTC offset, followed by the IANA zone in brackets when
  they carry one (``2026-10-25T01:30:00+01:00[Europe/London]``, as RFC 9557 writes it), so
  the wall time, the offset and the zone all come back;
- durations as ISO 8601 (``P0DT5400S``); enum members by value; tuples as lists.

Fields are walked from the classes' own type annotations, so a host's own events are stored by
registering them once with [`register_event()`][deskflow.codec.register_event]. Unknown type
names and malformed data raise [`InvalidInput`][deskflow.exceptions.InvalidInput] saying what is
wrong and where.

>>> from datetime import datetime, timezone
>>> from deskflow.events import CommentAdded
>>> note = CommentAdded(at=datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc), actor="lee",
...                     body="Looking into it.")
>>> data = event_to_dict(note)
>>> data["type"], data["at"], data["visibility"]
('CommentAdded', '2026-03-02T09:00:00+00:00', 'public')
>>> event_from_dict(data) == note
True
"""

from __future__ import annotations

import enum
import json
import re
import threading
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from deskflow import events
from deskflow.events import Event
from deskflow.exceptions import InvalidInput
from deskflow.notifications import Notification

__all__ = [
    "event_from_dict",
    "event_to_dict",
    "event_types",
    "history_from_json",
    "history_to_json",
    "notification_from_dict",
    "notification_to_dict",
    "register_event",
]

E = TypeVar("E", bound=Event)

#: The key naming an event's registered type in its dict.
_TYPE_KEY = "type"


class _Mismatch(Exception):
    """
    A value does not fit its field; turned into InvalidInput naming the field.
    """


# -- values -------------------------------------------------------------------------------------


@attrs.frozen
class _ValueCodec:
    """
    How the values of one annotation are written: ``kind`` is the JSON type they become.
    """

    kind: str
    encode: Callable[[object], object]
    decode: Callable[[object], object]


def _is_int(value: object) -> bool:
    # bool is an int to Python, but a different JSON value.
    return isinstance(value, int) and not isinstance(value, bool)


def _scalar(kind: str, accepts: Callable[[object], bool]) -> _ValueCodec:
    def check(value: object) -> object:
        if not accepts(value):
            raise _Mismatch(f"expected {kind}, got {type(value).__name__} {value!r}")
        return value

    return _ValueCodec(kind, check, check)


def _encode_float(value: object) -> object:
    if not (_is_int(value) or isinstance(value, float)):
        raise _Mismatch(f"expected a number, got {type(value).__name__} {value!r}")
    return float(value)  # type: ignore[arg-type]


_NULL = _scalar("null", lambda v: v is None)
_BOOL = _scalar("bool", lambda v: isinstance(v, bool))
_INT = _scalar("int", _is_int)
_STR = _scalar("str", lambda v: isinstance(v, str))
_FLOAT = _ValueCodec("float", _encode_float, _encode_float)

_INSTANT = re.compile(r"(?P<iso>[^\[\]]+)(?:\[(?P<zone>[^\[\]]+)\])?")


def _encode_datetime(value: object) -> object:
    if not isinstance(value, datetime):
        raise _Mismatch(f"expected a datetime, got {type(value).__name__} {value!r}")
    if value.utcoffset() is None:
        raise _Mismatch(f"expected a timezone-aware datetime, got {value.isoformat()}")
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
        raise _Mismatch(f"expected an ISO 8601 datetime with offset, got {value!r}")
    try:
        parsed = datetime.fromisoformat(match["iso"])
    except ValueError:
        raise _Mismatch(f"expected an ISO 8601 datetime with offset, got {value!r}") from None
    try:
        zone = None if match["zone"] is None else ZoneInfo(match["zone"])
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise _Mismatch(f"unknown time zone {match['zone']!r} in {value!r}") from None
    offset = parsed.utcoffset()
    if offset is None:
        raise _Mismatch(f"expected a datetime with a UTC offset, got {value!r}")
    if zone is None:
        return parsed
    # The same wall time in the zone, with the fold its recorded offset says; if the zone's
    # rules changed since, the recorded instant wins.
    for fold in (0, 1):
        local = parsed.replace(tzinfo=zone, fold=fold)
        if local.utcoffset() == offset:
            return local
    return parsed.astimezone(zone)


_DATETIME = _ValueCodec("str", _encode_datetime, _decode_datetime)

_DURATION = re.compile(r"(?P<sign>-?)P(?P<days>\d+)DT(?P<seconds>\d+)(?:\.(?P<micro>\d{6}))?S")


def _encode_timedelta(value: object) -> object:
    if not isinstance(value, timedelta):
        raise _Mismatch(f"expected a timedelta, got {type(value).__name__} {value!r}")
    size = abs(value)
    micro = f".{size.microseconds:06d}" if size.microseconds else ""
    return f"{'-' if value < timedelta(0) else ''}P{size.days}DT{size.seconds}{micro}S"


def _decode_timedelta(value: object) -> object:
    match = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise _Mismatch(f"expected an ISO 8601 duration such as 'P0DT5400S', got {value!r}")
    try:
        size = timedelta(
            days=int(match["days"]),
            seconds=int(match["seconds"]),
            microseconds=int(match["micro"] or 0),
        )
    except OverflowError as error:
        raise _Mismatch(f"duration {value!r} is out of range") from error
    return -size if match["sign"] else size


_TIMEDELTA = _ValueCodec("str", _encode_timedelta, _decode_timedelta)


def _enum_codec(enum_type: type[enum.Enum], where: str) -> _ValueCodec:
    values = [member.value for member in enum_type]
    if values and all(isinstance(v, str) for v in values):
        kind = "str"
    elif values and all(_is_int(v) for v in values):
        kind = "int"
    else:
        raise InvalidInput(f"{where}: enum {enum_type.__name__} needs all-str or all-int values")

    def encode(value: object) -> object:
        if not isinstance(value, enum_type):
            raise _Mismatch(f"expected a {enum_type.__name__}, got {value!r}")
        return value.value

    def decode(value: object) -> object:
        if kind == "int" and not _is_int(value):
            raise _Mismatch(f"expected a {enum_type.__name__} value, got {value!r}")
        try:
            return enum_type(value)
        except ValueError:
            accepted = ", ".join(repr(v) for v in values)
            raise _Mismatch(f"expected one of {accepted}, got {value!r}") from None

    return _ValueCodec(kind, encode, decode)


def _tuple_codec(items: tuple[_ValueCodec, ...] | None, each: _ValueCodec | None) -> _ValueCodec:
    # Either `each` (tuple[X, ...]) or `items` (tuple[X, Y]) is given.
    def codecs_for(value: object) -> tuple[list[object], Iterable[_ValueCodec]]:
        values = list(value)  # type: ignore[call-overload]
        if items is None:
            assert each is not None
            return values, [each] * len(values)
        if len(values) != len(items):
            raise _Mismatch(f"expected {len(items)} items, got {len(values)}: {value!r}")
        return values, items

    def encode(value: object) -> object:
        if not isinstance(value, tuple | list):
            raise _Mismatch(f"expected a tuple, got {type(value).__name__} {value!r}")
        values, codecs = codecs_for(value)
        return [codec.encode(v) for codec, v in zip(codecs, values, strict=True)]

    def decode(value: object) -> object:
        if not isinstance(value, list):
            raise _Mismatch(f"expected a list, got {type(value).__name__} {value!r}")
        values, codecs = codecs_for(value)
        return tuple(codec.decode(v) for codec, v in zip(codecs, values, strict=True))

    return _ValueCodec("list", encode, decode)


def _union_codec(options: list[_ValueCodec], where: str) -> _ValueCodec:
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
            except _Mismatch:
                continue
        raise _Mismatch(f"{value!r} fits none of the field's types")

    def decode(value: object) -> object:
        kind = _json_kind(value)
        if kind == "int" and kind not in by_kind and "float" in by_kind:
            kind = "float"
        option = by_kind.get(kind)
        if option is None:
            raise _Mismatch(f"{value!r} fits none of the field's types")
        return option.decode(value)

    return _ValueCodec("union", encode, decode)


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


_SIMPLE: dict[object, _ValueCodec] = {
    type(None): _NULL,
    bool: _BOOL,
    int: _INT,
    float: _FLOAT,
    str: _STR,
    datetime: _DATETIME,
    timedelta: _TIMEDELTA,
}


def _value_codec(hint: object, where: str) -> _ValueCodec:
    if hint in _SIMPLE:
        return _SIMPLE[hint]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _enum_codec(hint, where)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return _union_codec([_value_codec(arg, where) for arg in args], where)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _tuple_codec(None, _value_codec(args[0], where))
    if origin is tuple and args and Ellipsis not in args:
        return _tuple_codec(tuple(_value_codec(arg, where) for arg in args), None)
    raise InvalidInput(
        f"{where}: cannot store a field of type {hint!r}; use str, int, float, bool, "
        "datetime, timedelta, an enum, tuples or unions of them"
    )


# -- classes ------------------------------------------------------------------------------------


@attrs.frozen
class _Shape:
    """
    The stored fields of one attrs class: (name, keyword, codec, required) each.
    """

    cls: type[Any]
    fields: tuple[tuple[str, str, _ValueCodec, bool], ...]

    @classmethod
    def of(cls, target: type[Any]) -> _Shape:
        where = target.__qualname__
        try:
            hints = typing.get_type_hints(target)
        except Exception as error:  # NameError, TypeError: whatever the annotations raise
            raise InvalidInput(f"{where}: cannot resolve its type annotations: {error}") from None
        fields = []
        for field in attrs.fields(target):
            if not field.init:
                continue  # derived when the object is built
            if field.name == _TYPE_KEY:
                raise InvalidInput(f"{where}: a field named {_TYPE_KEY!r} cannot be stored")
            hint = hints.get(field.name)
            if hint is None:
                raise InvalidInput(f"{where}.{field.name}: a stored field needs a type annotation")
            codec = _value_codec(hint, f"{where}.{field.name}")
            required = field.default is attrs.NOTHING
            fields.append((field.name, field.alias or field.name, codec, required))
        return cls(target, tuple(fields))

    def encode(self, obj: object, where: str) -> dict[str, object]:
        out: dict[str, object] = {}
        for name, _, codec, _ in self.fields:
            try:
                out[name] = codec.encode(getattr(obj, name))
            except _Mismatch as error:
                raise InvalidInput(f"{where}.{name}: {error}") from None
        return out

    def decode(self, data: Mapping[str, object], where: str, *, ignore: str = "") -> Any:
        known = {name for name, _, _, _ in self.fields}
        unknown = sorted(str(key) for key in data if key not in known and key != ignore)
        if unknown:
            raise InvalidInput(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}")
        kwargs: dict[str, object] = {}
        for name, keyword, codec, required in self.fields:
            if name not in data:
                if required:
                    raise InvalidInput(f"{where}: missing field {name!r}")
                continue
            try:
                kwargs[keyword] = codec.decode(data[name])
            except _Mismatch as error:
                raise InvalidInput(f"{where}.{name}: {error}") from None
        try:
            return self.cls(**kwargs)
        except (TypeError, ValueError) as error:  # InvalidInput is a ValueError too
            raise InvalidInput(f"{where}: {error}") from error


def _mapping(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{what} must be a dict, got {type(value).__name__} {value!r}")
    return value


# -- events -------------------------------------------------------------------------------------

_lock = threading.Lock()
# attrs.has narrows its argument to an attrs instance type, losing the Event subclass.
_is_attrs_class: Callable[[type], bool] = attrs.has
_by_name: dict[str, _Shape] = {}
_names: dict[type[Event], str] = {}


def register_event(cls: type[E], name: str | None = None) -> type[E]:
    """
    Make the codec store events of ``cls`` under ``name`` (by default the class name).

    Use it (also as a decorator) for a host's own [`Event`][deskflow.events.Event]
    subclasses; their fields must be attrs fields of the types the codec writes. Registering
    a class again under its name is harmless; a name already taken raises InvalidInput.

    >>> import attrs
    >>> @register_event
    ... @attrs.frozen(kw_only=True)
    ... class CallLogged(Event):
    ...     minutes: int
    >>> from datetime import datetime, timezone
    >>> call = CallLogged(at=datetime(2026, 3, 2, 9, tzinfo=timezone.utc), actor="lee", minutes=4)
    >>> event_to_dict(call)
    {'type': 'CallLogged', 'at': '2026-03-02T09:00:00+00:00', 'actor': 'lee', 'minutes': 4}
    """
    if not (isinstance(cls, type) and issubclass(cls, Event) and _is_attrs_class(cls)):
        raise InvalidInput(f"only attrs subclasses of deskflow's Event can be registered: {cls!r}")
    if name is None:
        name = cls.__name__
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(f"an event type name must be a non-empty string, got {name!r}")
    shape = _Shape.of(cls)
    with _lock:
        taken = _by_name.get(name)
        if taken is not None and taken.cls is not cls:
            raise InvalidInput(
                f"event type name {name!r} already names {taken.cls.__qualname__}; "
                f"pass another name to register {cls.__qualname__}"
            )
        if _names.get(cls, name) != name:
            raise InvalidInput(f"{cls.__qualname__} is already registered as {_names[cls]!r}")
        _by_name[name] = shape
        _names[cls] = name
    return cls


def event_types() -> dict[str, type[Event]]:
    """
    Return the registered event classes by type name (a copy).

    >>> event_types()["StateChanged"]
    <class 'deskflow.events.StateChanged'>
    """
    with _lock:
        return {name: shape.cls for name, shape in _by_name.items()}


def event_to_dict(event: Event) -> dict[str, object]:
    """
    Return ``event`` as a dict of JSON values, its type name under ``"type"``.
    """
    if not isinstance(event, Event):
        raise InvalidInput(f"expected a deskflow Event, got {type(event).__name__}")
    name = _names.get(type(event))
    if name is None:
        raise InvalidInput(
            f"event type {type(event).__qualname__} is not registered; "
            "register it with deskflow.codec.register_event"
        )
    return {_TYPE_KEY: name, **_by_name[name].encode(event, name)}


def event_from_dict(data: Mapping[str, object]) -> Event:
    """
    Return the event ``data`` describes (as [`event_to_dict()`][deskflow.codec.event_to_dict]
    wrote it).
    """
    data = _mapping(data, "an event")
    name = data.get(_TYPE_KEY)
    shape = _by_name.get(name) if isinstance(name, str) else None
    if shape is None:
        known = ", ".join(sorted(_by_name))
        raise InvalidInput(f"unknown event type {name!r}; registered types: {known}")
    event: Event = shape.decode(data, str(name), ignore=_TYPE_KEY)
    return event


def history_to_json(history: Iterable[Event]) -> str:
    """
    Return a ticket's history (or any events) as a JSON array of event dicts.
    """
    if isinstance(history, str | bytes) or not isinstance(history, Iterable):
        raise InvalidInput(f"history must be an iterable of events, got {type(history).__name__}")
    items = [event_to_dict(event) for event in history]
    try:
        return json.dumps(items, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError as error:  # NaN or infinity in a host's float field
        raise InvalidInput(f"history cannot be written as JSON: {error}") from None


def history_from_json(text: str) -> tuple[Event, ...]:
    """
    Return the events of a JSON array written by
    [`history_to_json()`][deskflow.codec.history_to_json].
    """
    if not isinstance(text, str):
        raise InvalidInput(f"a history must be JSON text, got {type(text).__name__}")
    try:
        items = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise InvalidInput(f"history is not valid JSON: {error}") from None
    if not isinstance(items, list):
        raise InvalidInput(f"a history must be a JSON array, got {type(items).__name__}")
    decoded = []
    for index, item in enumerate(items):
        try:
            decoded.append(event_from_dict(item))
        except InvalidInput as error:
            raise InvalidInput(f"history item {index}: {error}") from error
    return tuple(decoded)


# -- notifications ------------------------------------------------------------------------------

_NOTIFICATION = _Shape.of(Notification)


def notification_to_dict(notification: Notification) -> dict[str, object]:
    """
    Return ``notification`` as a dict of JSON values.
    """
    if not isinstance(notification, Notification):
        raise InvalidInput(f"expected a Notification, got {type(notification).__name__}")
    return _NOTIFICATION.encode(notification, "Notification")


def notification_from_dict(data: Mapping[str, object]) -> Notification:
    """
    Return the notification ``data`` describes (as
    [`notification_to_dict()`][deskflow.codec.notification_to_dict] wrote it).
    """
    notification: Notification = _NOTIFICATION.decode(
        _mapping(data, "a notification"), "Notification"
    )
    return notification


# The base class too: a bare Event is a valid, if plain, entry of a history.
for _builtin in (Event, *(getattr(events, name) for name in events.__all__)):
    register_event(_builtin)
