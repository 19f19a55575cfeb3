"""Make the book: plan it, render its chapters and cover, and hand everything to the packager."""

from __future__ import annotations

from pathlib import Path

from backpub import BuildContext, Messages, Publication, RenderError

from .cover import generate_cover
from .options import EpubOptions
from .package import BookFile, write_book
from .plan import MEDIA_FOLDER, default_messages, make_plan
from .xhtml import STYLESHEET, ChapterWriter, template_environment

MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}


def make_book(
    publication: Publication,
    context: BuildContext,
    options: EpubOptions,
    template_dirs: list[Path],
    words: Messages | None = None,
) -> bytes:
    """The EPUB's bytes for this build's date."""
    words = words or default_messages(publication)
    plan = make_plan(publication, context.as_of, words)
    cover = _cover(publication, options.cover)
    environment = words.install(template_environment(template_dirs))
    writer = ChapterWriter(publication, plan, environment, images=[cover.path])
    cover_alt = words.gettext("Cover of %(title)s") % {"title": publication.programme.title}
    chapters = {
        chapter.file: writer.render(chapter, cover_image=cover.path, cover_alt=cover_alt) for chapter in plan.chapters
    }
    stylesheet = environment.loader.get_source(environment, STYLESHEET)[0].encode()
    resources = [
        BookFile(STYLESHEET, stylesheet, "text/css"),
        cover,
        *(
            BookFile(path, publication.asset(source).read_bytes(), _media_type(path))
            for source, path in plan.media.items()
        ),
    ]
    return write_book(publication, options.book_id, plan, chapters, resources, context.build_time, words)


def _cover(publication: Publication, source: str | None) -> BookFile:
    """The given cover image, or one generated from the title and the programme's artwork."""
    if source is not None:
        suffix = Path(source).suffix.lower()
        data = publication.asset(source).read_bytes()
        return BookFile(f"{MEDIA_FOLDER}/cover{suffix}", data, MEDIA_TYPES[suffix], ("cover-image",))
    programme = publication.programme
    artwork = publication.asset(programme.artwork)
    try:
        data = generate_cover(programme.title, programme.subtitle, programme.publisher, artwork)
    except OSError as exc:
        raise RenderError(
            f"cannot draw the book's cover from the programme's artwork {programme.artwork}: {exc}",
            path=publication.programme_path,
        ) from exc
    return BookFile(f"{MEDIA_FOLDER}/cover.png", data, "image/png", ("cover-image",))


def _media_type(path: str) -> str:
    return MEDIA_TYPES[Path(path).suffix.lower()]
