"""Golden outputs: each scenario under tests/roots/ built with fixed dates must match tests/golden/<scenario>/.

When a change to a format's output is intended, regenerate the golden folders with `scripts/update-golden`
and review the diff like any other change.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from backpub.build import build

GOLDEN = Path(__file__).resolve().parent / "golden"
ROOTS = Path(__file__).resolve().parent / "roots"
AS_OF = "2026-11-25"
SOURCE_DATE_EPOCH = "1764028800"  # 2025-11-25T00:00:00Z
TEXT_SUFFIXES = {".json", ".xml", ".txt", ".html", ".eml"}  # static copies (CSS) add nothing
SCENARIOS = {"minimal": ["json", "feed", "newsletter", "site"], "feed-audio": ["feed"]}
"""Scenario -> formats whose text outputs are compared (binary formats have their own reproducibility tests)."""


def text_files(folder: Path) -> dict[str, str]:
    """Each text output once: a file the build placed into the website (a hard link of another format's output)
    is the same file as its original, so only the original is kept (placement has its own tests)."""
    files: dict[str, str] = {}
    seen: set[tuple[int, int]] = set()
    for path in sorted(folder.rglob("*"), key=lambda path: (path.parts[len(folder.parts)] == "site", path)):
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES:
            continue
        identity = (path.stat().st_dev, path.stat().st_ino)
        if identity not in seen:
            seen.add(identity)
            files[path.relative_to(folder).as_posix()] = path.read_text()
    return files


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_outputs_match_golden(scenario, tmp_path, monkeypatch):
    from datetime import date

    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    shutil.copytree(ROOTS / scenario / "content", tmp_path / "content")
    build(tmp_path / "content", formats=SCENARIOS[scenario], as_of=date.fromisoformat(AS_OF), jobs=1)
    actual = text_files(tmp_path / "outputs")
    expected_dir = GOLDEN / scenario
    if os.environ.get("BACKPUB_UPDATE_GOLDEN"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        for relative, text in actual.items():
            (expected_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / relative).write_text(text)
    expected = text_files(expected_dir)
    assert sorted(actual) == sorted(expected), "the set of output files changed; run scripts/update-golden"
    for relative in expected:
        assert actual[relative] == expected[relative], f"{relative} differs from golden; run scripts/update-golden"
