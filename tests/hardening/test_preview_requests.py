"""The preview answers only requests addressed to it, and odd paths get a status, not a traceback (issue 16)."""

from __future__ import annotations

import http.client
from datetime import date
from pathlib import Path

import pytest

from backpub import Session
from backpub.commands.preview import Preview


@pytest.fixture
def preview(project: Path, capfd):
    session = Session(project / "content", as_of=date(2026, 11, 22))
    server = Preview(session, port=0, formats=("json",), jobs=1, log=lambda _: None)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def get(preview: Preview, path: str, host: str | None = None) -> tuple[int, bytes]:
    address, port = preview.server.server_address[:2]
    connection = http.client.HTTPConnection(address, port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "127.0.0.1.evil.example", None])
def test_requests_for_another_host_are_refused(preview: Preview, host: str | None) -> None:
    port = preview.server.server_address[1]
    code, _ = get(preview, "/_backpub/status", host.format(port=port) if host else None)
    assert code == 421


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost"])
def test_requests_addressed_to_the_preview_are_answered(preview: Preview, name: str) -> None:
    port = preview.server.server_address[1]
    code, body = get(preview, "/_backpub/status", f"{name}:{port}")
    assert code == 200 and b"build" in body


@pytest.mark.parametrize(
    "path", ["/_backpub/files/%00", "/%00", "/_backpub/files/a%0Ab", "/_backpub/files/" + "x" * 5000]
)
def test_odd_paths_get_a_status_not_a_traceback(preview: Preview, path: str, capfd) -> None:
    port = preview.server.server_address[1]
    code, _ = get(preview, path, f"127.0.0.1:{port}")
    assert code in (400, 404)
    assert "Traceback" not in capfd.readouterr().err
