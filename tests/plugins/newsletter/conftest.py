"""A real SMTP server on loopback (aiosmtpd), started per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from aiosmtpd.controller import Controller
from newsletter_smtp import Recorder, free_port


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., tuple[Recorder, str]]]:
    """Start SMTP servers on loopback: `start(recorder, auth=None)` -> (recorder, 'HOST:PORT')."""
    controllers: list[Controller] = []

    def start(recorder: Recorder | None = None, *, authenticator=None) -> tuple[Recorder, str]:
        recorder = recorder or Recorder()
        port = free_port()
        options = {}
        if authenticator is not None:
            options = {"authenticator": authenticator, "auth_require_tls": False}
        controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return recorder, f"127.0.0.1:{port}"

    yield start
    for controller in controllers:
        controller.stop()
