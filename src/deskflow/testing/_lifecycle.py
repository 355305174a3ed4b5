"""
How a contract suite opens and closes the adapter under test, and the Hypothesis settings its
property tests run with: the one place every contract suite gets them from.

A suite calls `fresh()` (never the factory itself) for each adapter it uses, so it knows what
to close; `close()` runs after every Hypothesis example and after every test, even one that
failed, so an adapter over a real database returns its connections example by example
instead of holding them until the test ends.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar, cast

import pytest
from hypothesis import HealthCheck, settings

from deskflow.ports import TicketRepository

T = TypeVar("T")

#: Health checks a slow real backend trips without being wrong.
SLOW_BACKEND_CHECKS = (HealthCheck.too_slow, HealthCheck.data_too_large)


def close_if_closable(adapter: object) -> None:
    """
    Call ``adapter.close()`` when it has one; the default way a suite releases an adapter.
    """
    close = getattr(adapter, "close", None)
    if callable(close):
        close()


class Lifecycle(Generic[T]):
    """
    The opening and closing of the adapters one contract suite makes.
    """

    def make(self) -> T:
        """
        Return a new adapter of the kind under test (each suite names its own factory).
        """
        raise NotImplementedError(f"{type(self).__name__} must define its factory")

    def close(self, adapter: T) -> None:
        """
        Release what ``adapter`` holds (each suite names its own hook).
        """
        close_if_closable(adapter)

    def contract_settings(self) -> settings:
        """
        The Hypothesis settings of this suite's property tests.

        No deadline (one example on a real database may take hundreds of milliseconds
        without being wrong) and no health checks about slowness; the number of examples
        and everything else come from the profile in force (``deskflow-dev``,
        ``deskflow-ci`` or your own). Override to change them, e.g.
        ``return settings(super().contract_settings(), max_examples=20)``.
        """
        return settings(deadline=None, suppress_health_check=SLOW_BACKEND_CHECKS)

    def setup_example(self) -> None:
        """
        Called before each Hypothesis example of this suite's property tests (and, as
        Hypothesis does, before each example of your own ``@given`` methods).
        """

    def teardown_example(self, token: object = None) -> None:
        """
        Called after each example, failed or not, before the adapters it made are closed.
        """

    # -- used by the suites -------------------------------------------------------------------

    def fresh(self) -> T:
        """
        A new adapter from the factory, closed after the current example or test.
        """
        adapter = self.make()
        self._opened().append(adapter)
        return adapter

    def run_property(self, test: Callable[..., None]) -> None:
        """
        Run a ``@given`` test under `contract_settings()`, each example between
        `setup_example()` and `teardown_example()`, its adapters closed after it.
        """
        # Hypothesis runs ``hypothesis.inner_test`` for each example; wrapping it is its
        # documented way to run code around every example of a test it did not write.
        handle = cast(Any, test).hypothesis
        inner: Callable[..., None] = handle.inner_test

        @functools.wraps(inner)
        def one_example(*args: object, **kwargs: object) -> None:
            with self.example():
                inner(*args, **kwargs)

        handle.inner_test = one_example
        self.contract_settings()(test)()

    @contextmanager
    def example(self) -> Iterator[None]:
        """
        One example: set up, run, tear down, then close the adapters made meanwhile.
        """
        opened = self._opened()
        mark = len(opened)
        self.setup_example()
        try:
            yield
        finally:
            try:
                self.teardown_example()
            finally:
                self._close_from(mark)

    @pytest.fixture(autouse=True)
    def _deskflow_close_adapters(self) -> Iterator[None]:
        # Whatever a test opened is closed when it ends, failed or not.
        yield
        self._close_from(0)

    def _opened(self) -> list[T]:
        opened: list[T] | None = self.__dict__.get("_deskflow_opened")
        if opened is None:
            opened = self.__dict__["_deskflow_opened"] = []
        return opened

    def _close_from(self, mark: int) -> None:
        opened = self._opened()
        closing = opened[mark:]
        del opened[mark:]
        errors: list[BaseException] = []
        for adapter in reversed(closing):
            try:
                self.close(adapter)
            except BaseException as error:  # every adapter is closed; the first error is raised
                errors.append(error)
        if errors:
            raise errors[0]


class RepositoryLifecycle(Lifecycle[TicketRepository]):
    """
    The factory and the closing hook of a repository suite; the mixins of
    TicketRepositoryContract share them.
    """

    def make_repository(self) -> TicketRepository:
        """
        Return a new, empty repository of the adapter under test.

        Called once per test and once per Hypothesis example.
        """
        raise NotImplementedError(f"{type(self).__name__} must define make_repository()")

    def close_repository(self, repository: TicketRepository) -> None:
        """
        Release what ``repository`` holds: its connections, its engine, its files.

        Called after every Hypothesis example and every test that made it, failed or not.
        The default calls ``repository.close()`` when the repository has one.
        """
        close_if_closable(repository)

    def make(self) -> TicketRepository:
        return self.make_repository()

    def close(self, adapter: TicketRepository) -> None:
        self.close_repository(adapter)
