"""Turns one job into PDF bytes with WeasyPrint: templates, the strict fetcher, and errors as RenderErrors.

Built once per worker process (WeasyPrint's import and the font set-up cost far more than a handout),
then reused for every job the process renders.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import re
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from backpub import (
    BuildContext,
    Clinic,
    Entity,
    Handout,
    Job,
    Messages,
    Publication,
    RenderError,
    template_bytecode,
    typographic_text,
)
from backpub_pdf.budget import Edition, LayoutRecords, PageFacts, edition_of, environment_digest, layout_key
from backpub_pdf.fetching import FileGate, RefusedURL, make_fetcher, virtual_url
from backpub_pdf.fonts import FontFace, bundled_font_config, declared_fonts, font_roots, lato_folder
from backpub_pdf.planning import footprint, pack_handouts
from backpub_pdf.view import HandoutView, HandoutViews, palette, side_by_side
from backpub_pdf.words import css_content, css_string, page_css, words_css

TEMPLATES = Path(__file__).resolve().parent / "templates"
STYLESHEETS = ("fonts.css", "pdf.css", "theme.css")
"""Stylesheets applied to every document, in order; each is looked up in the theme folder first."""

PAPER = {"A4": "A4", "Letter": "letter"}
DEFAULT_ACCENT = "#1f5f8b"
PROBE_TIME = "2000-01-01T00:00:00+00:00"
"""The colour and build time a probe is laid out with (neither ever moves a page)."""
URGENT_ANCHOR = "urgent"
"""The anchor of a handout's urgent-help box (see _handout.html.j2)."""
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1", "uncompressed_pdf": False}
LAYOUT_PASSES = 4
"""At most this many layouts after the first, for a handout with a protocol longer than a page."""
"""WeasyPrint's options, the same for laying out and for writing: tagged PDF/UA."""


def font_folder() -> Path:
    """Where the Lato font files (the font-lato package, SIL OFL) live."""
    return lato_folder()


def template_files(theme_dir: Path) -> frozenset[Path]:
    """Every template, stylesheet and font file a document may read (the theme's files included)."""
    files = {path for path in TEMPLATES.rglob("*") if path.is_file()}
    if theme_dir.is_dir():
        files.update(path for path in theme_dir.rglob("*") if path.is_file())
    files.update(path for path, _ in bundled_fonts(theme_dir))
    return frozenset(files)


def stylesheet_file(theme_dir: Path, name: str) -> Path | None:
    """The theme's copy of a stylesheet when it has one, else the plugin's (None when neither has it)."""
    for folder in (theme_dir, TEMPLATES):
        if (folder / name).is_file():
            return folder / name
    return None


def bundled_fonts(theme_dir: Path) -> list[tuple[Path, FontFace]]:
    """Each font file the stylesheets' @font-face rules name, with its rule (URLs the gate refuses name none:
    the renderer refuses them, located, when a document uses them)."""
    gate = FileGate({"templates": TEMPLATES, "theme": theme_dir, **font_roots()})
    fonts = []
    for name in STYLESHEETS:
        path = stylesheet_file(theme_dir, name)
        base = virtual_url("theme" if path and path.parent == theme_dir else "templates", name)
        for face in declared_fonts(path.read_text(encoding="utf-8")) if path else ():
            for url in face.urls:
                try:
                    fonts.append((gate.path_for(urljoin(base, url)), face))
                except RefusedURL:
                    continue
    return fonts


def themed_templates(theme_dir: Path) -> bool:
    """Whether a project's theme overrides a template: it may then print any field of what a handout shows."""
    return theme_dir.is_dir() and any(path.suffix == ".j2" for path in theme_dir.rglob("*"))


