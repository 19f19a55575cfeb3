"""The mailing list's fixtures: a real SMTP server on loopback (aiosmtpd), and its database on each engine: a
SQLite file, or a schema of its own in a PostgreSQL server started once per test process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from list_smtp import LoopbackController, Recorder

from backpub_postgres import PostgresServer, start_or_skip

ENGINES = ["sqlite", "postgresql"]


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., tuple[Recorder, str]]]:
    """Start SMTP servers on loopback: `start(recorder, auth=None)` -> (recorder, 'HOST:PORT')."""
    controllers: list[LoopbackController] = []

    def start(recorder: Recorder | None = None, *, authenticator=None) -> tuple[Recorder, str]:
        recorder = recorder or Recorder()
        options = {}
        if authenticator is not None:
            options = {"authenticator": authenticator, "auth_require_tls": False}
        controller = LoopbackController(recorder, **options)
        controller.start()
        controllers.append(controller)
        return recorder, controller.address

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for this test process (skipped, or failed under BACKPUB_REQUIRE_POSTGRES=1, when it
    cannot start)."""
    server = start_or_skip()
    yield server
    server.stop()


@pytest.fixture(params=ENGINES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The list's database on each engine: a SQLite file path, or a postgresql:// URL of an empty schema."""
    if request.param == "sqlite":
        return str(tmp_path / "state" / "list.sqlite")
    return request.getfixturevalue("postgres").fresh_url()
