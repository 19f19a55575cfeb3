"""Episode chapters: their checks, their clock text, and the Podcast Index JSON chapters file (version 1.2)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from backpub.model import ChapterMark, Episode

if TYPE_CHECKING:
    from backpub.publication import Publication

JSON_CHAPTERS_VERSION = "1.2.0"
"""The JSON chapters format version written (Podcast Index, docs/examples/chapters/jsonChapters.md)."""
MEDIA_TYPE = "application/json+chapters"
FILE_NAME = "chapters.json"


def clock(seconds: float) -> str:
    """A time as players show it: '0:00', '12:34' or '1:02:03' (fractions dropped)."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def problems(episode: Episode) -> list[tuple[tuple, str]]:
    """(location, message) for each chapter that starts outside the audio, out of order, or at a taken time."""
    found: list[tuple[tuple, str]] = []
    duration = episode.audio.duration_seconds
    for index, mark in enumerate(episode.chapters):
        where = ("chapters", index, "start")
        if duration is not None and mark.start >= duration:
            found.append((where, f"chapters[{index}].start {clock(mark.start)} is not before the end of the audio "
                                 f"({clock(duration)}); a chapter must start inside the episode"))  # fmt: skip
        if index == 0:
            continue
        before = episode.chapters[index - 1]
        if mark.start == before.start:
            found.append((where, f"chapters[{index}].start {clock(mark.start)} repeats chapters[{index - 1}]'s start; "
                                 "each chapter needs its own start time"))  # fmt: skip
        elif mark.start < before.start:
            found.append((where, f"chapters[{index}].start {clock(mark.start)} comes before chapters[{index - 1}] "
                                 f"({clock(before.start)}); list chapters in time order"))  # fmt: skip
    return found


def site_path(publication: Publication, episode: Episode) -> str:
    """Where the site publishes an episode's chapters file, e.g. '/episodes/x/chapters.json'."""
    return publication.path_for(episode) + FILE_NAME


def public_url(publication: Publication, episode: Episode) -> str:
    """The chapters file's public URL (the feed's podcast:chapters url)."""
    return publication.programme.site_url + site_path(publication, episode)


def chapter_url(publication: Publication, mark: ChapterMark, entity_url: Callable[[str], str]) -> str | None:
    """Where a chapter links: its url, or its entity's page as `entity_url` gives it, or nowhere."""
    if mark.url:
        return mark.url
    return entity_url(mark.entity) if mark.entity else None


def document(
    publication: Publication,
    episode: Episode,
    *,
    entity_url: Callable[[str], str],
    image_url: Callable[[str], str],
) -> dict[str, Any]:
    """The episode's chapters as a Podcast Index JSON chapters object (version 1.2)."""
    programme = publication.programme
    marks = []
    for mark in episode.chapters:
        chapter: dict[str, Any] = {"startTime": _number(mark.start), "title": mark.title}
        if mark.image:
            chapter["img"] = image_url(mark.image)
        link = chapter_url(publication, mark, entity_url)
        if link:
            chapter["url"] = link
        marks.append(chapter)
    return {
        "version": JSON_CHAPTERS_VERSION,
        "author": ", ".join(programme.authors),
        "title": episode.title,
        "podcastName": programme.podcast.title,
        "fileName": PurePosixPath(episode.audio.url).name,
        "chapters": marks,
    }


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
