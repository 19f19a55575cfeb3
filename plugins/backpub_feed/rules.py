"""The podcast directories' rules the feed follows, and what each item links to (no heavy imports)."""

from __future__ import annotations

import re
import uuid
from datetime import date

from backpub import Episode, Protocol, Publication, scan

PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
"""The Podcast Index namespace for podcast:guid (UUIDv5 of the feed URL)."""

MAX_DESCRIPTION_BYTES = 4000
"""Apple's and PSP-1's limit for the channel and item descriptions."""

ARTWORK_MIN_PX, ARTWORK_MAX_PX = 1400, 3000
ARTWORK_EXTENSIONS = {"JPEG": (".jpg",), "PNG": (".png",)}

# Apple Podcasts categories and their subcategories (podcasters.apple.com, "Apple Podcasts categories").
APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": ("Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": ("Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality"),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": (
        "Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies", "Home & Garden", "Video Games",
    ),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": (
        "Business News", "Daily News", "Entertainment News", "News Commentary", "Politics", "Sports News",
        "Tech News",
    ),
    "Religion & Spirituality": (
        "Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion", "Spirituality",
    ),
    "Science": (
        "Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics", "Natural Sciences", "Nature",
        "Physics", "Social Sciences",
    ),
    "Society & Culture": ("Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships"),
    "Sports": (
        "Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey", "Rugby", "Running",
        "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness", "Wrestling",
    ),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}  # fmt: skip


def podcast_guid(feed_url: str) -> str:
    """podcast:guid per the Podcast Index: UUIDv5 of the feed URL without its scheme and trailing slashes."""
    bare = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url.strip()).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def category_problem(category: str, subcategory: str | None) -> str | None:
    """Why an Apple category/subcategory pair is not on Apple's list, or None."""
    if category not in APPLE_CATEGORIES:
        return f"apple_category {category!r} is not an Apple Podcasts category ({', '.join(APPLE_CATEGORIES)})"
    allowed = APPLE_CATEGORIES[category]
    if subcategory is not None and subcategory not in allowed:
        choices = ", ".join(allowed) or "none"
        return f"apple_subcategory {subcategory!r} is not a subcategory of {category!r} (choose from: {choices})"
    return None


def is_public(episode: Episode, as_of: date) -> bool:
    """Whether an episode is out on `as_of` (released and not retired)."""
    return episode.release <= as_of and not episode.retired


def public_url(publication: Publication, entity_id: str, as_of: date) -> str:
    """Where a link to an entity goes from the feed: its page, or the home page for an episode not yet out."""
    entity = publication.get(entity_id)
    if isinstance(entity, Episode) and not is_public(entity, as_of):
        return publication.home_url
    return publication.url_for(entity)


def covered_protocols(publication: Publication, episode: Episode) -> list[Protocol]:
    """The protocols an episode covers, in the episode's order."""
    found = (publication.by_id.get(entity_id) for entity_id in episode.covers)
    return [entity for entity in found if isinstance(entity, Protocol)]


def related_public_episodes(publication: Publication, episode: Episode, as_of: date) -> list[Episode]:
    """The related episodes already out, in the episode's order (embargoed ones are not mentioned)."""
    found = (publication.by_id.get(entity_id) for entity_id in episode.related_episodes)
    return [entity for entity in found if isinstance(entity, Episode) and is_public(entity, as_of)]


def linked_ids(episode: Episode) -> set[str]:
    """Every entity an episode's feed item shows or links to (its show notes, covers and related episodes)."""
    _, links = scan(episode.show_notes)
    return {entity_id for _, entity_id in links} | set(episode.covers) | set(episode.related_episodes)
