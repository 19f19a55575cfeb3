"""An episode's chapters as the site publishes them beside its page: a Podcast Index JSON chapters file (version
1.2), which the feed names in podcast:chapters through the link the site declares for it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from backpub import ChapterMark, Episode, Publication

JSON_CHAPTERS_VERSION = "1.2.0"
"""The JSON chapters format version written (Podcast Index, docs/examples/chapters/jsonChapters.md)."""
MEDIA_TYPE = "application/json+chapters"
FILE_NAME = "chapters.json"


def link_key(episode: Episode) -> str:
    """The key other formats read the chapters file's URL under: `publication.link('chapters:<episode id>')`."""
    return f"chapters:{episode.id}"


def site_path(publication: Publication, episode: Episode) -> str:
    """Where the site publishes an episode's chapters file: beside its page, e.g. '/episodes/x/chapters.json'."""
    return publication.path_for(episode) + FILE_NAME


def chapter_url(mark: ChapterMark, entity_url: Callable[[str], str]) -> str | None:
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
    for mark in episode.chapter_marks:
        chapter: dict[str, Any] = {"startTime": _number(mark.start), "title": mark.title}
        if mark.image:
            chapter["img"] = image_url(mark.image)
        link = chapter_url(mark, entity_url)
        if link:
            chapter["url"] = link
        marks.append(chapter)
    return {
        "version": JSON_CHAPTERS_VERSION,
        "author": ", ".join(programme.authors),
        "title": episode.title,
        # The programme's title: the site does not read another format's settings (the podcast's own name).
        "podcastName": programme.title,
        "fileName": PurePosixPath(episode.audio.url).name,
        "chapters": marks,
    }


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
