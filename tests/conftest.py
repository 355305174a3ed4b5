"""
Shared test configuration: the Hypothesis profiles and a real PostgreSQL server.

``dev`` is quick, for a developer's loop; ``ci`` runs many more examples. The Makefile picks
``ci`` when the ``CI`` variable is set; ``HYPOTHESIS_PROFILE`` chooses explicitly.

``postgres_server`` starts a throwaway PostgreSQL (tests/pgserver.py) once per test process,
the first time a test asks for it; ``postgres_url`` gives a test a new, empty database on it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from pgserver import PostgresServer, require_bin_dir

settings.register_profile(
    "ci",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


# -- a real PostgreSQL server ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """
    A throwaway PostgreSQL server for this test process (each xdist worker starts its own).

    Without PostgreSQL's binaries the test skips, saying how to install them; under CI
    (``CI=true``) it fails instead, so a CI machine never passes without running them.
    """
    server = PostgresServer(require_bin_dir())
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """
    The SQLAlchemy URL (``postgresql+psycopg://``) of a new, empty database, dropped after the test.
    """
    name = postgres_server.create_database()
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop_database(name)
