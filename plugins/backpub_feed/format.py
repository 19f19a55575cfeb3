"""The `feed` format: the weekly podcast feed (RSS 2.0 with itunes, podcast, content and atom tags), via feedgen."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import ClassVar

from backpub import Episode, Format, Job, Problem, Publication, Starter, members_only
from backpub_feed.options import FeedOptions
from backpub_feed.version import __version__

OUTPUT = "podcast.xml"
PRIVATE = "private-feed"
"""The folder of the files the subscription service makes private feeds from (in `outputs/service/feed/`): see
docs/formats/feed.md, "Private feeds"."""
PRIVATE_INDEX = f"{PRIVATE}/index.json"
PRIVATE_CHANNEL = f"{PRIVATE}/channel.xml"
INDEXED = frozenset({"guid", "number", "release", "retired", "access", "covers"})
"""What the private feeds' index shows of an episode (and, with ACCESS, of the protocols it covers)."""
ACCESS = frozenset({"access"})
PRIVATE_FORMAT = "backpub private feed"
PRIVATE_VERSION = 1


class FeedFormat(Format):
    """Writes outputs/feed/podcast.xml and keeps content/feed.lock, the ledger of published episodes."""

    name = "feed"
    version = __version__
    description = "The podcast feed (RSS 2.0, Apple/Podcast Index tags) with a GUID continuity ledger."
    Options = FeedOptions
    options: FeedOptions
    moved_settings: ClassVar[Mapping[str, str]] = {
        "podcast": "'podcast' moved to 'formats.feed' (the podcast artwork file is now the top-level 'artwork')"
    }

    @classmethod
    def starter(cls, title: str, site_url: str) -> Starter:
        """A new programme's podcast: named after it, published on its website at /podcast/."""
        release = FeedOptions.model_fields["release_time"].default
        settings = f"""\
title: {json.dumps(title, ensure_ascii=False)}    # the podcast's name in podcast apps
description: "TODO: what the podcast is about, for podcast apps"
artwork_url: {site_url}/podcast/artwork.png   # where the website publishes the programme's artwork
feed_url: {site_url}/podcast/feed.xml        # the feed's address, for ever: podcast apps follow it
apple_category: Health & Fitness
owner_name: "TODO: the podcast owner's name"
owner_email: podcast@example.org     # TODO: the owner's e-mail address
release_time: "{release:%H:%M}"               # each Sunday's episode goes out at this time
"""
        return Starter(settings, release)

    def links(self, publication: Publication) -> Mapping[str, str]:
        """The feed's public URL and the artwork's, for the website and the newsletter to show."""
        return {"feed": self.options.feed_url, "podcast-artwork": self.options.artwork_url}

    def website_path(self, output: str, publication: Publication) -> str | None:
        """The feed and its artwork are served where feed_url and artwork_url say, when those are on the site."""
        url = {OUTPUT: self.options.feed_url, self.artwork_output: self.options.artwork_url}.get(output)
        prefix = publication.programme.site_url + "/"
        return url.removeprefix(prefix) if url and url.startswith(prefix) else None

    @property
    def artwork_output(self) -> str:
        """The artwork's file among the feed's outputs, named as its public URL names it."""
        return "artwork" + PurePosixPath(self.options.artwork_url).suffix

    # -- before rendering ------------------------------------------------------------------------

    def check(self, publication: Publication) -> list[Problem]:
        from backpub_feed.checks import FeedChecks

        return FeedChecks(self, self.options, publication).run()

    def jobs(self, publication: Publication) -> list[Job]:
        from backpub_feed.rules import is_public, linked_ids

        as_of = self.context.as_of
        released = publication.released_episodes(as_of)
        shown = {episode.id for episode in released}
        for episode in released:
            # An episode not out yet shows nothing of itself (its links go to the home page): not a dependency.
            linked = (publication.by_id.get(entity_id) for entity_id in linked_ids(episode))
            shown |= {
                e.id for e in linked if e is not None and not (isinstance(e, Episode) and not is_public(e, as_of))
            }
        artwork = frozenset({publication.programme.artwork})
        return [
            Job(
                OUTPUT,
                entities=frozenset(shown & publication.by_id.keys()),
                assets=artwork | {e.artwork for e in released if e.artwork},
                values=(self.context.as_of.isoformat(), self.context.build_time.isoformat()),
                templates=self.messages(publication).files(),
            ),
            Job(self.artwork_output, assets=artwork, args={"artwork": True}),
            *self._private_jobs(publication),
        ]

    def _private_jobs(self, publication: Publication) -> list[Job]:
        """What the subscription service makes each subscriber's private feed from (`outputs/service/feed/`): the
        private channel, each released episode's item as everyone reads it and, when members read more of it,
        as members do, and the index that lists them."""
        from backpub_feed.render import has_members_content
        from backpub_feed.rules import covered_protocols, is_public, linked_ids

        as_of = self.context.as_of
        members = publication.members
        released = members.released_episodes(as_of)
        templates = self.messages(publication).files()
        day = (as_of.isoformat(),)
        jobs = [
            Job(PRIVATE_CHANNEL, values=(*day, self.context.build_time.isoformat()), templates=templates,
                args={"private": "channel"}, audience="members"),
        ]  # fmt: skip
        for episode in released:
            linked = (members.by_id.get(entity_id) for entity_id in linked_ids(episode))
            shown = {episode.id} | {e.id for e in linked if e is not None and not (isinstance(e, Episode) and not
                                                                                  is_public(e, as_of))}  # fmt: skip
            for view in ("public", "members") if has_members_content(episode, members) else ("public",):
                jobs.append(Job(
                    _private_item(episode.id, view), entities=frozenset(shown), values=day, templates=templates,
                    args={"private": "item", "episode": episode.id, "view": view}, audience="members",
                ))  # fmt: skip
        # The index lists each episode, and whether members read more of it (it is, or covers, members-only).
        covered = {protocol.id for episode in released for protocol in covered_protocols(members, episode)}
        listed = {episode.id: INDEXED for episode in members.episodes} | dict.fromkeys(covered, ACCESS)
        jobs.append(Job(PRIVATE_INDEX, fields=listed, values=day, args={"private": "index"}, audience="members"))
        return jobs

    # -- rendering -------------------------------------------------------------------------------

    def prepare(self, publication: Publication) -> None:
        import backpub_feed.render  # noqa: F401 - feedgen and lxml load once per worker

    def render(self, job: Job, publication: Publication) -> bytes:
        from backpub_feed.render import render_feed

        if job.args.get("private"):
            return self._render_private(job, publication)
        if job.args.get("artwork"):
            return publication.asset(publication.programme.artwork).read_bytes()  # checked as podcast artwork
        return render_feed(
            publication,
            self.options,
            self.context.as_of,
            self.context.build_time,
            __version__,
            self.messages(publication),
        )

    def _render_private(self, job: Job, members: Publication) -> bytes:
        """One of the private feeds' files (`members`: the members' view, as every service file is rendered)."""
        from backpub_feed.render import render_private_channel, render_private_item

        context, words = self.context, self.messages(members)
        what = job.args["private"]
        if what == "channel":
            return render_private_channel(members, self.options, context.as_of, context.build_time, __version__, words)
        if what == "index":
            return self._private_index(members)
        view = members if job.args["view"] == "members" else members.public
        episode = view.get(job.args["episode"])
        assert isinstance(episode, Episode)
        return render_private_item(episode, view, self.options, context.as_of, words)

    def _private_index(self, members: Publication) -> bytes:
        """The private feeds' index: every released episode, in release order, with its items' files."""
        from backpub_feed.render import SELF_PLACEHOLDER, has_members_content

        episodes = [
            {
                "id": episode.id,
                "guid": episode.guid,
                "number": episode.number,
                "release": episode.release.isoformat(),
                "members_only": members_only(episode),
                "item": _private_item(episode.id, "public"),
                "members_item": _private_item(episode.id, "members") if has_members_content(episode, members) else None,
            }
            for episode in members.released_episodes(self.context.as_of)
        ]
        index = {
            "format": PRIVATE_FORMAT,
            "version": PRIVATE_VERSION,
            "as_of": self.context.as_of.isoformat(),
            "channel": PRIVATE_CHANNEL,
            "self_placeholder": SELF_PLACEHOLDER,
            "episodes": episodes,
        }
        return (json.dumps(index, indent=1, ensure_ascii=False) + "\n").encode()

    # -- after the outputs were committed --------------------------------------------------------

    def finish(self, publication: Publication, written: list[str]) -> None:
        """Record newly released episodes in the ledger (the file changes only when something was added).

        Only a build for today publishes: a build for another date is a preview and writes nothing into content/.
        """
        from backpub_feed.ledger import Published, ledger_path, ledger_shown, preview_note, read_ledger, write_ledger

        path = ledger_path(self.context)
        entries = read_ledger(path)
        known = {entry.id for entry in entries}
        added = [
            Published(episode.id, episode.guid, episode.audio.url, episode.release.isoformat())
            for episode in publication.members.released_episodes(self.context.as_of)  # members' episodes too
            if episode.id not in known
        ]
        if self.context.is_preview:
            shown = ledger_shown(publication)
            print(preview_note(self.context.as_of, self.context.today, shown, len(added)), file=sys.stderr)
        elif added:
            write_ledger(path, entries + added)


def _private_item(episode_id: str, view: str) -> str:
    """The file of an episode's item in the private feeds, as everyone (`public`) or members read it."""
    suffix = ".members" if view == "members" else ""
    return f"{PRIVATE}/items/{episode_id}{suffix}.xml"
