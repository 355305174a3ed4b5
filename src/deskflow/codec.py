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
            if field.name == _TYPE_KEY:
                raise InvalidInput(f"{where}: a field named {_TYPE_KEY!r} cannot be stored")
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
