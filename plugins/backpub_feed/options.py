"""The feed's settings, programme.yaml `formats.feed`: how the programme appears in podcast apps."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from backpub import EmailAddress, Episode, Line, Publication, Text

HttpsUrl = Annotated[str, Field(pattern=r"^https://\S+$")]


class Person(BaseModel):
    """A person the podcast names (podcast:person): a regular host, a guest, a producer."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    name: Line
    """Their name (at most 128 characters)."""
    role: str = "host"
    """Their role in the Podcast Index taxonomy, e.g. host, guest, producer."""
    group: str = "cast"
    """The role's group in the Podcast Index taxonomy, e.g. cast, crew."""
    href: HttpsUrl | None = None
    """A page about them."""
    img: HttpsUrl | None = None
    """A picture of them."""


class FeedOptions(BaseModel):
    """How the programme appears in podcast apps (programme.yaml `formats.feed`). The artwork file is the
    programme's top-level `artwork`."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    title: Line
    """The podcast's name, as directories show it."""
    description: Text
    """The podcast's description (at most 4000 bytes)."""
    artwork_url: Annotated[str, Field(pattern=r"^https://\S+\.(?:jpg|png)$")]
    """The public URL of the programme's artwork; its extension must match the file."""
    feed_url: HttpsUrl
    """The feed's canonical public URL (used for atom:link rel=self and podcast:guid)."""
    apple_category: Text
    """Apple Podcasts category, e.g. 'Health & Fitness'."""
    apple_subcategory: str | None = None
    """Apple Podcasts subcategory, e.g. 'Medicine'."""
    owner_name: Text
    """The owner's name (itunes:owner)."""
    owner_email: EmailAddress
    """The owner's e-mail (itunes:owner, podcast:locked owner)."""
    explicit: bool = False
    """Whether the podcast contains explicit content."""
    type: Literal["episodic", "serial"] = "episodic"
    """itunes:type: episodic (newest first) or serial."""
    locked: bool = True
    """podcast:locked: whether other hosts must refuse to import the feed."""
    release_time: time = time(6, 0)
    """The time of day, in the programme's timezone, at which Sunday episodes go out."""
    copyright: str | None = None
    """The copyright line (no word 'Copyright', no ©, no year, per PSP-1)."""
    live_feed_url: str | None = None
    """Where `backpub feed check-live` reads the live feed, when not at `feed_url` (e.g. a host's copy)."""
    persons: list[Person] = Field(default_factory=list)
    """The podcast's regular people (podcast:person in the channel of the public and the private feeds)."""
    guid: Annotated[str, Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")] | None = None
    """The podcast:guid. Unset, it is the UUIDv5 of feed_url (Podcast Index rule); write that value here before
    the feed URL ever changes, so the podcast keeps its identity."""


def release_datetime(publication: Publication, options: FeedOptions, episode: Episode) -> datetime:
    """When an episode goes out: its Sunday at the podcast release time, in the programme's timezone."""
    return publication.at(episode.release, options.release_time)
