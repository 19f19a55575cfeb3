"""The `site` format: the programme's static website, one folder per page, every URL from `publication.path_for`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from backpub import Format, Job, Problem, Publication
from backpub_site.version import __version__

PACKAGE = Path(__file__).resolve().parent
ARTWORK_SIZES = {"artwork.png": 320, "icon.png": 64}
"""Small copies of the podcast artwork the pages show (the original is 1400-3000 px)."""
PAGE_TEMPLATES = ("base.html", "macros.html")
"""Templates every page reads besides its own."""


class SiteFormat(Format):
    """Writes outputs/site/: episode pages, library pages, indexes, home, sitemap.xml, robots.txt and assets."""

    name = "site"
    version = __version__
    description = "The programme's static website (episode pages, library, home, sitemap)."
    hosts_website = True

    def links(self, publication: Publication) -> Mapping[str, str]:
        """What the site publishes beside an episode's page for other formats: its chapters file
        ('chapters:<id>', the feed's podcast:chapters) and its own artwork ('episode-artwork:<id>' full size, the
        feed's itunes:image; 'episode-artwork-small:<id>', the copy the newsletter shows)."""
        from backpub_site import artwork, chapters

        links = {}
        for episode in publication.episodes:
            if episode.chapter_marks:
                links[chapters.link_key(episode)] = chapters.site_path(publication, episode)
            if episode.artwork:
                for small in (False, True):
                    links[artwork.link_key(episode, small=small)] = artwork.site_path(publication, episode, small=small)
        return links

    def check(self, publication: Publication) -> list[Problem]:
        from backpub_site.images import ImageError, dimensions

        problems = []
        images = [(p.id, p.image.src) for p in publication.protocols if p.image]
        images += [(e.id, e.artwork) for e in publication.episodes if e.artwork]
        for entity_id, source in images:
            try:
                dimensions(publication.asset(source))
            except ImageError as exc:
                problems.append(self.problem(publication, entity_id, str(exc)))
        return problems

    def plan(self, publication: Publication):
        from backpub_site.plan import SitePlan

        return SitePlan(publication, self.context.as_of, self.context.published)

    def _planned(self, publication: Publication):
        """The plan and its pages, made once per publication: jobs() makes them and the render workers, forked
        after planning, inherit them instead of working out every page's related articles again."""
        made = getattr(self, "_made", None)
        if made is None or made[0] is not publication:
            from backpub_site.render import page_template

            plan = self.plan(publication)
            theme = self.context.theme_dir(self.name)
            pages = [replace(page, template=page_template(theme, page.template)) for page in plan.pages()]
            made = self._made = (publication, plan, pages)
        return made[1], made[2]

    def jobs(self, publication: Publication) -> list[Job]:
        from backpub_site.plan import MEDIA_FOLDER, STATIC_FOLDER
        from backpub_site.render import STATIC, template_files

        plan, pages = self._planned(publication)
        theme = self.context.theme_dir(self.name)
        catalogues = self.messages(publication).files()
        jobs = [
            Job(
                page.output,
                entities=page.entities,
                assets=frozenset(page.images),
                templates=template_files(theme, [*PAGE_TEMPLATES, page.template]) | catalogues,
                values=self._page_values(plan, page),
                args={"page": page.output},
            )
            for page in pages
        ]
        for name in ("site.css", "site.js"):
            jobs.append(Job(f"{STATIC_FOLDER}/{name}", templates=frozenset([_override(theme, STATIC / name)])))
        artwork = publication.programme.artwork
        for name, size in ARTWORK_SIZES.items():
            jobs.append(Job(f"{STATIC_FOLDER}/{name}", assets=frozenset([artwork]), values=(size,), args={"art": name}))
        for image in plan.all_images(pages):
            jobs.append(Job(f"{MEDIA_FOLDER}/{image}", assets=frozenset([image]), args={"copy": image}))
        jobs += self._chapter_jobs(plan)
        jobs += self._artwork_jobs(plan)
        jobs.append(self._search_job(plan, catalogues))
        listed = sorted({entity for page in pages if page.entity for entity in [page.entity]})
        jobs.append(
            Job("sitemap.xml", entities=frozenset(listed), values=tuple(p.output for p in pages), args={"sitemap": 1})
        )
        jobs.append(Job("robots.txt", args={"robots": 1}))
        return jobs

    def _chapter_jobs(self, plan) -> list[Job]:
        """An episode's Podcast Index chapters file, published beside its page so the feed can point at it."""
        from backpub_site import chapters
        from backpub_site.plan import output_for

        jobs = []
        for episode in plan.released:
            if episode.chapter_marks:
                linked = plan.chapter_entities(episode)
                targets = [(i, plan.site_path(plan.publication.get(i))) for i in linked]
                output = output_for(chapters.site_path(plan.publication, episode))
                jobs.append(Job(output, entities=frozenset([episode.id, *linked]), values=(targets,),
                                args={"chapters": episode.id}))  # fmt: skip
        return jobs

    def _search_job(self, plan, catalogues: frozenset[Path]) -> Job:
        """The search index: one file over every page, rendered again when any page's entity or the set changes."""
        from backpub_site.search import INDEX_OUTPUT

        members = plan.searchable()
        paths = tuple(plan.site_path(entity) for entity in members)
        entities = frozenset(e.id for e in members)
        return Job(INDEX_OUTPUT, entities=entities, templates=catalogues, values=paths, args={"search": 1})

    def _artwork_jobs(self, plan) -> list[Job]:
        """An episode's own artwork: full size for the feed's itunes:image, and the one copy pages and e-mails show."""
        from backpub_site import artwork
        from backpub_site.plan import output_for

        jobs = []
        for episode in plan.released:
            if episode.artwork:
                assets = frozenset([episode.artwork])
                full = output_for(artwork.site_path(plan.publication, episode))
                small = output_for(artwork.site_path(plan.publication, episode, small=True))
                jobs.append(Job(full, assets=assets, args={"copy": episode.artwork}))
                jobs.append(Job(small, assets=assets, values=(artwork.SMALL_PX,), args={"resize": episode.artwork}))
        return jobs

    def _page_values(self, plan, page) -> tuple[Any, ...]:
        """What changes a page's bytes besides its entities: where its entity links go, what it may link to."""
        targets = [(i, plan.site_path(plan.publication.get(i))) for i in page.episode_links]
        return (targets, plan.with_pdfs, plan.with_book)

    def prepare(self, publication: Publication) -> None:
        from backpub_site.render import PageRenderer, environment

        self._plan, pages = self._planned(publication)
        self._pages = {page.output: page for page in pages}
        words = self.messages(publication)
        env = environment(self.context.theme_dir(self.name), words)
        self._renderer = PageRenderer(publication, self._plan, env)

    def render(self, job: Job, publication: Publication) -> bytes:
        if "page" in job.args:
            return self._renderer.render(self._pages[job.args["page"]])
        if "copy" in job.args:
            return publication.asset(job.args["copy"]).read_bytes()
        if "resize" in job.args:
            from backpub_site.artwork import resized

            return resized(publication.asset(job.args["resize"]), job.values[0])
        if "art" in job.args:
            from backpub_site.images import thumbnail_png

            return thumbnail_png(publication.asset(publication.programme.artwork), job.values[0])
        if "chapters" in job.args:
            return self._chapters(publication, publication.get(job.args["chapters"]))
        if "search" in job.args:
            return self._search_index(publication)
        if "sitemap" in job.args:
            return self._sitemap(publication)
        if "robots" in job.args:
            from backpub_site.seo import robots

            return robots(publication)
        (template,) = job.templates
        return Path(template).read_bytes()

    def _chapters(self, publication: Publication, episode) -> bytes:
        import json

        from backpub_site import chapters
        from backpub_site.plan import MEDIA_FOLDER

        site_url = publication.programme.site_url
        document = chapters.document(
            publication,
            episode,
            entity_url=lambda i: site_url + self._plan.site_path(publication.get(i)),
            image_url=lambda source: f"{site_url}/{MEDIA_FOLDER}/{source}",
        )
        return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()

    def _search_index(self, publication: Publication) -> bytes:
        from backpub_site.render import summary_of
        from backpub_site.search import index

        plan = self._plan
        _ = self.messages(publication).gettext
        pages = [(e, plan.site_path(e), _(e.label), summary_of(e)) for e in plan.searchable()]
        return index(publication, pages)

    def _sitemap(self, publication: Publication) -> bytes:
        from backpub_site.seo import sitemap

        entries = []
        for page in self._pages.values():
            if page.template == "search.html":
                continue  # a page of results is no page for a search engine
            path = "/" + page.output.removesuffix("index.html")
            reviewed = publication.get(page.entity).reviewed if page.entity else None
            modified = reviewed.isoformat() if reviewed else None
            entries.append((publication.programme.site_url + path, modified))
        return sitemap(entries)


def _override(theme: Path, default: Path) -> Path:
    """The project's theme file of the same name if there is one, else the plugin's."""
    candidate = theme / default.name
    return candidate if candidate.is_file() else default
