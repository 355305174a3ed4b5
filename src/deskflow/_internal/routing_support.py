"""
Checks shared by the built-in routing policies and the routing rule tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from deskflow._internal import checks as _checks
from deskflow.exceptions import ConfigError, InvalidInput
from deskflow.routing import Candidate
from deskflow.ticket import Ticket


def checked_roster(
    ticket: object, candidates: Iterable[object], now: object
) -> tuple[Candidate, ...]:
    if not isinstance(ticket, Ticket):
        raise InvalidInput(f"ticket must be a Ticket, got {type(ticket).__name__}")
    _checks.aware("now", now)
    roster: list[Candidate] = []
    for c in candidates:
        if not isinstance(c, Candidate):
            raise InvalidInput(f"candidates must be Candidate objects, got {c!r}")
        roster.append(c)
    if len({c.id for c in roster}) != len(roster):
        raise InvalidInput(f"candidate ids repeat: {sorted(c.id for c in roster)}")
    return tuple(roster)


def listed(name: str, values: object) -> None:
    if isinstance(values, str | Mapping) or not isinstance(values, Iterable):
        raise ConfigError(f"expected a list, got {values!r}", path=[name])
