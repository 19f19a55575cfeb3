"""Renders the podcast RSS feed with feedgen (imported only when the feed renders): the public feed, and the parts
of the private feeds the subscription service puts together per subscriber (a channel, and each episode's item).

A members-only episode is, in the public feed, an item with its title and summary, the membership link and the
urgent-help notice, and no enclosure (apps that only play episodes skip it); its item in a member's private feed is
the whole episode, with its article and the members-only protocols it covers in full."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml.html import builder as html
from lxml.html import tostring

from backpub import Episode, Messages, Protocol, Publication, RenderError, render, sanitise_html
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
SELF_PLACEHOLDER = "https://private-feed.invalid/backpub-subscriber-feed.xml"
"""The private channel's self link as built: the subscription service puts each subscriber's feed URL there."""


def new_feed() -> FeedGenerator:
    """A feedgen feed with the extensions backpub uses (the same namespaces in every document it makes)."""
    feed = FeedGenerator()
    feed.register_extension("itunes", ItunesExtension, ItunesEntryExtension)
    feed.register_extension("podcastindex", PodcastIndexExtension, PodcastIndexEntryExtension)
    return feed


def render_feed(
    publication: Publication,
    options: FeedOptions,
    as_of: date,
    build_time: datetime,
    generator_version: str,
    words: Messages | None = None,
) -> bytes:
    """The feed as UTF-8 XML: the channel, then every episode out on `as_of`, newest first."""
    feed = new_feed()
    words = words or default_messages(publication)
    released = publication.released_episodes(as_of)
    _channel(feed, publication, options, newest_time(publication, options, as_of, build_time), generator_version, words)
    notice = urgent_help_html(publication, as_of, words)
    for episode in reversed(released):
        # feedgen prepends by default; append keeps the newest-first order we iterate in.
        add_item(feed.add_entry(order="append"), episode, publication, options, as_of, words, notice)
    return feed.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)


def newest_time(publication: Publication, options: FeedOptions, as_of: date, build_time: datetime) -> datetime:
    """The feed's lastBuildDate: the build's time, never older than its newest item (a Sunday build runs from the
    start of the day, before the episode's release time)."""
    released = publication.released_episodes(as_of)
    newest = max((release_datetime(publication, options, episode) for episode in released), default=build_time)
    return max(build_time, newest)


def render_private_channel(
    publication: Publication,
    options: FeedOptions,
    as_of: date,
    build_time: datetime,
    generator_version: str,
    words: Messages,
) -> bytes:
    """A private feed's channel, without items: the public channel kept out of directories (`itunes:block` yes)
    and from being imported elsewhere (`podcast:locked` yes), its self link `SELF_PLACEHOLDER`."""
    feed = new_feed()
    newest = newest_time(publication, options, as_of, build_time)
    _channel(feed, publication, options, newest, generator_version, words, self_url=SELF_PLACEHOLDER)
    return feed.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)


def render_private_item(
    episode: Episode,
    publication: Publication,
    options: FeedOptions,
    as_of: date,
    words: Messages,
) -> bytes:
    """One episode's item for the private feeds, in a document of its own whose namespaces are the channel's (the
    service puts the `<item>` element into a subscriber's feed). `publication` is the view its readers have: the
    public one (a members-only episode as its teaser), or the members' (everything in full)."""
    feed = new_feed()
    feed.title(options.title)
    feed.link(href=publication.home_url, rel="alternate")
    feed.description(options.description)
    # feedgen would stamp the clock's time: the item's own release keeps its bytes (and ETags) the same every build
    feed.lastBuildDate(release_datetime(publication, options, episode))
    notice = urgent_help_html(publication, as_of, words)
    add_item(feed.add_entry(order="append"), episode, publication, options, as_of, words, notice)
    return feed.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)


def _channel(
    feed: FeedGenerator,
    publication: Publication,
    podcast: FeedOptions,
    build_time: datetime,
    generator_version: str,
    words: Messages,
    self_url: str | None = None,
) -> None:
    """The channel; with `self_url`, a private feed's (blocked from directories, locked)."""
    programme = publication.programme
    feed.title(podcast.title)
    # feedgen writes the channel <link> from whichever link came last: the self link must go first.
    feed.link(href=self_url or podcast.feed_url, rel="self", type="application/rss+xml")
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
    if self_url is not None:
        itunes.itunes_block(True)  # a subscriber's own feed is never listed in a directory

    index: PodcastIndexExtension = feed.podcastindex
    index.guid(podcast.guid or podcast_guid(podcast.feed_url))
    index.locked(podcast.locked or self_url is not None, podcast.owner_email)
    if programme.membership_url:
        index.funding(programme.membership_url, words.gettext("Become a member"))
    for person in podcast.persons:
        index.person(person.name, role=person.role, group=person.group, href=person.href, img=person.img)


