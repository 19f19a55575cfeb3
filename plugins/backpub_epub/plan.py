"""The book's plan: its chapters in reading order, the entities each shows, and where every anchor lives.

Cheap and free of heavy imports, so `jobs()` can use it to declare what the book depends on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from backpub import Entity, Episode, Handout, Messages, Protocol, Publication, markdown_texts, messages, references

PACKAGE = Path(__file__).resolve().parent
MEDIA_FOLDER = "media"
UNLINKED = "urn:x-backpub:unlinked"
"""The href given to links whose target is not in the book; the renderer turns them back into plain text."""


@dataclass(frozen=True)
class Chapter:
    """One XHTML file of the book's spine."""

    file: str
    """The file name inside the book, e.g. 'concepts.xhtml' (also the template's name for body chapters)."""
    title: str
    template: str
    entities: tuple[Entity, ...] = ()
    intro: str = ""
    """A plain-text line under the chapter heading (a phase's summary)."""
    landmark: str | None = None
    """The EPUB landmark type this chapter stands for (cover, titlepage, bodymatter)."""
    in_toc: bool = True


@dataclass(frozen=True)
class BookPlan:
    """Everything the renderer needs to lay the book out and resolve every reference inside it."""

    front: tuple[Chapter, ...]
    body: tuple[Chapter, ...]
    home: dict[str, str]
    """The chapter file of every entity the book shows, by entity id."""
    external: dict[str, str]
    """Entities outside the book that readers can still reach on the site (handouts), by id: their URL."""
    media: dict[str, str]
    """The book path of every content asset the chapters embed, by content-relative path."""

    @property
    def chapters(self) -> tuple[Chapter, ...]:
        return self.front + self.body

    def href(self, entity_id: str) -> str | None:
        """Where a reference to an entity goes: an anchor in the book, a page on the site, or nowhere."""
        if entity_id in self.home:
            return f"{self.home[entity_id]}#{entity_id}"
        return self.external.get(entity_id)

    def markdown_href(self, entity_id: str) -> str:
        """The href for an `@id` link in Markdown (a placeholder when the target is not reachable)."""
        return self.href(entity_id) or UNLINKED


def default_messages(publication: Publication) -> Messages:
    """The book's own catalogue in the programme's language (the format passes the project's theme too)."""
    return messages(publication.programme.language, [PACKAGE / "locale"])


def make_plan(publication: Publication, as_of: date, words: Messages | None = None) -> BookPlan:
    """Lay out the book for a build date: released episodes only, empty groups left out."""
    words = words or default_messages(publication)
    _ = words.gettext
    programme = publication.programme
    front = [
        Chapter("cover.xhtml", _("Cover"), "cover.xhtml", landmark="cover", in_toc=False),
        Chapter("title.xhtml", programme.title, "title.xhtml", landmark="titlepage"),
        Chapter("safety.xhtml", _("Before you start"), "safety.xhtml"),
    ]
    if programme.introduction:
        front.append(Chapter("introduction.xhtml", _("About this programme"), "introduction.xhtml"))
    body = _body_chapters(publication, as_of, words)
    if body:
        body[0] = replace(body[0], landmark="bodymatter")
    home = {entity.id: chapter.file for chapter in body for entity in chapter.entities}
    external = {
        handout.id: publication.url_for(handout) for handout in publication.of(Handout) if handout.id not in home
    }
    plan = BookPlan(tuple(front), tuple(body), home, external, {})
    return BookPlan(plan.front, plan.body, home, external, _media(publication, plan))


def _body_chapters(publication: Publication, as_of: date, words: Messages) -> list[Chapter]:
    """A chapter for each kind a reader studies, in the registry's order (protocols one per programme phase),
    then the released episodes' articles."""
    order = _reading_order(publication, as_of)
    chapters = []
    for kind in publication.kinds.library:
        if kind is Protocol:
            for phase_id, protocols in publication.protocols_by_phase():
                phase = publication.programme.phase(phase_id)
                chapters.append(
                    Chapter(f"phase-{phase_id}.xhtml", phase.title, "protocols.xhtml", protocols, phase.summary)
                )
            continue
        title = words.gettext(kind.heading or kind.plural)
        chapters.append(Chapter(f"{kind.folder}.xhtml", title, _template(f"{kind.folder}.xhtml"), order(kind)))
    chapters += [
        Chapter(f"episode-{episode.id}.xhtml", episode_title(episode, words), "episode.xhtml", (episode,))
        for episode in publication.released_episodes(as_of)
    ]
    return [chapter for chapter in chapters if chapter.entities]


def _template(name: str) -> str:
    """The chapter's template: the kind's own where the book has one, else the generic one (a theme may add its
    own under either name)."""
    return name if (PACKAGE / "templates" / name).is_file() else "entities.xhtml"


def _reading_order(publication: Publication, as_of: date):
    """Entities of a kind in the order the programme teaches them: as the released episodes and then the
    handouts cover them (both are among the book's dependencies); entities neither mentions come last, by id."""
    sequence = [entity_id for episode in publication.released_episodes(as_of) for entity_id in episode.covers]
    sequence += [entity_id for handout in publication.of(Handout) for s in handout.sections for entity_id in s.entities]
    rank = {entity_id: position for position, entity_id in reversed(list(enumerate(sequence)))}

    def order(kind: type[Entity]) -> tuple[Entity, ...]:
        return tuple(sorted(publication.of(kind), key=lambda entity: (rank.get(entity.id, len(rank)), entity.id)))

    return order


def episode_title(episode: Episode, words: Messages) -> str:
    """How an episode's article is titled in the book."""
    return words.gettext("Episode %(number)s: %(title)s") % {"number": episode.number, "title": episode.title}


def markdown_fields(publication: Publication, plan: BookPlan) -> list[tuple[str, int]]:
    """Every Markdown text the book renders, with the heading shift it is rendered at."""
    programme = publication.programme
    texts = [(programme.introduction, 1), (programme.disclaimer_for(), 1), (programme.country().urgent_help, 1)]
    for chapter in plan.body:
        for entity in chapter.entities:
            if isinstance(entity, Episode):
                texts.append((entity.body, 0))  # an episode's article: its show notes are not in the book
                continue
            # The body under the entity's heading, a nested text (an analogy's) a level further down.
            texts += [(text, 1 if len(loc) == 1 else 2) for loc, text in markdown_texts(entity)]
    return [(text, shift) for text, shift in texts if text]


def _media(publication: Publication, plan: BookPlan) -> dict[str, str]:
    """Book paths for every asset the chapters embed, collision-free and safe as EPUB file names."""
    sources: list[str] = []
    for chapter in plan.body:
        sources += [image.src for entity in chapter.entities if (image := getattr(entity, "image", None))]
    for text, _ in markdown_fields(publication, plan):
        sources += references(text)[1]
    media: dict[str, str] = {}
    taken: set[str] = set()
    for source in dict.fromkeys(sources):
        name = _book_path(source)
        stem, dot, extension = name.rpartition(".")
        counter = 1
        while name in taken:
            counter += 1
            name = f"{stem}-{counter}{dot}{extension}"
        taken.add(name)
        media[source] = name
    return media


def _book_path(source: str) -> str:
    # EPUBCheck warns about spaces and refuses some characters in file names: keep a portable subset.
    return f"{MEDIA_FOLDER}/" + re.sub(r"[^A-Za-z0-9._/-]", "_", source.removeprefix("assets/"))
