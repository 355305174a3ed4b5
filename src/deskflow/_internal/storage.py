"""
Argument checks shared by the storage adapters (in-memory and SQL).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from deskflow._internal import checks as _checks
from deskflow.exceptions import InvalidInput
from deskflow.notifications import Notification
from deskflow.ticket import Ticket


def checked_ticket(value: object) -> Ticket:
    if not isinstance(value, Ticket):
        raise InvalidInput(f"expected a deskflow Ticket, got {type(value).__name__}")
    return value


#: The largest count a store's 64-bit integer holds.
MAX_COUNT = 2**63 - 1


def checked_count(name: str, value: object) -> int:
    # Bounded, so every store refuses the same values: a larger one would overflow a
    # database's integer and leak the driver's own error.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise InvalidInput(f"{name} must be an int from 0 to 2**63 - 1, got {value!r}")
    return value


def checked_strings(name: str, value: object) -> tuple[str, ...]:
    # A lone string is iterable too, and would be taken as its characters.
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInput(f"{name} must be an iterable of strings, got {type(value).__name__}")
    return tuple(_checks.text(name, item) for item in value)


def checked_outbox(value: object) -> tuple[Notification, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInput(f"outbox must be a list of Notifications, got {type(value).__name__}")
    # Copied now, so what the caller does to its list afterwards changes nothing stored.
    items = tuple(value)
    for item in items:
        if not isinstance(item, Notification):
            raise InvalidInput(f"outbox items must be Notifications, got {type(item).__name__}")
    return items


def optional_aware(name: str, value: object) -> datetime | None:
    return None if value is None else _checks.aware(name, value)
