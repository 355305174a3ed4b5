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

Stored events outlive their classes. Each event class has a ``schema_version`` (a class
variable, 1 unless the class says otherwise); a dict written at a version other than 1 carries
it under ``"schema_version"``, and the SQL repository stores it in a column beside the type
name ([`encode_event()`][deskflow.codec.encode_event]). When a class changes shape, raise its
``schema_version`` and register an upcaster from the old one with
[`register_upcaster()`][deskflow.codec.register_upcaster]: loading applies the upcasters in
turn until the data is at the class's current version, so old histories still replay.

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

import json
import threading
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import attrs

from deskflow import events
from deskflow._internal.value_codecs import Mismatch, ValueCodec, value_codec
from deskflow.events import Event
from deskflow.exceptions import InvalidInput
from deskflow.notifications import Notification
from deskflow.surveys import SurveySent

__all__ = [
    "Upcaster",
    "decode_event",
    "encode_event",
    "event_from_dict",
    "event_to_dict",
    "event_types",
    "history_from_json",
    "history_to_json",
    "notification_from_dict",
    "notification_to_dict",
    "register_event",
    "register_upcaster",
]

E = TypeVar("E", bound=Event)

#: The key naming an event's registered type in its dict.
_TYPE_KEY = "type"
#: The key of the schema version in an event's dict, written only when it is not 1.
_VERSION_KEY = "schema_version"

#: A function turning the stored fields of an event at one schema version into those of the
#: next version.
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


# -- classes ------------------------------------------------------------------------------------


@attrs.frozen
class _Shape:
    """
    The stored fields of one attrs class: (name, keyword, codec, required) each.
    """

    cls: type[Any]
    fields: tuple[tuple[str, str, ValueCodec, bool], ...]

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
            if field.name in (_TYPE_KEY, _VERSION_KEY):
                raise InvalidInput(f"{where}: a field named {field.name!r} cannot be stored")
            hint = hints.get(field.name)
            if hint is None:
                raise InvalidInput(f"{where}.{field.name}: a stored field needs a type annotation")
            codec = value_codec(hint, f"{where}.{field.name}")
            required = field.default is attrs.NOTHING
            fields.append((field.name, field.alias or field.name, codec, required))
        return cls(target, tuple(fields))

    def encode(self, obj: object, where: str) -> dict[str, object]:
        out: dict[str, object] = {}
        for name, _, codec, _ in self.fields:
            try:
                out[name] = codec.encode(getattr(obj, name))
            except Mismatch as error:
                raise InvalidInput(f"{where}.{name}: {error}") from None
        return out

    def decode(
        self, data: Mapping[str, object], where: str, *, ignore: tuple[str, ...] = ()
    ) -> Any:
        known = {name for name, _, _, _ in self.fields}
        unknown = sorted(str(key) for key in data if key not in known and key not in ignore)
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
            except Mismatch as error:
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
_upcasters: dict[tuple[str, int], Upcaster] = {}


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
    _schema_version(cls)
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


def _schema_version(cls: type[Event]) -> int:
    version = getattr(cls, "schema_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidInput(
            f"{cls.__qualname__}.schema_version must be an int >= 1, got {version!r}"
        )
    return version


def register_upcaster(type_name: str, from_version: int, upcaster: Upcaster) -> None:
    """
    Make loading turn the stored fields of ``type_name`` events written at ``from_version``
    into those of version ``from_version + 1``.

    ``upcaster`` takes the fields as a dict of JSON values (without the type name) and returns
    the new dict; loading chains upcasters until the event class's ``schema_version``.

    >>> import attrs
    >>> @register_event
    ... @attrs.frozen(kw_only=True)
    ... class CallTimed(Event):
    ...     schema_version = 2
    ...     seconds: int
    >>> register_upcaster("CallTimed", 1, lambda d: {"seconds": d.pop("minutes") * 60, **d})
    >>> old = {"type": "CallTimed", "at": "2026-03-02T09:00:00+00:00", "actor": "lee",
    ...        "minutes": 4}
    >>> event_from_dict(old).seconds
    240
    """
    if not isinstance(type_name, str) or not type_name.strip():
        raise InvalidInput(f"an event type name must be a non-empty string, got {type_name!r}")
    if isinstance(from_version, bool) or not isinstance(from_version, int) or from_version < 1:
        raise InvalidInput(f"from_version must be an int >= 1, got {from_version!r}")
    if not callable(upcaster):
        raise InvalidInput(f"an upcaster must be callable, got {type(upcaster).__name__}")
    with _lock:
        _upcasters[(type_name, from_version)] = upcaster


def _shape_named(name: object) -> _Shape:
    shape = _by_name.get(name) if isinstance(name, str) else None
    if shape is None:
        known = ", ".join(sorted(_by_name))
        raise InvalidInput(f"unknown event type {name!r}; registered types: {known}")
    return shape


