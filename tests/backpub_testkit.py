"""Helpers shared by every test folder (imported by name: nested conftest.py files would shadow `conftest`)."""

from __future__ import annotations

import email
import fcntl
import os
import shutil
import socketserver
import subprocess
import threading
import zipfile
from collections.abc import Callable
from datetime import date
from email.header import decode_header, make_header
from email.policy import default as default_policy
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


def built_in_every_format(tmp_path_factory: pytest.TempPathFactory, root: str, as_of: date) -> Path:
    """A copy of a test root built in every format for `as_of`, once per test run (shared, read-only)."""

    def make(folder: Path) -> None:
        from backpub.build import build

        shutil.copytree(ROOTS / root / "content", folder / "content")
        build(folder / "content", as_of=as_of, jobs=2, use_cache=False)

    return made_once(tmp_path_factory, f"{root}-all-formats", make)


def output_texts(project: Path) -> dict[str, str]:
    """Every output file's text as a reader (or a program) gets it, by path under outputs/."""
    texts: dict[str, str] = {}
    for path in sorted((project / "outputs").rglob("*")):
        if path.is_file():
            texts.update(readable(path, path.relative_to(project / "outputs").as_posix()))
    return texts


def readable(path: Path, name: str) -> dict[str, str]:
    """PDFs through pdftotext, EPUBs file by file, e-mails decoded part by part, other text files as they are."""
    if path.suffix == ".pdf":
        return {name: subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout}
    if path.suffix == ".epub":
        with zipfile.ZipFile(path) as book:
            return {f"{name}!{member}": _text(book.read(member)) for member in book.namelist()}
    if path.suffix == ".eml":
        message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
        headers = "\n".join(f"{key}: {make_header(decode_header(str(value)))}" for key, value in message.items())
        parts = [_text(part.get_payload(decode=True) or b"") for part in message.walk() if not part.is_multipart()]
        return {name: "\n".join([headers, *parts])}
    return {name: _text(path.read_bytes())}


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return ""  # images and fonts say nothing
