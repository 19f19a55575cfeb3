"""Turns a planned page into HTML with Jinja2: links, Markdown, metadata and the facts each template shows."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, cast

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from backpub import (
    N_,
    Entity,
    Episode,
    Handout,
    Messages,
    Protocol,
    Publication,
    RenderError,
    excerpt,
    plain_text,
    template_bytecode,
)
from backpub import render as render_markdown
from backpub_site import artwork, seo
from backpub_site.images import ImageError, dimensions
from backpub_site.plan import (
    EPISODE_TYPES,
    MEDIA_FOLDER,
    STATIC_FOLDER,
    Page,
    SitePlan,
    folder_path,
    relative_href,
)
from backpub_site.search import messages as search_messages

PACKAGE = Path(__file__).resolve().parent
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"

_IMG_SRC = re.compile(r'<img src="([^"]+)"')
_HEADING = re.compile(r"<h([1-6])[ >]")
EPISODES_INTRO = N_("a new podcast episode and deep-dive article every Sunday.")
"""The episodes' index page's introduction (the site publishes the podcast's episodes as articles)."""
GENERIC_PAGE = "entity.html"
"""The page of an entity whose kind has no template of its own (`<kind>.html`), e.g. a kind a plugin adds."""


AUTOESCAPE = select_autoescape(default=True, default_for_string=True)
"""One function for every build's environment: its identity is part of the compiled templates' key."""


def environment(theme_dir: Path, words: Messages) -> Environment:
    """Jinja2 with the project's theme folder first, so a project can override any template; its fixed words
    come from the site's message catalogue in the programme's language."""
    loader = ChoiceLoader([FileSystemLoader(str(theme_dir)), FileSystemLoader(str(TEMPLATES))])
    env = Environment(
        loader=loader,
        bytecode_cache=template_bytecode(),
        autoescape=AUTOESCAPE,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    words.install(env)
    env.filters["long_date"] = words.format_date
    env.filters["minutes"] = lambda seconds: words.quantity(max(1, round(seconds / 60)), unit="min")
    env.filters["json_ld"] = json_ld_script
    env.globals["episode_types"] = {kind: words.gettext(label) for kind, label in EPISODE_TYPES.items()}
    env.globals["time"] = lambda day: Markup('<time datetime="{}">{}</time>').format(
        day.isoformat(), words.format_date(day)
    )
    return env


def page_template(theme_dir: Path, name: str) -> str:
    """The template a page is rendered with: `name` where the theme or the site has it, else the generic one."""
    return name if (theme_dir / name).is_file() or (TEMPLATES / name).is_file() else GENERIC_PAGE


def template_files(theme_dir: Path, names: list[str]) -> frozenset[Path]:
    """The files a page's templates are read from (the theme's override where there is one)."""
    files = set()
    for name in names:
        override = theme_dir / name
        files.add(override if override.is_file() else TEMPLATES / name)
    return frozenset(files)


class PageRenderer:
    """Renders the site's HTML pages for one publication and build."""

    def __init__(self, publication: Publication, plan: SitePlan, env: Environment) -> None:
        self.publication = publication
        self.plan = plan
        self.env = env
        self.words = cast(Messages, env.globals["messages"])
        _ = self.words.gettext
        self.labels = {cls.kind: (_(cls.label), _(cls.plural)) for cls in publication.kinds}

    def intro(self, kind: str) -> str:
        """The index page's introduction of a kind: the programme's wording, else the kind's own (translated)."""
        cls = self.publication.kinds.by_kind[kind]
        own = EPISODES_INTRO if cls is Episode else cls.intro
        return self.publication.programme.wording.intros.get(kind) or (self.words.gettext(own) if own else "")

    def render(self, page: Page) -> bytes:
        """The page's HTML."""
        context = self.common(page)
        context.update(self.specific(page))
        if page.template != "home.html":
            context["full_title"] = f"{context['title']} · {self.publication.programme.title}"
        html = self.env.get_template(page.template).render(context)
        return html.encode()

    # -- what every page knows -------------------------------------------------------------------

    def common(self, page: Page) -> dict[str, Any]:
        programme = self.publication.programme

        def href(site_path: str) -> str:
            return relative_href(page.output, site_path)

        def link(entity: Entity | str) -> str:
            if isinstance(entity, str):
                entity = self.publication.get(entity)
            return href(self.plan.site_path(entity))

        def markdown(text: str, under: int = 1, entity_id: str | None = None) -> Markup:
            return Markup(self.markdown(page, text, under, entity_id or page.entity))

        labels = self.labels
        nav = [(labels["episode"][1], href(folder_path(Episode)), "episode")]
        nav += [(labels[kind.kind][1], href(folder_path(kind)), kind.kind) for kind in self.plan.library_kinds]
        return {
            "programme": programme,
            "publication": self.publication,
            "page": page,
            "href": href,
            "link": link,
            "md": markdown,
            "static": lambda name: href(f"/{STATIC_FOLDER}/{name}"),
            "media": lambda source: href(f"/{MEDIA_FOLDER}/{source}"),
            "size": self.image_size,
            "nav": nav,
            "home": href("/"),
            # Other formats' addresses, when they are installed (`Format.links`): the site shows what exists.
            "signup_action": self.publication.link("newsletter-signup"),
            "feed_url": self.publication.link("feed"),
            "og_image": self.publication.link("podcast-artwork")
            or self.publication.home_url + f"{STATIC_FOLDER}/artwork.png",
            "labels": self.labels,
            "root_cause": self.publication.programme.wording.root_cause(self.words),
            "summary": summary_of,
            "search": {
                "action": href("/search/"),
                "index": href("/search/index.json"),
                "messages": search_messages(self.words),
            },
            "current": page.kind or (self.publication.get(page.entity).kind if page.entity else None),
            # A members-only entity shows its title and teaser, and where to become a member.
            "withheld": self.publication.withheld,
            "membership_url": programme.membership_url,
        }

    def markdown(self, page: Page, text: str, under: int, entity_id: str | None) -> str:
        """Markdown as page HTML under a heading of level `under`: its headings continue the page's outline,
        entity links become relative links, and images get their size."""

        def html_with(shift: int) -> str:
            return render_markdown(
                text,
                link=lambda target: relative_href(page.output, self.plan.site_path(self.publication.get(target))),
                image=lambda source: relative_href(page.output, f"/{MEDIA_FOLDER}/{source}"),
                heading_shift=shift,
            )

        html = html_with(0)
        levels = [int(level) for level in _HEADING.findall(html)]
        if levels and min(levels) <= under:
            html = html_with(under + 1 - min(levels))
        return _IMG_SRC.sub(lambda match: self._sized_img(page, match[1], entity_id), html)

    def _sized_img(self, page: Page, src: str, entity_id: str | None) -> str:
        source = next((image for image in page.images if src.endswith(f"{MEDIA_FOLDER}/{image}")), None)
        if source is None:
            return f'<img src="{src}"'
        width, height = self.image_size(source, entity_id)
        return f'<img src="{src}" width="{width}" height="{height}" loading="lazy"'

    def image_size(self, source: str, entity_id: str | None = None) -> tuple[int, int]:
        """An image's width and height; an unreadable image is the content's problem, located."""
        try:
            return dimensions(self.publication.asset(source))
        except ImageError as exc:
            where = self.publication.source_of(entity_id).path if entity_id else self.publication.programme_path
            raise RenderError(str(exc), path=where, entity=entity_id) from None

    # -- what each kind of page shows ------------------------------------------------------------

    def specific(self, page: Page) -> dict[str, Any]:
        if page.template == "home.html":
            return self.home(page)
        if page.template == "index.html":
            return self.index(page)
        if page.template == "search.html":
            return self.search_page(page)
        entity = self.publication.get(page.entity or "")
        if isinstance(entity, Episode):
            return self.episode(page, entity)
        return self.library(page, entity)

    def home(self, page: Page) -> dict[str, Any]:
        programme = self.publication.programme
        handouts = self.publication.of(Handout) if self.plan.with_pdfs else ()
        book = relative_href(page.output, self.plan.book_path) if self.plan.book_path and self.plan.with_book else None
        full_title = f"{programme.title}: {programme.subtitle}" if programme.subtitle else programme.title
        return {
            "title": programme.title,
            "full_title": full_title,
            "description": excerpt(programme.introduction, 40) or programme.subtitle or programme.title,
            "episodes_href": page_href(page, folder_path(Episode)),
            "canonical": self.publication.home_url,
            "og_type": "website",
            "json_ld": seo.home_json_ld(self.publication),
            "latest": self.plan.latest(),
            "handouts": handouts,
            "book_href": book,
            "kinds": [
                (self.labels[kind.kind][1], page_href(page, folder_path(kind)), self.intro(kind.kind).rstrip("."))
                for kind in self.plan.library_kinds
            ],
        }

    def index(self, page: Page) -> dict[str, Any]:
        kind = page.kind or ""
        label = self.labels[kind][1]
        intro = self.intro(kind)
        members = [self.publication.get(i) for i in sorted(page.entities)]
        context: dict[str, Any] = {
            "title": label,
            "description": self.words.gettext("%(kind)s from %(title)s: %(intro)s")
            % {"kind": label, "title": self.publication.programme.title, "intro": intro},
            "intro": intro[:1].upper() + intro[1:],
            "canonical": self.publication.programme.site_url + self._index_path(kind),
            "og_type": "website",
            "json_ld": seo.collection_json_ld(self.publication, label, self._index_path(kind)),
            "members": members,
            "groups": None,
        }
        if kind == "episode":
            context["members"] = list(reversed(self.plan.released))
        elif kind == "protocol":
            context["groups"] = [
                (self.publication.programme.phase(phase_id), protocols)
                for phase_id, protocols in self.publication.protocols_by_phase()
                if protocols
            ]
        return context

    def search_page(self, page: Page) -> dict[str, Any]:
        words = search_messages(self.words)
        return {
            "title": words["heading"],
            "description": f"{words['label']}: {self.publication.programme.title}",
            "canonical": self.publication.programme.site_url + "/search/",
            "og_type": "website",
            "json_ld": seo.collection_json_ld(self.publication, words["heading"], "/search/"),
            "members": self.plan.searchable(),
        }

    def episode(self, page: Page, episode: Episode) -> dict[str, Any]:
        covered = [self.publication.get(i) for i in self.plan.covered(episode)]
        before, after = self.plan.neighbours(episode)
        return {
            "title": episode.title,
            "description": episode.summary,
            "canonical": self.publication.url_for(episode),
            "og_type": "article",
            "json_ld": seo.episode_json_ld(self.publication, episode),
            "episode": episode,
            "covered": covered,
            "related": [self.publication.get(i) for i in self.plan.related_articles(episode)],
            "chapter_list": self.chapter_list(page, episode),
            "chapters_file": episode.chapters_file_url,
            "captions": self.captions(episode),
            "artwork": self.episode_artwork(page, episode),
            "before": before,
            "after": after,
        }

    def episode_artwork(self, page: Page, episode: Episode) -> dict[str, Any] | None:
        """The episode's own artwork as the page shows it: the one small square copy in the episode's folder."""
        if not episode.artwork:
            return None
        src = relative_href(page.output, artwork.site_path(self.publication, episode, small=True))
        return {"src": src, "size": artwork.SMALL_PX}

    def captions(self, episode: Episode) -> dict[str, str] | None:
        """The video's captions track: the transcript, when it is WebVTT (the only format <track> plays)."""
        transcript = episode.transcript
        if episode.video is None or transcript is None or transcript.type != "text/vtt":
            return None
        language = transcript.language or self.publication.programme.language
        label = self.words.gettext("Captions (%(language)s)") % {"language": language}
        return {"src": transcript.url, "lang": language, "label": label}

    def chapter_list(self, page: Page, episode: Episode) -> list[dict[str, Any]]:
        """The episode's chapters as the page lists them: start, clock text, title, and where each links."""
        items = []
        for mark in episode.chapter_marks:
            target = self.publication.by_id.get(mark.entity) if mark.entity else None
            more: tuple[str, str] | None
            if target is not None:
                more = (relative_href(page.output, self.plan.site_path(target)), target.title)
            else:
                more = (mark.url, self.words.gettext("Web page")) if mark.url else None
            seconds = int(mark.start)
            items.append({"start": seconds, "clock": mark.clock(), "title": mark.title, "more": more,
                          "image": mark.image})  # fmt: skip
        return items

    def _index_path(self, kind: str) -> str:
        return folder_path(self.publication.kinds.by_kind[kind])

    def library(self, page: Page, entity: Entity) -> dict[str, Any]:
        by_id = self.publication.by_id
        context: dict[str, Any] = {
            "title": entity.title,
            "description": summary_of(entity),
            "canonical": self.publication.url_for(entity),
            "og_type": "article",
            "json_ld": seo.library_json_ld(self.publication, entity, summary_of(entity)),
            "entity": entity,
            "kind_label": self.labels[entity.kind][0],
            "index_href": page_href(page, folder_path(type(entity))),
            "episodes": self.plan.covering_episodes(entity),
            "linked": [by_id[i] for i in self.plan.linked_entities(entity)],
            "related": [by_id[i] for i in self.plan.related_articles(entity)],
        }
        if isinstance(entity, Protocol):
            context["phase"] = self.publication.programme.phase(entity.phase)
            context["before"] = [by_id[i] for i in entity.prerequisites if i in page.entities]
            context["after"] = [by_id[i] for i in entity.progressions if i in page.entities]
        return context


def page_href(page: Page, site_path: str) -> str:
    return relative_href(page.output, site_path)


def summary_of(entity: Entity) -> str:
    """One or two plain sentences about the entity for descriptions and cards."""
    for name in ("summary", "purpose", "statement", "what_it_does"):
        value = getattr(entity, name, None)
        if value:
            return str(value)
    return excerpt(entity.body, 30) or plain_text(entity.title)


def json_ld_script(data: dict[str, Any]) -> Markup:
    """JSON-LD for a <script> element: `<`, `>` and `&` escaped so no text can end the element early."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)
