"""Shared fixtures: test projects copied from tests/roots/, the shipped content, and a CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from backpub.cli import cli

REPO = Path(__file__).resolve().parents[1]
ROOTS = Path(__file__).resolve().parent / "roots"
SHIPPED_CONTENT = REPO / "content"


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """Copy a test root (or the shipped content with root='shipped') into a temporary project folder."""

    def make(root: str = "minimal", name: str = "project") -> Path:
        target = tmp_path / name
        source = SHIPPED_CONTENT if root == "shipped" else ROOTS / root / "content"
        shutil.copytree(source, target / "content", symlinks=True)
        return target

    return make


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    """A fresh copy of the minimal test project."""
    return make_project("minimal")


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Invoke the backpub CLI in-process from a working directory, returning click's Result."""

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Result:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=True)

    return run


def edit(path: Path, old: str, new: str) -> None:
    """Replace text in a file, failing loudly if the text is not there (keeps broken-copy tests honest)."""
    text = path.read_text()
    assert old in text, f"{old!r} not found in {path}"
    path.write_text(text.replace(old, new, 1))
