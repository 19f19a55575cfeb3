"""Which pages and files the site has, where each lives, and what each shows (cheap: no rendering here)."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property

from backpub import N_, Entity, Episode, Handout, Protocol, Publication, markdown_texts, referenced_ids
from backpub import references as markdown_references
from backpub_site.related import Ranking, reference_graph, related

EPISODE_TYPES = {"trailer": N_("Trailer"), "bonus": N_("Bonus episode")}
"""How an episode that is not a full one is labelled."""

STATIC_FOLDER = "static"
"""Where the site's own files (stylesheet, icon, artwork) go."""
MEDIA_FOLDER = "media"
"""Where images copied from the content folder go, under their content-relative path."""

LATEST_EPISODES = 6
"""How many episodes the home page lists."""


@dataclass(frozen=True)
class Page:
    """One HTML page: its output file, its template, and what it shows."""

    output: str
    template: str
    entities: frozenset[str]
    entity: str | None = None
    kind: str | None = None
    episode_links: tuple[str, ...] = ()
    """Episodes the page's Markdown links to: whether each is released changes the href."""
    images: tuple[str, ...] = ()
    """Content-relative images the page shows."""


def output_for(site_path: str) -> str:
    """The output file of a site path: '/episodes/x/' -> 'episodes/x/index.html'; files stay files."""
    relative = site_path.lstrip("/")
    if not relative or relative.endswith("/"):
        return relative + "index.html"
    return relative


def folder_path(kind: type[Entity]) -> str:
    """The site path of a kind's index page, e.g. '/protocols/' (the folder `path_for` puts its pages in)."""
    return f"/{kind.folder}/"


def relative_href(from_output: str, to_site_path: str) -> str:
    """A link from one output file to a site path, relative so the site can be served from any folder."""
    here = posixpath.dirname(from_output) or "."
    target = to_site_path.lstrip("/")
    directory = not target or target.endswith("/")
    relative = posixpath.relpath(target.rstrip("/") or ".", here)
    if directory:
        return "./" if relative == "." else relative + "/"
    return relative


