"""Private podcast feeds, built once and served per person: each subscriber's feed put together from what a build
wrote for the subscription service.

A format that offers private feeds (the `feed` format) writes, in the build's service folder
(`outputs/service/<format>/private-feed/`, never on the website), an `index.json` listing every released episode
with its items' files, a `channel.xml` (the private channel: blocked from directories, locked, with a placeholder
self link) and one RSS document per episode item (`items/<id>.xml` as everyone reads it, and
`items/<id>.members.xml` where members read more). docs/formats/feed.md describes the files; this module reads
them, it imports no other plugin.

A subscriber's feed is the channel with their own feed URL as its self link, then the items of the episodes
released to them, newest first: every released episode (`feed_scope` all, or someone who follows the weekly
issue), or those the newsletter has sent them so far (a subscriber at their own pace: the numbers before their
`position`). Members get the members' items. Nothing is rendered per request: the files are read once (and again
when a build changes the index), the bytes put together once per subscriber and version, kept in memory, and a
request that names the current ETag is answered 304.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from backpub_mailinglist.store import ALL, FeedAccess

INDEX = "private-feed/index.json"
FORMAT, VERSION = "backpub private feed", 1
CACHED_FEEDS = 2048
"""How many subscribers' feeds the service keeps put together (a few MB for a 500-episode programme's 1,000)."""


class NotBuilt(Exception):
    """The build has not written the private feeds' files (or they cannot be read): the message says which."""


@dataclass(frozen=True)
class Episode:
    """One released episode as the private feeds list it."""

    guid: str
    number: int
    item: bytes
    """Its `<item>` element as everyone reads it."""
    members_item: bytes
    """Its `<item>` element as members read it (the same bytes when they read nothing more)."""


@dataclass(frozen=True)
class Files:
    """One build's private feed files, read."""

    stamp: tuple[int, int]
    """The index file's modification time and size: another build, other files."""
    head: bytes
    """The channel up to its items, with the self link's placeholder."""
    tail: bytes
    placeholder: bytes
    episodes: tuple[Episode, ...]
    """Oldest first."""


@dataclass(frozen=True)
class Feed:
    """A subscriber's feed as served."""

    body: bytes
    etag: str


class PrivateFeeds:
    """The private feeds of one build's service folder (`outputs/service/`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._files: Files | None = None
        self._cache: OrderedDict[str, Feed] = OrderedDict()
        self._lock = threading.Lock()

    def index_path(self) -> Path | None:
        """The index a format wrote in the service folder (the first, should two formats offer private feeds)."""
        found = sorted(self.folder.glob(f"*/{INDEX}"))
        return found[0] if found else None

    def files(self) -> Files:
        """The current build's files, read again when a build changed them; NotBuilt when there are none."""
        path = self.index_path()
        if path is None:
            raise NotBuilt(f"no private feed files in {self.folder} yet: build the feed format (`backpub build`)")
        try:
            info = path.stat()
        except OSError as exc:
            raise NotBuilt(f"cannot read {path}: {exc.strerror}") from None
        stamp = (info.st_mtime_ns, info.st_size)
        files = self._files
        if files is None or files.stamp != stamp:
            with self._lock:
                if self._files is None or self._files.stamp != stamp:
                    self._files = read_files(path, stamp)
                    self._cache.clear()
                files = self._files
        return files

    def etag(self, access: FeedAccess, token_hash: str) -> str:
        """The ETag of a subscriber's feed as it would be served now (worked out without putting it together)."""
        files = self.files()
        shown = ",".join(str(episode.number) for episode in _selection(files, access))
        seed = f"{files.stamp}\n{token_hash}\n{access.member}\n{shown}"
        return '"' + hashlib.sha256(seed.encode()).hexdigest()[:32] + '"'

    def feed(self, access: FeedAccess, token_hash: str, self_url: str) -> Feed:
        """A subscriber's feed: from memory when it was put together before for this build and selection."""
        etag = self.etag(access, token_hash)
        found = self._cache.get(etag)
        if found is not None:
            return found
        files = self.files()
        head = files.head.replace(files.placeholder, escape(self_url).encode(), 1)
        shown = _selection(files, access)
        items = [episode.members_item if access.member else episode.item for episode in reversed(shown)]
        feed = Feed(b"".join([head, *items, files.tail]), etag)
        with self._lock:
            self._cache[etag] = feed
            while len(self._cache) > CACHED_FEEDS:
                self._cache.popitem(last=False)
        return feed


def _selection(files: Files, access: FeedAccess) -> tuple[Episode, ...]:
    """The episodes released to a subscriber: all of them, or those the newsletter sent them (at their pace)."""
    if access.scope == ALL or access.position is None:
        return files.episodes
    return tuple(episode for episode in files.episodes if episode.number < access.position)


def read_files(index_path: Path, stamp: tuple[int, int]) -> Files:
    """Read one build's private feed files (the index, the channel, every item)."""
    root = index_path.parent.parent  # the format's service folder: the index names files relative to it
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
        if index.get("format") != FORMAT or index.get("version") != VERSION:
            raise NotBuilt(f"{index_path} is not a private feed index of version {VERSION}: build again")
        channel = (root / index["channel"]).read_bytes()
        placeholder = escape(index["self_placeholder"]).encode()
        cut = channel.rindex(b"</channel>")
        episodes = tuple(
            Episode(
                entry["guid"],
                int(entry["number"]),
                item := _item(root / entry["item"]),
                _item(root / entry["members_item"]) if entry.get("members_item") else item,
            )
            for entry in index["episodes"]
        )
    except NotBuilt:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NotBuilt(f"the private feed files beside {index_path} cannot be read ({exc}): build again") from None
    if placeholder not in channel[:cut]:
        raise NotBuilt(f"{root / index['channel']} has no self link to fill in: build again")
    return Files(stamp, channel[:cut], channel[cut:], placeholder, episodes)


def _item(path: Path) -> bytes:
    """The `<item>` element of an item's document (its namespaces are the channel's: the same prefixes)."""
    data = path.read_bytes()
    start, end = data.index(b"<item>"), data.rindex(b"</item>") + len(b"</item>")
    return b"    " + data[start:end] + b"\n"
