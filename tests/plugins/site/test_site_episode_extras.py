"""What an episode page and its newsletter add around the audio: the chapter list and chapters file."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import podcastparser
import pytest
from site_testkit import SHIPPED, Built, build_project

from backpub.chapters import clock

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
    """The shipped content built in the formats that show an episode."""
    return build_project(SHIPPED, tmp_path_factory.mktemp("extras"), formats=("site", "feed", "newsletter"))


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
    built = build_project(SHIPPED, tmp_path, formats=("site", "feed"), cache=False)
    (episode,) = built.publication.episodes
    path = built.project / "content" / "episodes" / f"{episode.id}.md"
    text = path.read_text()
    path.write_text(re.sub(r"chapters:\n(  - .*\n)+", "", text))
    built = build_project(SHIPPED, tmp_path, formats=("site", "feed"), cache=False)
    assert not (built.site / "episodes" / episode.id / "chapters.json").exists()
    assert 'id="chapters"' not in (built.site / "episodes" / episode.id / "index.html").read_text()
    assert b"podcast:chapters" not in (built.outputs / "feed" / "podcast.xml").read_bytes()
