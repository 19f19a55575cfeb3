"""What the handouts say and how they are made: every section's entities, the safety notices, paper, tags, fonts."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest
from pdf_support import AS_OF, flat, page_texts
from pypdf import PdfReader

from backpub import Session, typographic
from backpub.content.publication import Publication
from backpub.model import Concept, Mistake, Principle, Protocol, Treatment
from backpub_pdf import PdfFormat
from backpub_pdf.planning import pack_handouts, shown_entities
from backpub_testkit import FULL_PROGRAMME

PLAIN = "phase-one-first-steps.pdf"
BRANDED_A4 = "harbourside-spine-clinic/phase-one-first-steps.pdf"
BRANDED_LETTER = "maple-street-back-care/sciatica-what-it-is-and-what-to-stop-doing.pdf"
A4 = (595, 842)
QUOTES = "“”‘’"
"""The shipped programme's language's quotation marks, as its PDFs print them."""
LETTER = (612, 792)


@pytest.fixture(scope="module")
def full(full_pdfs: Path) -> tuple[PdfFormat, Publication]:
    """The full test programme (as built for the session), with a PDF format."""
    session = Session(full_pdfs / "content", as_of=AS_OF)
    return session.formats(["pdf"])["pdf"], session.publication


@pytest.fixture(scope="module")
def rendered(full_pdfs: Path) -> Callable[[str], bytes]:
    """An output of the full test programme, as `backpub build` wrote it (rendering is the slow part: once a run)."""
    return lambda output: (full_pdfs / "outputs" / "pdf" / output).read_bytes()


def text_of(data: bytes) -> str:
    """The whole document's text, with ligatures unfolded and whitespace collapsed."""
    return unicodedata.normalize("NFKC", " ".join(page_texts(data)))


def phrases_of(entity, layout: str = "sheet") -> list[str]:
    """Text an entity's entry must print: a sheet's short card, or everything in a booklet; a protocol in full."""
    phrases = [entity.title]
    if isinstance(entity, Concept | Mistake):
        phrases.append(entity.summary)
    if isinstance(entity, Mistake) and layout == "booklet":
        phrases += [entity.feels_good, entity.harms]
    if isinstance(entity, Protocol):
        phrases += [
            entity.purpose,
            *entity.steps,
            *entity.cautions,
            *(value for _, value in (entity.dose.parts() if entity.dose else [])),
        ]
    if isinstance(entity, Treatment):
        # The caveat (whose view the verdict is) travels with the verdict, on a sheet as in a booklet.
        phrases += [entity.what_it_does, *([entity.caveat] if entity.caveat else [])]
        phrases += entity.limitations if layout == "booklet" else []
    if isinstance(entity, Principle):
        phrases.append(entity.statement)
    # (printed with the language's quotation marks)
    return [unicodedata.normalize("NFKC", typographic(flat(phrase), QUOTES)) for phrase in phrases]


@pytest.mark.parametrize("output", [PLAIN, BRANDED_A4, BRANDED_LETTER])
def test_every_section_entity_the_disclaimer_and_urgent_help_are_printed(full, rendered, output):
    _, publication = full
    handout = publication.get(output.rsplit("/", 1)[-1].removesuffix(".pdf"))
    text = text_of(rendered(output))
    for section in handout.sections:
        assert flat(section.heading) in text
        for entity_id in section.entities:
            for phrase in phrases_of(publication.get(entity_id), handout.layout):
                assert phrase in text, f"{entity_id}: {phrase!r} missing from {output}"
    clinic = publication.by_id.get(output.split("/")[0]) if "/" in output else None
    country = clinic.country if clinic else None  # a clinic's edition: its country's notice; else the default's
    for notice in (publication.programme.disclaimer_for(country), publication.programme.country(country).urgent_help):
        for line in notice.splitlines():
            if line.strip():
                printed = typographic(flat(line.strip().removeprefix("- ")), QUOTES)
                assert printed in text, f"{line!r} missing from {output}"


@pytest.mark.parametrize(("output", "size"), [(PLAIN, A4), (BRANDED_A4, A4), (BRANDED_LETTER, LETTER)])
def test_paper_size_follows_the_edition(rendered, output, size):
    pages = PdfReader(BytesIO(rendered(output))).pages
    assert len(pages) >= 2
    for page in pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == size


