"""
Custom fields and tags: what a desk records about its tickets beyond the built-in fields.

A desk declares its custom fields ([`CustomField`][deskflow.fields.CustomField]: a name, a
[`FieldType`][deskflow.enums.FieldType], the options of a choice, whether only staff see it).
Every write is checked against the declaration and recorded as an event
([`FieldsChanged`][deskflow.fields.FieldsChanged], [`TagsChanged`][deskflow.fields.TagsChanged]),
so SLA clocks, reports and automation rules replay them like everything else.
"""

from __future__ import annotations

import decimal
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, TypeAlias

import attrs

from deskflow._internal import checks as _checks
from deskflow.enums import FieldType
from deskflow.exceptions import ConfigError, InvalidInput
from deskflow.ticket import Event, FieldValues, Ticket

__all__ = [
    "MAX_DECIMAL_DIGITS",
    "MAX_FIELD_TEXT",
    "MAX_TAG_LENGTH",
    "CustomField",
    "FieldValue",
    "FieldsChanged",
    "TagsChanged",
    "check_tags",
    "field_key",
]

#: What a custom field holds: text or a user id (str), an integer, an exact decimal, a
#: boolean, a date, one option of a choice (str) or a set of them (a sorted tuple of str).
FieldValue: TypeAlias = str | int | Decimal | bool | date | tuple[str, ...]

#: The most digits a decimal field keeps before and after its decimal point (each).
MAX_DECIMAL_DIGITS: Final = 40
#: The most characters of a text or user field's value.
MAX_FIELD_TEXT: Final = 2_000
#: The most characters of a tag.
MAX_TAG_LENGTH: Final = 100
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INT64 = 2**63
# A key longer than this is stored as its hash, so an index entry stays small on every store.
_KEY_LENGTH = 200
_ACCEPTS: Final = {
    FieldType.TEXT: f"a non-blank string of at most {MAX_FIELD_TEXT} characters",
    FieldType.INTEGER: f"an int from {-_INT64} to {_INT64 - 1}",
    FieldType.DECIMAL: "a Decimal, an int or a decimal string such as '12.50' (not a float)",
    FieldType.BOOLEAN: "True or False",
    FieldType.CHOICE: "one of its options",
    FieldType.MULTI_CHOICE: "a non-empty set of its options",
    FieldType.DATE: "a datetime.date or an ISO date string such as '2026-03-02'",
    FieldType.USER: "a person's id (a non-blank string)",
}


def _field_type(value: object) -> FieldType:
    try:
        return _checks.member("type", FieldType, value)
    except InvalidInput as error:
        raise ConfigError(str(error), path=("type",)) from None


def _options(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    try:
        return _checks.names("options", value)
    except InvalidInput as error:
        raise ConfigError(str(error), path=("options",)) from None


@attrs.frozen
class CustomField:
    """
    A custom field a desk declares: its ``name`` (a key: letters, digits, ``_``), its
    ``type``, the ``options`` of a choice or multi-choice field, whether only staff see and
    set it (``staff_only``: the one visible projection hides it from requesters), and a
    ``description`` for people.

    >>> contract = CustomField("contract", "choice", options=("gold", "silver"))
    >>> contract.check("gold")
    'gold'
    >>> CustomField("hours", "decimal").check("1.50")
    Decimal('1.5')
    >>> contract.check("bronze")
    Traceback (most recent call last):
    ...
    deskflow.exceptions.InvalidInput: field 'contract' takes one of its options (gold, ...
    """

    name: str
    type: FieldType = attrs.field(converter=_field_type)
    options: tuple[str, ...] = attrs.field(default=(), converter=_options)
    staff_only: bool = False
    description: str = ""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ConfigError(
                f"a field name is a key of letters, digits and _, got {self.name!r}",
                path=("name",),
            )
        choices = self.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE)
        if choices and not self.options:
            raise ConfigError(f"a {self.type} field needs options", path=("options",))
        if not choices and self.options:
            raise ConfigError(f"a {self.type} field takes no options", path=("options",))
        if len(set(self.options)) != len(self.options):
            raise ConfigError("options must be different from each other", path=("options",))
        if not isinstance(self.staff_only, bool):
            raise ConfigError(f"staff_only must be true or false, got {self.staff_only!r}",
                              path=("staff_only",))  # fmt: skip
        if not isinstance(self.description, str):
            raise ConfigError("description must be a string", path=("description",))

    @property
    def accepts(self) -> str:
        """
        What the field takes, in words (for messages and forms).
        """
        if self.options:
            return f"{_ACCEPTS[self.type]} ({', '.join(self.options)})"
        return _ACCEPTS[self.type]

    def check(self, value: object) -> FieldValue:
        """
        Return ``value`` in this field's canonical form (a multi-choice as a sorted tuple, a
        decimal as a Decimal), or raise InvalidInput naming the field and what it accepts.

        Text and user ids come back stripped; a decimal normalized (``1.50`` -> ``1.5``,
        at most ``MAX_DECIMAL_DIGITS`` digits each side of the point); a date from an ISO
        string as a ``date``. None is not a value: a command clears a field with None.
        """
        checked: FieldValue | None = _CHECKS[self.type](self, value)
        if checked is None:
            raise InvalidInput(f"field {self.name!r} takes {self.accepts}, got {value!r}")
        return checked


