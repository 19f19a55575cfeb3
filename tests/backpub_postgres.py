"""A real PostgreSQL server for the mailing list's tests: started once per test process, on a loopback port.

`initdb` makes a cluster in a temporary folder and `pg_ctl start -w` runs it (as the `postgres` user when the
tests run as root, as PostgreSQL refuses root), waiting until it accepts connections. Each test gets a schema of
its own (`fresh_url`), so tests never see each other's tables. Durability is off (fsync=off): the tests check
what the list does, not the disk; the benchmark runs a durable server.

Without PostgreSQL's binaries the tests that need it are skipped, unless BACKPUB_REQUIRE_POSTGRES=1 (scripts/test
sets it), where they fail: CI must never pass by skipping them.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

REQUIRE_ENV = "BACKPUB_REQUIRE_POSTGRES"


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's binaries (Debian keeps them in /usr/lib/postgresql/<version>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda path: int(path.parts[-3]))
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder."""

    def __init__(self, durable: bool = False) -> None:
        self.bin = postgres_bin()
        if self.bin is None:
            raise FileNotFoundError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
        self.durable = durable
        self.root = Path(tempfile.mkdtemp(prefix="backpub-pg-"))
        self.data = self.root / "data"
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.port = 0
        self._schemas = itertools.count(1)

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]], user=self.user, capture_output=True, text=True, timeout=120
        )

    def start(self) -> PostgresServer:
        made = self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed: {made.stderr.strip()}")
        settings = "-c listen_addresses=127.0.0.1 -c max_connections=200"
        if not self.durable:
            settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        for _attempt in range(5):  # a port picked here may be taken before the server binds it: pick again
            self.port = _free_port()
            options = f"-p {self.port} -k {self.root} {settings}"
            started = self._run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options, "-w", "start"
            )
            if started.returncode == 0:
                return self
        log = (self.root / "log").read_text(errors="replace") if (self.root / "log").exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr.strip()} {log[-2000:]}")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def fresh_url(self) -> str:
        """A URL whose tables live in a new, empty schema of their own."""
        import psycopg

        schema = f"t{os.getpid()}_{next(self._schemas)}"
        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(f"CREATE SCHEMA {schema}")
        return f"{self.url}?options=-csearch_path%3D{schema}"

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start_or_skip() -> PostgresServer:
    """A started server; skipped when PostgreSQL cannot run here, failed instead under BACKPUB_REQUIRE_POSTGRES=1."""
    try:
        return PostgresServer().start()
    except (FileNotFoundError, RuntimeError, OSError) as exc:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"PostgreSQL is required ({REQUIRE_ENV}=1) but cannot start: {exc}")
        pytest.skip(f"PostgreSQL cannot start here: {exc}")
