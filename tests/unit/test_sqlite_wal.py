"""
A SQLite file opened by several processes at once: the switch to WAL waits its turn.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from deskflow.adapters.sql import engine_for


def test_a_connection_asks_again_for_wal_while_another_holds_the_file(tmp_path: Path) -> None:
    """
    A new file switches to WAL only when no other connection holds it; one that is told
    "database is locked" asks again instead of failing (eight processes opening an empty
    database at once hit this).
    """
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    engine = engine_for(f"sqlite:///{path}", connect_args={"timeout": 0.01})
    try:
        with engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()
        assert "wal" == mode
    finally:
        release.join()
        engine.dispose()
        holder.close()
