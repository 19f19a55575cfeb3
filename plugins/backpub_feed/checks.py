"""The feed's checks before anything renders: artwork, directory limits and GUID continuity against the ledger."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from backpub import Episode, Format, Problem, Publication
from backpub_feed.artwork import artwork_problems
from backpub_feed.ledger import LedgerError, Published, ledger_path, ledger_shown, read_ledger
from backpub_feed.locate import key_line, text_line
from backpub_feed.notice import item_description, urgent_help_html
from backpub_feed.rules import MAX_DESCRIPTION_BYTES, category_problem

if TYPE_CHECKING:
    from backpub_feed.options import FeedOptions

PROGRAMME_FILE = "programme.yaml"
SETTINGS = ("formats", "feed")
"""Where the feed's settings are in programme.yaml."""
RETIRE_HINT = "set `retired: true` in the episode's file to withdraw it deliberately"


class FeedChecks:
    """One run of the feed's checks; collects every problem instead of stopping at the first."""

    def __init__(self, feed: Format, options: FeedOptions, publication: Publication) -> None:
        self.feed = feed
        self.options = options
        self.publication = publication.members  # members-only episodes' audio and GUIDs are checked too
        self.as_of = feed.context.as_of
        self.problems: list[Problem] = []

    def run(self) -> list[Problem]:
        self.check_artwork()
        self.check_channel()
        self.check_episodes()
        self.check_ledger()
        return self.problems

    # -- reporting -------------------------------------------------------------------------------

    def programme_error(self, keys: tuple[str, ...], message: str) -> None:
        line = key_line(self.feed.context.content_dir / PROGRAMME_FILE, keys)
        self.problems.append(self.feed.problem(self.publication, None, message, line))

    def episode_error(self, episode: Episode, keys: tuple[str, ...], message: str) -> None:
        line = key_line(self.feed.context.content_dir / episode.folder / f"{episode.id}.md", keys)
        self.problems.append(self.feed.problem(self.publication, episode.id, message, line))

    def ledger_error(self, line: int, message: str) -> None:
        shown = ledger_shown(self.publication)
        self.problems.append(Problem(shown, line, 1, "error", f"[feed] {message}"))

    # -- the channel -----------------------------------------------------------------------------

    def check_artwork(self) -> None:
        artwork = self.publication.programme.artwork
        path = self.publication.asset(artwork)
        for message in artwork_problems(path, artwork, self.options.artwork_url):
            self.programme_error(("artwork",), message)

    def check_channel(self) -> None:
        podcast = self.options
        size = len(podcast.description.encode("utf-8"))
        if size > MAX_DESCRIPTION_BYTES:
            self.programme_error(
                (*SETTINGS, "description"),
                f"formats.feed.description is {size} bytes; podcast directories accept at most {MAX_DESCRIPTION_BYTES}",
            )
        problem = category_problem(podcast.apple_category, podcast.apple_subcategory)
        if problem:
            key = "apple_subcategory" if problem.startswith("apple_subcategory") else "apple_category"
            self.programme_error((*SETTINGS, key), problem)
        if podcast.copyright and re.search(r"copyright|©|\(c\)|\b\d{4}\b", podcast.copyright, re.IGNORECASE):
            line = key_line(self.feed.context.content_dir / PROGRAMME_FILE, (*SETTINGS, "copyright"))
            message = (
                "[feed] formats.feed.copyright should name the holder only: no word 'Copyright', no ©, no year (PSP-1)"
            )
            self.problems.append(Problem(self.publication.programme_path, line, 1, "warning", message))

    # -- episodes --------------------------------------------------------------------------------

    def check_episodes(self) -> None:
        enclosures: dict[str, str] = {}
        notice = urgent_help_html(self.publication, self.as_of, self.feed.messages(self.publication))
        for episode in sorted(self.publication.episodes, key=lambda episode: episode.id):
            size = len(item_description(episode, notice).encode("utf-8"))
            if size > MAX_DESCRIPTION_BYTES:
                self.episode_error(
                    episode,
                    ("summary",),
                    f"the summary with the programme's urgent-help notice is {size} bytes; podcast apps accept at "
                    f"most {MAX_DESCRIPTION_BYTES} in an episode's description",
                )
            if episode.artwork:
                # Its public URL is where the website publishes it (`episode-artwork:<id>`), when a format does.
                url = self.publication.link(f"episode-artwork:{episode.id}") or episode.artwork
                path = self.publication.asset(episode.artwork)
                for message in artwork_problems(path, episode.artwork, url, label="episode artwork"):
                    self.episode_error(episode, ("artwork",), message)
            if episode.video and episode.video.url == episode.audio.url:
                self.episode_error(
                    episode, ("video", "url"), "video.url is the audio's URL; give the video file its own"
                )
            first = enclosures.setdefault(episode.audio.url, episode.id)
            if first != episode.id:
                self.episode_error(
                    episode,
                    ("audio", "url"),
                    f"audio.url {episode.audio.url!r} is already episode {first!r}'s; every episode needs its own "
                    "file (Apple ignores an enclosure URL it has seen before)",
                )

    # -- GUID continuity -------------------------------------------------------------------------

    def check_ledger(self) -> None:
        try:
            entries = read_ledger(ledger_path(self.feed.context))
        except LedgerError as exc:
            self.ledger_error(1, str(exc))
            return
        episodes = {episode.id: episode for episode in self.publication.episodes}
        for entry in entries:
            if entry.first_published_date > self.as_of:
                continue  # a build for an earlier date: this episode was not out yet
            episode = episodes.get(entry.id)
            if episode is None:
                self.report_vanished(entry)
            elif not episode.retired:
                self.compare(entry, episode)
        self.check_reuse(entries, episodes)

    def report_vanished(self, entry: Published) -> None:
        folder = Episode.folder
        message = (
            f"published episode {entry.id!r} (GUID {entry.guid}, first published {entry.first_published}) is gone: "
            f"{folder}/{entry.id}.md no longer exists, so subscribers would lose it. Restore the file and "
            f"{RETIRE_HINT}"
        )
        same_guid = next((e for e in self.publication.episodes if e.guid == entry.guid), None)
        if same_guid is not None:
            message += (
                f"; its GUID is now in {self.publication.source_of(same_guid.id).path}: renaming an episode's file "
                "moves its page, so rename it back"
            )
        line = text_line(ledger_path(self.feed.context), f'"id": "{entry.id}"')
        self.ledger_error(line, message)

    def compare(self, entry: Published, episode: Episode) -> None:
        shown = ledger_shown(self.publication)
        if episode.guid != entry.guid:
            self.episode_error(
                episode,
                ("guid",),
                f"guid changed from {entry.guid!r} (published {entry.first_published}, recorded in {shown}) to "
                f"{episode.guid!r}; a GUID never changes once published, or every subscriber gets the episode "
                "again: put the old GUID back",
            )
        if episode.audio.url != entry.enclosure_url:
            self.episode_error(
                episode,
                ("audio", "url"),
                f"audio.url changed from {entry.enclosure_url!r} (published {entry.first_published}, recorded in "
                f"{shown}) to {episode.audio.url!r}; a published enclosure URL never changes: put it back (replace "
                "the file at that URL instead)",
            )
        if episode.release > self.as_of:
            self.episode_error(
                episode,
                ("release",),
                f"release {episode.release.isoformat()} is after {self.as_of.isoformat()}, but the episode was "
                f"published on {entry.first_published} (recorded in {shown}) and would disappear from the feed; "
                f"restore the date or {RETIRE_HINT}",
            )

    def check_reuse(self, entries: list[Published], episodes: dict[str, Episode]) -> None:
        """A new episode may not take a published episode's GUID or enclosure URL (lookups: linear in episodes)."""
        by_guid = {entry.guid: entry for entry in entries}
        by_url = {entry.enclosure_url: entry for entry in entries}
        for episode in episodes.values():
            for entry in dict.fromkeys(filter(None, (by_guid.get(episode.guid), by_url.get(episode.audio.url)))):
                if entry.id == episode.id:
                    continue
                if entry.guid == episode.guid:
                    self.episode_error(
                        episode,
                        ("guid",),
                        f"guid {episode.guid!r} belongs to published episode {entry.id!r}; give this episode a new one",
                    )
                if entry.enclosure_url == episode.audio.url:
                    self.episode_error(
                        episode,
                        ("audio", "url"),
                        f"audio.url {episode.audio.url!r} was published for episode {entry.id!r}; use a new file URL",
                    )
