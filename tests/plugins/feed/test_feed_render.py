"""The rendered feed: every channel and item tag, read back with lxml, feedparser and podcastparser."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import mutagen
import podcastparser
import pytest

from backpub_feed.rules import podcast_guid
from backpub_testkit import edit

EP1_GUID = "6f1d3c2e-8a4b-4c1d-9e2f-0a1b2c3d4e5f"
EP2_GUID = "2b7e1c44-1d3a-4f0e-8a55-7c9d0e1f2a3b"
EP3_GUID = "9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f"
SITE = "https://minimal.example.org"

pytest_plugins = ["feed_testing"]  # the feed_project and build_feed fixtures
NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}


@pytest.fixture
def built(feed_project, build_feed):
    built = build_feed(feed_project)
    assert built.result.exit_code == 0, built.output
    return built


def test_feedparser_reads_the_feed_without_complaint(built):
    parsed = feedparser.parse(built.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.title == "Minimal Podcast"
    assert not parsed.feed.itunes_explicit  # feedparser maps only the legacy 'yes' to True
    assert [entry.id for entry in parsed.entries] == [EP2_GUID, EP1_GUID]
    assert parsed.entries[0].guidislink is False
    assert parsed.entries[1].podcast_transcript["url"] == "https://media.example.org/minimal/ep1.vtt"


def test_podcastparser_reads_every_episode(built):
    parsed = podcastparser.parse("https://minimal.example.org/podcast.xml", io.BytesIO(built.data))
    assert parsed["title"] == "Minimal Podcast"
    assert parsed["cover_url"] == "https://minimal.example.org/artwork.png"
    assert parsed["type"] == "episodic"
    episodes = {episode["guid"]: episode for episode in parsed["episodes"]}
    assert set(episodes) == {EP1_GUID, EP2_GUID}
    second = episodes[EP2_GUID]
    assert second["title"] == "Ice, not heat"
    assert second["total_time"] == 1200
    assert second["number"] == 2
    assert second["link"] == f"{SITE}/episodes/episode-two/"
    assert second["enclosures"] == [
        {"url": "https://media.example.org/minimal/ep2.mp3", "file_size": 2000000, "mime_type": "audio/mpeg"}
    ]
    assert second["published"] == datetime(2026, 11, 29, 6, tzinfo=UTC).timestamp()  # 06:00 in London = UTC in Nov


def text(channel, path: str) -> str:
    found = channel.find(path, NS)
    assert found is not None, f"no {path}"
    return found.text


def test_channel_carries_every_required_tag(built):
    channel = built.channel
    assert text(channel, "title") == "Minimal Podcast"
    assert text(channel, "link") == f"{SITE}/"  # the show's site, not the feed (the self link came first)
    assert text(channel, "description") == "A test podcast."
    assert text(channel, "language") == "en-GB"
    # from --as-of, not the clock, and never older than the newest item (out at 06:00 that Sunday)
    assert text(channel, "lastBuildDate") == "Sun, 29 Nov 2026 06:00:00 +0000"
    assert text(channel, "lastBuildDate") == text(channel.find("item"), "pubDate")
    self_link = channel.find("atom:link", NS)
    assert self_link.attrib == {
        "href": "https://minimal.example.org/podcast.xml",
        "rel": "self",
        "type": "application/rss+xml",
    }
    assert text(channel, "itunes:author") == "Test Author"
    assert text(channel, "itunes:owner/itunes:name") == "Test Owner"
    assert text(channel, "itunes:owner/itunes:email") == "owner@example.org"
    assert channel.find("itunes:image", NS).get("href") == "https://minimal.example.org/artwork.png"
    category = channel.find("itunes:category", NS)
    assert category.get("text") == "Health & Fitness"
    assert [sub.get("text") for sub in category] == ["Medicine"]
    assert [e.text for e in channel.findall("itunes:explicit", NS)] == ["false"]
    assert text(channel, "itunes:type") == "episodic"
    assert text(channel, "podcast:guid") == str(
        uuid.uuid5(uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), "minimal.example.org/podcast.xml")
    )
    locked = channel.find("podcast:locked", NS)
    assert (locked.text, locked.get("owner")) == ("yes", "owner@example.org")
    assert text(channel, "image/url") == "https://minimal.example.org/artwork.png"


def test_copyright_is_written_when_set(feed_project, build_feed):
    edit(
        feed_project / "content/programme.yaml", "    release_time:", "    copyright: Test Publisher\n    release_time:"
    )
    built = build_feed(feed_project)
    assert built.result.exit_code == 0, built.output
    assert text(built.channel, "copyright") == "Test Publisher"


def test_a_recorded_podcast_guid_survives_a_new_feed_url(feed_project, build_feed):
    before = text(build_feed(feed_project).channel, "podcast:guid")
    edit(feed_project / "content/programme.yaml", "    release_time:", f"    guid: {before}\n    release_time:")
    edit(feed_project / "content/programme.yaml", "feed_url: https://", "feed_url: https://new.")
    built = build_feed(feed_project)
    assert built.result.exit_code == 0, built.output
    assert text(built.channel, "podcast:guid") == before
    assert built.channel.find("{http://www.w3.org/2005/Atom}link").get("href").startswith("https://new.")


def test_podcast_guid_follows_the_podcast_index_recipe():
    # The Podcast Index spec's own examples.
    assert podcast_guid("https://podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid("http://podnews.net/rss/") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"


def test_items_are_newest_first_with_every_tag(built):
    first, second = built.channel.findall("item")
    assert text(first, "title") == "Ice, not heat"
    guid = first.find("guid")
    assert (guid.text, guid.get("isPermaLink")) == (EP2_GUID, "false")
    assert text(first, "pubDate") == "Sun, 29 Nov 2026 06:00:00 +0000"
    assert first.find("enclosure").attrib == {
        "url": "https://media.example.org/minimal/ep2.mp3",
        "length": "2000000",
        "type": "audio/mpeg",
    }
    assert text(first, "itunes:duration") == "1200"
    assert text(first, "itunes:episode") == "2"
    assert text(first, "itunes:episodeType") == "full"
    assert text(first, "itunes:explicit") == "false"
    assert text(first, "description").startswith("<p>Why the lower back gets ice.</p>")
    assert text(first, "link") == f"{SITE}/episodes/episode-two/"
    assert first.find("podcast:transcript", NS) is None and first.find("podcast:chapters", NS) is None

    assert text(second, "pubDate") == "Sun, 22 Nov 2026 06:00:00 +0000"
    assert second.find("podcast:transcript", NS).attrib == {
        "url": "https://media.example.org/minimal/ep1.vtt",
        "type": "text/vtt",
    }
    assert second.find("podcast:chapters", NS).attrib == {
        "url": f"{SITE}/episodes/episode-one/chapters.json",  # the site format publishes it there
        "type": "application/json+chapters",
    }


def test_show_notes_link_entities_related_episodes_and_protocols(built):
    first, second = built.channel.findall("item")
    notes = text(first, "content:encoded")
    assert f'<a href="{SITE}/protocols/ice/">ice</a>' in notes  # an entity link in the Markdown
    assert f'<a href="{SITE}/episodes/episode-one/">the first episode</a>' in notes
    assert "<p><strong>Related episodes</strong></p>" in notes
    assert f'<li><a href="{SITE}/episodes/episode-one/">Episode 1: Sciatica explained</a></li>' in notes
    assert "episode-three" not in notes and "Standing tall" not in notes  # related, but embargoed
    assert "<p><strong>Protocols covered in this episode</strong></p>" in notes
    assert f'<li><a href="{SITE}/protocols/ice/">Ice the lower back</a></li>' in notes
    assert f'<a href="{SITE}/concepts/back-not-leg/">back problem</a>' in text(second, "content:encoded")


def test_show_notes_html_is_sanitised(feed_project, build_feed):
    episode = feed_project / "content/episodes/episode-two.md"
    edit(episode, "  Start with", '  <b onclick="steal()">Bold</b> <script>alert(1)</script>\n\n  Start with')
    built = build_feed(feed_project)
    assert built.result.exit_code == 0, built.output
    notes = text(built.channel.find("item"), "content:encoded")
    assert "Bold" in notes
    assert "onclick" not in notes and "<script" not in notes and "steal" not in notes


def test_audio_facts_come_from_the_local_file(built, feed_project):
    mp3 = feed_project / "content/assets/audio/episode-one.mp3"
    item = built.channel.findall("item")[1]
    assert item.find("enclosure").get("length") == str(mp3.stat().st_size) == "12225"
    seconds = round(mutagen.File(mp3).info.length)
    assert text(item, "itunes:duration") == str(seconds) == "3"


def test_embargoed_episodes_never_appear(feed_project, build_feed):
    early = build_feed(feed_project, "2026-12-05")
    assert early.result.exit_code == 0, early.output
    assert EP3_GUID.encode() not in early.data and b"Standing tall" not in early.data
    later = build_feed(feed_project, "2026-12-06")
    assert later.result.exit_code == 0, later.output
    items = later.channel.findall("item")
    assert [item.find("guid").text for item in items] == [EP3_GUID, EP2_GUID, EP1_GUID]
    assert "Episode 3: Standing tall" in text(items[1], "content:encoded")  # now out: the related link appears


def test_nothing_released_gives_an_empty_but_valid_feed(feed_project, build_feed):
    built = build_feed(feed_project, "2026-11-21")
    assert built.result.exit_code == 0, built.output
    assert built.channel.findall("item") == []
    assert not feedparser.parse(built.data).bozo


def test_same_content_and_date_give_identical_bytes(feed_project, build_feed, tmp_path: Path):
    first = build_feed(feed_project, "2026-11-29", "--output", str(tmp_path / "a"), "--no-cache")
    second = build_feed(feed_project, "2026-11-29", "--output", str(tmp_path / "b"), "--no-cache")
    assert first.result.exit_code == second.result.exit_code == 0
    a = (tmp_path / "a/feed/podcast.xml").read_bytes()
    assert a == (tmp_path / "b/feed/podcast.xml").read_bytes()


def test_source_date_epoch_sets_last_build_date(feed_project, build_feed):
    epoch = int(datetime(2026, 11, 29, 8, tzinfo=UTC).timestamp())
    built = build_feed(feed_project, env={"SOURCE_DATE_EPOCH": str(epoch)})
    assert built.result.exit_code == 0, built.output
    assert text(built.channel, "lastBuildDate") == "Sun, 29 Nov 2026 08:00:00 +0000"


def test_explicit_podcast_says_true(feed_project, build_feed):
    edit(feed_project / "content/programme.yaml", "    release_time:", "    explicit: true\n    release_time:")
    built = build_feed(feed_project)
    assert built.result.exit_code == 0, built.output
    assert text(built.channel, "itunes:explicit") == "true"
    assert {text(item, "itunes:explicit") for item in built.channel.findall("item")} == {"true"}


def test_only_changes_the_feed_shows_render_it_again(feed_project, build_feed):
    import json

    def rendered(as_of: str = "2026-11-29") -> list[str]:
        built = build_feed(feed_project, as_of, "--report", "json")
        assert built.result.exit_code == 0, built.output
        return json.loads(built.output)["rendered"]

    private = "service/feed/private-feed"
    assert sorted(rendered()) == [
        "feed/artwork.png", "feed/podcast.xml", f"{private}/channel.xml", f"{private}/index.json",
        f"{private}/items/episode-one.xml", f"{private}/items/episode-two.xml",
    ]  # fmt: skip
    assert rendered() == []
    edit(feed_project / "content/episodes/episode-three.md", "title: Standing tall", "title: Standing taller")
    assert rendered() == []  # embargoed: not in the feed
    edit(feed_project / "content/protocols/ice.md", "title: Ice the lower back", "title: Ice the low back")
    # its title is in the protocols-covered lists of the public feed and of the private feeds' two items
    assert sorted(rendered()) == ["feed/podcast.xml", f"{private}/items/episode-one.xml",
                                  f"{private}/items/episode-two.xml"]  # fmt: skip
    assert "feed/podcast.xml" in rendered("2026-12-06")


def test_the_full_test_programme_builds_a_valid_feed(make_project, build_feed):
    project = make_project("back-in-shape")
    built = build_feed(project, "2026-11-29")
    assert built.result.exit_code == 0, built.output
    parsed = feedparser.parse(built.data)
    assert not parsed.bozo
    assert len(parsed.entries) >= 1
    assert all(entry.enclosures[0].length.isdigit() for entry in parsed.entries)
    self_url = built.channel.find("atom:link", NS).get("href")
    assert self_url == "https://backinshape.example.org/podcast/feed.xml"
    assert text(built.channel, "podcast:guid") == podcast_guid(self_url)


def test_every_item_description_and_show_notes_carry_the_urgent_help_notice(built, feed_project):
    notice = "Call 999 if you lose control of your bladder or bowels."
    assert notice in (feed_project / "content" / "programme.yaml").read_text()
    items = built.channel.findall("item")
    assert items
    for item in items:
        for tag in ("description", "content:encoded"):
            html = text(item, tag)
            assert "<strong>When to get urgent help</strong>" in html, tag
            assert f"<p>{notice}</p>" in html, tag
        assert len(text(item, "description").encode()) <= 4000
