"""What an episode page and its newsletter add around the audio: the chapter list and chapters file."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import podcastparser
import pytest
from site_testkit import FULL, MINIMAL, Built, build_project

from backpub.model.values import clock

SITE_URL = "https://backinshape.example.org"


class _Links(HTMLParser):
    """Every <a>: its attributes and its text, with the id of the <li> it sits in."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[dict] = []
        self._open: list[dict] = []
        self._item: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "li":
            self._item = attributes.get("id")
        if tag == "a":
            link = {**attributes, "text": "", "item": self._item}
            self.links.append(link)
            self._open.append(link)

    def handle_endtag(self, tag):
        if tag == "a" and self._open:
            self._open.pop()

    def handle_data(self, data):
        for link in self._open:
            link["text"] += data


def links_in(html: str) -> list[dict]:
    parser = _Links()
    parser.feed(html)
    return [{**link, "text": " ".join(link["text"].split())} for link in parser.links]


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The full test programme built in the formats that show an episode."""
    return build_project(FULL, tmp_path_factory.mktemp("extras"), formats=("site", "feed", "newsletter"))


def test_the_chapters_file_is_published_beside_the_page_and_named_by_the_feed(everything: Built) -> None:
    (episode,) = everything.publication.episodes
    folder = everything.site / "episodes" / episode.id
    data = json.loads((folder / "chapters.json").read_text())
    assert [c["startTime"] for c in data["chapters"]] == [int(mark.start) for mark in episode.chapters]
    assert [c["title"] for c in data["chapters"]] == [mark.title for mark in episode.chapters]
    for chapter in data["chapters"]:
        assert chapter["url"].startswith(SITE_URL + "/")
        target = chapter["url"].removeprefix(SITE_URL + "/") + "index.html"
        assert (everything.site / target).is_file(), chapter["url"]  # every chapter link lands on a built page
    feed = (everything.outputs / "feed" / "podcast.xml").read_bytes()
    url = f"{SITE_URL}/episodes/{episode.id}/chapters.json"
    assert f'<podcast:chapters url="{url}" type="application/json+chapters"/>'.encode() in feed
    parsed = feedparser.parse(feed)
    assert not parsed.bozo and parsed.entries[0].podcast_chapters["url"] == url
    episodes = podcastparser.parse(SITE_URL + "/podcast/feed.xml", __import__("io").BytesIO(feed))["episodes"]
    assert [e["guid"] for e in episodes] == [episode.guid]


def test_the_episode_page_lists_every_chapter_as_a_link_into_the_audio(everything: Built) -> None:
    (episode,) = everything.publication.episodes
    html = (everything.site / "episodes" / episode.id / "index.html").read_text()
    seeks = [link for link in links_in(html) if "data-start" in link]
    assert [link["text"] for link in seeks] == [f"{clock(m.start)} {m.title}" for m in episode.chapters]
    for number, (link, mark) in enumerate(zip(seeks, episode.chapters, strict=True), start=1):
        # Without JavaScript the link opens the audio at that time (a media fragment); the script seeks in place.
        assert link["href"] == f"{episode.audio.url}#t={int(mark.start)}"
        assert link["item"] == f"chapter-{number}"
    more = {link["text"]: link["href"] for link in links_in(html) if link.get("class") == "chapter-more"}
    assert more["The dead bug"] == "../../protocols/dead-bug/"
    assert '<h2 id="chapters">Chapters</h2>' in html


def test_the_newsletter_lists_the_chapters_with_links_to_the_page(everything: Built) -> None:
    (episode,) = everything.publication.episodes
    issue = everything.outputs / "newsletter" / episode.release.isoformat()
    html = (issue / "index.html").read_text()
    page = f"{SITE_URL}/episodes/{episode.id}/"
    chapter_links = [link for link in links_in(html) if link["href"].startswith(page + "#chapter-")]
    assert [link["text"] for link in chapter_links] == [mark.title for mark in episode.chapters]
    assert [link["href"] for link in chapter_links] == [f"{page}#chapter-{n}" for n in range(1, 14)]
    text = (issue / "email.txt").read_text()
    assert re.search(r"^\s+10:40  The stretches that keep it going$", text, re.MULTILINE)
    assert "37:45  Four principles for long-term recovery" in (issue / "message.eml").read_text().replace("=\n", "")


def test_an_episode_without_chapters_has_no_list_and_no_file(tmp_path: Path) -> None:
    built = build_project(FULL, tmp_path, formats=("site", "feed"), cache=False)
    (episode,) = built.publication.episodes
    path = built.project / "content" / "episodes" / f"{episode.id}.md"
    text = path.read_text()
    path.write_text(re.sub(r"chapters:\n(  - .*\n)+", "", text))
    built = build_project(FULL, tmp_path, formats=("site", "feed"), cache=False)
    assert not (built.site / "episodes" / episode.id / "chapters.json").exists()
    assert 'id="chapters"' not in (built.site / "episodes" / episode.id / "index.html").read_text()
    assert b"podcast:chapters" not in (built.outputs / "feed" / "podcast.xml").read_bytes()


HOSTED_CHAPTERS = "https://media.example.org/minimal/ep1.chapters.json"


def test_a_chapters_file_the_host_publishes_is_named_by_the_feed_and_linked_by_the_site_and_newsletter(
    tmp_path: Path,
) -> None:
    """`chapters: {url: ...}`, the form before inline marks (and the Podcast Index norm for hosts that make the file),
    works beside them: the feed names the file, the page and the newsletter link to it, nothing is made from it."""
    shutil.copytree(MINIMAL, tmp_path / "content")
    episode_file = tmp_path / "content" / "episodes" / "episode-one.md"
    episode_file.write_text(
        episode_file.read_text().replace("covers:", f"chapters: {{url: {HOSTED_CHAPTERS}}}\ncovers:")
    )
    built = build_project(MINIMAL, tmp_path, formats=("site", "feed", "newsletter"))
    (episode,) = built.publication.episodes
    assert (episode.chapter_marks, episode.chapters_file_url) == ([], HOSTED_CHAPTERS)
    feed = feedparser.parse((built.outputs / "feed" / "podcast.xml").read_bytes())
    assert not feed.bozo and feed.entries[0].podcast_chapters == {
        "url": HOSTED_CHAPTERS,
        "type": "application/json+chapters",
    }
    page = built.site / "episodes" / episode.id
    assert not (page / "chapters.json").exists()
    assert HOSTED_CHAPTERS in [link["href"] for link in links_in((page / "index.html").read_text())]
    issue = built.outputs / "newsletter" / episode.release.isoformat()
    assert HOSTED_CHAPTERS in [link["href"] for link in links_in((issue / "index.html").read_text())]
    assert f"as a file for podcast apps: {HOSTED_CHAPTERS}" in (issue / "email.txt").read_text()


# -- video and the episode's own artwork ---------------------------------------------------------

VIDEO_URL = "https://media.example.org/back-in-shape/episode-001-1080p.mp4"
VTT_URL = "https://media.example.org/back-in-shape/episode-001.vtt"


def _with_video_and_artwork(project: Path, *, size: int = 1600, mode: str = "RGB", transcript: str = "text/vtt"):
    """The programme's (first) episode with a video, a transcript and its own artwork (an image made here)."""
    from PIL import Image

    content = project / "content"
    Image.new(mode, (size, size), "#2a6f97" if mode == "RGB" else 0).save(content / "assets" / "episode-one.png")
    episode = next((content / "episodes").glob("*.md"))
    extra = (
        f"video:\n  url: {VIDEO_URL}\n  mime_type: video/mp4\n  size_bytes: 300000000\n  duration_seconds: 2421\n"
        f"  height: 1080\ntranscript:\n  url: {VTT_URL}\n  type: {transcript}\nartwork: assets/episode-one.png\n"
    )
    front, _, rest = episode.read_text().partition("---\n")  # (the front matter opens the file)
    episode.write_text(front + "---\n" + extra + rest)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory, copy_full_programme) -> Built:
    project = copy_full_programme(tmp_path_factory.mktemp("media"))
    _with_video_and_artwork(project)
    return build_project(FULL, project, formats=("site", "feed", "newsletter"))


