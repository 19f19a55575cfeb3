"""feedgen extensions for the tags feedgen 1.0.0 lacks: Apple's true/false explicit flag and the podcast namespace.

They use feedgen's own extension mechanism (BaseExtension / BaseEntryExtension, `register_extension`), so every
element is built as an lxml element by the same code path feedgen uses; no XML is written by hand.
"""

from __future__ import annotations

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.ext.podcast import PodcastExtension
from feedgen.ext.podcast_entry import PodcastEntryExtension
from feedgen.util import xml_elem

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
CHAPTERS_TYPE = "application/json+chapters"


def _add_explicit(parent, explicit: bool | None) -> None:
    """Apple's current itunes:explicit values are true/false; feedgen only knows the legacy yes/no/clean."""
    if explicit is not None:
        xml_elem(f"{{{ITUNES_NS}}}explicit", parent).text = "true" if explicit else "false"


class ItunesExtension(PodcastExtension):
    """feedgen's iTunes channel extension, plus `explicit(flag)` written as true/false."""

    def __init__(self) -> None:
        super().__init__()
        self._explicit: bool | None = None

    def explicit(self, flag: bool) -> None:
        """Set itunes:explicit (written as Apple's `true`/`false`)."""
        self._explicit = bool(flag)

    def extend_rss(self, rss_feed):
        super().extend_rss(rss_feed)
        _add_explicit(rss_feed[0], self._explicit)
        return rss_feed


class ItunesEntryExtension(PodcastEntryExtension):
    """feedgen's iTunes item extension, plus `explicit(flag)` written as true/false."""

    def __init__(self) -> None:
        super().__init__()
        self._explicit: bool | None = None

    def explicit(self, flag: bool) -> None:
        """Set the item's itunes:explicit (written as Apple's `true`/`false`)."""
        self._explicit = bool(flag)

    def extend_rss(self, entry):
        super().extend_rss(entry)
        _add_explicit(entry, self._explicit)
        return entry


class PodcastIndexExtension(BaseExtension):
    """The channel tags of the Podcast Index namespace backpub uses: podcast:guid, podcast:locked,
    podcast:funding and podcast:person."""

    def __init__(self) -> None:
        self._guid: str | None = None
        self._locked: tuple[bool, str] | None = None
        self._funding: list[tuple[str, str]] = []
        self._persons: list[tuple[str, dict[str, str]]] = []

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def guid(self, value: str) -> None:
        """Set podcast:guid (a UUIDv5 of the feed URL)."""
        self._guid = value

    def locked(self, locked: bool, owner: str) -> None:
        """Set podcast:locked (yes/no) with the owner's e-mail."""
        self._locked = (locked, owner)

    def funding(self, url: str, text: str) -> None:
        """Add a podcast:funding link (a membership or support page) with its label (at most 128 characters)."""
        self._funding.append((url, text[:128]))

    def person(self, name: str, **attributes: str | None) -> None:
        """Add a podcast:person (role, group, href, img; None leaves one out)."""
        self._persons.append((name[:128], {key: value for key, value in attributes.items() if value}))

    def extend_rss(self, feed):
        channel = feed[0]
        if self._guid:
            xml_elem(f"{{{PODCAST_NS}}}guid", channel).text = self._guid
        if self._locked is not None:
            locked, owner = self._locked
            xml_elem(f"{{{PODCAST_NS}}}locked", channel, owner=owner).text = "yes" if locked else "no"
        for url, text in self._funding:
            xml_elem(f"{{{PODCAST_NS}}}funding", channel, url=url).text = text
        for name, attributes in self._persons:
            xml_elem(f"{{{PODCAST_NS}}}person", channel, **attributes).text = name
        return feed

    def extend_atom(self, feed):
        return feed


class PodcastIndexEntryExtension(BaseEntryExtension):
    """The item tags of the Podcast Index namespace backpub uses: podcast:alternateEnclosure (with podcast:source),
    podcast:transcript and podcast:chapters."""

    def __init__(self) -> None:
        self._transcripts: list[dict[str, str]] = []
        self._chapters: str | None = None
        self._alternates: list[tuple[dict[str, str], str]] = []

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def transcript(self, url: str, mime_type: str, language: str | None = None) -> None:
        """Add a podcast:transcript (several are allowed)."""
        attributes = {"url": url, "type": mime_type}
        if language:
            attributes["language"] = language
        self._transcripts.append(attributes)

    def chapters(self, url: str) -> None:
        """Set the podcast:chapters file (JSON chapters)."""
        self._chapters = url

    def alternate_enclosure(self, uri: str, mime_type: str, length: int, **optional: str | int | None) -> None:
        """Add a podcast:alternateEnclosure with one podcast:source (e.g. the video version of the episode);
        `optional` takes the tag's other attributes (bitrate, height, title, ...); None leaves one out."""
        attributes = {"type": mime_type, "length": str(length)}
        attributes.update({name: str(value) for name, value in optional.items() if value is not None})
        self._alternates.append((attributes, uri))

    def extend_rss(self, entry):
        for attributes, uri in self._alternates:
            alternate = xml_elem(f"{{{PODCAST_NS}}}alternateEnclosure", entry, **attributes)
            xml_elem(f"{{{PODCAST_NS}}}source", alternate, uri=uri)
        for attributes in self._transcripts:
            xml_elem(f"{{{PODCAST_NS}}}transcript", entry, **attributes)
        if self._chapters:
            xml_elem(f"{{{PODCAST_NS}}}chapters", entry, url=self._chapters, type=CHAPTERS_TYPE)
        return entry
