"""`backpub schedule` (core) on the feed's test project: which episode goes out on each coming Sunday."""

from __future__ import annotations

pytest_plugins = ["feed_testing"]  # the feed_project fixture


def test_schedule_lists_coming_sundays_and_gaps(feed_project, run_cli):
    result = run_cli("schedule", "content", "--as-of", "2026-11-25", "--weeks", "4", cwd=feed_project)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Schedule from 2026-11-25 (Europe/London):",
        "  latest released: #1 Sciatica explained (2026-11-22)",
        "  2026-11-29  #2 Ice, not heat",
        "  2026-12-06  #3 Standing tall",
        "  2026-12-13  -- no episode scheduled --",
        "  2026-12-20  -- no episode scheduled --",
    ]


def test_schedule_on_a_sunday_marks_that_days_episode_released(feed_project, run_cli):
    result = run_cli("schedule", "content", "--as-of", "2026-11-29", "--weeks", "1", cwd=feed_project)
    assert result.exit_code == 0, result.output
    assert "  2026-11-29  #2 Ice, not heat (released)" in result.output.splitlines()
    assert "  and 1 episode scheduled later" in result.output.splitlines()