def _text(spec: CustomField, value: object) -> FieldValue | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = _checks.text(f"field {spec.name!r}", value)  # refuses NUL and lone surrogates
    if len(text) > MAX_FIELD_TEXT:
        raise InvalidInput(
            f"field {spec.name!r} is {len(text)} characters long; it takes at most {MAX_FIELD_TEXT}"
        )
    return text


def _integer(_spec: CustomField, value: object) -> FieldValue | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if -_INT64 <= value < _INT64 else None


def _decimal(spec: CustomField, value: object) -> FieldValue | None:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        return None
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except decimal.InvalidOperation:
        return None
    if not number.is_finite():
        return None
    number = _normalized(number)
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if number.adjusted() >= MAX_DECIMAL_DIGITS or exponent < -MAX_DECIMAL_DIGITS:
        raise InvalidInput(
            f"field {spec.name!r} keeps at most {MAX_DECIMAL_DIGITS} digits before and after "
            f"the decimal point, got {value!r}"
        )
    # Never in exponent form: 100, not 1E+2.
    return number.quantize(Decimal(1)) if exponent > 0 else number


def _normalized(number: Decimal) -> Decimal:
    # Exactly: normalize() rounds to the context's precision, so give it all the digits.
    digits = len(number.as_tuple().digits)
    normal = number.normalize(decimal.Context(prec=max(digits, 1), Emax=10**9, Emin=-(10**9)))
    return Decimal(0) if normal.is_zero() else normal


def _boolean(_spec: CustomField, value: object) -> FieldValue | None:
    return value if isinstance(value, bool) else None


def _choice(spec: CustomField, value: object) -> FieldValue | None:
    return value if isinstance(value, str) and value in spec.options else None


def _multi_choice(spec: CustomField, value: object) -> FieldValue | None:
    items: Iterable[object]
    if isinstance(value, str):
        items = (value,)
    elif isinstance(value, Iterable) and not isinstance(value, Mapping | bytes):
        items = tuple(value)
    else:
        return None
    chosen = set()
    for item in items:
        if not isinstance(item, str) or item not in spec.options:
            raise InvalidInput(
                f"field {spec.name!r} takes {spec.accepts}, got {item!r} in {value!r}"
            )
        chosen.add(item)
    if not chosen:
        raise InvalidInput(
            f"field {spec.name!r} takes {spec.accepts}, got none: clear it with None"
        )
    return tuple(sorted(chosen))


def _date(_spec: CustomField, value: object) -> FieldValue | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _user(spec: CustomField, value: object) -> FieldValue | None:
    return _text(spec, value)


_CHECKS: Final[dict[FieldType, Any]] = {
    FieldType.TEXT: _text,
    FieldType.INTEGER: _integer,
    FieldType.DECIMAL: _decimal,
    FieldType.BOOLEAN: _boolean,
    FieldType.CHOICE: _choice,
    FieldType.MULTI_CHOICE: _multi_choice,
    FieldType.DATE: _date,
    FieldType.USER: _user,
}


