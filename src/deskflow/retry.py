"""
Trying again: how delivery and time-based work back off, and a helper for lost races.

[`RetryPolicy`][deskflow.retry.RetryPolicy] says how a help desk's workers retry what failed:
a notification the notifier refused (exponential backoff with jitter, then a dead letter after
``max_attempts``), a ticket whose time-based work raised (the same backoff, never a dead
end), and how long a worker's claim on a ticket or an outbox item lasts before another worker
may take it over. [`retry_on_conflict()`][deskflow.retry.retry_on_conflict] re-runs a command
that lost a race (`ConcurrencyError`) a few times, with jittered sleeps in between.

>>> import random
>>> from datetime import timedelta
>>> policy = RetryPolicy(jitter=0.0)
>>> [policy.delay(n) for n in (1, 2, 3)] == [timedelta(seconds=s) for s in (30, 60, 120)]
True
>>> policy.delay(30)
datetime.timedelta(seconds=21600)
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import attrs

from deskflow.exceptions import ConcurrencyError, InvalidInput

__all__ = ["RetryPolicy", "retry_on_conflict"]

R = TypeVar("R")


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(f"{name} must be an int >= 1, got {value!r}")
    return value


def _attempts(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _count(attribute.name, value)


def _positive_span(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise InvalidInput(f"{attribute.name} must be a positive timedelta, got {value!r}")


def _factor(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 100:
        raise InvalidInput(f"{attribute.name} must be a number from 1 to 100, got {value!r}")


def _fraction(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidInput(f"{attribute.name} must be a number from 0 to 1, got {value!r}")


def _rng(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, random.Random):
        raise InvalidInput(f"{attribute.name} must be a random.Random, got {type(value).__name__}")


@attrs.frozen
class RetryPolicy:
    """
    How failed work is retried, and how long a worker's claim lasts.

    After the ``n``-th failed attempt the next one waits ``first_delay * factor ** (n - 1)``,
    at most ``cap``, less a random part: with ``jitter`` 1 (full jitter, the default) the wait
    is drawn uniformly from ``[0, delay]``, with 0.25 from ``[0.75 * delay, delay]``, with 0
    it is exact. The draws come from ``rng``: seed it to replay. A notification that failed
    ``max_attempts`` times becomes a dead letter. ``lease`` is how long a claim on a due
    ticket or an outbox item keeps other workers off it; a worker that crashes gives its work
    back when the lease runs out, so it should be well above the time one round takes.

    >>> RetryPolicy(max_attempts=0)
    Traceback (most recent call last):
    ...
    deskflow.exceptions.InvalidInput: max_attempts must be an int >= 1, got 0
    """

    max_attempts: int = attrs.field(default=10, validator=_attempts)
    first_delay: timedelta = attrs.field(default=timedelta(seconds=30), validator=_positive_span)
    factor: float = attrs.field(default=2.0, validator=_factor)
    cap: timedelta = attrs.field(default=timedelta(hours=6), validator=_positive_span)
    jitter: float = attrs.field(default=1.0, validator=_fraction)
    lease: timedelta = attrs.field(default=timedelta(minutes=5), validator=_positive_span)
    rng: random.Random = attrs.field(
        factory=random.Random, validator=_rng, eq=False, repr=False, kw_only=True
    )

    def __attrs_post_init__(self) -> None:
        if self.cap < self.first_delay:
            raise InvalidInput(
                f"cap ({self.cap}) must not be shorter than first_delay ({self.first_delay})"
            )

    def delay(self, attempts: int) -> timedelta:
        """
        How long to wait after ``attempts`` failed attempts (1 for the first failure).
        """
        _count("attempts", attempts)
        first, cap = self.first_delay.total_seconds(), self.cap.total_seconds()
        # The cap is reached after log_factor(cap / first) doublings; past that, factor ** n
        # would only overflow.
        reaches_cap = math.inf if self.factor == 1 else math.log(cap / first, self.factor)
        full = (
            cap if attempts - 1 >= reaches_cap else min(cap, first * self.factor ** (attempts - 1))
        )
        wait = full * (1 - self.jitter * self.rng.random())
        return timedelta(seconds=wait)

    def retry_at(self, attempts: int, now: datetime) -> datetime | None:
        """
        When a notification that failed ``attempts`` times is tried next; None when that was
        its last attempt (it becomes a dead letter).
        """
        if _count("attempts", attempts) >= self.max_attempts:
            return None
        return now + self.delay(attempts)


def retry_on_conflict(
    fn: Callable[..., R],
    /,
    *args: Any,
    attempts: int = 5,
    base: float = 0.01,
    cap: float = 0.5,
    rng: random.Random | None = None,
    sleep: Callable[[float], object] = time.sleep,
    **kwargs: Any,
) -> R:
    """
    Call ``fn(*args, **kwargs)``; when it raises
    [`ConcurrencyError`][deskflow.exceptions.ConcurrencyError] (another process changed the
    ticket first), call it again, at most ``attempts`` times in all, sleeping a random
    ``[0, min(cap, base * 2 ** n)]`` seconds before the ``n``-th retry ("full jitter", so
    racing processes spread out). The last ConcurrencyError is raised if every attempt lost;
    any other error is raised at once. Safe for HelpDesk commands: each attempt reloads the
    ticket, and a command that lost its race wrote nothing. (Arguments of ``fn`` named like
    this function's options go through a ``lambda`` or ``functools.partial``.)

    >>> from deskflow import Actor, HelpDesk, Role
    >>> from deskflow.adapters import InMemoryNotifier, InMemoryTicketRepository, SystemClock
    >>> desk = HelpDesk(InMemoryTicketRepository(), InMemoryNotifier(), SystemClock())
    >>> ann = Actor("ann", Role.REQUESTER)
    >>> retry_on_conflict(desk.open, ann, title="VPN down").id
    'INC-1'
    """
    _count("attempts", attempts)
    for name, value in (("base", base), ("cap", cap)):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise InvalidInput(f"{name} must be a number of seconds >= 0, got {value!r}")
    draw = rng if rng is not None else random.Random()
    for attempt in range(attempts):
        try:
            return fn(*args, **kwargs)
        except ConcurrencyError:
            if attempt == attempts - 1:
                raise
            sleep(draw.uniform(0, min(cap, base * 2.0 ** min(attempt, 64))))
    raise AssertionError("unreachable")  # pragma: no cover
