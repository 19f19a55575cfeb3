"""The `epub` format: the whole programme as one EPUB 3 book, clean under EPUBCheck and byte-reproducible."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from backpub import Format, Job, Problem, Publication, RenderError, Starter, asset_path_problem, slug
from backpub_epub.options import EpubOptions
from backpub_epub.version import __version__

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
COVER_TYPES = (".png", ".jpg", ".jpeg")
WEBSITE_FOLDER = "book"
"""Where the book is served on the programme's website."""


def book_filename(publication: Publication) -> str:
    """The e-book's file name: the programme title as a slug, e.g. 'my-programme.epub'."""
    return f"{slug(publication.programme.title, publication.programme.language, fallback='book')}.epub"


SVG_DANGERS = re.compile(r"<script|<foreignObject|\son[a-z]+\s*=|(?:xlink:)?href\s*=\s*[\"'](?!#)", re.IGNORECASE)


class EpubFormat(Format):
    """Writes outputs/epub/<programme-slug>.epub: the programme as an e-book, released episodes only."""

    name = "epub"
    version = __version__
    description = "The programme as an EPUB 3 e-book (EPUBCheck clean, accessible, reproducible)."
    Options = EpubOptions
    options: EpubOptions
    moved_settings: ClassVar[Mapping[str, str]] = {"book_id": "'book_id' moved to 'formats.epub.book_id'"}

    @classmethod
    def starter(cls, title: str, site_url: str) -> Starter:
        """A new programme's book: an identity of its own, for ever."""
        return Starter(f"book_id: urn:uuid:{uuid.uuid4()}   # the book's identity: never change it\n")

    def check(self, publication: Publication) -> list[Problem]:
        from .plan import make_plan

        problems = []
        cover = self.options.cover
        if cover is not None:
            reason = asset_path_problem(cover)
            if reason is None and not publication.asset(cover).is_file():
                reason = f"{cover!r} does not exist in the content folder"
            if reason is None and Path(cover).suffix.lower() not in COVER_TYPES:
                reason = f"{cover!r} is not a PNG or JPEG image"
            if reason:
                problems.append(self.problem(publication, None, f"formats.epub.cover: {reason}"))
        plan = make_plan(publication, self.context.as_of, self.messages(publication))
        for source in plan.media:
            problems += self._media_problems(publication, plan, source)
        return problems

    def _media_problems(self, publication: Publication, plan, source: str) -> list[Problem]:
        owner = next((entity.id for entity in _entities_using(plan, source)), None)
        suffix = Path(source).suffix.lower()
        if suffix not in IMAGE_TYPES:
            return [self.problem(publication, owner, f"{source}: e-books can only show PNG, JPEG or SVG images")]
        if suffix == ".svg":
            text = publication.asset(source).read_text(encoding="utf-8", errors="replace")
            if SVG_DANGERS.search(text):
                message = f"{source}: SVG images in the book may not hold scripts, event handlers or links to files"
                return [self.problem(publication, owner, message)]
        return []

    def links(self, publication: Publication) -> dict[str, str]:
        """The book's download on the website."""
        return {"book": f"/{WEBSITE_FOLDER}/{book_filename(publication)}"}

    def website_path(self, output: str, publication: Publication) -> str:
        return f"{WEBSITE_FOLDER}/{output}"

    def jobs(self, publication: Publication) -> list[Job]:
        from .plan import make_plan

        plan = make_plan(publication, self.context.as_of, self.messages(publication))
        assets = set(plan.media)
        shown = set(plan.home) | set(plan.external)
        if self.options.cover:
            assets.add(self.options.cover)
        else:
            assets.add(publication.programme.artwork)
        return [
            Job(
                book_filename(publication),
                entities=frozenset(shown),
                assets=frozenset(assets),
                templates=frozenset(self._template_files()) | self.messages(publication).files(),
                values=(self.context.build_time.isoformat(),),
            )
        ]

    def _template_dirs(self) -> list[Path]:
        return [self.context.theme_dir(self.name), TEMPLATES_DIR]

    def _template_files(self) -> set[Path]:
        """Every template, stylesheet and font the book is made from (a theme's copy wins over ours)."""
        from .cover import cover_fonts

        files = {}
        for folder in reversed(self._template_dirs()):
            if folder.is_dir():
                files.update({path.name: path for path in folder.iterdir() if path.is_file()})
        chosen = set(files.values())
        if not self.options.cover:
            chosen.update(cover_fonts())
        return chosen

    def prepare(self, publication: Publication) -> None:
        import ebooklib.epub  # noqa: F401 - load the heavy library once per worker
        import PIL.Image  # noqa: F401

    def render(self, job: Job, publication: Publication) -> bytes:
        from .book import make_book

        try:
            return make_book(publication, self.context, self.options, self._template_dirs(), self.messages(publication))
        except RenderError:
            raise
        except OSError as exc:
            raise RenderError(f"could not read a file for the e-book: {exc}", path=publication.programme_path) from exc


def _entities_using(plan, source: str):
    from backpub import Protocol

    for chapter in plan.body:
        for entity in chapter.entities:
            if (isinstance(entity, Protocol) and entity.image and entity.image.src == source) or source in entity.body:
                yield entity
