"""Helpers shared by every test folder (imported by name: nested conftest.py files would shadow `conftest`)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOTS = Path(__file__).resolve().parent / "roots"
SHIPPED_CONTENT = REPO / "content"


def edit(path: Path, old: str, new: str) -> None:
    """Replace text in a file, failing loudly if the text is not there (keeps broken-copy tests honest)."""
    text = path.read_text()
    assert old in text, f"{old!r} not found in {path}"
    path.write_text(text.replace(old, new, 1))
