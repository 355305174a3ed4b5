"""
The contract suites open and close their adapters example by example: what a test or an
example made is closed after it, failed or not, between the per-example hooks, under the
suite's own Hypothesis settings.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

from deskflow.adapters.memory import InMemoryTicketRepository
from deskflow.ports import TicketRepository
from deskflow.testing.contracts import TicketRepositoryContract


class _Counted(TicketRepositoryContract):
    # Records every make and close, and how many repositories were open at most.
    def __init__(self) -> None:
        self.log: list[str] = []
        self.open = 0
        self.most_open = 0

    def make_repository(self) -> TicketRepository:
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        self.log.append("make")
        return InMemoryTicketRepository()

    def close_repository(self, repository: TicketRepository) -> None:
        self.open -= 1
        self.log.append("close")

    def setup_example(self) -> None:
        self.log.append("setup")

    def teardown_example(self, token: object = None) -> None:
        self.log.append("teardown")

    def contract_settings(self) -> settings:
        return settings(super().contract_settings(), max_examples=7, database=None)


class _Broken(_Counted):
    # Forgets every next check: the model test fails on it.
    def make_repository(self) -> TicketRepository:
        repo = super().make_repository()
        assert isinstance(repo, InMemoryTicketRepository)
        repo.due = lambda now, limit: []  # type: ignore[method-assign]
        return repo


def test_every_example_closes_what_it_made() -> None:
    """
    Each example of a property test gets one repository, closed before the next starts,
    between setup_example and teardown_example.
    """
    suite = _Counted()
    suite.test_agrees_with_a_model()
    assert 1 == suite.most_open
    assert 0 == suite.open
    examples = suite.log.count("make")
    assert 7 == examples
    assert ["setup", "make", "teardown", "close"] * examples == suite.log


def test_a_failing_example_still_closes_its_repository() -> None:
    """
    When examples fail (and Hypothesis shrinks them), every repository made is closed.
    """
    suite = _Broken()
    with pytest.raises(AssertionError):
        suite.test_agrees_with_a_model()
    assert suite.log.count("make") >= 2
    assert suite.log.count("make") == suite.log.count("close")
    assert 0 == suite.open
    assert 1 == suite.most_open


def test_the_suite_settings_have_no_deadline() -> None:
    """
    The default settings of a suite drop the deadline and the slowness health checks and
    leave the number of examples to the profile in force.
    """
    chosen = TicketRepositoryContract().contract_settings()
    assert chosen.deadline is None
    assert settings().max_examples == chosen.max_examples
    assert {"too_slow", "data_too_large"} <= {check.name for check in chosen.suppress_health_check}


def test_a_close_error_is_raised_after_every_adapter_is_closed() -> None:
    """
    A closing hook that raises does not stop the others; the first error is raised.
    """

    class Fussy(_Counted):
        def close_repository(self, repository: TicketRepository) -> None:
            super().close_repository(repository)
            raise RuntimeError("cannot close")

    suite = Fussy()

    def two_repositories() -> None:
        with suite.example():
            suite.fresh()
            suite.fresh()

    with pytest.raises(RuntimeError, match="cannot close"):
        two_repositories()
    assert 0 == suite.open


def test_an_adapter_with_close_is_closed_by_default() -> None:
    """
    Without a closing hook of its own, a suite calls the repository's close().
    """
    closed: list[InMemoryTicketRepository] = []

    class Closable(InMemoryTicketRepository):
        def close(self) -> None:
            closed.append(self)

    class Suite(TicketRepositoryContract):
        def make_repository(self) -> TicketRepository:
            return Closable()

    suite = Suite()
    with suite.example():
        suite.fresh()
    assert 1 == len(closed)
