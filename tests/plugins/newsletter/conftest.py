"""A real SMTP server on loopback (aiosmtpd), started per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from newsletter_smtp import LoopbackController, Recorder


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
