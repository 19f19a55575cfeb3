"""`backpub new`: the next free Sunday in the programme's timezone, fresh identities, placeholders that validation
reports until they are replaced, and never overwriting a file."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from backpub.clock import today_in as local_today
from backpub.commands.scaffold import new_entity, next_free_sunday
from backpub.model.kinds import BUILT_IN


def _front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text().split("---")[1])


# -- the next-Sunday rule ----------------------------------------------------------------------


def _brute_force(today: date, taken: set[date]) -> date:
    """Walk forward day by day: the first Sunday after today that no episode uses."""
    day = today + timedelta(days=1)
    while day.weekday() != 6 or day in taken:
        day += timedelta(days=1)
    return day


def test_next_free_sunday_on_every_day_of_a_year_skips_taken_sundays() -> None:
    start = date(2026, 1, 1)
    sundays = [start + timedelta(days=(6 - start.weekday()) % 7 + 7 * week) for week in range(60)]
    taken = {sunday for index, sunday in enumerate(sundays) if index % 3 != 1}  # two of every three are taken
    for offset in range(366):
        today = start + timedelta(days=offset)
        found = next_free_sunday(today, taken)
        assert found == _brute_force(today, taken), today
        assert found.weekday() == 6 and found > today and found not in taken
    assert next_free_sunday(date(2026, 11, 21), set()) == date(2026, 11, 22)  # Saturday: tomorrow
    assert next_free_sunday(date(2026, 11, 22), set()) == date(2026, 11, 29)  # Sunday: a week on
    assert next_free_sunday(date(2026, 11, 22), {date(2026, 11, 29)}) == date(2026, 12, 6)


def _london_offset(moment: datetime) -> timedelta:
    """British Summer Time, computed from its rule rather than tzdata: from 01:00 UTC on the last Sunday of March
    to 01:00 UTC on the last Sunday of October."""

    def last_sunday(month: int) -> datetime:
        day = date(moment.year, month, 31)
        day -= timedelta(days=(day.weekday() - 6) % 7)
        return datetime(day.year, day.month, day.day, 1, tzinfo=UTC)

    return timedelta(hours=1) if last_sunday(3) <= moment < last_sunday(10) else timedelta(0)


def test_today_is_the_programmes_local_date_on_every_day_of_a_year() -> None:
    """At 23:30 UTC it is already tomorrow in London during summer time, and still today in winter."""
    for offset in range(365):
        moment = datetime(2026, 1, 1, 23, 30, tzinfo=UTC) + timedelta(days=offset)
        assert local_today("Europe/London", moment) == (moment + _london_offset(moment)).date(), moment


@pytest.mark.parametrize(
    ("zone", "now", "today", "sunday"),
    [
        # London leaves summer time at 01:00 UTC on Sunday 25 October 2026.
        ("Europe/London", datetime(2026, 10, 24, 23, 30, tzinfo=UTC), date(2026, 10, 25), date(2026, 11, 1)),
        ("Europe/London", datetime(2026, 10, 31, 23, 30, tzinfo=UTC), date(2026, 10, 31), date(2026, 11, 1)),
        # ... and enters it at 01:00 UTC on Sunday 29 March 2026.
        ("Europe/London", datetime(2026, 3, 28, 23, 30, tzinfo=UTC), date(2026, 3, 28), date(2026, 3, 29)),
        ("Europe/London", datetime(2026, 3, 29, 23, 30, tzinfo=UTC), date(2026, 3, 30), date(2026, 4, 5)),
        # Los Angeles leaves daylight time at 09:00 UTC on Sunday 1 November 2026: UTC is a day ahead until then.
        ("America/Los_Angeles", datetime(2026, 11, 1, 7, 30, tzinfo=UTC), date(2026, 11, 1), date(2026, 11, 8)),
        ("America/Los_Angeles", datetime(2026, 11, 8, 7, 30, tzinfo=UTC), date(2026, 11, 7), date(2026, 11, 8)),
    ],
)
def test_next_sunday_across_a_daylight_saving_change(zone: str, now: datetime, today: date, sunday: date) -> None:
    assert local_today(zone, now) == today
    assert next_free_sunday(today, set()) == sunday


def test_new_episode_takes_the_next_free_sunday_in_the_programmes_timezone(make_project) -> None:
    content = make_project("back-in-shape") / "content"
    # Saturday 14 November 2026, 23:30 in London: the first Sunday is the 15th...
    saturday_night = datetime(2026, 11, 14, 23, 30, tzinfo=UTC)
    first = _front_matter(new_entity(content, "episode", now=saturday_night))
    assert first["release"] == date(2026, 11, 15)
    # ... the 22nd has the programme's episode, so the one after is the 29th.
    second = _front_matter(new_entity(content, "episode", now=saturday_night))
    assert second["release"] == date(2026, 11, 29)
    assert (first["number"], second["number"]) == (2, 3)


# -- the files ---------------------------------------------------------------------------------


def test_new_episode_has_a_fresh_identity_and_no_review_record(run_cli, make_project) -> None:
    """A tool never signs a clinician's name: the review record stays empty until the reviewer writes it."""
    project = make_project("back-in-shape")
    result = run_cli("new", "episode", cwd=project)
    assert result.exit_code == 0, result.output
    path = project / result.output.strip()
    assert path == project / "content" / "episodes" / "episode-002.md"
    data = _front_matter(path)
    today = local_today("Europe/London")
    assert data["number"] == 2
    assert data["release"] == next_free_sunday(today, {date(2026, 11, 22)})
    assert data["reviewed"] is None and data["reviewer"] is None
    assert "H. Marsh" not in path.read_text()
    assert uuid.UUID(data["guid"]).version == 4
    again = _front_matter(project / run_cli("new", "episode", "another", cwd=project).output.strip())
    assert again["guid"] != data["guid"] and again["number"] == 3