def test_branded_editions_carry_the_clinic_and_plain_ones_do_not(full, rendered):
    _, publication = full
    clinic = publication.get("harbourside-spine-clinic")
    branded, plain = text_of(rendered(BRANDED_A4)), text_of(rendered(PLAIN))
    for detail in (clinic.title, clinic.phone, clinic.email, "harbourside-spine.example.org"):
        # a long e-mail address may wrap at its hyphen, so compare without spaces
        assert detail.replace(" ", "") in branded.replace(" ", "")
        assert detail.replace(" ", "") not in plain.replace(" ", "")
    with pikepdf.open(BytesIO(rendered(BRANDED_A4))) as pdf:
        assert clinic.logo_alt in alt_texts(pdf.Root.StructTreeRoot), "the logo is shown, described"


def test_a_clinics_phone_number_is_never_broken_across_lines(full, rendered):
    pdf, publication = full
    pdf.prepare(publication)
    job = next(job for job in pdf.jobs(publication) if job.output == BRANDED_A4)
    html = pdf._renderer.document(job, publication).html()
    phone = publication.get("harbourside-spine-clinic").phone
    assert f'<span class="phone">{phone}</span>' in html
    lines = page_texts(rendered(BRANDED_A4))[0].splitlines()
    assert any(phone in line for line in lines), "the number is printed on one line"


def test_footer_numbers_pages_dates_the_review_and_points_to_urgent_help(rendered):
    pages = page_texts(rendered(PLAIN))
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Back In Shape · Content reviewed 1 November 2026" in text
        assert "Urgent help: see page 1" in text


def test_qr_code_links_to_the_episode_page_with_its_address_printed(full, rendered):
    _, publication = full
    url = publication.url_for("sciatica-causes-exercises-and-treatments")
    data = rendered(PLAIN)
    assert url.removeprefix("https://") in text_of(data).replace(" ", "")
    with pikepdf.open(BytesIO(data)) as pdf:
        uris = {str(annot.A.URI) for page in pdf.pages for annot in page.get("/Annots", []) if "/A" in annot}
        assert not list(pdf.pages[-1].get_images()), "the QR code is vector artwork, not a bitmap"
        alts = alt_texts(pdf.Root.StructTreeRoot)
    assert url in uris
    assert f"QR code linking to {url}" in alts


def alt_texts(node, seen=None) -> list[str]:
    """Every /Alt in a structure tree (the descriptions of figures)."""
    seen = seen if seen is not None else set()
    found = []
    if isinstance(node, pikepdf.Array):
        for child in node:
            found += alt_texts(child, seen)
    elif isinstance(node, pikepdf.Dictionary):
        key = node.objgen
        if key != (0, 0) and key in seen:
            return found
        seen.add(key)
        if "/Alt" in node:
            found.append(str(node.Alt))
        if "/K" in node:
            found += alt_texts(node.K, seen)
    return found


def test_do_this_instead_points_into_the_same_handout(rendered):
    """Internal links become PDF destinations, not web links (a sheet's two pages need no page numbers)."""
    data = rendered(PLAIN)
    text = text_of(data)
    assert "Do this instead: The towel stretch" in text
    with pikepdf.open(BytesIO(data)) as pdf:
        internal = [
            annot
            for page in pdf.pages
            for annot in page.get("/Annots", [])
            if "/Dest" in annot or ("/A" in annot and str(annot.A.get("/S")) == "/GoTo")
        ]
    assert internal


@pytest.mark.parametrize("output", [PLAIN, BRANDED_LETTER])
def test_tagged_accessible_pdf_with_language_and_title(full, rendered, output):
    _, publication = full
    handout = publication.get(output.rsplit("/", 1)[-1].removesuffix(".pdf"))
    with pikepdf.open(BytesIO(rendered(output))) as pdf:
        root = pdf.Root
        assert "/StructTreeRoot" in root
        assert bool(root.MarkInfo.Marked) is True
        assert str(root.Lang) == "en-GB"
        assert bool(root.ViewerPreferences.DisplayDocTitle) is True
        assert str(pdf.docinfo.Title) == handout.title
        with pdf.open_metadata() as xmp:
            assert xmp.get("pdfuaid:part") == "1"


def structure_kids(element: pikepdf.Dictionary) -> list[pikepdf.Object]:
    """An element's kids as a list (a single kid may be written bare)."""
    kids = element.get("/K")
    return list(kids) if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]


def structure_tags(node, found: set[str] | None = None) -> set[str]:
    """Every structure type (/S) in a tag tree."""
    found = set() if found is None else found
    if isinstance(node, pikepdf.Array):
        for kid in node:
            structure_tags(kid, found)
    elif isinstance(node, pikepdf.Dictionary):
        if "/S" in node:
            found.add(str(node.S))
        if "/K" in node:
            structure_tags(node.K, found)
    return found


