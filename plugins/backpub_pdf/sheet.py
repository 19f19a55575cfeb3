"""A prescription's sheet, typeset by Typst (templates/prescription.typ) as tagged PDF/UA-1, in memory.

A sheet is printed while a clinician waits, for one patient, many times a day: WeasyPrint, which lays out the
handouts, took about 0.4 s of CPU for a 5-page sheet; Typst, through its Python binding, takes a few tens of
milliseconds, with its compiler (fonts, the template, the pictures it has read) reused for every sheet.

What the sheet shows is the handouts' view of the protocols (view.py: the dose box with the parts set for the
patient marked, the cautions, the picture, the QR code of each exercise's page), turned into one JSON value that
reaches Typst in memory (`sys.inputs`): nothing of a prescription is written to a file. Texts are passed as strings,
which Typst prints as text; content Markdown (the urgent-help notice, the disclaimer) as a tree of nodes.

The QR codes are kept by URL for the process's life: they hold a page of the programme's site, never anything of
a prescription. Typst keeps what it read from files (pictures, fonts) likewise; a sheet itself is not kept.

Typst's compiler runs threads of its own once it has compiled: a process must not fork after a sheet (the clinic
service forks its render workers first, backpub_clinic/sheets.py).
"""

from __future__ import annotations

import functools
import io
import json
import re
import threading
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from backpub import (
    BuildContext,
    Messages,
    Publication,
    RenderError,
    ResolvedPrescription,
    typographic_text,
)
from backpub_pdf.budget import edition_of
from backpub_pdf.fetching import VIRTUAL_PREFIX
from backpub_pdf.fonts import font_roots
from backpub_pdf.view import DoseBox, Entry, HandoutViews, Link, Picture, palette, side_by_side

TEMPLATE = Path(__file__).resolve().parent / "templates" / "prescription.typ"
PAPER = {"A4": "a4", "Letter": "us-letter"}
CONTENT_URL = f"{VIRTUAL_PREFIX}content/"
"""How view.py names a file of the content folder (Typst's root, where the sheet finds it as `/<path>`)."""
BLANK = "\x00"
"""Stands for a write-in line inside a message while it is split into the pieces the template draws."""