def add_item(
    entry: FeedEntry,
    episode: Episode,
    publication: Publication,
    options: FeedOptions,
    as_of: date,
    words: Messages,
    notice: str,
) -> None:
    """An episode's item as this view of the publication shows it: in full, or (a members-only episode in the
    public view) its teaser."""
    if publication.withheld(episode):
        _teaser_item(entry, episode, publication, options, words, notice)
    else:
        _item(entry, episode, publication, options, as_of, words, notice)


def _teaser_item(
    entry: FeedEntry, episode: Episode, publication: Publication, options: FeedOptions, words: Messages, notice: str
) -> None:
    """A members-only episode where everyone reads it: its title and summary with the membership link, the
    urgent-help notice, no enclosure."""
    entry.title(episode.title)
    entry.guid(episode.guid, permalink=False)
    entry.link(href=publication.url_for(episode))
    entry.pubDate(release_datetime(publication, options, episode))
    description = item_description(episode, membership_html(publication, words) + notice)
    entry.description(description)
    entry.content(description, type="CDATA")
    itunes: ItunesEntryExtension = entry.itunes
    itunes.itunes_episode(episode.number)
    itunes.itunes_episode_type(episode.episode_type)
    itunes.explicit(options.explicit)


def membership_html(publication: Publication, words: Messages) -> str:
    """Where a members-only text would be: that it is for members, and where to become one."""
    url = publication.programme.membership_url or publication.home_url
    paragraph = html.P(words.gettext("For members:") + " ", html.A(words.gettext("Become a member"), href=url))
    return tostring(paragraph, encoding="unicode")


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
    members = members_html(episode, publication, words)
    entry.content(show_notes_html(episode, publication, as_of, words, notice, members), type="CDATA")

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


def show_notes_html(
    episode: Episode, publication: Publication, as_of: date, words: Messages, notice: str, members: str = ""
) -> str:
    """The show notes as sanitised HTML, then `members` (what only members read: `members_html`), links to the
    related episodes and the protocols covered, then the urgent-help `notice`."""
    _ = words.gettext
    notes = render(episode.show_notes, link=lambda entity_id: public_url(publication, entity_id, as_of))
    parts = [notes, members]
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


def has_members_content(episode: Episode, publication: Publication) -> bool:
    """Whether members read more of an episode than everyone does: it is members-only, or covers a members-only
    protocol (their item then carries it in full)."""
    from backpub import members_only

    return members_only(episode) or any(members_only(protocol) for protocol in covered_protocols(publication, episode))


def members_html(episode: Episode, publication: Publication, words: Messages) -> str:
    """What a member's item adds (the members' view only): a members-only episode's article, and every
    members-only protocol it covers in full, its cautions before its steps."""
    from backpub import members_only

    if publication.withheld_ids:
        return ""  # the public view has nothing of them to show
    _ = words.gettext
    link = lambda entity_id: publication.url_for(entity_id)  # noqa: E731 - members read every page's teaser
    parts = []
    if members_only(episode) and episode.body:
        parts.append(
            tostring(html.P(html.STRONG(_("The article"))), encoding="unicode") + render(episode.body, link=link)
        )
    for protocol in covered_protocols(publication, episode):
        if members_only(protocol):
            parts.append(_protocol_html(protocol, words, link))
    return "".join(parts)


def _protocol_html(protocol: Protocol, words: Messages, link) -> str:
    _ = words.gettext
    elements = [html.P(html.STRONG(protocol.title)), html.P(protocol.purpose)]
    if protocol.dose:
        elements.append(html.P(protocol.dose.text(words)))
    if protocol.cautions:
        elements += [
            html.P(html.STRONG(_("Before you start"))),
            html.UL(*(html.LI(text) for text in protocol.cautions)),
        ]
    elements.append(html.OL(*(html.LI(step) for step in protocol.steps)))
    return "".join(tostring(element, encoding="unicode") for element in elements) + render(protocol.body, link=link)


def _link_list(heading: str, links: list[tuple[str, str]]) -> str:
    """A heading and a list of links, built as elements (podcast apps render <p>, <strong>, <ul>, <a>)."""
    fragment = [html.P(html.STRONG(heading)), html.UL(*(html.LI(html.A(text, href=url)) for text, url in links))]
    return "".join(tostring(element, encoding="unicode") for element in fragment)