def _upcast(name: str, version: int, fields: dict[str, Any], current: int) -> dict[str, Any]:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidInput(f"{name}: schema_version must be an int >= 1, got {version!r}")
    if version > current:
        raise InvalidInput(
            f"{name}: stored at schema version {version}, newer than this deskflow's "
            f"{current}: upgrade deskflow (or the host package defining {name})"
        )
    while version < current:
        upcaster = _upcasters.get((name, version))
        if upcaster is None:
            raise InvalidInput(
                f"{name}: stored at schema version {version}, the class is at {current}, and "
                f"no upcaster from {version} is registered (deskflow.codec.register_upcaster)"
            )
        fields = upcaster(dict(fields))
        if not isinstance(fields, dict):
            raise InvalidInput(f"{name}: the upcaster from {version} returned no dict")
        version += 1
    return fields


def _encoded(event: Event) -> tuple[str, _Shape]:
    if not isinstance(event, Event):
        raise InvalidInput(f"expected a deskflow Event, got {type(event).__name__}")
    name = _names.get(type(event))
    if name is None:
        raise InvalidInput(
            f"event type {type(event).__qualname__} is not registered; "
            "register it with deskflow.codec.register_event"
        )
    return name, _by_name[name]


def event_to_dict(event: Event) -> dict[str, object]:
    """
    Return ``event`` as a dict of JSON values, its type name under ``"type"`` (and its
    class's ``schema_version``, when it is not 1, under ``"schema_version"``).
    """
    name, shape = _encoded(event)
    version = type(event).schema_version
    head: dict[str, object] = {_TYPE_KEY: name}
    if version != 1:
        head[_VERSION_KEY] = version
    return {**head, **shape.encode(event, name)}


def event_from_dict(data: Mapping[str, object]) -> Event:
    """
    Return the event ``data`` describes (as [`event_to_dict()`][deskflow.codec.event_to_dict]
    wrote it), upcast to its class's current schema version.
    """
    data = _mapping(data, "an event")
    name = data.get(_TYPE_KEY)
    shape = _shape_named(name)
    version = data.get(_VERSION_KEY, 1)
    current = shape.cls.schema_version
    if version != current:
        fields = {k: v for k, v in data.items() if k not in (_TYPE_KEY, _VERSION_KEY)}
        data = _upcast(str(name), version, fields, current)  # type: ignore[arg-type]
    event: Event = shape.decode(data, str(name), ignore=(_TYPE_KEY, _VERSION_KEY))
    return event


def encode_event(event: Event) -> tuple[str, int, str]:
    """
    Return ``event`` as its type name, its schema version and its fields as JSON text: one
    stored row of an event table (the inverse of [`decode_event()`][deskflow.codec.decode_event]).

    >>> from datetime import datetime, timezone
    >>> from deskflow.events import CommentAdded
    >>> note = CommentAdded(at=datetime(2026, 3, 2, 9, tzinfo=timezone.utc), actor="lee",
    ...                     body="On it.")
    >>> name, version, payload = encode_event(note)
    >>> name, version, decode_event(name, version, payload) == note
    ('CommentAdded', 1, True)
    """
    name, shape = _encoded(event)
    return name, type(event).schema_version, _json(shape.encode(event, name), name)


def decode_event(type_name: str, schema_version: int, payload: str) -> Event:
    """
    Return the event stored as ``type_name`` at ``schema_version`` with the JSON fields
    ``payload``, upcast to its class's current schema version.
    """
    shape = _shape_named(type_name)
    try:
        fields = json.loads(payload)
    except (TypeError, ValueError, RecursionError) as error:
        raise InvalidInput(f"{type_name}: stored fields are not valid JSON: {error}") from None
    if not isinstance(fields, dict):
        raise InvalidInput(f"{type_name}: stored fields must be a JSON object")
    current = shape.cls.schema_version
    if schema_version != current:
        fields = _upcast(type_name, schema_version, fields, current)
    event: Event = shape.decode(fields, type_name)
    return event


def _json(value: object, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError as error:  # NaN or infinity in a host's float field
        raise InvalidInput(f"{what} cannot be written as JSON: {error}") from None


def history_to_json(history: Iterable[Event]) -> str:
    """
    Return a ticket's history (or any events) as a JSON array of event dicts.
    """
    if isinstance(history, str | bytes) or not isinstance(history, Iterable):
        raise InvalidInput(f"history must be an iterable of events, got {type(history).__name__}")
    return _json([event_to_dict(event) for event in history], "history")


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
for _builtin in (Event, *(getattr(events, name) for name in events.__all__), SurveySent):
    register_event(_builtin)