def test_the_feed_offers_the_video_beside_the_audio_and_the_episodes_artwork(media: Built) -> None:
    from lxml import etree

    (episode,) = media.publication.episodes
    feed = (media.outputs / "feed" / "podcast.xml").read_bytes()
    item = etree.fromstring(feed).find("channel/item")
    ns = {"podcast": "https://podcastindex.org/namespace/1.0", "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd"}
    assert item.find("enclosure").get("url") == episode.audio.url  # the audio stays the enclosure
    (alternate,) = item.findall("podcast:alternateEnclosure", ns)
    assert alternate.attrib == {"type": "video/mp4", "length": "300000000", "bitrate": str(round(300000000 * 8 / 2421)),
                                "height": "1080", "title": "Video"}  # fmt: skip
    assert [source.attrib for source in alternate.findall("podcast:source", ns)] == [{"uri": VIDEO_URL}]
    artwork = f"{SITE_URL}/episodes/{episode.id}/artwork.png"
    assert item.find("itunes:image", ns).get("href") == artwork
    assert not feedparser.parse(feed).bozo
    parsed = podcastparser.parse(SITE_URL + "/podcast/feed.xml", __import__("io").BytesIO(feed))
    assert parsed["episodes"][0]["episode_art_url"] == artwork
    assert parsed["episodes"][0]["enclosures"][0]["url"] == episode.audio.url


