"""Chapter marks: how authors write their times, the located errors for bad ones, and the Podcast Index JSON
chapters file (version 1.2) checked against the rules of the spec, tried on the spec's own example first."""

from __future__ import annotations

from pathlib import Path

import pytest

from backpub.content.validation import load
from backpub.model import ChapterMark
from backpub.model.values import clock
from backpub_site.chapters import document
from backpub_testkit import edit

EPISODE = "content/episodes/sciatica-causes-exercises-and-treatments.md"

# The basic example of docs/examples/chapters/jsonChapters.md (Podcastindex-org/podcast-namespace), shortened.
SPEC_EXAMPLE = {
    "version": "1.2.0",
    "chapters": [
        {"startTime": 0, "title": "Intro"},
        {"startTime": 168, "title": "Hearing Aids", "img": "https://example.com/images/hearing_aids.jpg"},
        {"startTime": 260, "title": "Progress Report"},
        {
            "startTime": 410,
            "title": "Namespace",
            "img": "https://example.com/images/namepsace_example.jpg",
            "url": "https://github.com/Podcastindex-org/podcast-namespace",
        },
        {"startTime": 6089, "title": "Outro"},
    ],
}

_OPTIONAL_TOP = {"author": str, "title": str, "podcastName": str, "description": str, "fileName": str,
                 "waypoints": bool}  # fmt: skip
_CHAPTER_KEYS = {"startTime", "endTime", "title", "img", "url", "toc", "location"}


def json_chapters_problems(data: object) -> list[str]:
    """Every breach of the JSON chapters rules (version 1.2): required and optional properties with their types,
    absolute image and page URLs, chapters in ascending order of startTime."""
    if not isinstance(data, dict):
        return ["the file is not a JSON object"]
    problems = []
    if not isinstance(data.get("version"), str):
        problems.append("`version` (string) is required")
    if not isinstance(data.get("chapters"), list):
        return [*problems, "`chapters` (array) is required"]
    for key, value in data.items():
        if key in ("version", "chapters"):
            continue
        if key not in _OPTIONAL_TOP:
            problems.append(f"unknown property {key!r}")
        elif not isinstance(value, _OPTIONAL_TOP[key]):
            problems.append(f"`{key}` must be a {_OPTIONAL_TOP[key].__name__}")
    previous = -1.0
    for index, chapter in enumerate(data["chapters"]):
        if not isinstance(chapter, dict):
            problems.append(f"chapter {index} is not an object")
            continue
        start = chapter.get("startTime")
        if isinstance(start, bool) or not isinstance(start, (int, float)) or start < 0:
            problems.append(f"chapter {index}: `startTime` (a number of seconds) is required")
            continue
        if start < previous:
            problems.append(f"chapter {index}: chapters must be in ascending order of startTime")
        previous = start
        problems += [f"chapter {index}: unknown property {key!r}" for key in set(chapter) - _CHAPTER_KEYS]
        for key in ("img", "url"):
            if key in chapter and not str(chapter[key]).startswith(("https://", "http://")):
                problems.append(f"chapter {index}: `{key}` must be a URL")
        if "title" in chapter and not isinstance(chapter["title"], str):
            problems.append(f"chapter {index}: `title` must be a string")
        if "toc" in chapter and not isinstance(chapter["toc"], bool):
            problems.append(f"chapter {index}: `toc` must be a boolean")
    return problems


def test_the_rules_accept_the_specs_example_and_catch_breaches() -> None:
    assert json_chapters_problems(SPEC_EXAMPLE) == []
    reversed_marks = {**SPEC_EXAMPLE, "chapters": list(reversed(SPEC_EXAMPLE["chapters"]))}
    assert any("ascending" in p for p in json_chapters_problems(reversed_marks))
    assert json_chapters_problems({"chapters": []}) == ["`version` (string) is required"]
    assert json_chapters_problems({"version": "1.2.0", "chapters": [{"title": "x"}]})
    assert json_chapters_problems({"version": "1.2.0", "chapters": [{"startTime": "12:00"}]})
    assert json_chapters_problems({"version": "1.2.0", "chapters": [{"startTime": 1, "img": "a.jpg"}]})


