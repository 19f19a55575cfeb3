"""`backpub feed check-live`: compare the feed subscribers already have (the live URL) with the content.

Opt-in and never part of a build: it is the only place the feed plugin touches the network.
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from pathlib import Path

from backpub import Episode, Problem, Publication, members_only
from backpub_feed.locate import key_line

MAX_FEED_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class LiveItem:
    """An item of the live feed, as subscribers' apps identify it."""

    guid: str
    enclosure_url: str | None
    title: str


def fetch(url: str, timeout: float) -> bytes:
    """The live feed's bytes (http or https only; size-capped)."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"the live feed URL must be http(s), not {url!r}")
    request = urllib.request.Request(url, headers={"User-Agent": "backpub-feed-check"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        data = response.read(MAX_FEED_BYTES + 1)
    if len(data) > MAX_FEED_BYTES:
        raise ValueError(f"the live feed is larger than {MAX_FEED_BYTES} bytes")
    return data


def live_items(data: bytes) -> list[LiveItem]:
    """The items of an RSS document, read with a parser that resolves no entities and loads nothing."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    root = etree.fromstring(data, parser)
    items = []
    for item in root.iterfind("channel/item"):
        enclosure = item.find("enclosure")
        guid = (item.findtext("guid") or "").strip()
        url = enclosure.get("url") if enclosure is not None else None
        items.append(LiveItem(guid or (url or ""), url, (item.findtext("title") or "").strip()))
    return items


def live_problems(publication: Publication, content_dir: Path, items: list[LiveItem], shown_url: str) -> list[Problem]:
    """Every live item must still be an episode with the same GUID and enclosure URL, unless it is retired."""
    publication = publication.members  # a members-only episode's audio is compared too (it has no public enclosure)
    by_guid = {episode.guid: episode for episode in publication.episodes}
    problems = []
    for item in items:
        episode = by_guid.get(item.guid)
        if episode is None:
            message = (
                f"[feed] the live feed {shown_url} has {item.title!r} (GUID {item.guid}), but no episode has that "
                "GUID any more: restore it (with `retired: true` to withdraw it)"
            )
            problems.append(Problem(publication.programme_path, 1, 1, "error", message))
        elif not episode.retired and not members_only(episode) and item.enclosure_url != episode.audio.url:
            path = content_dir / Episode.folder / f"{episode.id}.md"
            message = (
                f"[feed] audio.url {episode.audio.url!r} differs from the live feed's enclosure "
                f"{item.enclosure_url!r}; a published enclosure URL never changes"
            )
            line = key_line(path, ("audio", "url"))
            problems.append(Problem(publication.source_of(episode.id).path, line, 1, "error", message, episode.id))
    return problems
