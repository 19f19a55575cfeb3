"""The `site` format: the programme's static website, one folder per page, every URL from `publication.path_for`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backpub import Format, Job, Problem, Publication, hookimpl

__version__ = "1.0"

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

    def check(self, publication: Publication) -> list[Problem]:
        from backpub_site.images import ImageError, dimensions

        problems = []
        for protocol in publication.protocols:
            if protocol.image:
                try:
                    dimensions(publication.asset(protocol.image.src))
                except ImageError as exc:
                    problems.append(self.problem(publication, protocol.id, str(exc)))
        return problems

    def plan(self, publication: Publication):
        from backpub_site.plan import SitePlan

        return SitePlan(publication, self.context.as_of, self.context.formats)

    def jobs(self, publication: Publication) -> list[Job]:
        from backpub_site.plan import MEDIA_FOLDER, STATIC_FOLDER
        from backpub_site.render import STATIC, template_files

        plan = self.plan(publication)
        theme = self.context.theme_dir(self.name)
        pages = plan.pages()
        jobs = [
            Job(
                page.output,
                entities=page.entities,
                assets=frozenset(page.images),
                templates=template_files(theme, [*PAGE_TEMPLATES, page.template]),
                values=self._page_values(plan, page),
                args={"page": page.output},
            )
            for page in pages
        ]
        jobs.append(Job(f"{STATIC_FOLDER}/site.css", templates=frozenset([_override(theme, STATIC / "site.css")])))
        artwork = publication.programme.artwork
        for name, size in ARTWORK_SIZES.items():
            jobs.append(Job(f"{STATIC_FOLDER}/{name}", assets=frozenset([artwork]), values=(size,), args={"art": name}))
        for image in plan.all_images(pages):
            jobs.append(Job(f"{MEDIA_FOLDER}/{image}", assets=frozenset([image]), args={"copy": image}))
        listed = sorted({entity for page in pages if page.entity for entity in [page.entity]})
        jobs.append(
            Job("sitemap.xml", entities=frozenset(listed), values=tuple(p.output for p in pages), args={"sitemap": 1})
        )
        jobs.append(Job("robots.txt", args={"robots": 1}))
        return jobs

    def _page_values(self, plan, page) -> tuple[Any, ...]:
        """What changes a page's bytes besides its entities: where its entity links go, what it may link to."""
        targets = [(i, plan.site_path(plan.publication.get(i))) for i in page.episode_links]
        return (targets, plan.with_pdfs, plan.with_book)

    def prepare(self, publication: Publication) -> None:
        from backpub_site.render import PageRenderer, environment

        self._plan = self.plan(publication)
        self._pages = {page.output: page for page in self._plan.pages()}
        self._renderer = PageRenderer(publication, self._plan, environment(self.context.theme_dir(self.name)))

    def render(self, job: Job, publication: Publication) -> bytes:
        if "page" in job.args:
            return self._renderer.render(self._pages[job.args["page"]])
        if "copy" in job.args:
            return publication.asset(job.args["copy"]).read_bytes()
        if "art" in job.args:
            from backpub_site.images import thumbnail_png

            return thumbnail_png(publication.asset(publication.programme.artwork), job.values[0])
        if "sitemap" in job.args:
            return self._sitemap(publication)
        if "robots" in job.args:
            from backpub_site.seo import robots

            return robots(publication)
        (template,) = job.templates
        return Path(template).read_bytes()

    def _sitemap(self, publication: Publication) -> bytes:
        from backpub_site.seo import sitemap

        entries = []
        for page in self._pages.values():
            path = "/" + page.output.removesuffix("index.html")
            modified = publication.get(page.entity).reviewed.isoformat() if page.entity else None
            entries.append((publication.programme.site_url + path, modified))
        return sitemap(entries)


def _override(theme: Path, default: Path) -> Path:
    """The project's theme file of the same name if there is one, else the plugin's."""
    candidate = theme / default.name
    return candidate if candidate.is_file() else default


@hookimpl
def register_formats() -> list[type[Format]]:
    return [SiteFormat]
