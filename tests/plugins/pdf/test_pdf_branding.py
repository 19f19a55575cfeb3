"""Stamped editions and packs (`formats.pdf.branding: stamped`, the default; branding.py): one layout of a handout
for every edition in its paper and country, each edition's branding put over it. Every PDF of the full test
programme keeps what makes it accessible (tags with the clinic's details as tagged text, language, title and
metadata, outline, links and the QR code's target, qpdf's check), and a stamped edition or pack looks as a layout
of its own would."""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pikepdf
import pytest
from pdf_support import AS_OF, replace_in
from PIL import Image, ImageChops
from pypdf import PdfReader

from backpub import Clinic, Session
from backpub.testing import render_output
from backpub_pdf import PdfFormat
from backpub_pdf.planning import pack_handouts

COMPARED = (
    "harbourside-spine-clinic/phase-one-first-steps.pdf",  # A4, a logo, an e-mail address
    "maple-street-back-care/rebuilding-for-the-long-term.pdf",  # Letter
    "phase-one-first-steps.pdf",  # unbranded: the programme's band
    "maple-street-back-care/pack.pdf",  # a pack: the clinic's cover, a band on every handout
)


@pytest.fixture(scope="module")
def session(full_pdfs: Path) -> Session:
    return Session(full_pdfs / "content", as_of=AS_OF)


@pytest.fixture(scope="module")
def laid_out(full_pdfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], bytes]:
    """An output of the full test programme as `branding: laid-out` makes it: each edition and pack laid out for its
    clinic (what a stamped one must look like)."""
    project = tmp_path_factory.mktemp("laid-out")
    shutil.copytree(full_pdfs / "content", project / "content")
    replace_in(project / "content/programme.yaml", "formats:\n", "formats:\n  pdf:\n    branding: laid-out\n")
    session = Session(project / "content", as_of=AS_OF)
    pdf = session.formats(["pdf"])["pdf"]
    pdf.prepare(session.publication)
    return functools.cache(lambda output: render_output(pdf, session.publication, output))


def stamped_outputs(full_pdfs: Path) -> Iterator[Path]:
    yield from sorted((full_pdfs / "outputs" / "pdf").rglob("*.pdf"))


