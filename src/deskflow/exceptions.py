"""
The errors deskflow raises.

Every error derives from [`DeskflowError`][deskflow.exceptions.DeskflowError] *and* from the
builtin exception it resembles, so ``except ValueError`` in a host keeps working while ``except
DeskflowError`` catches everything deskflow says.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ConcurrencyError",
    "ConfigError",
    "DeskflowError",
    "InvalidInput",
    "InvalidTransition",
    "NotFound",
    "PermissionDenied",
]


class DeskflowError(Exception):
    """
    Base class of every error raised by deskflow.
    """


class InvalidInput(DeskflowError, ValueError):
    """
    An argument is of the wrong type or has a value deskflow does not accept.

    Raised for naive datetimes, empty titles, negative durations, unknown names and the
    like; the message says what was wrong and what is accepted.
    """


class InvalidTransition(DeskflowError, ValueError):
    """
    A trigger cannot be fired on a ticket in its current state.

    Either the trigger does not leave the current state, or a guard refused it.
    ``allowed`` lists the triggers that the current state does accept and ``reason``
    says why this one was refused.
    """

    def __init__(
        self,
        message: str,
        *,
        trigger: str,
        state: str,
        allowed: Iterable[str] = (),
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.trigger = trigger
        self.state = state
        self.allowed: tuple[str, ...] = tuple(allowed)
        self.reason = reason


class PermissionDenied(DeskflowError, PermissionError):
    """
    The acting identity may not do what it asked; the message says why.
    """


class ConcurrencyError(DeskflowError, RuntimeError):
    """
    A save lost a race: the stored ticket changed since it was loaded. Nothing was written.

    ``ticket_id`` names the ticket that lost, when the repository knows it: for a write of
    several tickets it says which one (a new ticket whose id was taken, or a stored one that
    moved on), so a caller can tell a taken id, worth retrying with another, from a change
    made by someone else.
    """

    def __init__(self, message: str, *, ticket_id: str | None = None) -> None:
        super().__init__(message)
        self.ticket_id = ticket_id


class NotFound(DeskflowError, KeyError):
    """
    No ticket (or other named thing) exists under the given id.
    """

    def __str__(self) -> str:
        # KeyError.__str__ repr()s its argument; a sentence reads better.
        return str(self.args[0]) if self.args else ""


class ConfigError(DeskflowError, ValueError):
    """
    A configuration (a workflow, a matrix, a calendar, a config file) is invalid.

    ``path`` names the bad field when it is known, e.g. ``("sla", "targets", "P1")``.
    """

    def __init__(self, message: str, *, path: Iterable[str | int] = ()) -> None:
        self.path: tuple[str | int, ...] = tuple(path)
        where = ".".join(str(p) for p in self.path)
        super().__init__(f"{where}: {message}" if where else message)