class Renderer:
    """One per process: the Jinja environment, fonts and stylesheets, and WeasyPrint itself (imported on the first
    layout, so a process that only writes documents' HTML never pays for it)."""

    def __init__(
        self, context: BuildContext, default_accent: str, default_paper: str, words: Messages, stamped: bool = False
    ) -> None:
        import jinja2

        self.context = context
        self.default_accent = default_accent
        self.default_paper = default_paper
        theme = context.theme_dir("pdf")
        self.roots = {"templates": TEMPLATES, "theme": theme, **font_roots(), "content": context.content_dir}
        folders = [str(theme)] if theme.is_dir() else []
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([*folders, str(TEMPLATES)]),
            bytecode_cache=template_bytecode(),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.words = words
        words.install(self.env)
        self.env.filters["long_date"] = words.format_date
        # Quotation marks and apostrophes as the programme's language sets them, in content and fixed words alike.
        self.env.finalize = typographic_text(words.quotes())
        self.stylesheet_urls = [url for url in map(self.stylesheet_url, STYLESHEETS) if url]
        self._stylesheets: list[Any] | None = None
        self._qr_codes: dict[str, bytes] = {}
        self.layouts = LayoutRecords(context.cache_dir)
        """What each handout's layout found, kept for `validate` (see budget.py)."""
        self.stamped = stamped
        self._brandings: dict[bytes, Any] = {}
        self._stampers: dict[bytes, Any] = {}
        self._front_pages: dict[Any, int] = {}

    @functools.cached_property
    def weasyprint(self) -> Any:
        import weasyprint

        return weasyprint

    @functools.cached_property
    def font_config(self) -> Any:
        return bundled_font_config()

    @functools.cached_property
    def environment_digest(self) -> str:
        """The templates, stylesheets, fonts, words and code documents are made with (see budget.layout_key)."""
        code = {path for path in Path(__file__).parent.glob("*.py")}
        return environment_digest(template_files(self.context.theme_dir("pdf")) | self.words.files() | code)

    def measure(self, publication: Publication, handout: Handout, edition: Edition, lay_out: bool) -> PageFacts | None:
        """What the layout of a handout's plain edition in `edition` found: as a build recorded it, else (when
        `lay_out`) laid out now and recorded."""
        key = self.layout_key(publication, handout, edition)
        facts = self.layouts.get(key)
        if facts is None and lay_out:
            probe = self.handout_document(publication, handout, None, edition, probe=True)
            facts = PageFacts.of(self.laid_out(probe))
            self.layouts.put(key, facts)
        return facts

    def stylesheet_url(self, name: str) -> str | None:
        """The theme's copy of a stylesheet when it has one, else the plugin's (None when neither has it)."""
        theme = self.roots["theme"]
        if (theme / name).is_file():
            return virtual_url("theme", name)
        if (TEMPLATES / name).is_file():
            return virtual_url("templates", name)
        return None

    # -- one job ---------------------------------------------------------------------------------

    def render(self, job: Job, publication: Publication, inputs: list[bytes] | None = None) -> bytes:
        """The PDF of one job: a handout (plain or branded), or a clinic's pack from its handouts' PDFs (`inputs`,
        in the pack's order); stamped (`formats.pdf.branding: stamped`), an edition or pack from its shared layout
        and branding (`inputs`), or one of those intermediate files (see planning.py)."""
        kind = job.args["kind"]
        if kind == "shared-layout":
            return self.shared_layout(publication, job)
        if kind == "branding":
            return self.branding(publication, job)
        if kind == "shared-pack":
            return self.shared_pack(publication, job, inputs or [])
        if self.stamped:
            return self.stamp(publication, job, inputs or [])
        page = self.document(job, publication)
        if kind == "pack":
            return self.pack(page, inputs or [])
        document = self.laid_out(page)
        self.record_layout(publication, page, document)
        return self.write(document, *page.located)

    def record_layout(self, publication: Publication, page: Document, document: Any) -> None:
        """Keep what a handout edition's layout found under its plain edition's key (the branding band has one
        size, so every edition in the same paper and country breaks its pages alike), for `validate`."""
        self.layouts.put(self.layout_key(publication, page.handouts[0].handout, page.edition), PageFacts.of(document))

    def layout_key(self, publication: Publication, handout: Handout, edition: Edition) -> str:
        """What the layout of a handout's plain edition depends on (budget.layout_key)."""
        themed = themed_templates(self.context.theme_dir("pdf"))
        shows = footprint(publication, handout, self.context.as_of, themed)
        return layout_key(publication, handout, edition, shows, self.environment_digest)

    def laid_out(self, page: Document, images: dict[str, Any] | None = None) -> Any:
        """A handout's layout. A protocol that runs over a page is laid out again to flow on between its steps,
        and again with its title repeated where it continues (the passes settle: a protocol once long stays long);
        a handout whose protocols each fit on a page is laid out once."""
        from backpub_pdf.pagination import measure_long_protocols, remove_layout_anchors

        document = self.layout(page.html(), *page.located, images=images)
        for _attempt in range(LAYOUT_PASSES):
            if not measure_long_protocols(document, page.handouts):
                break
            document = self.layout(page.html(), *page.located, images=images)
        remove_layout_anchors(document)
        return document

    # -- stamped editions and packs (branding.py) ----------------------------------------------------

    def shared_layout(self, publication: Publication, job: Job) -> bytes:
        """A handout laid out once for every edition in its paper and country: the band's cells empty, no clinic in
        the running heads, stand-ins for the colours (see branding.py)."""
        from backpub_pdf.branding import shared_layout

        handout = publication.get(job.args["handout"])
        assert isinstance(handout, Handout)
        page = self.handout_document(publication, handout, None, self.shared_edition(job), shared=True)
        document = self.laid_out(page)
        self.record_layout(publication, page, document)
        return shared_layout(self.write(document, *page.located))

    def branding(self, publication: Publication, job: Job) -> bytes:
        """A clinic's branding (its band, its later pages' running head, its pack's cover), or without a clinic the
        programme's band for the unbranded editions: laid out once for all the editions and packs made with it."""
        page = self.branding_document(publication, self.clinic_of(publication, job))
        return self.write(self.layout(page.html(), *page.located), *page.located)

    def shared_pack(self, publication: Publication, job: Job, layouts: list[bytes]) -> bytes:
        """The pack every clinic with these handouts, paper and country has, its cover left empty: its contents
        laid out here, its handouts' pages those of their shared layouts (`layouts`, in the pack's order)."""
        from backpub_pdf.branding import shared_layout
        from backpub_pdf.packing import Part, assemble

        handouts = [publication.get(handout_id) for handout_id in job.args["handouts"]]
        page = self.pack_document(publication, None, handouts, self.shared_edition(job))
        parts = [Part(data, view.prefix) for view, data in zip(page.handouts, layouts, strict=True)]
        front, footers = self.front_and_footers(page, parts)
        return assemble(shared_layout(front), parts, footers)

    def stamp(self, publication: Publication, job: Job, inputs: list[bytes]) -> bytes:
        """An edition, or a clinic's pack, from its shared layout (or shared pack) and its branding (`inputs`):
        the branding put over it in the edition's colours (branding.py)."""
        clinic = self.clinic_of(publication, job)
        shared, branding = inputs
        accent = clinic.accent_colour if clinic else self.default_accent
        colours = palette(accent)
        title = None
        if job.args["kind"] == "pack":
            assert clinic is not None
            title = self.pack_title(publication, clinic)
        author = clinic.title if clinic else publication.programme.publisher
        return self.stamper(shared).stamp(self.prepared_branding(branding), vars(colours), author, title)

    def stamper(self, data: bytes) -> Any:
        """A shared layout (or shared pack) opened once per process for every edition stamped on it: the build
        gives a handout's editions one after another (`PdfFormat.jobs`), so a few are kept."""
        from backpub_pdf.branding import Stamper

        key = hashlib.sha256(data).digest()
        if key not in self._stampers:
            self._stampers = _recent(self._stampers, key, Stamper(data), keep=6)
        return self._stampers[key]

    def prepared_branding(self, data: bytes) -> Any:
        """A branding's PDF, opened and prepared once per process for every edition made with it. The build gives a
        handout's editions, every clinic's, one after another (`PdfFormat.jobs`), so a worker keeps up to 256 (about
        60 MB): a network of that many clinics prepares each once, not once per edition."""
        from backpub_pdf.branding import Branding

        key = hashlib.sha256(data).digest()
        if key not in self._brandings:
            self._brandings = _recent(self._brandings, key, Branding.of(data), keep=256)
        return self._brandings[key]

    def clinic_of(self, publication: Publication, job: Job) -> Clinic | None:
        clinic = publication.get(job.args["clinic"]) if job.args.get("clinic") else None
        assert clinic is None or isinstance(clinic, Clinic)
        return clinic

    @staticmethod
    def shared_edition(job: Job) -> Edition:
        return Edition(job.args["paper"], job.args["country"])

    # -- packs ---------------------------------------------------------------------------------------

    def pack(self, page: Document, handouts: list[bytes]) -> bytes:
        """A clinic's pack: its cover and contents laid out here, then its handouts' pages as they were written
        (with their tags, bookmarks and links), each with a footer of the pack's: its page in the pack, and the
        pack page of its handout's urgent-help box. The contents give the pack page of each handout and section."""
        from backpub_pdf.packing import Part, assemble

        parts = [Part(data, view.prefix) for view, data in zip(page.handouts, handouts, strict=True)]
        front, footers = self.front_and_footers(page, parts)
        return assemble(front, parts, footers)

    def front_and_footers(self, page: Document, parts: list[Any]) -> tuple[bytes, bytes]:
        """A pack's cover and contents, laid out with the pack page of each of its handouts' anchors, and its
        footers (see `pack_footers`)."""
        from backpub_pdf.packing import PACK_LINK, on_a_new_sheet

        measured = [part.pages_and_anchors() for part in parts]
        words = self.words.gettext("Page %(page)s of %(pages)s")
        # A cover and a page of contents, until a layout says otherwise; packs of the same handouts on the same
        # paper (every clinic's, in a network) take what the last one took, so their fronts are laid out once.
        shape = (page.values["paper"], tuple(part.prefix for part in parts), tuple(count for count, _ in measured))
        front_pages = self._front_pages.get(shape, 2)
        for _attempt in range(3):
            first, pack_pages, starts = on_a_new_sheet(front_pages) + 1, {}, []
            for count, anchors in measured:
                starts.append(first)
                pack_pages.update({anchor: first + number for anchor, number in anchors.items()})
                first += on_a_new_sheet(count)
            page.values.update(
                pack_pages=pack_pages,
                pack_link=PACK_LINK,
                front_footer=css_content(words, page="counter(page)", pages=css_string(f"{first - 1}")),
            )
            front = self.layout(page.html(), *page.located)
            if len(front.pages) == front_pages:
                break
            # The contents took more (or fewer) pages than assumed: every pack page number moves with them.
            front_pages = len(front.pages)
        self._front_pages = _recent(self._front_pages, shape, front_pages)
        footers = self.pack_footers(page, measured, starts, pack_pages, first - 1)
        return self.write(front, *page.located), footers

    def pack_footers(
        self,
        page: Document,
        measured: list[tuple[int, dict[str, int]]],
        starts: list[int],
        pack_pages: dict[str, int],
        total: int,
    ) -> bytes:
        """One page per handout page of a pack, holding only that page's footer as the pack numbers it (an untagged
        PDF: the pack draws each page as a footer artifact)."""
        _ = self.words.gettext
        footers = []
        for view, (count, _anchors), start in zip(page.handouts, measured, starts, strict=True):
            urgent = pack_pages.get(f"{view.prefix}{URGENT_ANCHOR}", start)
            pointer = _("Urgent help: see page %(page)s · Emergency: %(number)s") % {
                "page": urgent,
                "number": page.values["emergency_number"],
            }
            footers += [
                {"pointer": pointer, "label": _("Page %(page)s of %(pages)s") % {"page": start + n, "pages": total}}
                for n in range(count)
            ]
        html = self.env.get_template("pack-footers.html.j2").render(**{**page.values, "footers": footers})
        fetcher = make_fetcher(page.located[0])
        with self.located_errors(fetcher, *page.located[1:]):
            document = self.weasyprint.HTML(
                string=html, base_url=virtual_url("templates", "document.html"), url_fetcher=fetcher
            ).render(stylesheets=self.stylesheets(fetcher), font_config=self.font_config)
            return document.write_pdf()

    def document(self, job: Job, publication: Publication) -> Document:
        """What one job's document shows, ready to be written as HTML (before any layout). A stamped edition's (or
        pack's) is the one a layout of its own would make: what it looks like."""
        kind = job.args["kind"]
        if kind == "branding":
            return self.branding_document(publication, self.clinic_of(publication, job))
        if kind == "shared-pack":
            handouts = [publication.get(handout_id) for handout_id in job.args["handouts"]]
            return self.pack_document(publication, None, handouts, self.shared_edition(job))
        clinic = self.clinic_of(publication, job)
        if kind == "pack":
            assert clinic is not None
            return self.pack_document(publication, clinic, pack_handouts(publication, clinic))
        handout = publication.get(job.args["handout"])
        assert isinstance(handout, Handout)
        if kind == "shared-layout":
            return self.handout_document(publication, handout, None, self.shared_edition(job), shared=True)
        return self.handout_document(publication, handout, clinic, self.edition_of(publication, clinic))

    def pack_document(
        self, publication: Publication, clinic: Clinic | None, contents: list[Handout], edition: Edition | None = None
    ) -> Document:
        """A clinic pack's cover and contents (`pack` gives them the handouts' pages); without a clinic, the shared
        pack's, in `edition`: its cover left empty, stand-ins for the colours."""
        gate, views = self.views(publication)
        handouts = [views.build(handout, prefix=f"{handout.id}--") for handout in contents]
        edition = edition or self.edition_of(publication, clinic)
        title = self.pack_title(publication, clinic) if clinic else publication.programme.title
        parts: dict[str, Any] = {"pack_pages": {}, "pack_link": "#", "front_footer": None}
        values = self.values(publication, views, handouts, clinic, edition, title, parts)
        if clinic is None:
            values.update(self.shared_values())
        located = (gate, publication, views.asset_owners, clinic.id if clinic else contents[0].id)
        return Document(self.env.get_template("pack.html.j2"), values, handouts, located, edition)

    def pack_title(self, publication: Publication, clinic: Clinic) -> str:
        return self.words.gettext("%(programme)s: handouts from %(clinic)s") % {
            "programme": publication.programme.title,
            "clinic": clinic.title,
        }

    def branding_document(self, publication: Publication, clinic: Clinic | None) -> Document:
        """An edition's branding alone (templates/branding.html.j2): a clinic's, or the programme's."""
        gate, views = self.views(publication)
        edition = self.edition_of(publication, clinic)
        values = {
            "programme": publication.programme,
            "clinic": views.clinic(clinic) if clinic else None,
            "title": clinic.title if clinic else publication.programme.title,
            "paper": PAPER[edition.paper],
            "colours": palette(clinic.accent_colour if clinic else self.default_accent),
            "build_time": self.context.build_time.isoformat(timespec="seconds"),
            "site_url": publication.home_url,
            "band_mode": None,
        }
        located = (gate, publication, views.asset_owners, clinic.id if clinic else "")
        return Document(self.env.get_template("branding.html.j2"), values, [], located, edition)

    @staticmethod
    def shared_values() -> dict[str, Any]:
        """What a shared layout is laid out with instead of an edition's branding (see branding.py)."""
        from backpub_pdf.branding import STAND_INS
        from backpub_pdf.view import Palette

        return {"band_mode": "empty", "colours": Palette(**STAND_INS)}

    def edition_of(self, publication: Publication, clinic: Clinic | None) -> Edition:
        """The paper and country of a clinic's editions, or of the unbranded ones."""
        return edition_of(publication, clinic, self.default_paper)

    def handout_document(
        self,
        publication: Publication,
        handout: Handout,
        clinic: Clinic | None,
        edition: Edition,
        probe: bool = False,
        shared: bool = False,
    ) -> Document:
        """One handout's document; a `probe` is its plain edition in `edition`'s paper, stripped of all that
        cannot move its pages (the build time, the colours), so its HTML names its layout; a `shared` one is the
        layout every edition in `edition`'s paper and country is stamped on (branding.py)."""
        gate, views = self.views(publication)
        handouts = [views.build(handout)]
        values = self.values(publication, views, handouts, clinic, edition, handout.title, {})
        if probe:
            values.update(build_time=PROBE_TIME, colours=palette(DEFAULT_ACCENT))
        if shared:
            values.update(self.shared_values())
        located = (gate, publication, views.asset_owners, handout.id)
        return Document(self.env.get_template("handout.html.j2"), values, handouts, located, edition)

    def views(self, publication: Publication) -> tuple[FileGate, HandoutViews]:
        gate = FileGate(self.roots)
        views = HandoutViews(
            publication, as_of=self.context.as_of, qr_image=lambda url: self.qr_image(gate, url), words=self.words
        )
        return gate, views

    def values(
        self,
        publication: Publication,
        views: HandoutViews,
        handouts: list[HandoutView],
        clinic: Clinic | None,
        edition: Edition,
        title: str,
        parts: dict[str, Any],
        owner: Entity | None = None,
    ) -> dict[str, Any]:
        """What the templates receive. A clinic's patients are told where to get help in its country (the edition's);
        the unbranded edition's, in the default one. `owner` is the entity a problem in the programme's texts is
        reported at (default: the first handout)."""
        programme, country = publication.programme, edition.country
        owner = owner or handouts[0].handout
        notice = programme.country(country)
        return {
            "programme": programme,
            "disclaimer": views.markdown(programme.disclaimer_for(country), owner, {}, 2),
            "urgent_help": [views.markdown(part, owner, {}, 2) for part in side_by_side(notice.urgent_help)],
            "emergency_number": notice.emergency_number,
            "introduction": views.markdown(programme.introduction, owner, {}, 2),
            "handouts": handouts,
            "clinic": views.clinic(clinic) if clinic else None,
            "title": title,
            "paper": PAPER[edition.paper],
            "colours": palette(clinic.accent_colour if clinic else self.default_accent),
            "build_time": self.context.build_time.isoformat(timespec="seconds"),
            "site_url": publication.home_url,
            "page_css": page_css(self.words),
            "root_cause": publication.programme.wording.root_cause(self.words),
            "band_mode": None,  # ("empty" in a shared layout: `shared_values`)
            **parts,
        }

    def layout(
        self,
        html: str,
        gate: FileGate,
        publication: Publication,
        owners: dict[str, str],
        fallback: str,
        images: dict[str, Any] | None = None,
    ):
        """The laid-out pages; WeasyPrint's errors and refused URLs become located RenderErrors. `images`: decoded
        images to reuse (and to keep the ones this layout decodes), by URL."""
        fetcher = make_fetcher(gate)
        with self.located_errors(fetcher, publication, owners, fallback):
            return self.weasyprint.HTML(
                string=html, base_url=virtual_url("templates", "document.html"), url_fetcher=fetcher
            ).render(stylesheets=self.stylesheets(fetcher), font_config=self.font_config, cache=images, **PDF_OPTIONS)

    def write(
        self, document: Any, gate: FileGate, publication: Publication, owners: dict[str, str], fallback: str
    ) -> bytes:
        """The PDF's bytes of laid-out pages (a missing alt text is found while writing the tags: located too),
        its running heads marked as the page furniture they are."""
        from backpub_pdf.runningheads import running_heads_as_artifacts

        with self.located_errors(make_fetcher(gate), publication, owners, fallback):
            return running_heads_as_artifacts(document.write_pdf(**PDF_OPTIONS))

    @contextmanager
    def located_errors(
        self, fetcher: Any, publication: Publication, owners: dict[str, str], fallback: str
    ) -> Iterator[None]:
        """WeasyPrint's logged errors and the URLs the fetcher refused, raised as located RenderErrors."""
        from weasyprint.urls import FatalURLFetchingError

        with capture_errors() as errors:
            try:
                yield
            except FatalURLFetchingError as exc:
                refusal = fetcher.refused[-1] if fetcher.refused else None
                raise self.refused(refusal, str(exc), publication, owners, fallback) from None
            except LayoutStopped:
                pass  # reported just below, from the error that stopped it
        if errors:
            raise located_error(errors[0], publication, owners, fallback)

    def stylesheets(self, fetcher) -> list[Any]:
        """The parsed stylesheets (fonts included), made on the first render and reused for every other."""
        if self._stylesheets is None:
            words = self.weasyprint.CSS(string=words_css(self.words), font_config=self.font_config)
            self._stylesheets = [words] + [
                self.weasyprint.CSS(url=url, url_fetcher=fetcher, font_config=self.font_config)
                for url in self.stylesheet_urls
            ]
        return self._stylesheets

    def refused(
        self, refusal: RefusedURL | None, detail: str, publication: Publication, owners: dict[str, str], fallback: str
    ) -> RenderError:
        url = refusal.url if refusal else detail
        entity = owners.get(url, fallback)
        reason = refusal.reason if refusal else detail
        who = "the content" if url in owners else "a PDF template or stylesheet (see theme/pdf/)"
        return RenderError(
            f"{who} refers to {url!r}, which cannot be used: {reason}",
            path=publication.source_of(entity).path,
            entity=entity,
        )

    def qr_image(self, gate: FileGate, url: str) -> str:
        """A vector QR code for `url`, served to WeasyPrint from memory; returns its virtual URL."""
        if url not in self._qr_codes:
            import segno

            buffer = io.BytesIO()
            segno.make(url, error="m", micro=False).save(
                buffer, kind="svg", border=0, dark="#000000", xmldecl=False, title=f"QR code: {url}"
            )
            self._qr_codes[url] = buffer.getvalue()
        image_url = virtual_url("generated", f"qr-{hashlib.sha256(url.encode()).hexdigest()[:16]}.svg")
        gate.generated[image_url] = self._qr_codes[url]
        return image_url