def link_targets(pdf: pikepdf.Pdf) -> list[tuple[int, int]]:
    """(page, target page) of every internal link, 0-based; a named destination the PDF lacks raises KeyError."""
    names = {str(key): value for key, value in pikepdf.NameTree(pdf.Root.Names.Dests).items()}
    targets = []
    for number, page in enumerate(pdf.pages):
        for annot in page.get("/Annots", []):
            dest = annot.get("/Dest") or (annot.A.get("/D") if "/A" in annot else None)
            if dest is None:
                continue
            if not isinstance(dest, pikepdf.Array):
                dest = names[str(dest)]
                dest = dest.D if isinstance(dest, pikepdf.Dictionary) else dest
            targets.append((number, pdf.pages.index(pikepdf.Page(dest[0]))))
    return targets


def test_the_pack_is_tagged_with_language_title_an_outline_per_handout_and_working_links(full, rendered, tmp_path):
    """The pack is assembled from its handouts' PDFs and keeps what makes them accessible: one tag tree over
    every page, its language and title, a bookmark per handout and contents links to the right pages."""
    _, publication = full
    clinic = publication.get("maple-street-back-care")
    order = pack_handouts(publication, clinic)
    data = rendered("maple-street-back-care/pack.pdf")
    pages = [unicodedata.normalize("NFKC", page) for page in page_texts(data)]
    with pikepdf.open(BytesIO(data)) as pdf:
        root = pdf.Root
        assert bool(root.MarkInfo.Marked) is True
        assert str(root.Lang) == "en-GB"
        assert bool(root.ViewerPreferences.DisplayDocTitle) is True
        assert str(pdf.docinfo.Title) == f"{publication.programme.title}: handouts from {clinic.title}"
        with pdf.open_metadata() as xmp:
            assert xmp.get("pdfuaid:part") == "1"
        tags = structure_tags(root.StructTreeRoot.K)
        assert {"/Document", "/H1", "/H2", "/P", "/L", "/LI", "/Link", "/Figure"} <= tags
        # One Document element: the cover and contents, then each handout as a Part of it.
        document = root.StructTreeRoot.K
        document = document[0] if isinstance(document, pikepdf.Array) else document
        assert str(document.S) == "/Document"
        handout_parts = [kid for kid in document.K if str(kid.get("/S")) == "/Part"]
        assert len(handout_parts) == len(order)
        assert all(part.P.objgen == document.objgen for part in handout_parts)
        # Every page's marked content and every link is in the one tag tree: the parent tree maps each page's
        # key to elements on that page, and each link's key to the element that holds it.
        parents = dict(pikepdf.NumberTree(root.StructTreeRoot.ParentTree).items())
        for page in pdf.pages:
            if "/StructParents" not in page.obj:
                assert page.obj.Contents.read_bytes() == b"", "only a blank back of a sheet has nothing tagged"
                continue
            # (The page's running heads are artifacts: their marked-content ids map to nothing.)
            elements = [element for element in parents[int(page.obj.StructParents)] if element is not None]
            assert all(element.Pg.objgen == page.obj.objgen for element in elements if "/Pg" in element)
            for annot in page.get("/Annots", []):
                holder = parents[int(annot.StructParent)]
                assert any(
                    isinstance(kid, pikepdf.Dictionary)
                    and kid.get("/Obj") is not None
                    and kid.Obj.objgen == annot.objgen
                    for kid in structure_kids(holder)
                ), "a link's tag holds the link"
        with pdf.open_outline() as outline:
            titles = [item.title for item in outline.root]
            starts = {item.title: pdf.pages.index(pikepdf.Page(item.destination[0])) for item in outline.root}
        assert [title for title in titles if title in {h.title for h in order}] == [h.title for h in order]
        links = link_targets(pdf)
    contents_links = sorted({target for source, target in links if source == 1})
    pack = tmp_path / "pack.pdf"
    pack.write_bytes(data)
    check = subprocess.run(["qpdf", "--check", str(pack)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    for handout in order:
        # The bookmark and the contents line both lead to the page where the handout's title is printed first.
        first = next(number for number, text in enumerate(pages) if number > 1 and handout.title in text)
        assert starts[handout.title] == first, handout.id
        assert first in contents_links, handout.id
    assert all(target > 1 for target in contents_links)


@pytest.mark.parametrize("output", [PLAIN, BRANDED_A4])
def test_every_font_is_embedded(rendered, output):
    with pikepdf.open(BytesIO(rendered(output))) as pdf:
        fonts = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font"]
        assert fonts
        for font in fonts:
            if font.get("/Subtype") == "/Type3":
                continue  # drawn glyphs, nothing to embed
            descriptor = font.DescendantFonts[0].FontDescriptor if "/DescendantFonts" in font else font.FontDescriptor
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), font.BaseFont
            assert "Lato" in str(font.BaseFont)


def test_clinic_pack_has_a_cover_contents_with_true_page_numbers_and_every_handout(full, rendered):
    _, publication = full
    pages = [unicodedata.normalize("NFKC", page) for page in page_texts(rendered("maple-street-back-care/pack.pdf"))]
    assert "Maple Street Back Care" in pages[0] and "PATIENT HANDOUTS" in pages[0].upper()
    contents = pages[1]
    assert "Contents" in contents
    clinic = publication.get("maple-street-back-care")
    order = pack_handouts(publication, clinic)
    assert sorted(handout.id for handout in order) == sorted(handout.id for handout in publication.handouts)
    first_shown = shown_entities(publication, order[0])
    assert not any(isinstance(entity, Protocol) for entity in first_shown), "the introductory handout comes first"
    listed = [contents.index(handout.title) for handout in order]
    assert listed == sorted(listed), "the contents follow the pack's order"
    starts = []
    for handout in order:
        found = [number for number, text in enumerate(pages, start=1) if handout.title in text and number > 2]
        assert found, f"{handout.id} is in the pack"
        starts.append(found[0])
        listed_page = contents.split(handout.title, 1)[1]
        assert listed_page.replace(".", "").split()[0] == str(found[0]), (
            f"contents give the right page for {handout.id}"
        )
    assert starts == sorted(starts)
    # The contents give the pack's total. Each handout's pages are its clinic edition's, but for their footers:
    # the pack numbers its pages, and points to the pack page of the handout's urgent-help box (its first).
    assert f"Page 2 of {len(pages)}" in contents
    for handout, start, end in zip(order, starts, [*starts[1:], len(pages) + 1], strict=True):
        edition = [
            unicodedata.normalize("NFKC", text) for text in page_texts(rendered(f"{clinic.id}/{handout.id}.pdf"))
        ]
        for number, (in_pack, alone) in enumerate(zip(pages[start - 1 :], edition, strict=False), start=start):
            emergency = f"Emergency: {publication.programme.country(clinic.country).emergency_number}"
            alone_footer = f"Urgent help: see page 1 · {emergency} Page {edition.index(alone) + 1} of {len(edition)}"
            pack_footer = f"Urgent help: see page {start} · {emergency} Page {number} of {len(pages)}"
            assert alone_footer in alone and alone_footer not in in_pack, handout.id
            assert in_pack.replace(pack_footer, alone_footer) == alone, (handout.id, number)
        assert all(not text.strip() for text in pages[start - 1 + len(edition) : end - 1]), "only a blank back"
    assert sum(text.count("When to get urgent help") for text in pages) == len(publication.handouts)


def test_the_pack_follows_the_clinics_own_list_when_it_gives_one(full):
    _, publication = full
    clinic = publication.get("maple-street-back-care")
    chosen = [handout.id for handout in reversed(publication.handouts)]
    listed = clinic.model_copy(update={"handouts": chosen})
    assert [handout.id for handout in pack_handouts(publication, listed)] == chosen


EDITIONS = ["", "harbourside-spine-clinic/", "maple-street-back-care/"]


def full_handouts() -> list[str]:
    return sorted(path.stem for path in (FULL_PROGRAMME / "handouts").glob("*.md"))


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("handout", full_handouts())
def test_every_handout_keeps_to_its_sheets_with_urgent_help_on_page_1(full, rendered, tmp_path, edition, handout):
    _, publication = full
    sheets = publication.get(handout).sheets
    pdf = tmp_path / "handout.pdf"
    pdf.write_bytes(rendered(f"{edition}{handout}.pdf"))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    assert pages <= 2 * sheets, f"{edition}{handout}.pdf has {pages} pages: more than its {sheets} sheets"
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "When to get urgent help" in first


def test_the_editions_cover_a4_and_letter(full):
    _, publication = full
    assert {clinic.paper for clinic in publication.clinics} == {"A4", "Letter"}
    assert [f"{clinic.id}/" for clinic in publication.clinics] == EDITIONS[1:]