def field_key(value: object) -> str:
    """
    The key that stores compare a field value by: equal keys for equal values of one type
    (an int and a Decimal of the same number are equal; True is not 1, "1" is not 1), at
    most 200 characters (a longer one is its SHA-256). Queries on custom fields compare these.

    >>> field_key(Decimal("2.50")) == field_key(Decimal("2.5")), field_key(True), field_key("x")
    (True, 'b:1', 's:x')
    """
    if isinstance(value, bool):
        key = f"b:{int(value)}"
    elif isinstance(value, int | Decimal):
        number = Decimal(value)
        if not number.is_finite():
            raise InvalidInput(f"a field value must be a finite number, got {value!r}")
        key = f"n:{_normalized(number)}"
    elif isinstance(value, str):
        key = f"s:{value}"
    elif isinstance(value, date) and not isinstance(value, datetime):
        key = f"d:{value.isoformat()}"
    elif isinstance(value, tuple | list | set | frozenset) and all(
        isinstance(v, str) for v in value
    ):
        key = "m:" + json.dumps(sorted(set(value)), ensure_ascii=False)
    else:
        raise InvalidInput(f"{value!r} is not a custom field value")
    if len(key) > _KEY_LENGTH:
        key = "h:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return key


def check_tags(name: str, value: object) -> tuple[str, ...]:
    """
    ``value`` as tags, each once in the order given: a lone string is one tag; a tag is a
    non-blank string without whitespace of at most ``MAX_TAG_LENGTH`` characters.

    >>> check_tags("add", ["vip", " network ", "vip"])
    ('vip', 'network')
    """
    tags = _checks.names(name, value)
    for tag in tags:
        if any(c.isspace() for c in tag) or len(tag) > MAX_TAG_LENGTH:
            raise InvalidInput(
                f"{name}: a tag is one word of at most {MAX_TAG_LENGTH} characters, "
                f"without spaces; got {tag!r}"
            )
    return tuple(dict.fromkeys(tags))


@attrs.frozen(kw_only=True)
class FieldsChanged(Event):
    """
    Custom fields were set (a value) or cleared (None), with an optional ``reason`` (a rule
    that set them names itself there).
    """

    changes: Mapping[str, FieldValue | None] = attrs.field(hash=False)
    reason: str | None = None
    #: True when a change is to a staff-only field: the entry is then staff-only as a
    #: whole, so no requester's view or notification carries its values.
    staff_only: bool = False

    @property
    def internal(self) -> bool:  # type: ignore[override]
        """
        A change of a staff-only field is a staff-only entry.
        """
        return self.staff_only

    def apply_to(self, ticket: Ticket) -> Ticket:
        """
        Set and clear the fields named in ``changes``.
        """
        values = dict(ticket.fields)
        for name, value in self.changes.items():
            if value is None:
                values.pop(name, None)
            else:
                values[name] = value
        return ticket.evolve(self, fields=FieldValues(values))

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        parts = [
            f"{name}={'(cleared)' if value is None else value}"
            for name, value in sorted(self.changes.items())
        ]
        return "set " + ", ".join(parts) + (f" ({self.reason})" if self.reason else "")


@attrs.frozen(kw_only=True)
class TagsChanged(Event):
    """
    Tags were added to and removed from the ticket, with an optional ``reason``. Tags are
    staff-only: requesters never see them.
    """

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    reason: str | None = None

    internal = True

    def apply_to(self, ticket: Ticket) -> Ticket:
        """
        Add ``added`` to and remove ``removed`` from the ticket's tags.
        """
        return ticket.evolve(self, tags=(ticket.tags | set(self.added)) - set(self.removed))

    def describe(self) -> str:
        """
        One line for the audit trail.
        """
        parts = [f"+{t}" for t in self.added] + [f"-{t}" for t in self.removed]
        return "tags " + " ".join(parts) + (f" ({self.reason})" if self.reason else "")
