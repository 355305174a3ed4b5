"""
A throwaway PostgreSQL server for the test suite, over ``initdb`` and ``pg_ctl``.

`PostgresServer.start()` makes a cluster in a new temporary directory, listening on a unix
socket in that directory and on 127.0.0.1 at a free port, with durability off (``fsync``,
``synchronous_commit``, ``full_page_writes``): a test server loses nothing it needs on a crash.
As root (CI), the cluster belongs to the ``postgres`` user, created as a system user when
missing, since PostgreSQL refuses to run as root. `stop()` stops it and removes the
directory. tests/conftest.py starts one server per test process (each pytest-xdist worker is
a process of its own, with its own port) and gives each test a database of its own.

The binaries are found on PATH, else in ``/usr/lib/postgresql/<version>/bin`` (Debian's
layout), newest version first.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

__all__ = ["INSTALL_HINT", "PostgresServer", "find_bin_dir", "in_ci", "require_bin_dir"]

INSTALL_HINT = (
    "PostgreSQL's server binaries (initdb, pg_ctl) were not found on PATH nor under "
    "/usr/lib/postgresql/*/bin; install them, e.g. `apt-get install postgresql` on Debian "
    "or Ubuntu (`brew install postgresql` on macOS)"
)

_DEBIAN_BINS = Path("/usr/lib/postgresql")
_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "32MB",
    "log_min_messages": "warning",
}
# A unix socket path longer than this is refused by the kernel (sun_path is 108 bytes).
_SOCKET_PATH_LIMIT = 100


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (0,)


def find_bin_dir() -> Path | None:
    """
    The directory holding ``initdb`` and ``pg_ctl``: PATH first, then Debian's versions.
    """
    on_path = shutil.which("pg_ctl")
    if on_path is not None:
        directory = Path(on_path).resolve().parent
        if (directory / "initdb").exists():
            return directory
    candidates = sorted(_DEBIAN_BINS.glob("*/bin"), key=_version_key, reverse=True)
    for directory in candidates:
        if (directory / "pg_ctl").exists() and (directory / "initdb").exists():
            return directory
    return None


def in_ci() -> bool:
    """
    Whether the suite runs under CI (``CI`` set to anything but empty, 0, false or no).
    """
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_bin_dir() -> Path:
    """
    The binaries' directory; without one, skip the test saying how to install them, or fail
    under CI, where a missing server must never pass as skipped tests.
    """
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if in_ci():
            pytest.fail(f"CI needs PostgreSQL: {INSTALL_HINT}", pytrace=False)
        pytest.skip(INSTALL_HINT)
    return bin_dir


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _postgres_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam("postgres")


class PostgresServer:
    """
    One PostgreSQL cluster in a temporary directory, for the length of a test session.
    """

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.base = Path(tempfile.mkdtemp(prefix="deskflow-pg-"))
        if len(str(self.base)) > _SOCKET_PATH_LIMIT - 20:
            shutil.rmtree(self.base)
            self.base = Path(tempfile.mkdtemp(prefix="deskflow-pg-", dir="/tmp"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self.port = 0
        self._owner = _postgres_user() if os.geteuid() == 0 else None
        if self._owner is not None:
            os.chown(self.base, self._owner.pw_uid, self._owner.pw_gid)

    # -- running the binaries ----------------------------------------------------------------

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        owner = self._owner
        return subprocess.run(
            command,
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.base,
            # As root, run as the postgres user: initdb and postgres refuse to run as root.
            user=None if owner is None else owner.pw_uid,
            group=None if owner is None else owner.pw_gid,
            extra_groups=None if owner is None else [],
            env={**os.environ, "LC_ALL": "C", "PGTZ": "UTC"},
        )

    def _checked(self, *args: str) -> None:
        result = self._run(*args)
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(
                f"{args[0]} failed ({result.returncode}):\n{result.stdout}{result.stderr}\n{log}"
            )

    def _configure(self, port: int) -> None:
        settings = {
            **_SETTINGS,
            "port": str(port),
            "unix_socket_directories": f"'{self.base}'",
        }
        conf = self.data / "postgresql.auto.conf"
        conf.write_text("".join(f"{name} = {value}\n" for name, value in settings.items()))

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, attempts: int = 5) -> None:
        """
        Create the cluster and start it at a free port (retried if another process took it).
        """
        self._checked(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--locale=C", "--no-sync", "--no-instructions",
        )  # fmt: skip
        for attempt in range(attempts):
            self.port = _free_port()
            self._configure(self.port)
            result = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "start")
            if result.returncode == 0:
                return
            if attempt == attempts - 1:
                raise RuntimeError(f"pg_ctl start failed:\n{result.stdout}{result.stderr}")

    def restart(self) -> None:
        """
        Restart the server (fast shutdown: open connections are cut), same port.
        """
        self._checked("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-m", "fast",
                      "restart")  # fmt: skip

    def stop(self) -> None:
        """
        Stop the server if it runs and remove its directory.
        """
        pid_file = self.data / "postmaster.pid"
        try:
            if pid_file.exists():
                stopped = self._run("pg_ctl", "-D", str(self.data), "-w", "-m", "fast", "stop")
                if stopped.returncode != 0 and pid_file.exists():
                    self._run("pg_ctl", "-D", str(self.data), "-w", "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    # -- databases ---------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        """
        The SQLAlchemy URL of a database of this server, over TCP on 127.0.0.1 with psycopg 3.
        """
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _admin(self, statement: str) -> None:
        import psycopg  # only the PostgreSQL tests need the driver

        with psycopg.connect(
            host=str(self.base), port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(statement.encode())

    def create_database(self) -> str:
        """
        Create an empty database with a new name and return that name.
        """
        name = f"test_{uuid.uuid4().hex}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return name

    def drop_database(self, name: str) -> None:
        """
        Drop a database, cutting any connection a test left open to it.
        """
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
