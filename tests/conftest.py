"""Shared fixtures: test projects copied from tests/roots/, the shipped content, and a CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from backpub.cli import cli
from backpub_testkit import REPO, ROOTS, SHIPPED_CONTENT, edit

__all__ = ["REPO", "ROOTS", "SHIPPED_CONTENT", "edit"]

pytest_plugins = ["backpub.testing"]  # the fixtures backpub offers plugin authors, tested like any others


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
