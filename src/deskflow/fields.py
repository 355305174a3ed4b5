"""
Custom fields and tags: what a desk records about its tickets beyond the built-in fields.

A desk declares its custom fields ([`CustomField`][deskflow.fields.CustomField]: a name, a
[`FieldType`][deskflow.enums.FieldType], the options of a choice, whether only staff see it).
Every write is checked against the declaration and recorded as an event
([`FieldsChanged`][deskflow.fields.FieldsChanged], [`TagsChanged`][deskflow.fields.TagsChanged]),
so SLA clocks, reports and automation rules replay them like everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import TypeAlias

import attrs

from deskflow.enums import FieldType
from deskflow.ticket import Event, FieldValues, Ticket

__all__ = ["CustomField", "FieldValue", "FieldsChanged", "TagsChanged"]

#: What a custom field holds: text or a user id (str), an integer, an exact decimal, a
#: boolean, a date, one option of a choice (str) or a set of them (a sorted tuple of str).
FieldValue: TypeAlias = str | int | Decimal | bool | date | tuple[str, ...]


@attrs.frozen
class CustomField:
    """
    A custom field a desk declares: its ``name`` (a key: letters, digits, ``_``), its
    ``type``, the ``options`` of a choice or multi-choice field, whether only staff see and
    set it (``staff_only``: the one visible projection hides it from requesters), and a
    ``description`` for people.
    """

    name: str
    type: FieldType
    options: tuple[str, ...] = ()
    staff_only: bool = False
    description: str = ""

    def check(self, value: object) -> FieldValue:
        """
        Return ``value`` in this field's canonical form (a multi-choice as a sorted tuple, a
        decimal as a Decimal), or raise InvalidInput naming the field and what it accepts.
        """
        raise NotImplementedError


@attrs.frozen(kw_only=True)
class FieldsChanged(Event):
    """
    Custom fields were set (a value) or cleared (None), with an optional ``reason`` (a rule
    that set them names itself there).
    """

    changes: Mapping[str, FieldValue | None] = attrs.field(hash=False)
    reason: str | None = None

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
