"""Programme-wide settings of the podcast and the newsletter (from programme.yaml)."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Literal

from pydantic import Field

from backpub.model.base import AssetPath, Model, Text


class PodcastSettings(Model):
    """How the programme appears in podcast apps."""

    title: Text
    """The podcast's name, as directories show it."""
    description: Text
    """The podcast's description (at most 4000 bytes)."""
    artwork: AssetPath
    """Square artwork, 1400-3000 px, JPEG or PNG, RGB, relative to the content folder."""
    artwork_url: Annotated[str, Field(pattern=r"^https://\S+\.(?:jpg|png)$")]
    """The artwork's public URL; its extension must match the file."""
    feed_url: Annotated[str, Field(pattern=r"^https://\S+$")]
    """The feed's canonical public URL (used for atom:link rel=self and podcast:guid)."""
    apple_category: Text
    """Apple Podcasts category, e.g. 'Health & Fitness'."""
    apple_subcategory: str | None = None
    """Apple Podcasts subcategory, e.g. 'Medicine'."""
    owner_name: Text
    """The owner's name (itunes:owner)."""
    owner_email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
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
    """Optionally, the live feed to check GUID continuity against."""
    guid: Annotated[str, Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")] | None = None
    """The podcast:guid. Unset, it is the UUIDv5 of feed_url (Podcast Index rule); write that value here before
    the feed URL ever changes, so the podcast keeps its identity."""


class NewsletterSettings(Model):
    """The Sunday newsletter's sender and list settings."""

    from_address: Text
    """The From header, e.g. 'Back In Shape <sunday@example.org>'."""
    reply_to: Text
    """The Reply-To address."""
    send_time: time = time(7, 0)
    """The time on Sunday, in the programme's timezone, at which the issue is sent."""
    list_id: Text
    """The List-Id, e.g. 'sunday.backinshape.example.org'."""
    unsubscribe_url: Annotated[str, Field(pattern=r"^https://\S+$")]
    """The base https URL of the one-click unsubscribe endpoint; a signed token is appended."""
    unsubscribe_mailto: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]
    """The mailbox that handles mailto: unsubscribes."""
    signup_form_action: Annotated[str, Field(pattern=r"^https://\S+$")] | None = None
    """Where the website's sign-up form posts to."""