class SitePlan:
    """The site's pages for one publication and build, and the facts every page needs to link correctly."""

    def __init__(self, publication: Publication, as_of: date, published: Iterable[str]) -> None:
        self.publication = publication
        self.as_of = as_of
        self.published = tuple(published)
        """The formats whose files the website holds (BuildContext.published)."""
        self.released = publication.released_episodes(as_of)
        self.released_ids = frozenset(episode.id for episode in self.released)
        self.positions = {episode.id: index for index, episode in enumerate(self.released)}
        self._related: dict[str, list[str]] = {}

    # -- what is linkable ------------------------------------------------------------------------

    @property
    def with_pdfs(self) -> bool:
        return "pdf" in self.published

    @property
    def with_book(self) -> bool:
        return "epub" in self.published and self.book_path is not None

    @property
    def book_path(self) -> str | None:
        """The book's site path, as the format that makes it declared."""
        return self.publication.links.get("book")

    @property
    def library_kinds(self) -> tuple[type[Entity], ...]:
        """The kinds that get a page each and an index page, in the order the navigation shows them: every kind a
        reader studies (a kind the site has no template for gets the generic one, entity.html)."""
        return self.publication.kinds.library

    def has_page(self, entity: Entity) -> bool:
        """Whether the site builds a page for the entity."""
        if isinstance(entity, Episode):
            return entity.id in self.released_ids
        return entity.library

    def site_path(self, entity: Entity) -> str:
        """Where a link to the entity goes on this site (its page, or the nearest page that stands for it)."""
        if self.has_page(entity):
            return self.publication.path_for(entity)
        if isinstance(entity, Episode):
            return folder_path(Episode)
        if isinstance(entity, Handout) and self.with_pdfs:
            return self.publication.path_for(entity)
        return "/"

    # -- the pages -------------------------------------------------------------------------------

    def pages(self) -> list[Page]:
        """Every HTML page of the site."""
        pages = [self.home(), self.index(Episode)]
        pages += [self.episode_page(episode) for episode in self.released]
        for kind in self.library_kinds:
            pages.append(self.index(kind))
            pages += [self.library_page(entity) for entity in self.publication.of(kind)]
        pages.append(self.search_page())
        return pages

    def searchable(self) -> list[Entity]:
        """Every entity with a page, as the search index and the search page's A-Z list hold them: by title."""
        members = [*self.released, *(e for kind in self.library_kinds for e in self.publication.of(kind))]
        return sorted(members, key=lambda entity: (entity.title.casefold(), entity.id))

    def search_page(self) -> Page:
        """The search page: results when JavaScript runs, and every page A to Z when it does not."""
        from backpub_site.search import PAGE_OUTPUT

        return self._page(PAGE_OUTPUT, "search.html", {e.id for e in self.searchable()}, [], kind="search")

    def home(self) -> Page:
        shown = {episode.id for episode in self.latest()}
        if self.with_pdfs:
            shown.update(handout.id for handout in self.publication.of(Handout))
        return self._page("index.html", "home.html", shown, [self.publication.programme.introduction])

    def latest(self) -> tuple[Episode, ...]:
        """The newest released episodes, newest first."""
        return tuple(reversed(self.released[-LATEST_EPISODES:]))

    def index(self, kind: type[Entity]) -> Page:
        members = self.released if kind is Episode else self.publication.of(kind)
        return self._page(output_for(folder_path(kind)), "index.html", {e.id for e in members}, [], kind=kind.kind)

    def episode_page(self, episode: Episode) -> Page:
        shown = {episode.id, *self.covered(episode), *self.related_articles(episode)}
        shown.update(neighbour.id for neighbour in self.neighbours(episode) if neighbour)
        shown.update(self.chapter_entities(episode))
        texts = [episode.body, episode.show_notes]
        page = self._page(output_for(self.publication.path_for(episode)), "episode.html", shown, texts, episode.id)
        return replace(page, images=tuple(dict.fromkeys([*page.images, *self.chapter_images(episode)])))

    def chapter_entities(self, episode: Episode) -> list[str]:
        """The entities an episode's chapters link to (their pages' paths change the chapter links)."""
        return [mark.entity for mark in episode.chapter_marks if mark.entity and mark.entity in self.publication.by_id]

    @staticmethod
    def chapter_images(episode: Episode) -> list[str]:
        """The content images an episode's chapters show."""
        return [mark.image for mark in episode.chapter_marks if mark.image]

    def library_page(self, entity: Entity) -> Page:
        shown = {entity.id, *self.linked_entities(entity), *(e.id for e in self.covering_episodes(entity))}
        shown.update(self.related_articles(entity))
        output = output_for(self.publication.path_for(entity))
        page = self._page(output, f"{entity.kind}.html", shown, self.markdown_of(entity), entity.id)
        if isinstance(entity, Protocol) and entity.image:
            page = replace(page, images=(*page.images, entity.image.src))
        return page

    def _page(
        self,
        output: str,
        template: str,
        shown: set[str],
        texts: list[str],
        entity: str | None = None,
        kind: str | None = None,
    ) -> Page:
        """A page showing `shown` and rendering `texts` (plus the programme notices every page carries)."""
        texts = [*texts, *self.programme_texts()]
        return Page(
            output,
            template,
            frozenset(shown),
            entity=entity,
            kind=kind,
            episode_links=self._episode_links(texts),
            images=tuple(self.images_in(texts)),
        )

    def programme_texts(self) -> list[str]:
        """The programme's Markdown that every page shows (the footer's notices and call to action)."""
        programme = self.publication.programme
        return [programme.disclaimer_for(), programme.country().urgent_help, programme.call_to_action]

    def all_images(self, pages: list[Page]) -> list[str]:
        """Every content image some page shows, once, sorted."""
        return sorted({image for page in pages for image in page.images})

    # -- relations shown on pages ----------------------------------------------------------------

    def covered(self, episode: Episode) -> list[str]:
        """The library entities an episode covers that have a page, in the episode's order."""
        by_id = self.publication.by_id
        return [i for i in episode.covers if i in by_id and by_id[i].library]

    def related(self, episode: Episode) -> list[Episode]:
        """The episode's related episodes that are released."""
        by_id = self.publication.by_id
        related = (by_id[i] for i in episode.related_episodes if i in self.released_ids)
        return [other for other in related if isinstance(other, Episode)]

    @cached_property
    def graph(self) -> dict[str, set[str]]:
        """Which entities refer to which (episodes not out yet take no part: they must not show through)."""
        entities = self.publication.entities
        return reference_graph(e for e in entities if not isinstance(e, Episode) or e.id in self.released_ids)

    @cached_property
    def ranking(self) -> Ranking:
        """The graph's tie-break order, shared by every page's related articles."""
        return Ranking(self.graph, self.publication.by_id)

    def related_articles(self, entity: Entity) -> list[str]:
        """Up to five pages related to an episode or protocol page, beyond what the page already lists: an
        episode's hand-picked related episodes first, then pages that share the most entities with it (worked
        out once per entity: planning needs them, and so does the page's render)."""
        if entity.id not in self._related:
            self._related[entity.id] = self._related_articles(entity)
        return self._related[entity.id]

    def _related_articles(self, entity: Entity) -> list[str]:
        if isinstance(entity, Episode):
            first, listed = [e.id for e in self.related(entity)], self.covered(entity)
        elif isinstance(entity, Protocol):
            first, listed = [], [*self.linked_entities(entity), *(e.id for e in self.covering_episodes(entity))]
        else:
            return []
        by_id = self.publication.by_id
        return related(
            entity.id, self.graph, by_id, eligible=self.has_page, exclude=listed, first=first, ranking=self.ranking
        )

    def neighbours(self, episode: Episode) -> tuple[Episode | None, Episode | None]:
        """The released episodes before and after this one."""
        position = self.positions[episode.id]
        before = self.released[position - 1] if position > 0 else None
        after = self.released[position + 1] if position + 1 < len(self.released) else None
        return before, after

    def linked_entities(self, entity: Entity) -> list[str]:
        """The ids a library page shows with their titles: its reference fields' (related, do-instead, before/next)."""
        ids = referenced_ids(entity, markdown=False)
        return [i for i in ids if i in self.publication.by_id and self.has_page(self.publication.get(i))]

    def covering_episodes(self, entity: Entity) -> list[Episode]:
        """Released episodes that cover the entity, newest first."""
        return list(self._covering.get(entity.id, ()))

    @cached_property
    def _covering(self) -> dict[str, list[Episode]]:
        covering: dict[str, list[Episode]] = {}
        for episode in reversed(self.released):
            for entity_id in dict.fromkeys(episode.covers):
                covering.setdefault(entity_id, []).append(episode)
        return covering

    @staticmethod
    def markdown_of(entity: Entity) -> list[str]:
        """Every Markdown field a library page renders."""
        return [text for _, text in markdown_texts(entity)]

    def _episode_links(self, texts: list[str]) -> tuple[str, ...]:
        """Entity links to episodes in the texts: a link's target depends on whether its episode is out."""
        found: dict[str, None] = {}
        for text in texts:
            for target in markdown_references(text)[0]:
                if isinstance(self.publication.by_id.get(target), Episode):
                    found[target] = None
        return tuple(sorted(found))

    def images_in(self, texts: list[str]) -> list[str]:
        """Content-relative image paths the Markdown texts embed."""
        return list(dict.fromkeys(source for text in texts for source in markdown_references(text)[1]))