def pngs(data: bytes, folder: Path, name: str) -> list[Image.Image]:
    (folder / f"{name}.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(folder / f"{name}.pdf"), str(folder / name)], check=True)
    return [Image.open(path).convert("L") for path in sorted(folder.glob(f"{name}-*.png"))]


@pytest.mark.parametrize("output", COMPARED)
def test_a_stamped_edition_or_pack_looks_like_its_own_layout_and_has_its_tags_outline_and_links(
    full_pdfs, laid_out, output, tmp_path
):
    edition = (full_pdfs / "outputs" / "pdf" / output).read_bytes()
    whole = laid_out(output)
    ours, theirs = pngs(edition, tmp_path, "stamped"), pngs(whole, tmp_path, "whole")
    assert len(ours) == len(theirs) >= 2
    for page, (mine, other) in enumerate(zip(ours, theirs, strict=True), 1):
        different = sum(ImageChops.difference(mine, other).histogram()[33:])  # pixels more than 32 grey levels apart
        # Only the anti-aliasing of some glyphs' edges differs (the fonts are subset apart): under 0.1% of a page.
        assert different < 0.001 * mine.width * mine.height, f"page {page}: {different} pixels differ"
    with pikepdf.open(io.BytesIO(edition)) as pdf, pikepdf.open(io.BytesIO(whole)) as own:
        assert shape(pdf.Root.StructTreeRoot.K) == shape(own.Root.StructTreeRoot.K)
        assert str(pdf.Root.Lang) == str(own.Root.Lang)
        assert (str(pdf.docinfo.Title), str(pdf.docinfo.Author)) == (str(own.docinfo.Title), str(own.docinfo.Author))
        with pdf.open_outline() as ours_outline, own.open_outline() as their_outline:
            assert titles(ours_outline.root) == titles(their_outline.root)
        assert sorted(targets(pdf)) == sorted(targets(own))


def shape(node: pikepdf.Object, depth: int = 0) -> list[tuple]:
    """The tag tree as (depth, type, alt text, marked-content items, link targets), in reading order."""
    found: list[tuple] = []
    for element in _listed(node):
        if not isinstance(element, pikepdf.Dictionary) or "/S" not in element:
            continue
        kids = _listed(element.get("/K"))
        marked = [kid for kid in kids if isinstance(kid, int) or str(kid.get("/Type", "")) == "/MCR"]
        links = [_target(kid.Obj) for kid in kids if isinstance(kid, pikepdf.Dictionary) and "/Obj" in kid]
        found.append((depth, str(element.S), str(element.get("/Alt", "")), len(marked), tuple(links)))
        found += shape(element.get("/K"), depth + 1)
    return found


def titles(items) -> list:
    return [(item.title, titles(item.children)) for item in items]


def targets(pdf: pikepdf.Pdf) -> list[str]:
    return [_target(annotation) for page in pdf.pages for annotation in page.get("/Annots", [])]


def _listed(value) -> list:
    return [] if value is None else list(value) if isinstance(value, pikepdf.Array) else [value]


def _target(annotation: pikepdf.Dictionary) -> str:
    return str(annotation.A.URI) if "/A" in annotation else str(annotation.get("/Dest", ""))


# -- every PDF of the build ---------------------------------------------------------------------------------


def test_every_edition_and_pack_is_tagged_titled_and_linked_with_the_clinics_details_as_tagged_text(
    full_pdfs, session, tmp_path
):
    """Every PDF the (stamped) build made: qpdf's check; /Lang, the title and author in the document information and
    the XMP metadata (PDF/UA); every marked-content sequence on a page or in a form drawn on it belongs to an element
    of the tag tree that refers back to it, and every link to an element that holds it; the clinic's name, address,
    phone, website and e-mail address as tagged text on its band (and its pack's cover); its links, and each
    handout's QR code's target; a bookmark for each handout."""
    publication = session.publication
    pdf_format = session.formats(["pdf"])["pdf"]
    assert isinstance(pdf_format, PdfFormat) and pdf_format.options.branding == "stamped"
    pdf_format.prepare(publication)
    jobs = {job.output: job for job in pdf_format.jobs(publication)}
    checked = 0
    for path in stamped_outputs(full_pdfs):
        output = path.relative_to(full_pdfs / "outputs" / "pdf").as_posix()
        check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, output + check.stdout + check.stderr
        document = pdf_format._renderer.document(jobs[output], publication)
        clinic = publication.get(output.split("/")[0]) if "/" in output else None
        assert clinic is None or isinstance(clinic, Clinic)
        with pikepdf.open(path) as pdf:
            assert str(pdf.Root.Lang) == publication.programme.language, output
            assert bool(pdf.Root.MarkInfo.Marked) and bool(pdf.Root.ViewerPreferences.DisplayDocTitle), output
            author = clinic.title if clinic else publication.programme.publisher
            assert (str(pdf.docinfo.Title), str(pdf.docinfo.Author)) == (document.values["title"], author), output
            with pdf.open_metadata() as xmp:
                assert xmp.get("pdfuaid:part") == "1", output
                assert (xmp.get("dc:title"), xmp.get("dc:creator")) == (document.values["title"], [author]), output
            with pdf.open_outline() as outline:
                bookmarks = [item.title for item in outline.root]
            assert bookmarks[-len(document.handouts) :] == [view.title for view in document.handouts], output
            tagged = tagged_texts(pdf)
            links = set(targets(pdf))
        assert {view.qr.url for view in document.handouts} <= links, output
        if clinic is not None:
            details = [clinic.title, clinic.address, clinic.phone, clinic.website.split("://")[1].rstrip("/")]
            details += [clinic.email] if clinic.email else []
            bands = pack_handouts(publication, clinic) if output.endswith("/pack.pdf") else [None]
            for detail in details:
                # On every band (a pack: each handout's, and its cover), as text a screen reader is given.
                assert tagged.count(" ".join(detail.split())) >= len(bands), (output, detail)
            assert clinic.website in links and (not clinic.email or f"mailto:{clinic.email}" in links), output
        checked += 1
    assert checked == 11  # 3 handouts unbranded, and each clinic's 3 editions and pack


def tagged_texts(pdf: pikepdf.Pdf) -> str:
    """The text of every marked-content sequence that the tag tree holds, on the pages and in the forms drawn on
    them, checking on the way that the tree and its parent tree agree about each of them and about each link."""
    tree = pdf.Root.StructTreeRoot
    parents = {int(key): value for key, value in pikepdf.NumberTree(tree.ParentTree).items()}
    elements = {element.objgen for element in _elements(tree.K)}
    texts: list[str] = []
    for page in pdf.pages:
        holders = [(page.obj, None)] if "/StructParents" in page.obj else []
        xobjects = page.obj.get("/Resources", {}).get("/XObject", {})
        drawn = set(re.findall(rb"/([^\s/]+)\s+Do\b", b"\n".join(s.read_bytes() for s in _listed(page.obj.Contents))))
        holders += [
            (form, form) for name, form in xobjects.items() if "/StructParents" in form and name[1:].encode() in drawn
        ]
        for holder, form in holders:
            by_mcid = parents[int(holder.StructParents)]
            for mcid, text in marked_texts(pdf, page, form).items():
                element = by_mcid[mcid]
                if element is None:
                    continue  # (a running head: an artifact)
                assert element.objgen in elements, "a marked-content sequence's element is not in the tag tree"
                assert any(_refers_to(kid, mcid, page, form) for kid in _listed(element.K)), (mcid, element.S)
                texts.append(text)
        for annotation in page.obj.get("/Annots", []):
            holder = parents[int(annotation.StructParent)]
            assert holder.objgen in elements, "a link's element is not in the tag tree"
            assert any(
                isinstance(kid, pikepdf.Dictionary) and "/Obj" in kid and kid.Obj.objgen == annotation.objgen
                for kid in _listed(holder.K)
            ), "every link is tagged"
    return " ".join(" ".join(texts).split())


def _refers_to(kid, mcid: int, page: pikepdf.Page, form) -> bool:
    if isinstance(kid, int):
        return form is None and kid == mcid
    if not isinstance(kid, pikepdf.Dictionary) or "/MCID" not in kid or int(kid.MCID) != mcid:
        return False
    if form is None:
        return "/Stm" not in kid and ("/Pg" not in kid or kid.Pg.objgen == page.obj.objgen)
    return kid.get("/Stm") is not None and kid.Stm.objgen == form.objgen and kid.Pg.objgen == page.obj.objgen


def _elements(node) -> Iterator[pikepdf.Dictionary]:
    for element in _listed(node):
        if isinstance(element, pikepdf.Dictionary) and "/S" in element:
            yield element
            yield from _elements(element.get("/K"))


def marked_texts(pdf: pikepdf.Pdf, page: pikepdf.Page, form: pikepdf.Stream | None) -> dict[int, str]:
    """The text of each marked-content sequence (by MCID) a page, or a form drawn on it, draws."""
    with pikepdf.new() as scratch:
        blank = scratch.add_blank_page(page_size=(float(page.mediabox[2]), float(page.mediabox[3])))
        source = scratch.copy_foreign(form if form is not None else page.obj)
        resources = pikepdf.Dictionary({key: value for key, value in source.Resources.items()})
        if "/XObject" in resources:
            # (a page's own marked content only: the tagged forms drawn on it are read apart, with their own MCIDs)
            resources.XObject = pikepdf.Dictionary(
                {name: xobject for name, xobject in resources.XObject.items() if "/StructParents" not in xobject}
            )
        blank.obj.Resources = resources
        contents = source.Contents if form is None else source
        streams = _listed(contents) if form is None else [contents]
        blank.obj.Contents = scratch.make_stream(b"\n".join(stream.read_bytes() for stream in streams))
        out = io.BytesIO()
        scratch.save(out)
    texts: dict[int, str] = {}
    open_ids: list[int | None] = []

    def operator(op: bytes, args: list, *_) -> None:
        if op == b"BDC":
            properties = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
            mcid = properties.get("/MCID")
            open_ids.append(None if mcid is None else int(mcid))
        elif op == b"BMC":
            open_ids.append(None)
        elif op == b"EMC" and open_ids:
            open_ids.pop()

    def text(found: str, *_) -> None:
        mcid = next((value for value in reversed(open_ids) if value is not None), None)
        if mcid is not None:
            texts[mcid] = texts.get(mcid, "") + found

    PdfReader(out).pages[0].extract_text(visitor_operand_before=operator, visitor_text=text)
    return texts


def test_a_stamper_kept_open_stamps_each_edition_byte_for_byte_as_a_fresh_one(full_pdfs, monkeypatch):
    """A worker keeps a shared layout open for the editions stamped on it (`Stamper`), undoing each stamp: whatever
    it stamped before (another clinic, the same clinic again, a reopening), an edition's bytes are a fresh stamp's,
    so the local pool and a Dask cluster, whose workers get the jobs in other orders, write the same files."""
    from backpub_pdf.branding import PALETTE, Branding, Stamper, stamp

    shared, packs, brandings = [], [], []
    for path in sorted((full_pdfs / ".backpub/cache/intermediates/pdf").iterdir()):
        data = path.read_bytes()
        with pikepdf.open(io.BytesIO(data)) as pdf:
            parts = any(str(kid.get("/S", "")) == "/Part" for kid in _listed(_listed(pdf.Root.StructTreeRoot.K)[0].K))
            coloured = any(PALETTE in page.Resources.get("/ColorSpace", {}) for page in pdf.pages)
            pages = len(pdf.pages)
        (packs if parts else shared if coloured else brandings).append((data, pages))
    clinics = [data for data, pages in brandings if pages > 2]  # (the programme's has its band alone)
    assert shared and packs and len(clinics) == 2 and len(brandings) == 3
    colours = [{"accent": "#1f5fa8", "ink": "#1a1a1a", "tint": "#eef3fa"}, {"accent": "#8a2b0d", "ink": "#222222", "tint": "#fbeee9"}]  # fmt: skip
    monkeypatch.setattr(Stamper, "REOPEN_AFTER", 3)
    for base, title, order in [
        (shared[0][0], None, [clinics[0], clinics[1], clinics[1], brandings[0][0], clinics[0]]),
        (packs[0][0], "A clinic's pack", [clinics[0], clinics[1], clinics[0], clinics[0]]),
    ]:
        prepared = {data: Branding.of(data) for data in order}
        stamper = Stamper(base)
        for number, data in enumerate(order):
            kept_open = stamper.stamp(prepared[data], colours[number % 2], f"Clinic {number}", title)
            assert kept_open == stamp(base, Branding.of(data), colours[number % 2], f"Clinic {number}", title), number
