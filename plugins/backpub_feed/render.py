"""Renders the podcast RSS feed with feedgen (imported only when the feed renders)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml.html import builder as html
from lxml.html import tostring

from backpub import Episode, Messages, Publication, RenderError, render, sanitise_html
from backpub_feed.extensions import (
    ItunesEntryExtension,
    ItunesExtension,
    PodcastIndexEntryExtension,
    PodcastIndexExtension,
)
from backpub_feed.notice import default_messages, item_description, urgent_help_html
from backpub_feed.options import FeedOptions, release_datetime
from backpub_feed.rules import covered_protocols, podcast_guid, public_url, related_public_episodes

PACKAGE = Path(__file__).resolve().parent


def render_feed(
    publication: Publication,
    options: FeedOptions,
    as_of: date,
    build_time: datetime,
    generator_version: str,
    words: Messages | None = None,
) -> bytes:
    """The feed as UTF-8 XML: the channel, then every episode out on `as_of`, newest first."""
    feed = FeedGenerator()
    feed.register_extension("itunes", ItunesExtension, ItunesEntryExtension)
    feed.register_extension("podcastindex", PodcastIndexExtension, PodcastIndexEntryExtension)
    words = words or default_messages(publication)
    released = publication.released_episodes(as_of)
    # A Sunday build runs from the start of the day, before the episode's release time: the feed is never
    # older than its newest item.
    newest = max((release_datetime(publication, options, episode) for episode in released), default=build_time)
    _channel(feed, publication, options, max(build_time, newest), generator_version)
    notice = urgent_help_html(publication, as_of, words)
    for episode in reversed(released):
        # feedgen prepends by default; append keeps the newest-first order we iterate in.
        _item(feed.add_entry(order="append"), episode, publication, options, as_of, words, notice)
    return feed.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)


def _channel(
    feed: FeedGenerator, publication: Publication, podcast: FeedOptions, build_time: datetime, generator_version: str
) -> None:
    programme = publication.programme
    feed.title(podcast.title)
    # feedgen writes the channel <link> from whichever link came last: the self link must go first.
    feed.link(href=podcast.feed_url, rel="self", type="application/rss+xml")
    feed.link(href=publication.home_url, rel="alternate")
    feed.description(podcast.description)
    feed.language(programme.language)
    if podcast.copyright:
        feed.copyright(podcast.copyright)
    feed.generator("backpub feed", version=generator_version)
    feed.lastBuildDate(build_time)  # never the clock: the build's own time keeps the bytes reproducible
    feed.image(url=podcast.artwork_url, title=podcast.title, link=publication.home_url)
    if not feed.image():
        raise RenderError(f"feedgen refused the artwork URL {podcast.artwork_url!r}", path=publication.programme_path)

    itunes: ItunesExtension = feed.itunes
    itunes.itunes_author(", ".join(programme.authors))
    itunes.itunes_owner(name=podcast.owner_name, email=podcast.owner_email)
    itunes.itunes_image(podcast.artwork_url)
    if itunes.itunes_image() != podcast.artwork_url:  # feedgen drops unknown extensions without a word
        raise RenderError(f"feedgen refused the artwork URL {podcast.artwork_url!r}", path=publication.programme_path)
    category = {"cat": podcast.apple_category}
    if podcast.apple_subcategory:
        category["sub"] = podcast.apple_subcategory
    itunes.itunes_category(category)
    itunes.itunes_type(podcast.type)
    itunes.explicit(podcast.explicit)

    index: PodcastIndexExtension = feed.podcastindex
    index.guid(podcast.guid or podcast_guid(podcast.feed_url))
    index.locked(podcast.locked, podcast.owner_email)


def _item(
    entry: FeedEntry,
    episode: Episode,
    publication: Publication,
    options: FeedOptions,
    as_of: date,
    words: Messages,
    notice: str,
) -> None:
    audio = episode.audio
    if audio.size_bytes is None or audio.duration_seconds is None:  # validation prevents it; never write "None"
        source = publication.source_of(episode.id)
        raise RenderError("the episode's audio has no size or duration", path=source.path, entity=episode.id)
    entry.title(episode.title)
    entry.guid(episode.guid, permalink=False)
    entry.link(href=publication.url_for(episode))
    entry.pubDate(release_datetime(publication, options, episode))
    entry.enclosure(audio.url, str(audio.size_bytes), audio.mime_type)
    entry.description(item_description(episode, notice))
    entry.content(show_notes_html(episode, publication, as_of, words, notice), type="CDATA")

    itunes: ItunesEntryExtension = entry.itunes
    itunes.itunes_duration(str(audio.duration_seconds))
    itunes.itunes_episode(episode.number)
    itunes.itunes_episode_type(episode.episode_type)
    itunes.explicit(options.explicit)
    # The episode's own artwork and chapters file are where the website publishes them (`Format.links`).
    artwork_url = publication.link(f"episode-artwork:{episode.id}") if episode.artwork else None
    if artwork_url:
        itunes.itunes_image(artwork_url)

    index: PodcastIndexEntryExtension = entry.podcastindex
    if episode.video:
        video = episode.video
        bitrate = round(video.size_bytes * 8 / video.duration_seconds)
        index.alternate_enclosure(video.url, video.mime_type, video.size_bytes, bitrate=bitrate, height=video.height,
                                  title=words.gettext("Video"))  # fmt: skip
    if episode.transcript:
        index.transcript(episode.transcript.url, episode.transcript.type, episode.transcript.language)
    # Chapters made from the episode's marks are published by the site; a hosted file is named as it is.
    chapters_url = publication.link(f"chapters:{episode.id}") if episode.chapter_marks else episode.chapters_file_url
    if chapters_url:
        index.chapters(chapters_url)


def show_notes_html(episode: Episode, publication: Publication, as_of: date, words: Messages, notice: str) -> str:
    """The show notes as sanitised HTML, followed by links to the related episodes and the protocols covered,
    then the urgent-help `notice`."""
    _ = words.gettext
    notes = render(episode.show_notes, link=lambda entity_id: public_url(publication, entity_id, as_of))
    parts = [notes]
    related = related_public_episodes(publication, episode, as_of)
    if related:
        episode_title = _("Episode %(number)s: %(title)s")
        links = [
            (episode_title % {"number": other.number, "title": other.title}, publication.url_for(other))
            for other in related
        ]
        parts.append(_link_list(_("Related episodes"), links))
    protocols = covered_protocols(publication, episode)
    if protocols:
        links = [(protocol.title, publication.url_for(protocol)) for protocol in protocols]
        parts.append(_link_list(_("Protocols covered in this episode"), links))
    parts.append(notice)
    cleaned = sanitise_html("".join(parts))
    return cleaned.replace("]]>", "]]&gt;")  # a CDATA section cannot contain its own terminator


def _link_list(heading: str, links: list[tuple[str, str]]) -> str:
    """A heading and a list of links, built as elements (podcast apps render <p>, <strong>, <ul>, <a>)."""
    fragment = [html.P(html.STRONG(heading)), html.UL(*(html.LI(html.A(text, href=url)) for text, url in links))]
    return "".join(tostring(element, encoding="unicode") for element in fragment)
