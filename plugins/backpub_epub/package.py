"""The EPUB package: ebooklib writes the OPF, nav and NCX; we fix what it leaves to chance.

ebooklib's defaults trip EPUBCheck or reproducibility in a few places, handled here:
- chapters are added as plain XHTML items, so ebooklib does not re-parse them as HTML (which lowercases
  SVG attributes and loses the XML we checked);
- the identifier, item ids and `dcterms:modified` (the `mtime` option) are set, never random or the clock;
- landmarks point only at spine items, the cover page is linear, and `conformsTo` is a `<meta property>`;
- the zip is rewritten with fixed timestamps and attributes, `mimetype` first and stored.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from backpub import N_, Messages, Publication

from .plan import BookPlan

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"


LANDMARK_TITLES = {
    "cover": N_("Cover"),
    "titlepage": N_("Title page"),
    "toc": N_("Contents"),
    "bodymatter": N_("Start reading"),
}


@dataclass(frozen=True)
class BookFile:
    """A file to put in the book: its path inside the book, its bytes and its media type."""

    path: str
    content: bytes
    media_type: str
    properties: tuple[str, ...] = ()


def write_book(
    publication: Publication,
    book_id: str,
    plan: BookPlan,
    chapters: dict[str, bytes],
    resources: list[BookFile],
    build_time: datetime,
    words: Messages,
) -> bytes:
    """The finished EPUB's bytes."""
    _ = words.gettext
    from ebooklib import epub

    book = epub.EpubBook()
    _metadata(book, publication, book_id, bool(resources), _)
    items = {}
    for number, chapter in enumerate(plan.chapters, start=1):
        item = epub.EpubItem(
            uid=f"chapter-{number}", file_name=chapter.file, media_type="application/xhtml+xml",
            content=chapters[chapter.file],
        )  # fmt: skip
        book.add_item(item)
        items[chapter.file] = item
    for number, resource in enumerate(resources, start=1):
        item = epub.EpubItem(
            uid=f"resource-{number}", file_name=resource.path, media_type=resource.media_type,
            content=resource.content,
        )  # fmt: skip
        item.properties = list(resource.properties)
        book.add_item(item)
    nav = epub.EpubNav(title=_("Contents"))
    nav.add_link(href="book.css", rel="stylesheet", type="text/css")
    book.add_item(nav)
    book.add_item(epub.EpubNcx())
    book.toc = _toc(plan, epub)
    # The printed contents follow the front matter, so the nav is in the spine and may be a landmark.
    front = [items[chapter.file] for chapter in plan.front]
    book.spine = [*front, nav, *(items[chapter.file] for chapter in plan.body)]
    book.guide = _landmarks(plan, _)
    out = io.BytesIO()
    # The landmarks are for reading systems, not for reading: named in the book's language, and hidden (below).
    options = {
        "mtime": build_time.astimezone(UTC),
        "epub2_guide": False,
        "epub3_pages": False,
        "landmark_title": _("Landmarks"),
    }
    epub.write_epub(out, book, {**options, "raise_exceptions": True})
    return normalise_zip(out.getvalue(), build_time, publication.programme.language)


def _metadata(book, publication: Publication, book_id: str, has_images: bool, _: Callable[[str], str]) -> None:
    programme = publication.programme
    book.set_identifier(book_id)
    book.set_title(programme.title)
    book.set_language(programme.language)
    for number, author in enumerate(programme.authors, start=1):
        book.add_author(author, uid=f"creator-{number}")
    book.add_metadata("DC", "publisher", programme.publisher)
    if programme.subtitle:
        book.add_metadata("DC", "description", programme.subtitle)
    for name, value in _accessibility(has_images, _):
        book.add_metadata("OPF", name, value, {"property": name})


def _accessibility(has_images: bool, _: Callable[[str], str]) -> list[tuple[str, str]]:
    """EPUB Accessibility 1.1 metadata that is true of the book this plugin writes."""
    modes = ["textual", "visual"] if has_images else ["textual"]
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "alternativeText", "displayTransformability"]
    summary = _(
        "Text book with a navigable table of contents, headings for every chapter and section, and internal "
        "links between related topics. Every illustration has a text description, so the book can be read "
        "fully as text. No colour-only information; reading systems may change fonts, sizes and colours."
    )
    return [
        *(("schema:accessMode", mode) for mode in modes),
        ("schema:accessModeSufficient", "textual"),
        *(("schema:accessibilityFeature", feature) for feature in features),
        ("schema:accessibilityHazard", "none"),
        ("schema:accessibilitySummary", summary),
        ("dcterms:conformsTo", CONFORMANCE),
    ]


def _toc(plan: BookPlan, epub) -> list:
    """Every chapter in reading order, with the entities it holds as sub-entries."""
    toc = []
    counter = iter(range(1, 10_000))
    for chapter in plan.chapters:
        if not chapter.in_toc:
            continue
        link = epub.Link(chapter.file, chapter.title, f"toc-{next(counter)}")
        sections = [
            epub.Link(f"{chapter.file}#{entity.id}", entity.title, f"toc-{next(counter)}")
            for entity in chapter.entities
            if len(chapter.entities) > 1
        ]
        toc.append((link, sections) if sections else link)
    return toc


def _landmarks(plan: BookPlan, _: Callable[[str], str]) -> list[dict[str, str]]:
    landmarks = [
        {"type": chapter.landmark, "href": chapter.file, "title": _(LANDMARK_TITLES[chapter.landmark])}
        for chapter in plan.front
        if chapter.landmark
    ]
    landmarks.append({"type": "toc", "href": "nav.xhtml", "title": _(LANDMARK_TITLES["toc"])})
    landmarks += [
        {"type": chapter.landmark, "href": chapter.file, "title": _(LANDMARK_TITLES[chapter.landmark])}
        for chapter in plan.body
        if chapter.landmark
    ]
    return landmarks


def _hide_landmarks(nav: bytes) -> bytes:
    """The navigation document with its landmarks list `hidden` (EPUB 3: still read by reading systems, never shown
    in the reading view), which ebooklib does not write."""
    from lxml import etree

    root = etree.fromstring(nav)
    for element in root.iter("{http://www.w3.org/1999/xhtml}nav"):
        if element.get("{http://www.idpf.org/2007/ops}type") == "landmarks":
            element.set("hidden", "hidden")
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="utf-8")


def normalise_zip(data: bytes, build_time: datetime, language: str | None = None) -> bytes:
    """Rewrite a zip reproducibly: same order, `mimetype` first and stored, fixed times and attributes; the
    package document declares the book's language (`xml:lang`), which ebooklib leaves out."""
    stamp = max(ZIP_EPOCH, build_time.astimezone(UTC).timetuple()[:6])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        names = source.namelist()
        for name in sorted(names, key=lambda name: name != "mimetype"):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            content = source.read(name)
            if language and name.endswith(".opf"):
                content = _declare_language(content, language)
            if name.endswith("/nav.xhtml"):
                content = _hide_landmarks(content)
            target.writestr(info, content, compresslevel=9)
    return out.getvalue()


def _declare_language(opf: bytes, language: str) -> bytes:
    """The package document with `xml:lang` on its root, so reading systems and checkers know the language."""
    from lxml import etree

    root = etree.fromstring(opf)
    root.set("{http://www.w3.org/XML/1998/namespace}lang", language)
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="utf-8")