class Sheets:
    """One per process: Typst's compiler, the template and the QR codes of the programme's pages, reused."""

    def __init__(self, context: BuildContext, words: Messages, default_paper: str) -> None:
        self.context = context
        self.words = words
        self.default_paper = default_paper
        themed = context.theme_dir("pdf") / TEMPLATE.name
        self.template = (themed if themed.is_file() else TEMPLATE).read_bytes()  # a project's theme may replace it
        self.typographic = typographic_text(words.quotes())
        self._qr_codes: dict[str, str] = {}
        self._lock = threading.Lock()  # one compiler, one sheet at a time (it cannot be shared by threads)

    @functools.cached_property
    def compiler(self) -> Any:
        import typst

        fonts = [str(folder) for folder in font_roots().values() if folder.is_dir()]
        return typst.Compiler(root=str(self.context.content_dir), font_paths=fonts, ignore_system_fonts=True)

    def render(self, prescribed: ResolvedPrescription, publication: Publication) -> bytes:
        """The sheet's PDF bytes. A RenderError when Typst refuses it (a picture it cannot read, say)."""
        import typst

        sheet = json.dumps(self.data(prescribed, publication), ensure_ascii=False)
        with self._lock:
            try:
                return bytes(
                    self.compiler.compile(
                        input=self.template, format="pdf", sys_inputs={"sheet": sheet}, pdf_standards=["ua-1"]
                    )
                )
            except typst.TypstError as exc:
                raise RenderError(f"Typst could not make the prescription sheet: {exc}") from None

    # -- what the template receives ----------------------------------------------------------------

    def data(self, prescribed: ResolvedPrescription, publication: Publication) -> dict[str, Any]:
        """Everything the sheet prints, as JSON: words in the programme's language, texts typographic."""
        _ = self.words.gettext
        clinic = prescribed.clinic
        programme = publication.programme
        edition = edition_of(publication, clinic, self.default_paper)
        views = HandoutViews(publication, as_of=self.context.as_of, qr_image=self.qr_code, words=self.words)
        view = views.prescription(prescribed, _("Your exercises"))
        entries = view.sections[0].entries
        notice = programme.country(edition.country)
        language, _dash, region = programme.language.partition("-")
        colours = palette(clinic.accent_colour)
        patient = _("Exercises for %(patient)s") % {"patient": view.patient} if view.patient else _("Your exercises")
        reviewed = None
        if view.reviewed_text:
            reviewed = " ".join(
                (
                    _(
                        "Exercises clinically reviewed by %(reviewer)s; content reviewed %(date)s. "
                        "Next review due by %(due)s."
                    )
                    % {"reviewer": view.reviewers, "date": view.reviewed_text, "due": view.review_due_text},
                    _("Published by %(publisher)s.") % {"publisher": programme.publisher.rstrip(".")},
                )
            )
        logo = views.clinic(clinic).logo
        data = {
            "title": _("Home exercises from %(clinic)s") % {"clinic": clinic.title},
            "author": clinic.title,
            "lang": language,
            "region": region or None,
            "paper": PAPER[edition.paper],
            "colours": {"accent": colours.accent, "ink": colours.ink, "tint": colours.tint},
            "running": {
                "left": f"{programme.title} · " + _("Prescribed %(date)s") % {"date": view.date_text},
                "first": _("Home exercises"),
                "other": clinic.title,
                "pointer": _("Urgent help: see page %(page)s · Emergency: %(number)s")
                % {"page": 1, "number": notice.emergency_number},
                "page": _("Page %(page)s of %(pages)s") % {"page": "{page}", "pages": "{pages}"},
            },
            "clinic": {
                "name": clinic.title,
                "address": clinic.address,
                "phone": clinic.phone,
                "website": clinic.website,
                "website_printed": clinic.website.split("://", 1)[-1].rstrip("/"),
                "email": clinic.email or None,
                "logo": self.picture(logo) if logo else None,
                "labels": {"phone": _("Phone"), "web": _("Web"), "email": _("Email")},
            },
            "heading": patient,
            "prescribed_by": _("Prescribed by %(clinician)s on %(date)s.")
            % {"clinician": view.clinician, "date": view.date_text},
            "lead": self.words.ngettext(
                "Do this exercise at the dose in its box: your clinician set the parts marked “Set for you”.",
                "Do these exercises at the dose in each box: your clinician set the parts marked “Set for you”.",
                len(entries),
            ),
            "urgent": {
                "heading": _("When to get urgent help"),
                "parts": emergency_line_bold(
                    [html_nodes(views.markdown(part, clinic, {}, 2)) for part in side_by_side(notice.urgent_help)]
                ),
            },
            "glance": {
                "heading": view.sections[0].heading,
                "exercise": _("Exercise"),
                "dose": _("Your dose"),
                "rows": [self.glance_row(entry) for entry in entries],
            },
            "exercises": [self.exercise(entry, view.clinician) for entry in entries],
            "closing": {
                "heading": _("About this sheet"),
                "disclaimer": html_nodes(views.markdown(programme.disclaimer_for(edition.country), clinic, {}, 2)),
                "review": reviewed,
            },
        }
        return self.typeset_texts(data)

    def typeset_texts(self, value: Any) -> Any:
        """Every string made typographic (quotation marks and apostrophes of the programme's language), as the
        handouts' templates print theirs; addresses stay as they are."""
        if isinstance(value, str):
            return self.typographic(value)
        if isinstance(value, list):
            return [self.typeset_texts(item) for item in value]
        if isinstance(value, dict):
            return {key: value if key in _VERBATIM else self.typeset_texts(value) for key, value in value.items()}
        return value

    def glance_row(self, entry: Entry) -> dict[str, Any]:
        """Page 1's line for an exercise: its title (a link to its card) and its dose, each part with its label."""
        _ = self.words.gettext
        dose = entry.dose or DoseBox([], None)
        return {
            "title": entry.entity.title,
            "anchor": entry.anchor or entry.key,
            "parts": [{"label": label, "value": value} for label, value in dose.parts],
            "written_in": _("Written in by your clinician"),
        }

    def exercise(self, entry: Entry, clinician: str) -> dict[str, Any]:
        """One exercise's card, whole (a members-only protocol is never prescribed: the prescription is refused)."""
        _ = self.words.gettext
        protocol: Any = entry.entity
        online = entry.online
        sequence = [
            {"label": label, "links": [self.link(link) for link in links]}
            for label, links in ((_("First:"), entry.before), (_("When you are ready:"), entry.next_steps))
            if links
        ]
        return {
            "title": protocol.title,
            "anchor": entry.anchor or entry.key,
            "purpose": protocol.purpose,
            "dose": self.dose(entry.dose or DoseBox([], "both")),
            "note": {"title": _("Note from %(clinician)s") % {"clinician": clinician}, "text": entry.note}
            if entry.note
            else None,
            "cautions": {"title": _("Before you start"), "items": list(protocol.cautions)}
            if protocol.cautions
            else None,
            "sequence": sequence,
            "online": {
                "label": online.label,
                "url": online.url,
                "printed": online.printed,
                "qr": self._qr_codes[online.url],
                "alt": _("QR code linking to %(url)s") % {"url": online.url},
            }
            if online
            else None,
            "image": self.picture(entry.image) if entry.image else None,
            "equipment": {"title": _("You need:"), "items": list(protocol.equipment)} if protocol.equipment else None,
            "steps": list(protocol.steps),
        }

    def dose(self, box: DoseBox) -> dict[str, Any]:
        """The dose box: each part with its label, the parts set for the patient marked with the programme's own."""
        _ = self.words.gettext
        parts = []
        for index, (label, value) in enumerate(box.parts):
            mark = None
            if index in box.changes:
                theirs = box.changes[index]
                mark = _("Set for you (programme: %(value)s)") % {"value": theirs} if theirs else _("Set for you")
            parts.append({"label": label, "value": value, "mark": mark})
        return {"parts": parts, "write_in": self.write_in(box.write_in)}

    def write_in(self, kind: str | None) -> list[str | None] | None:
        """The write-in line's words, split where the clinician writes (None in the list: a blank line)."""
        _ = self.words.gettext
        if kind is None:
            return None
        if kind == "both":
            text = _("Your dose: %(count)s times, %(often)s times a day") % {"count": BLANK, "often": BLANK}
        elif kind == "times-a-day":
            text = _("Your dose: %(often)s times a day") % {"often": BLANK}
        else:
            text = _("Your dose: %(count)s times") % {"count": BLANK}
        pieces: list[str | None] = []
        for number, piece in enumerate(text.split(BLANK)):
            if number:
                pieces.append(None)
            if piece:
                pieces.append(piece)
        return pieces

    def link(self, link: Link) -> dict[str, str]:
        return {"title": link.title, "href": link.href}

    def picture(self, picture: Picture) -> dict[str, Any]:
        return {"src": content_path(picture.url), "alt": picture.alt, "caption": picture.caption}

    def qr_code(self, url: str) -> str:
        """A QR code of a page of the programme's site, as SVG, made once per process; `url` names it."""
        if url not in self._qr_codes:
            import segno

            buffer = io.BytesIO()
            segno.make(url, error="m", micro=False).save(buffer, kind="svg", border=0, dark="#000000", xmldecl=False)
            self._qr_codes[url] = buffer.getvalue().decode("utf-8")
        return url


