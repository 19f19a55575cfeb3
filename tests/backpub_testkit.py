"""Helpers shared by every test folder (imported by name: nested conftest.py files would shadow `conftest`)."""

from __future__ import annotations

import fcntl
import os
import shutil
import socketserver
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOTS = Path(__file__).resolve().parent / "roots"
SHIPPED_CONTENT = REPO / "content"
"""The shipped programme: only tests/test_shipped_content.py reads it, so adding content never breaks a test."""
FULL_PROGRAMME = ROOTS / "back-in-shape" / "content"
"""A full test programme: Back In Shape as it shipped when the tests moved onto their own projects (frozen)."""


def edit(path: Path, old: str, new: str) -> None:
    """Replace text in a file, failing loudly if the text is not there (keeps broken-copy tests honest)."""
    text = path.read_text()
    assert old in text, f"{old!r} not found in {path}"
    path.write_text(text.replace(old, new, 1))


def made_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """A folder that `make(folder)` fills once per test run and every test process shares (read-only).

    Under pytest-xdist the first worker to ask makes it while the others block on a file lock (they wait for that
    event, they do not poll); a `make` that raises leaves nothing behind, so the next one to ask tries again."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's own folder, shared by its workers (each worker's basetemp is inside it)
    folder = root / f"made-once-{name}"
    with open(root / f"made-once-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".made").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            try:
                make(folder)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            (folder / ".made").touch()
    return folder


def serve_in_thread(server: socketserver.BaseServer) -> threading.Thread:
    """Serve in a daemon thread whose loop notices `server.shutdown()` within 10 ms: with serve_forever's default
    half-second poll, every test that stops a server would wait up to that long for it."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    return thread