def test_the_full_programmes_episode_chapters_follow_the_rules(make_project) -> None:
    publication = load(make_project("back-in-shape") / "content").publication
    (episode,) = publication.episodes
    assert len(episode.chapters) >= 10
    data = document(publication, episode, entity_url=publication.url_for, image_url=lambda source: source)
    assert json_chapters_problems(data) == []
    assert data["version"] == "1.2.0"
    assert data["chapters"][0] == {
        "startTime": 0,
        "title": "Introduction: sciatica is lumbogenic leg pain",
        "url": "https://backinshape.example.org/concepts/lumbogenic-leg-pain/",
    }
    # Every chapter that names an entity is about something the episode covers.
    assert {mark.entity for mark in episode.chapters} <= set(episode.covers)


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("0:00", 0), ("12:34", 754), ("1:02:03", 3723), ("0:02.5", 2.5), (90, 90), (12.25, 12.25)],
)
def test_chapter_starts_read_as_clock_or_seconds(written, seconds) -> None:
    assert ChapterMark.model_validate({"start": written, "title": "x"}).start == seconds


def test_clock_text() -> None:
    assert [clock(s) for s in (0, 59.9, 754, 3723)] == ["0:00", "0:59", "12:34", "1:02:03"]


def _validate(run_cli, project: Path):
    return run_cli("validate", "content", "--as-of", "2026-11-25", cwd=project)


def test_chapters_outside_the_audio_out_of_order_or_repeated_are_located_errors(run_cli, make_project) -> None:
    project = make_project("back-in-shape")
    path = project / EPISODE
    edit(path, 'start: "5:05"', 'start: "1:50"')  # repeats the chapter before it
    edit(path, 'start: "17:00"', 'start: "15:00"')  # before the chapter before it (15:10)
    edit(path, 'start: "37:45"', 'start: "40:21"')  # the audio is 2421 s = 40:21 long
    result = _validate(run_cli, project)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if ": error: " in line]
    assert lines == [
        f"{EPISODE}:41:13: error: chapters[2].start 1:50 repeats chapters[1]'s start; each chapter needs its own "
        "start time",
        f"{EPISODE}:45:13: error: chapters[6].start 15:00 comes before chapters[5] (15:10); list chapters in time "
        "order",
        f"{EPISODE}:51:13: error: chapters[12].start 40:21 is not before the end of the audio (40:21); a chapter "
        "must start inside the episode",
    ]


def test_bad_chapter_fields_are_located(run_cli, make_project) -> None:
    project = make_project("back-in-shape")
    path = project / EPISODE
    edit(path, 'start: "8:20"', 'start: "8:75"')
    edit(path, "entity: dead-bug}", 'entity: dead-bug, url: "https://example.org/x"}')
    output = _validate(run_cli, project).output
    assert f"{EPISODE}:42:13: error: chapters[3].start: cannot read '8:75' as a time" in output
    assert f"{EPISODE}:48:5: error: chapters[9]: a chapter links to an entity or a url, not both" in output
    assert "Traceback" not in output


def test_chapter_links_and_images_are_checked_like_any_reference(run_cli, make_project) -> None:
    project = make_project("back-in-shape")
    path = project / EPISODE
    edit(path, "entity: endless-stretching}", "entity: endless-streching}")
    edit(path, "entity: wall-drill}", "entity: wall-drill, image: assets/images/missing.png}")
    output = _validate(run_cli, project).output
    assert f"{EPISODE}:43:71: error: unknown entity 'endless-streching'; did you mean 'endless-stretching'?" in output
    assert f"{EPISODE}:46:112: error: chapters[7].image: file 'assets/images/missing.png' does not exist" in output


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("chapters: https://media.example.org/ep1.json", "chapters: write chapter marks as a list (- {start: '0:00', "
         "title: ...}) or a chapters file published elsewhere as {url: https://...}"),
        ("chapters: {url: http://media.example.org/ep1.json}", "chapters.url: 'http://media.example.org/ep1.json' is "
         "not an https:// URL"),
        ("chapters: {href: https://media.example.org/ep1.json}", "unknown field 'chapters.href'"),
    ],
)  # fmt: skip
def test_a_chapters_field_in_neither_form_says_what_to_write(
    run_cli, project: Path, written: str, message: str
) -> None:
    path = project / "content/episodes/episode-one.md"
    edit(path, "covers:", f"{written}\ncovers:")
    line = path.read_text().splitlines().index(written) + 1
    output = _validate(run_cli, project).output
    assert f"content/episodes/episode-one.md:{line}:" in output and message in output, output
    assert "form:" not in output and "Traceback" not in output


def test_a_hosted_chapters_file_is_valid_and_makes_no_marks(project: Path) -> None:
    path = project / "content/episodes/episode-one.md"
    edit(path, "covers:", "chapters: {url: https://media.example.org/ep1.chapters.json}\ncovers:")
    (episode,) = load(project / "content").publication.episodes
    assert episode.chapters_file_url == "https://media.example.org/ep1.chapters.json"
    assert episode.chapter_marks == []
