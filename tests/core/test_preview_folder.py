"""A preview never sits where a deploy picks it up: `build --as-of` another day writes outputs/preview-<day>/, never
outputs/ (whose site/ a deploy uploads as it is), unless --output says where; a build for today writes outputs/."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from backpub import clock

EPISODE_PAGE = "site/episodes/episode-one/index.html"
"""The minimal project's one episode, released on Sunday 22 November 2026."""


@pytest.fixture
def saturday(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today is Saturday 21 November 2026 in the programme's timezone: the episode is out tomorrow."""
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 21, 12, tzinfo=UTC))


def _files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_a_preview_of_tomorrow_is_written_beside_the_outputs_never_into_them(run_cli, project: Path, saturday) -> None:
    today = run_cli("build", "-f", "site", "-q", cwd=project)
    assert today.exit_code == 0, today.output
    published = _files(project / "outputs" / "site")
    assert EPISODE_PAGE.removeprefix("site/") not in published  # not out yet

    preview = run_cli("build", "-f", "site", "--as-of", "2026-11-22", cwd=project)
    assert preview.exit_code == 0, preview.output
    assert (project / "outputs" / "preview-2026-11-22" / EPISODE_PAGE).is_file()
    assert _files(project / "outputs" / "site") == published  # what a deploy uploads is as it was
    assert "written to" in preview.output and "preview-2026-11-22" in preview.output

    again = run_cli("build", "-f", "site", "--report", "json", cwd=project)  # a build for today beside a preview
    assert again.exit_code == 0, again.output
    assert (project / "outputs" / "preview-2026-11-22" / EPISODE_PAGE).is_file()


def test_output_says_where_a_preview_goes_and_an_as_of_of_today_is_a_build_for_today(
    run_cli, project: Path, saturday
) -> None:
    asked = run_cli("build", "-f", "site", "--as-of", "2026-11-22", "--output", "elsewhere", "-q", cwd=project)
    assert asked.exit_code == 0, asked.output
    assert (project / "elsewhere" / EPISODE_PAGE).is_file() and not (project / "outputs").exists()
    today = run_cli("build", "-f", "json", "--as-of", "2026-11-21", "-q", cwd=project)
    assert today.exit_code == 0, today.output
    assert (project / "outputs" / "json" / "programme.json").is_file()
    assert not list((project / "outputs").glob("preview-*"))