_VERBATIM = frozenset({"qr", "src", "href", "url", "website", "email", "printed", "colours", "paper", "lang", "region"})
"""Keys whose strings are addresses, codes or names of things, never text to make typographic."""


def content_path(url: str) -> str:
    """A content file's path from Typst's root (the content folder), from its virtual URL (view.py)."""
    if not url.startswith(CONTENT_URL):
        raise RenderError(f"the prescription sheet can only show the content's own pictures, not {url!r}")
    return "/" + url.removeprefix(CONTENT_URL)


# -- content Markdown (as sanitised HTML) as a tree of nodes the template prints --------------------------------

_BLOCKS = {"p": "p", "ul": "ul", "ol": "ol", "li": "li"}
_INLINES = {"strong": "b", "b": "b", "em": "i", "i": "i", "a": "a"}
_HEADINGS = {f"h{level}": level for level in range(1, 7)}


class _Nodes(HTMLParser):
    """Reads the Markdown renderer's sanitised HTML into nested {"t": kind, "c": children} nodes and strings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: dict[str, Any] = {"t": "root", "c": []}
        self.open: list[dict[str, Any]] = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "br":
            self.open[-1]["c"].append({"t": "br"})
            return
        if tag == "img":
            src = attributes.get("src") or ""
            self.open[-1]["c"].append({"t": "img", "src": content_path(src), "alt": attributes.get("alt") or ""})
            return
        node: dict[str, Any] = {"t": _BLOCKS.get(tag) or _INLINES.get(tag) or "span", "c": []}
        if tag in _HEADINGS:
            node.update(t="h", level=_HEADINGS[tag])
        if tag == "a":
            node["href"] = attributes.get("href") or ""
        self.open[-1]["c"].append(node)
        self.open.append(node)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("br", "img") or len(self.open) == 1:
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        # As HTML reads: a run of white space (a Markdown line break among them) is one space.
        if data.strip() or self.open[-1]["t"] not in ("root", "ul", "ol"):
            self.open[-1]["c"].append(re.sub(r"\s+", " ", data))


def emergency_line_bold(parts: list[list[Any]]) -> list[list[Any]]:
    """The urgent-help notice's parts, its first paragraph (when to call the emergency number) in bold, as the
    handouts print it."""
    first = parts[0][0] if parts and parts[0] else None
    if isinstance(first, dict) and first["t"] == "p":
        parts[0][0] = {"t": "p", "c": [{"t": "b", "c": first["c"]}]}
    return parts


def html_nodes(html: str) -> list[Any]:
    """Sanitised HTML as nodes; a list item's text without blocks is wrapped as it reads."""
    parser = _Nodes()
    parser.feed(str(html))
    parser.close()
    return parser.root["c"]
