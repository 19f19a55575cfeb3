"""GUID continuity: content/feed.lock records every published episode; a build may not break what subscribers have."""

from __future__ import annotations

import json
import re

from lxml import etree

from backpub_testkit import edit

pytest_plugins = ["feed_testing"]  # the feed_project and build_feed fixtures

EP1_GUID = "6f1d3c2e-8a4b-4c1d-9e2f-0a1b2c3d4e5f"
EP3 = "content/episodes/episode-three.md"


def published_ids(built) -> list[str]:
    return [entry["id"] for entry in json.loads(built.ledger.read_text())["episodes"]]


def assert_error(built, path: str, pattern: str) -> None:
    assert built.result.exit_code == 1, built.output
    assert re.search(rf"{re.escape(path)}:\d+:\d+: error: \[feed\] .*{pattern}", built.output), built.output


def line_of(path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def publish_all(feed_project, build_feed):
    """Build on 6 Dec 2026, when all three episodes are out, so the ledger lists them all."""
    built = build_feed(feed_project, "2026-12-06")
    assert built.result.exit_code == 0, built.output
    assert published_ids(built) == ["episode-one", "episode-two", "episode-three"]
    return built


def test_missing_ledger_means_nothing_published_and_the_build_writes_it(feed_project, build_feed):
    assert not (feed_project / "content/feed.lock").exists()
    built = build_feed(feed_project, "2026-11-29")
    assert built.result.exit_code == 0, built.output
    text = built.ledger.read_text()
    assert text.endswith("}\n")
    document = json.loads(text)
    assert document["version"] == 1
    assert document["episodes"] == [
        {
            "enclosure_url": "https://media.example.org/minimal/ep1.mp3",
            "first_published": "2026-11-22",
            "guid": EP1_GUID,
            "id": "episode-one",
        },
        {
            "enclosure_url": "https://media.example.org/minimal/ep2.mp3",
            "first_published": "2026-11-29",
            "guid": "2b7e1c44-1d3a-4f0e-8a55-7c9d0e1f2a3b",
            "id": "episode-two",
        },
    ]  # the embargoed third episode is not there
    assert text == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"  # stable formatting


def test_the_ledger_is_written_only_when_an_episode_is_added(feed_project, build_feed):
    first = build_feed(feed_project, "2026-11-29")
    before = first.ledger.stat().st_mtime_ns, first.ledger.read_bytes()
    again = build_feed(feed_project, "2026-11-29", "--no-cache")
    assert again.result.exit_code == 0, again.output
    assert (again.ledger.stat().st_mtime_ns, again.ledger.read_bytes()) == before
    later = build_feed(feed_project, "2026-12-06")
    assert later.result.exit_code == 0, later.output
    entries = json.loads(later.ledger.read_text())["episodes"]
    assert entries[:2] == json.loads(before[1])["episodes"]  # existing entries untouched
    assert entries[2]["id"] == "episode-three" and entries[2]["first_published"] == "2026-12-06"


def test_a_changed_guid_fails_naming_the_episode_file(feed_project, build_feed):
    publish_all(feed_project, build_feed)
    edit(feed_project / EP3, "guid: 9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f", "guid: 11111111-2222-4333-8444-555555555555")
    built = build_feed(feed_project, "2026-12-06")
    assert_error(built, EP3, "guid changed from '9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f'")
    assert f"{EP3}:{line_of(feed_project / EP3, 'guid:')}:1:" in built.output
    assert json.loads(built.ledger.read_text())["episodes"][2]["guid"] == "9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f"


def test_a_changed_enclosure_url_fails(feed_project, build_feed):
    publish_all(feed_project, build_feed)
    edit(feed_project / EP3, "minimal/ep3.mp3", "minimal/ep3-remastered.mp3")
    built = build_feed(feed_project, "2026-12-06")
    assert_error(built, EP3, "audio.url changed from 'https://media.example.org/minimal/ep3.mp3'")
    assert f"{EP3}:{line_of(feed_project / EP3, '  url: https://media.example.org/minimal/ep3')}:1:" in built.output


def test_a_vanished_episode_fails_naming_its_file(feed_project, build_feed):
    publish_all(feed_project, build_feed)
    (feed_project / EP3).unlink()
    edit(feed_project / "content/episodes/episode-two.md", "[episode-one, episode-three]", "[episode-one]")
    built = build_feed(feed_project, "2026-12-06")
    assert_error(built, "content/feed.lock", "published episode 'episode-three' .* is gone: episodes/episode-three.md")
    assert "retired: true" in built.output


def test_moving_a_published_episode_into_the_future_fails(feed_project, build_feed):
    publish_all(feed_project, build_feed)
    edit(feed_project / EP3, "release: 2026-12-06", "release: 2026-12-13")
    built = build_feed(feed_project, "2026-12-06")
    assert_error(built, EP3, "would disappear from the feed")


def test_validate_agrees_with_build_on_a_published_episode_moved_into_the_future(feed_project, build_feed, run_cli):
    publish_all(feed_project, build_feed)
    edit(feed_project / EP3, "release: 2026-12-06", "release: 2026-12-13")
    built = build_feed(feed_project, "2026-12-06")
    validated = run_cli("validate", "--content", "content", "--as-of", "2026-12-06", cwd=feed_project)
    assert validated.exit_code == built.result.exit_code == 1, validated.output
    assert re.search(rf"{re.escape(EP3)}:\d+:\d+: error: \[feed\] .*would disappear from the feed", validated.output)


def test_a_retired_episode_may_leave_the_feed(feed_project, build_feed):
    publish_all(feed_project, build_feed)
    edit(feed_project / EP3, "reviewer: A. Reviewer", "reviewer: A. Reviewer\nretired: true")
    built = build_feed(feed_project, "2026-12-06")
    assert built.result.exit_code == 0, built.output
    assert b"9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f" not in built.data
    assert "episode-three" in published_ids(built)  # the ledger still remembers it


def test_editing_title_and_show_notes_keeps_the_guid(feed_project, build_feed):
    first = build_feed(feed_project, "2026-11-29")
    ledger = first.ledger.read_bytes()
    episode = feed_project / "content/episodes/episode-one.md"
    edit(episode, "title: Sciatica explained", "title: Sciatica, explained again")
    edit(episode, "  - What sciatica is:", "  - Rewritten notes. What sciatica is:")
    built = build_feed(feed_project, "2026-11-29")
    assert built.result.exit_code == 0, built.output
    item = etree.fromstring(built.data).findall("channel/item")[1]
    assert item.findtext("title") == "Sciatica, explained again"
    assert item.findtext("guid") == EP1_GUID
    assert built.ledger.read_bytes() == ledger


def test_an_earlier_as_of_ignores_episodes_published_later(feed_project, build_feed):
    publish_all(feed_project, build_feed)
    built = build_feed(feed_project, "2026-11-22", today="2026-12-06")  # a preview of an earlier day
    assert built.result.exit_code == 0, built.output
    assert len(etree.fromstring(built.data).findall("channel/item")) == 1


def test_a_clock_running_behind_cannot_take_published_episodes_off(feed_project, build_feed, run_cli):
    """Issue 22, observation 5: with the clock three weeks behind, a build for "today" stops, whatever it builds;
    the same day as an explicit preview is allowed and says so."""
    publish_all(feed_project, build_feed)  # the ledger records episodes up to 6 December
    ledger = (feed_project / "content/feed.lock").read_bytes()
    built = build_feed(feed_project, "2026-11-15")  # the machine believes it is 15 November
    assert_error(built, "content/feed.lock", "was published on 2026-12-06")
    assert "Check the clock" in built.output
    pretend_today = run_cli("build", "--content", "content", "-f", "site", "-j", "1", cwd=feed_project)
    assert pretend_today.exit_code == 1 and "was published on 2026-12-06" in pretend_today.output  # any format
    assert (feed_project / "content/feed.lock").read_bytes() == ledger
    preview = build_feed(feed_project, "2026-11-15", today="2026-12-06")
    assert preview.result.exit_code == 0, preview.output
    assert "a preview for 2026-11-15" in preview.result.stderr


def test_an_unreadable_ledger_is_located(feed_project, build_feed):
    (feed_project / "content/feed.lock").write_text("{not json")
    built = build_feed(feed_project)
    assert_error(built, "content/feed.lock", "cannot read feed.lock")


def content_bytes(project) -> dict[str, bytes]:
    """Every file under content/, by relative path."""
    root = project / "content"
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_a_build_for_a_future_date_is_a_preview_and_leaves_content_byte_identical(feed_project, build_feed, run_cli):
    build_feed(feed_project, "2026-11-22")  # published on 22 Nov: the ledger lists episode one
    before = content_bytes(feed_project)
    published = (feed_project / "outputs/feed/podcast.xml").read_bytes()
    result = run_cli("build", "--content", "content", "--as-of", "2026-12-27", "-j", "1", cwd=feed_project)  # all
    assert result.exit_code == 0, result.output
    assert content_bytes(feed_project) == before
    assert "preview for 2026-12-27 (today is 2026-11-22): content/feed.lock is left as it is" in result.stderr
    assert "(2 episodes it does not list yet)" in result.stderr
    # The preview is written beside the outputs a deploy uploads, never into them.
    assert (
        b"9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f"
        in (feed_project / "outputs/preview-2026-12-27/feed/podcast.xml").read_bytes()
    )
    assert (feed_project / "outputs/feed/podcast.xml").read_bytes() == published


def test_a_build_for_a_past_date_is_a_preview_too(feed_project, build_feed):
    publish_all(feed_project, build_feed)
    before = content_bytes(feed_project)
    built = build_feed(feed_project, "2026-11-29", today="2026-12-20")
    assert built.result.exit_code == 0, built.output
    assert content_bytes(feed_project) == before


def test_a_previewed_episode_can_still_move_until_it_is_really_published(feed_project, build_feed):
    """The issue's case: a preview of the future must not make an unpublished episode 'published'."""
    build_feed(feed_project, "2026-11-29")  # today is 29 Nov: episodes one and two are out
    preview = build_feed(feed_project, "2026-12-13", today="2026-11-29")
    assert preview.result.exit_code == 0, preview.output
    assert published_ids(preview) == ["episode-one", "episode-two"]
    edit(feed_project / EP3, "release: 2026-12-06", "release: 2027-01-10")  # the author moves it
    on_the_day = build_feed(feed_project, "2026-12-06")
    assert on_the_day.result.exit_code == 0, on_the_day.output
    assert published_ids(on_the_day) == ["episode-one", "episode-two"]


def test_a_build_for_today_without_as_of_records_what_is_out(feed_project, run_cli, monkeypatch):
    from feed_testing import pretend

    pretend(monkeypatch, "2026-11-29")
    result = run_cli("build", "--content", "content", "-f", "feed", "-j", "1", "-q", cwd=feed_project)
    assert result.exit_code == 0, result.output
    entries = json.loads((feed_project / "content/feed.lock").read_text())["episodes"]
    assert [entry["id"] for entry in entries] == ["episode-one", "episode-two"]
    assert "preview" not in result.stderr