def test_new_never_overwrites_a_file(run_cli, make_project) -> None:
    project = make_project("back-in-shape")
    target = project / "content" / "protocols" / "wall-drill.md"
    before = target.read_bytes()
    result = run_cli("new", "protocol", "wall-drill", cwd=project)
    assert result.exit_code == 1
    assert "already exists" in result.output and "never overwrites" in result.output
    assert target.read_bytes() == before
    first = run_cli("new", "episode", "next-one", cwd=project)
    assert first.exit_code == 0
    written = (project / first.output.strip()).read_bytes()
    second = run_cli("new", "episode", "next-one", cwd=project)
    assert second.exit_code == 1 and (project / first.output.strip()).read_bytes() == written


def test_date_must_be_a_sunday_and_ids_must_be_kebab_case(run_cli, make_project) -> None:
    project = make_project("back-in-shape")
    result = run_cli("new", "episode", "--date", "2026-12-08", cwd=project)
    assert result.exit_code == 1 and "is a Tuesday; episodes go out on Sundays" in result.output
    result = run_cli("new", "episode", "--date", "2026-12-13", cwd=project)
    assert result.exit_code == 0 and _front_matter(project / result.output.strip())["release"] == date(2026, 12, 13)
    assert run_cli("new", "concept", "Not An Id", cwd=project).exit_code == 1
    assert "give the new concept's id" in run_cli("new", "concept", cwd=project).output
    assert "Traceback" not in result.output


# -- placeholders until replaced ---------------------------------------------------------------

FILL = {
    "title:": 'title: "Standing tall again"',
    "reviewed:": "reviewed: 2026-12-01",
    "reviewer:": 'reviewer: "H. Marsh, MCSP"',
    "summary:": 'summary: "How the wall drill helps you stand upright again."',
    "  TODO: the show notes": "  We practise the wall drill together.",
    "  url:": "  url: https://media.example.org/back-in-shape/episode-002.mp3",
    "  size_bytes:": "  size_bytes: 9800000",
    "  duration_seconds:": "  duration_seconds: 612",
    "covers:": "covers: [wall-drill, endless-stretching]",
    "TODO: the deep-dive": "Standing against a wall for 5 to 10 seconds at a time helps you reorientate yourself.",
}


def fill_placeholders(path: Path) -> None:
    """Replace every line holding a placeholder, and nothing else."""
    lines = []
    for line in path.read_text().splitlines():
        if "TODO" in line:
            key = next(prefix for prefix in FILL if line.startswith(prefix))
            line = FILL[key]
        lines.append(line)
    path.write_text("\n".join(lines) + "\n")


def test_new_episode_in_a_full_programme_passes_strict_validation_once_filled(run_cli, make_project) -> None:
    project = make_project("back-in-shape")
    path = project / run_cli("new", "episode", cwd=project).output.strip()
    result = run_cli("validate", "content", cwd=project)
    assert result.exit_code == 0, result.output  # placeholders are warnings...
    shown = "content/episodes/episode-002.md"
    fields = set(re.findall(rf"{shown}:\d+:\d+: warning: (\S+): still holds TODO text", result.output))
    assert fields == {"title", "reviewed", "reviewer", "summary", "show_notes", "audio.url", "audio.size_bytes",
                      "audio.duration_seconds", "covers", "body"}  # fmt: skip
    assert f"{shown}:3:1: warning: no review record: reviewed and reviewer must be written by the clinician" in (
        result.output
    )
    assert f"{shown}:2:9: warning: title: still holds TODO text; replace it" in result.output
    assert run_cli("validate", "content", "--strict", cwd=project).exit_code == 1  # ... and errors under --strict
    fill_placeholders(path)
    result = run_cli("validate", "content", "--strict", cwd=project)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("kind", [kind for kind in BUILT_IN.names if kind != "episode"])
def test_every_kind_gets_every_required_field_and_only_placeholder_warnings(run_cli, make_project, kind) -> None:
    project = make_project("back-in-shape")
    result = run_cli("new", kind, f"new-{kind}", cwd=project)
    assert result.exit_code == 0, result.output
    result = run_cli("validate", "content", cwd=project)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if ": warning: " in line]
    assert warnings and all(f"new-{kind}.md" in line for line in warnings)
    assert all("still holds TODO text" in line or "no review record" in line for line in warnings)


def test_a_new_clinic_names_every_field_a_clinic_has(run_cli, project) -> None:
    """Issue 26: `backpub new clinic` left out accent_colour, paper, email and handouts; each is now there, to fill
    in or uncomment."""
    from backpub.model import Clinic

    path = project / run_cli("new", "clinic", "riverside", cwd=project).output.strip()
    keys = set(re.findall(r"^#? ?(\w+):", path.read_text(), re.MULTILINE))
    assert set(Clinic.model_fields) - {"id", "body"} <= keys
