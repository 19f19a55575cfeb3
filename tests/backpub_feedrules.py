"""The W3C feed validator's rules for an RSS 2.0 podcast feed that can be checked on this machine, each named as
the validator names the message it logs (w3c/feedvalidator, levels A and AA). The validator itself is not on
PyPI, so CI cannot run it; these checks are written from its documented messages and the RSS 2.0, iTunes and
Podcast Index specifications."""

from __future__ import annotations

import time
from email.utils import mktime_tz, parsedate_tz
from urllib.parse import urlsplit

from lxml import etree

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
YES_NO_CLEAN = {"yes", "no", "clean", "true", "false"}
SINGLE_IN_CHANNEL = ("title", "link", "description", "language", "copyright", "lastBuildDate", "generator", "docs")
"""Elements the validator reports as DuplicateElement when a channel has two."""


def w3c_problems(data: bytes, *, now: float | None = None) -> list[str]:
    """Every rule the feed breaks, as '<Message>: detail' (an empty list: it passes)."""
    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError as exc:
        return [f"NotWellFormed: {exc}"]
    problems: list[str] = []
    if root.tag != "rss" or root.get("version") != "2.0":
        return [f"UndefinedRoot: {root.tag} version={root.get('version')}"]
    channels = root.findall("channel")
    if len(channels) != 1:
        return [f"MissingElement: one channel (found {len(channels)})"]
    channel = channels[0]
    problems += _channel(channel, now or time.time())
    guids: set[str] = set()
    enclosures: set[str] = set()
    for number, item in enumerate(channel.findall("item"), start=1):
        problems += [f"{problem} (item {number})" for problem in _item(item, guids, enclosures, now or time.time())]
    return problems


def _channel(channel: etree._Element, now: float) -> list[str]:
    problems = [f"MissingElement: channel {name}" for name in ("title", "link", "description")
                if not (channel.findtext(name) or "").strip()]  # fmt: skip
    for name in SINGLE_IN_CHANNEL:
        if len(channel.findall(name)) > 1:
            problems.append(f"DuplicateElement: channel {name}")
    selves = [link for link in channel.findall(f"{{{ATOM}}}link") if link.get("rel") == "self"]
    if not selves:
        problems.append("MissingAtomSelfLink")
    for link in selves:
        if link.get("type") != "application/rss+xml" or not _absolute(link.get("href")):
            problems.append(f"InvalidAtomLink: {dict(link.attrib)}")
    problems += _date(channel.findtext("lastBuildDate"), "lastBuildDate", now)
    if not _absolute(channel.findtext("link")):
        problems.append("InvalidURLAttribute: channel link")
    problems += _itunes_channel(channel)
    problems += _podcast_channel(channel)
    return problems


def _itunes_channel(channel: etree._Element) -> list[str]:
    problems = []
    if channel.find(f"{{{ITUNES}}}explicit") is None:
        problems.append("MissingItunesElement: itunes:explicit")
    for name in ("explicit", "block"):
        for element in channel.findall(f"{{{ITUNES}}}{name}"):
            if (element.text or "").strip().lower() not in YES_NO_CLEAN:
                problems.append(f"InvalidYesNoClean: itunes:{name} {element.text!r}")
    image = channel.find(f"{{{ITUNES}}}image")
    if image is None:
        problems.append("MissingItunesElement: itunes:image")
    elif not _absolute(image.get("href")) or not image.get("href", "").lower().endswith((".jpg", ".png")):
        problems.append(f"ItunesImageExtension: {image.get('href')}")
    owner = channel.find(f"{{{ITUNES}}}owner")
    if owner is None or not (owner.findtext(f"{{{ITUNES}}}email") or "").strip():
        problems.append("MissingItunesEmail")
    if channel.find(f"{{{ITUNES}}}category") is None:
        problems.append("MissingItunesElement: itunes:category")
    return problems


def _podcast_channel(channel: etree._Element) -> list[str]:
    problems = []
    for locked in channel.findall(f"{{{PODCAST}}}locked"):
        if locked.text not in ("yes", "no") or not locked.get("owner"):
            problems.append(f"InvalidValue: podcast:locked {locked.text!r} owner={locked.get('owner')!r}")
    for funding in channel.findall(f"{{{PODCAST}}}funding"):
        if not _absolute(funding.get("url")) or not 0 < len(funding.text or "") <= 128:
            problems.append(f"InvalidValue: podcast:funding {dict(funding.attrib)}")
    for person in channel.findall(f"{{{PODCAST}}}person"):
        if not 0 < len((person.text or "").strip()) <= 128:
            problems.append("InvalidValue: podcast:person without a name")
    return problems


def _item(item: etree._Element, guids: set[str], enclosures: set[str], now: float) -> list[str]:
    problems = []
    if not (item.findtext("title") or item.findtext("description")):
        problems.append("ItemMustContainTitleOrDescription")
    guid = item.find("guid")
    if guid is None:
        problems.append("MissingGuid")
    else:
        if guid.get("isPermaLink", "true") == "true" and not _absolute(guid.text):
            problems.append(f"InvalidHttpGUID: {guid.text}")
        if guid.text in guids:
            problems.append(f"DuplicateValue: guid {guid.text}")
        guids.add(guid.text or "")
    problems += _date(item.findtext("pubDate"), "pubDate", now)
    for enclosure in item.findall("enclosure"):
        url, length = enclosure.get("url"), enclosure.get("length") or ""
        if not _absolute(url) or not length.isdigit() or not enclosure.get("type"):
            problems.append(f"InvalidEnclosure: {dict(enclosure.attrib)}")
        if url in enclosures:
            problems.append(f"DuplicateEnclosure: {url}")
        enclosures.add(url or "")
    duration = item.findtext(f"{{{ITUNES}}}duration")
    if duration is not None and not all(part.isdigit() for part in duration.split(":")):
        problems.append(f"InvalidDuration: {duration}")
    episode = item.findtext(f"{{{ITUNES}}}episode")
    if episode is not None and not (episode.isdigit() and int(episode) > 0):
        problems.append(f"InvalidPositiveInteger: itunes:episode {episode}")
    for name in ("explicit", "block"):
        for element in item.findall(f"{{{ITUNES}}}{name}"):
            if (element.text or "").strip().lower() not in YES_NO_CLEAN:
                problems.append(f"InvalidYesNoClean: itunes:{name} {element.text!r}")
    link = item.findtext("link")
    if link is not None and not _absolute(link):
        problems.append(f"InvalidURLAttribute: item link {link}")
    return problems


def _date(value: str | None, name: str, now: float) -> list[str]:
    if value is None:
        return []
    parsed = parsedate_tz(value)
    if parsed is None:
        return [f"InvalidRFC2822Date: {name} {value!r}"]
    if mktime_tz(parsed) > now + 600 or parsed[0] < 1990:
        return [f"ImplausibleDate: {name} {value!r}"]
    return []


def _absolute(url: str | None) -> bool:
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)
