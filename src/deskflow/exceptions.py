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
    "OutcomeUnknown",
    "PermissionDenied",
    "RuleCascadeError",
    "SchemaMismatch",
    "StorageError",
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


class RuleCascadeError(DeskflowError, RuntimeError):
    """
    Automation rules kept triggering each other past the rule set's cascade bound: the
    command is refused and nothing is stored. ``chain`` names the rules, from the one the
    command's own change triggered to the one that went past the bound.
    """

    def __init__(self, message: str, *, chain: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.chain = chain


class StorageError(DeskflowError, RuntimeError):
    """
    The store refused or failed a read or a write for a reason other than a lost race: a
    constraint of the host's (named in ``constraint`` when the database names it), a value
    the database cannot hold, a connection that failed. Nothing was written, unless the
    error is an [`OutcomeUnknown`][deskflow.exceptions.OutcomeUnknown].
    """

    def __init__(self, message: str, *, constraint: str | None = None) -> None:
        super().__init__(message)
        self.constraint = constraint


class OutcomeUnknown(StorageError):
    """
    The connection was lost while a write was being committed: it may or may not have been
    written. Load the ticket again to find out before repeating the command.
    """


class SchemaMismatch(StorageError):
    """
    The database's schema is not the one this version of deskflow uses (behind: run the
    migrations, ``deskflow db upgrade URL``; ahead: upgrade deskflow).
    """


class ConfigError(DeskflowError, ValueError):
    """
    A configuration (a workflow, a matrix, a calendar, a config file) is invalid.

    ``path`` names the bad field when it is known, e.g. ``("sla", "targets", "P1")``, and
    ``message`` says what is wrong with it, without the path. A configuration with several
    problems raises one error listing them all
    ([`ConfigError.from_problems()`][deskflow.exceptions.ConfigError.from_problems]):
    ``problems`` holds each as a ``(path, message)`` pair, the text of the error has one line
    per problem, ``path.to.field: message``, and ``path`` and ``message`` are the first
    problem's. An error with one problem has it alone in ``problems``.

    >>> error = ConfigError.from_problems([(("sla", "calendar"), "unknown calendar 'x'"),
    ...                                    (("reopen_window",), "must be positive")])
    >>> print(error)
    sla.calendar: unknown calendar 'x'
    reopen_window: must be positive
    >>> error.path, error.message
    (('sla', 'calendar'), "unknown calendar 'x'")
    """

    def __init__(
        self,
        message: str,
        *,
        path: Iterable[str | int] = (),
        problems: Iterable[tuple[Iterable[str | int], str]] = (),
    ) -> None:
        self.path: tuple[str | int, ...] = tuple(path)
        self.message = message
        listed = tuple((tuple(where), text) for where, text in problems)
        self.problems: tuple[tuple[tuple[str | int, ...], str], ...] = listed or (
            (self.path, message),
        )
        super().__init__("\n".join(_line(where, text) for where, text in self.problems))

    @classmethod
    def from_problems(cls, problems: Iterable[tuple[Iterable[str | int], str]]) -> ConfigError:
        """
        One error for every ``(path, message)`` of ``problems`` (at least one), in order.
        """
        listed = [(tuple(where), text) for where, text in problems]
        if not listed:
            raise ValueError("a ConfigError needs at least one problem")
        where, text = listed[0]
        return cls(text, path=where, problems=listed)


def _line(path: tuple[str | int, ...], message: str) -> str:
    where = ".".join(str(p) for p in path)
    return f"{where}: {message}" if where else message
