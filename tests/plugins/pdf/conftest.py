"""The full test programme's PDFs (tests/roots/back-in-shape), built once per test run through the CLI and shared by the PDF tests (read-only)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from pdf_support import AS_OF

from backpub.cli import cli
from backpub_testkit import FULL_PROGRAMME, made_once


def _build_full(folder: Path) -> None:
    shutil.copytree(FULL_PROGRAMME, folder / "content")
    args = ["build", "--content", str(folder / "content"), "--format", "pdf", "--as-of", AS_OF.isoformat()]
    args += ["--output", str(folder / "outputs")]  # a preview of that day, asked to write outputs/
    result = CliRunner().invoke(cli, [*args, "--jobs", "2"], catch_exceptions=True)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session")
def full_pdfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the full test programme whose every PDF (plain, branded, packs) `backpub build` wrote; the PDF
    tests only read it. One build serves every test file and every test process."""
    return made_once(tmp_path_factory, "full-pdfs", _build_full)
