"""
The throwaway PostgreSQL server of the test suite runs, serves a database per test, restarts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy

import pgserver
from pgserver import PostgresServer
from stores import empty_store


def test_each_test_gets_an_empty_database(postgres_url: str) -> None:
    engine = sqlalchemy.create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            tables = connection.execute(
                sqlalchemy.text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            ).scalar_one()
            rows = connection.execute(
                sqlalchemy.text(
                    "SELECT name, setting FROM pg_settings WHERE name IN "
                    "('fsync', 'synchronous_commit', 'full_page_writes', 'listen_addresses')"
                )
            ).all()
    finally:
        engine.dispose()
    settings: dict[str, str] = dict(rows)
    assert 0 == tables
    expected = {
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "listen_addresses": "127.0.0.1",
    }
    assert expected == settings


def test_a_restart_keeps_the_data_and_pre_ping_reconnects(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    engine = sqlalchemy.create_engine(postgres_url, pool_pre_ping=True)
    try:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text("CREATE TABLE kept (n integer)"))
            connection.execute(sqlalchemy.text("INSERT INTO kept VALUES (1)"))
        postgres_server.restart()
        # The pooled connection died with the server; pre-ping replaces it unseen.
        with engine.connect() as connection:
            kept = connection.execute(sqlalchemy.text("SELECT n FROM kept")).scalar_one()
    finally:
        engine.dispose()
    assert 1 == kept


def test_empty_store_keeps_the_schema_and_restarts_counters(postgres_url: str) -> None:
    engine = sqlalchemy.create_engine(postgres_url)
    try:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text("CREATE TABLE parent (id serial PRIMARY KEY)"))
            connection.execute(
                sqlalchemy.text("CREATE TABLE child (parent integer REFERENCES parent (id))")
            )
            connection.execute(sqlalchemy.text("CREATE TABLE alembic_version (v text)"))
            connection.execute(sqlalchemy.text("INSERT INTO alembic_version VALUES ('head')"))
            connection.execute(sqlalchemy.text("INSERT INTO parent DEFAULT VALUES"))
            connection.execute(sqlalchemy.text("INSERT INTO child VALUES (1)"))
        empty_store(engine)
        with engine.begin() as connection:
            counts = [
                connection.execute(sqlalchemy.text(f"SELECT count(*) FROM {name}")).scalar_one()
                for name in ("parent", "child", "alembic_version")
            ]
            restarted = connection.execute(
                sqlalchemy.text("INSERT INTO parent DEFAULT VALUES RETURNING id")
            ).scalar_one()
    finally:
        engine.dispose()
    assert [0, 0, 1] == counts
    assert 1 == restarted


def test_empty_store_on_a_sqlite_file(tmp_path: Path) -> None:
    engine = sqlalchemy.create_engine(f"sqlite+pysqlite:///{tmp_path / 'store.sqlite'}")
    try:
        with engine.begin() as connection:
            connection.execute(
                sqlalchemy.text("CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT)")
            )
            connection.execute(sqlalchemy.text("INSERT INTO items DEFAULT VALUES"))
        empty_store(engine)
        with engine.begin() as connection:
            count = connection.execute(sqlalchemy.text("SELECT count(*) FROM items")).scalar_one()
            connection.execute(sqlalchemy.text("INSERT INTO items DEFAULT VALUES"))
            restarted = connection.execute(
                sqlalchemy.text("SELECT max(id) FROM items")
            ).scalar_one()
    finally:
        engine.dispose()
    assert (0, 1) == (count, restarted)


def test_without_binaries_a_developer_skips_with_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pgserver, "find_bin_dir", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"apt-get install postgresql"):
        pgserver.require_bin_dir()


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_without_binaries_ci_fails(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setattr(pgserver, "find_bin_dir", lambda: None)
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match=r"CI needs PostgreSQL.*apt-get install"):
        pgserver.require_bin_dir()


def test_binaries_are_found_newest_debian_version_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for version in ("9.6", "15", "13"):
        directory = tmp_path / version / "bin"
        directory.mkdir(parents=True)
        for name in ("initdb", "pg_ctl"):
            (directory / name).touch()
    monkeypatch.setattr(pgserver, "_DEBIAN_BINS", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    assert tmp_path / "15" / "bin" == pgserver.find_bin_dir()