def test_the_site_publishes_the_artwork_full_size_and_one_small_copy(media: Built) -> None:
    from PIL import Image

    (episode,) = media.publication.episodes
    folder = media.site / "episodes" / episode.id
    with Image.open(folder / "artwork.png") as full, Image.open(folder / "artwork-600.png") as small:
        assert (full.size, small.size, small.mode) == ((1600, 1600), (600, 600), "RGB")
    html = (folder / "index.html").read_text()
    assert '<img class="episode-artwork" src="artwork-600.png" alt="" width="600" height="600">' in html
    issue = media.outputs / "newsletter" / episode.release.isoformat()
    assert f'src="{SITE_URL}/episodes/{episode.id}/artwork-600.png"' in (issue / "message.eml").read_text().replace(
        "=\n", ""
    ).replace("=3D", "=")
    assert 'src="data:image/png;base64,' in (issue / "index.html").read_text()  # the preview needs no network


def test_the_episode_page_plays_the_video_with_captions_from_the_webvtt_transcript(media: Built) -> None:
    from site_testkit import crawl_problems

    (episode,) = media.publication.episodes
    html = (media.site / "episodes" / episode.id / "index.html").read_text()
    assert re.search(r'<video class="episode-video" controls preload="none" playsinline crossorigin="anonymous" '
                     r'poster="artwork-600.png">', html)  # fmt: skip
    assert f'<source src="{VIDEO_URL}" type="video/mp4">' in html
    assert f'<track kind="captions" src="{VTT_URL}" srclang="en-GB" label="Captions (en-GB)">' in html
    assert "<iframe" not in html and "youtube" not in html
    assert crawl_problems(media) == []  # nothing fetched from anywhere but the site and its own media host


def test_no_captions_track_without_a_webvtt_transcript(tmp_path: Path, copy_full_programme) -> None:
    copy_full_programme(tmp_path)
    _with_video_and_artwork(tmp_path, transcript="text/plain")
    built = build_project(FULL, tmp_path, formats=("site",))
    (episode,) = built.publication.episodes
    html = (built.site / "episodes" / episode.id / "index.html").read_text()
    assert "<video" in html and "<track" not in html and "crossorigin" not in html


@pytest.mark.parametrize(
    ("size", "mode", "message"),
    [
        (1000, "RGB", "episode artwork 'assets/episode-one.png' is 1000×1000 px; it must be between 1400×1400"),
        (1600, "P", "episode artwork 'assets/episode-one.png' uses the P colour mode; Apple requires RGB"),
        (1600, "RGBA", "episode artwork 'assets/episode-one.png' uses the RGBA colour mode; Apple requires RGB"),
    ],
)
def test_episode_artwork_is_checked_like_the_podcasts(run_cli, make_project, size, mode, message) -> None:
    tmp_path = make_project("minimal")  # (the check reads only the episode: the full programme's layouts would wait)
    _with_video_and_artwork(tmp_path, size=size, mode=mode)
    result = run_cli("validate", "content", "--as-of", "2026-11-25", cwd=tmp_path)
    assert result.exit_code == 1
    line = next(line for line in result.output.splitlines() if "episode artwork" in line)
    assert re.match(r"content/episodes/episode-one\.md:\d+:1: error: \[feed\] ", line)
    assert message in line, line
