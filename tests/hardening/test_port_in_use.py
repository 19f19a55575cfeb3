"""A port already in use is a one-line error and exit 1 for every command that listens, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

BACKPUB = str(Path(sys.executable).with_name("backpub"))
SECRET = {"BACKPUB_UNSUBSCRIBE_SECRET": "test-secret-0123456789abcdef"}


@pytest.mark.parametrize(
    "command",
    [["newsletter", "serve", "--smtp", "127.0.0.1:9"], ["preview", "--as-of", "2026-11-25", "-f", "json"]],
    ids=["newsletter serve", "preview"],
)
def test_a_port_in_use_is_one_line(project: Path, command: list[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [BACKPUB, *command, "--port", str(port)],
            cwd=project,
            env={**os.environ, **SECRET},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [f"Error: cannot listen on 127.0.0.1:{port}: Address already in use"]
