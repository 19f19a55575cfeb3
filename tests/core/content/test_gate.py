"""What may be published (issue 22): nothing goes live with placeholders or without a review a person gave, and
`validate` sees today what a build on a coming Sunday would meet."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from backpub import clock
from backpub_testkit import edit

TODAY = date(2026, 12, 7)  # a Monday
LAST_SUNDAY = date(2026, 12, 6)
NEXT_SUNDAY = date(2026, 12, 13)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> date:
    """The whole program's clock at noon on TODAY (in London, the minimal programme's timezone)."""
    noon = datetime.combine(TODAY, time(12), tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: noon)
    return TODAY


def snapshot(project: Path) -> dict[str, bytes]:
    """Every file of outputs/ and content/feed.lock, by path."""
    files = [*sorted((project / "outputs").rglob("*")), project / "content" / "feed.lock"]
    return {str(path.relative_to(project)): path.read_bytes() for path in files if path.is_file()}


@pytest.fixture
def built(project: Path, run_cli, today: date) -> Path:
    """The minimal project after a good build for today (which recorded the released episode in feed.lock)."""
    result = run_cli("build", "--content", "content", "-f", "json", "-f", "feed", "-j", "1", cwd=project)
    assert result.exit_code == 0, result.output
    assert (project / "content" / "feed.lock").is_file()
    return project


@pytest.mark.parametrize(
    ("new", "file"),
    [
        (("new", "episode", "--date", LAST_SUNDAY.isoformat()), "content/episodes/episode-002.md"),
        (("new", "protocol", "cat-cow-rock"), "content/protocols/cat-cow-rock.md"),
    ],
)
def test_a_new_file_is_never_published_until_a_person_fills_it_in(built: Path, run_cli, new, file) -> None:
    """Observations 2 and 3: `backpub new`, then a build for today that would release it: exit 1, the file and its
    fields named, outputs/ and content/feed.lock untouched, whatever the flags."""
    project = built
    assert run_cli(*new, cwd=project).exit_code == 0
    before = snapshot(project)
    for formats in (["-f", "json", "-f", "feed"], ["-f", "json"]):
        result = run_cli("build", "--content", "content", *formats, "-j", "1", cwd=project)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        refusals = [line for line in result.output.splitlines() if line.startswith(f"{file}:")]
        assert any("error: not published: no review record: reviewed and reviewer" in line for line in refusals)
        fields = {line.split("error: not published: ")[1].split(": still holds TODO")[0] for line in refusals}
        assert {"title", "reviewed", "reviewer"} <= fields, result.output
        assert snapshot(project) == before
    assert "H. Marsh" not in (project / file).read_text()  # nobody's name is written for them


def test_a_preview_and_validate_warn_where_a_build_for_today_refuses(built: Path, run_cli) -> None:
    project = built
    run_cli("new", "episode", "--date", NEXT_SUNDAY.isoformat(), cwd=project)
    today_build = run_cli("build", "--content", "content", "-f", "json", "-j", "1", cwd=project)
    assert today_build.exit_code == 0, today_build.output  # not released today: still a draft
    preview = run_cli(
        "build", "--content", "content", "-f", "json", "--as-of", NEXT_SUNDAY.isoformat(), "-j", "1", cwd=project
    )
    assert preview.exit_code == 0, preview.output
    assert "warning: title: still holds TODO text" in preview.output
    validate = run_cli("validate", "content", cwd=project)
    assert validate.exit_code == 0, validate.output
    # Each placeholder once, saying the day it starts to stop a build (not again for each Sunday ahead).
    deadline = f"title: still holds TODO text; replace it (it is published on {NEXT_SUNDAY}: a build on that day"
    assert validate.output.count(deadline) == 1, validate.output
    assert "a build would meet this: not published" not in validate.output


def test_validate_strict_fails_today_on_what_a_coming_sunday_would_meet(project: Path, run_cli, today) -> None:
    """Observation 4: an episode next Sunday that covers no mistake passed `validate --strict` until that Sunday."""
    episode = (project / "content/episodes/episode-one.md").read_text()
    future = episode.replace("number: 1", "number: 2").replace("release: 2026-11-22", f"release: {NEXT_SUNDAY}")
    future = future.replace("6f1d3c2e-8a4b", "7f1d3c2e-8a4b").replace("ep1.mp3", "ep2.mp3")
    (project / "content/episodes/episode-two.md").write_text(future.replace("covers: [back-not-leg, stretching, ice]",
                                                                            "covers: [back-not-leg, ice]"))  # fmt: skip
    assert run_cli("validate", "content", "--strict", "--ahead", "0", cwd=project).exit_code == 0
    result = run_cli("validate", "content", "--strict", cwd=project)
    assert result.exit_code == 1, result.output
    assert (
        f"content/episodes/episode-two.md:1:1: error: on Sunday {NEXT_SUNDAY.isoformat()}, a build would meet this: "
        "[newsletter] episode covers no mistake"
    ) in result.output
    far = run_cli("validate", "content", "--strict", "--ahead", "1", "--as-of", "2026-11-29", cwd=project)
    assert far.exit_code == 0, far.output  # one Sunday ahead of 29 November is 6 December: not yet that one


def test_an_overdue_review_blocks_publishing_when_the_programme_asks(project: Path, run_cli, today) -> None:
    edit(project / "content/protocols/ice.md", "reviewed: 2026-11-01", "reviewed: 2025-06-01")
    assert run_cli("build", "--content", "content", "-f", "json", "-j", "1", cwd=project).exit_code == 0  # a warning
    edit(project / "content/programme.yaml", "review_interval_months: 12", "review_interval_months: 12\n"
         "refuse_overdue_reviews: true")  # fmt: skip
    result = run_cli("build", "--content", "content", "-f", "json", "-j", "1", cwd=project)
    assert result.exit_code == 1
    assert "error: not published: content review is overdue: reviewed 2025-06-01" in result.output
    assert run_cli("validate", "content", cwd=project).exit_code == 0  # validate warns