def _recent(cache: dict, key: Hashable, value: Any, keep: int = 256) -> dict:
    """`cache` with `key` set, the oldest entries dropped past `keep` (a worker renders for many clinics)."""
    cache[key] = value
    while len(cache) > keep:
        del cache[next(iter(cache))]
    return cache


@dataclass
class Document:
    """One job's template and the values it is rendered with, and what a layout needs to locate errors."""

    template: Any
    values: dict[str, Any]
    handouts: list[HandoutView]
    located: tuple[FileGate, Publication, dict[str, str], str]
    edition: Edition

    def html(self) -> str:
        """The document's HTML as WeasyPrint lays it out (for a pack, the part its values name)."""
        return self.template.render(**self.values)


# -- WeasyPrint's logged errors ------------------------------------------------------------------------

_URL_IN_MESSAGE = re.compile(r"(?:Image|image at|SVG image) ['\"]?(?P<url>[^'\"\s:]+:[^'\"\s]+)")


class LayoutStopped(Exception):
    """Raised through WeasyPrint when it logs an error, to end a layout whose result would be refused."""


@contextmanager
def capture_errors() -> Iterator[list[logging.LogRecord]]:
    """Collect the errors WeasyPrint logs (unusable images, missing alt text) while a document renders."""
    records: list[logging.LogRecord] = []

    class Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)
            # Stop the layout at the first error: the build fails on it anyway, and laying out a document
            # whose image failed (its alt text in a floated figure, in balanced columns) can take minutes.
            raise LayoutStopped

    logger = logging.getLogger("weasyprint")
    handler = Collector(logging.ERROR)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def located_error(record: logging.LogRecord, publication: Publication, owners: dict[str, str], fallback: str):
    """A RenderError for a logged WeasyPrint error, at the file of the entity whose image or link caused it."""
    message = record.getMessage()
    match = _URL_IN_MESSAGE.search(message)
    url = match["url"] if match else ""
    entity = owners.get(url, fallback)
    text = message
    if url.startswith("file:///backpub/content/"):
        text = message.replace(url, url.removeprefix("file:///backpub/content/"))
    if "has no required alt description" in message:
        text = f"an image has no alt text (a description is required for accessible PDFs): {text}"
    return RenderError(f"WeasyPrint: {text}", path=publication.source_of(entity).path, entity=entity)
