"""
Retrying: the backoff of RetryPolicy and the bounded, jittered retry of a lost race.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import ANN, LEE, T0, helpdesk
from deskflow import ConcurrencyError, InvalidInput, NotFound
from deskflow.retry import RetryPolicy, retry_on_conflict

S = timedelta(seconds=1)


def test_the_backoff_doubles_from_the_first_delay_up_to_the_cap() -> None:
    """
    Without jitter the waits are 30 s, 60 s, 120 s, ... and never more than the cap.
    """
    policy = RetryPolicy(jitter=0.0)
    assert [30 * S, 60 * S, 120 * S, 240 * S] == [policy.delay(n) for n in range(1, 5)]
    assert timedelta(hours=6) == policy.delay(11) == policy.delay(10_000)


@given(attempts=st.integers(1, 200), jitter=st.floats(0, 1), seed=st.integers(0, 2**32))
def test_a_jittered_wait_lies_between_its_floor_and_the_full_delay(
    attempts: int, jitter: float, seed: int
) -> None:
    """
    With jitter j, the wait is drawn from [(1 - j) * delay, delay].
    """
    exact = RetryPolicy(jitter=0.0, factor=100).delay(attempts)
    wait = RetryPolicy(jitter=jitter, factor=100, rng=random.Random(seed)).delay(attempts)
    assert exact * (1 - jitter) - timedelta(microseconds=1) <= wait <= exact


def test_the_draws_replay_from_a_seeded_generator() -> None:
    """
    Two policies on generators with the same seed wait the same.
    """
    one, two = (RetryPolicy(rng=random.Random(7)) for _ in range(2))
    assert [one.delay(n) for n in range(1, 8)] == [two.delay(n) for n in range(1, 8)]


def test_the_last_attempt_has_no_retry() -> None:
    """
    retry_at gives the next attempt's time until max_attempts failures, then None.
    """
    policy = RetryPolicy(max_attempts=3, jitter=0.0)
    assert [T0 + 30 * S, T0 + 60 * S, None, None] == [policy.retry_at(n, T0) for n in (1, 2, 3, 4)]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": True}, "max_attempts"),
        ({"first_delay": timedelta(0)}, "first_delay"),
        ({"first_delay": 30}, "first_delay"),
        ({"factor": 0.5}, "factor"),
        ({"cap": timedelta(seconds=1)}, "cap"),
        ({"jitter": 1.5}, "jitter"),
        ({"lease": -S}, "lease"),
        ({"rng": 42}, "rng"),
    ],
)
def test_a_bad_policy_is_refused(options: dict[str, object], field: str) -> None:
    """
    Each out-of-range option is InvalidInput naming it.
    """
    with pytest.raises(InvalidInput, match=field):
        RetryPolicy(**options)  # type: ignore[arg-type]


def test_delay_refuses_a_bad_count() -> None:
    """
    Attempts are counted from 1.
    """
    with pytest.raises(InvalidInput, match="attempts"):
        RetryPolicy().delay(0)


def test_a_lost_race_is_retried_with_jittered_growing_sleeps() -> None:
    """
    retry_on_conflict calls again after each ConcurrencyError, sleeping within
    [0, min(cap, base * 2 ** n)] before the n-th retry, and returns the first success.
    """
    calls: list[int] = []
    sleeps: list[float] = []

    def flaky(x: int, *, y: int) -> int:
        calls.append(x)
        if len(calls) < 4:
            raise ConcurrencyError("lost")
        return x + y

    result = retry_on_conflict(
        flaky, 1, y=2, attempts=5, base=0.1, cap=0.3, rng=random.Random(1), sleep=sleeps.append
    )
    assert 3 == result
    assert [1, 1, 1, 1] == calls
    assert 3 == len(sleeps)
    for n, slept in enumerate(sleeps):
        assert 0 <= slept <= min(0.3, 0.1 * 2**n)


def test_the_retry_is_bounded_and_raises_the_last_conflict() -> None:
    """
    After ``attempts`` lost races the last ConcurrencyError is raised; no sleep follows it.
    """
    sleeps: list[float] = []

    def always() -> None:
        raise ConcurrencyError("lost again")

    with pytest.raises(ConcurrencyError, match="lost again"):
        retry_on_conflict(always, attempts=3, sleep=sleeps.append)
    assert 2 == len(sleeps)


def test_other_errors_are_not_retried() -> None:
    """
    Only a lost race is retried: any other error is raised at once.
    """
    sleeps: list[float] = []
    calls: list[None] = []

    def missing() -> None:
        calls.append(None)
        raise NotFound("no such ticket")

    with pytest.raises(NotFound):
        retry_on_conflict(missing, sleep=sleeps.append)
    assert ([None], []) == (calls, sleeps)


@pytest.mark.parametrize(
    ("options", "field"),
    [({"attempts": 0}, "attempts"), ({"base": -1}, "base"), ({"cap": "x"}, "cap")],
)
def test_bad_retry_options_are_refused(options: dict[str, object], field: str) -> None:
    """
    The options are checked before the first call.
    """
    with pytest.raises(InvalidInput, match=field):
        retry_on_conflict(lambda: None, **options)  # type: ignore[arg-type]


def test_a_helpdesk_command_that_lost_its_race_succeeds_on_retry() -> None:
    """
    A command run through retry_on_conflict reloads the ticket each time, so it lands after
    another process's change.
    """
    rig = helpdesk()
    ticket = rig.desk.open(ANN, title="VPN down")
    original_save_all = rig.repo.save_all
    raced: list[bool] = []

    def save_all_after_someone_else(writes: object) -> None:
        if not raced:
            raced.append(True)
            rig.desk.comment(ANN, ticket.id, body="Still down")  # gets in first
        original_save_all(writes)  # type: ignore[arg-type]

    rig.repo.save_all = save_all_after_someone_else  # type: ignore[method-assign]
    view = retry_on_conflict(rig.desk.comment, LEE, ticket.id, body="On it", sleep=lambda _s: None)
    assert ["Still down", "On it"] == [c.body for c in view.comments]
