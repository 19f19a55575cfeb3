"""The project session: one clock, one "today" in the programme's timezone, agreed on by every command."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from backpub import Session, clock
from backpub_testkit import edit

SATURDAY_NIGHT_UTC = datetime(2026, 11, 21, 23, 30, tzinfo=UTC)
"""Already Sunday 22 November (00:30) in Berlin, still Saturday in UTC and in London."""


@pytest.fixture
def berlin_project(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    edit(project / "content/programme.yaml", "timezone: Europe/London", "timezone: Europe/Berlin")
    # reviewed a year and a day before that Sunday: overdue only if "today" is the Sunday
    edit(project / "content/concepts/back-not-leg.md", "reviewed: 2026-11-01", "reviewed: 2025-11-21")
    monkeypatch.setattr(clock, "now", lambda: SATURDAY_NIGHT_UTC)
    return project


def test_session_today_is_today_in_the_programmes_timezone(berlin_project: Path) -> None:
    session = Session(berlin_project / "content")
    assert session.today == date(2026, 11, 22)
    assert session.as_of == date(2026, 11, 22) and not session.is_preview
    assert Session(berlin_project / "content", as_of=date(2026, 11, 29)).is_preview


def test_build_validate_schedule_and_newsletter_agree_on_the_date(berlin_project: Path, run_cli) -> None:
    validate = run_cli("validate", cwd=berlin_project)
    assert validate.exit_code == 0, validate.output
    assert "content review is overdue" in validate.output  # due Saturday 21, so today is the Sunday

    schedule = run_cli("schedule", cwd=berlin_project)
    assert "Schedule from 2026-11-22 (Europe/Berlin)" in schedule.output
    assert "#1 Sciatica explained (released)" in schedule.output

    build = run_cli("build", "-f", "feed", "-q", cwd=berlin_project)
    assert build.exit_code == 0, build.output
    (feed,) = (berlin_project / "outputs/feed").glob("*.xml")
    assert "Sciatica explained" in feed.read_text()  # the Sunday episode is out
    again = run_cli("build", "-f", "feed", cwd=berlin_project)
    assert "nothing changed since the last build" in again.output  # the stamp agrees on the day too

    (berlin_project / "subscribers.csv").write_text("email,name\nreader@example.org,Reader\n")
    assert run_cli("newsletter", "import", "subscribers.csv", cwd=berlin_project).exit_code == 0
    send = run_cli(
        "newsletter", "send", "--issue", "2026-11-22", "--smtp", "127.0.0.1:25", "--dry-run", cwd=berlin_project
    )
    assert send.exit_code == 0, send.output
    assert "Dry run of the 2026-11-22 issue" in send.output


def test_content_folder_is_an_option_everywhere_and_the_old_positional_form_still_works(project, run_cli) -> None:
    outside = project.parent
    for command in (["validate"], ["schedule"]):
        assert (
            run_cli(*command, "--content", str(project / "content"), "--as-of", "2026-11-22", cwd=outside).exit_code
            == 0
        )
        assert run_cli(*command, str(project / "content"), "--as-of", "2026-11-22", cwd=outside).exit_code == 0
    assert run_cli("build", "--content", str(project / "content"), "-f", "json", cwd=outside).exit_code == 0
    missing = run_cli("validate", "--content", str(outside / "nowhere"), cwd=outside)
    assert missing.exit_code == 1 and "does not exist" in missing.output
