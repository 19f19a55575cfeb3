"""Stamped clinic editions (`formats.pdf.branding: stamped`, branding.py): one layout of a handout for every
clinic, each clinic's band put over it. An edition looks as its own layout would, and keeps what makes it
accessible: the clinic's details as tagged text, the language, title and author, the outline, the links."""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from pdf_support import AS_OF, replace_in
from PIL import Image, ImageChops
from pypdf import PdfReader

from backpub import Session
from backpub.build import build
from backpub.testing import render_output
from backpub_pdf.planning import pack_handouts
from backpub_testkit import ROOTS

EDITIONS = (
    "harbourside-spine-clinic/phase-one-first-steps.pdf",  # A4, a logo, an e-mail address
    "maple-street-back-care/rebuilding-for-the-long-term.pdf",  # Letter
)


@pytest.fixture(scope="module")
def stamped(full_pdfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[bytes, bytes]]:
    """(the stamped edition, the same edition laid out for its clinic) of a shipped clinic edition."""
    project = tmp_path_factory.mktemp("stamped")
    shutil.copytree(full_pdfs / "content", project / "content")
    replace_in(project / "content/programme.yaml", "formats:\n", "formats:\n  pdf:\n    branding: stamped\n")
    session = Session(project / "content", as_of=AS_OF)
    publication = session.publication
    pdf = session.formats(["pdf"])["pdf"]
    pdf.prepare(publication)
    jobs = {job.output: job for job in pdf.jobs(publication)}
    renderer = pdf._renderer

    @functools.cache  # (each edition's two layouts serve both tests)
    def make(output: str) -> tuple[bytes, bytes]:
        page = renderer.document(jobs[output], publication)
        whole = renderer.laid_out(page)  # (the edition as `laid-out` makes it: the band has one size)
        edition = pdf.render(jobs[output], publication)
        # Stamped again (from the shared layout and band this process keeps): the same bytes, as every edition
        # of a build must be whichever worker makes it.
        assert pdf.render(jobs[output], publication) == edition
        return edition, renderer.write(whole, *page.located)

    make.format, make.publication = pdf, publication  # type: ignore[attr-defined]
    return make


def pngs(data: bytes, folder: Path, name: str) -> list[Image.Image]:
    (folder / f"{name}.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(folder / f"{name}.pdf"), str(folder / name)], check=True)
    return [Image.open(path).convert("L") for path in sorted(folder.glob(f"{name}-*.png"))]


@pytest.mark.parametrize("output", EDITIONS)
def test_a_stamped_edition_looks_like_its_own_layout(stamped, output, tmp_path):
    edition, whole = stamped(output)
    ours, theirs = pngs(edition, tmp_path, "stamped"), pngs(whole, tmp_path, "whole")
    assert len(ours) == len(theirs) >= 2
    for page, (mine, other) in enumerate(zip(ours, theirs, strict=True), 1):
        different = sum(1 for value in ImageChops.difference(mine, other).get_flattened_data() if value > 32)
        # Only the anti-aliasing of a few glyphs differs (the fonts are subset apart): under 0.02% of a page.
        assert different < 0.0002 * mine.width * mine.height, f"page {page}: {different} pixels differ"


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


def _listed(value) -> list:
    return [] if value is None else list(value) if isinstance(value, pikepdf.Array) else [value]


def _target(annotation: pikepdf.Dictionary) -> str:
    return str(annotation.A.URI) if "/A" in annotation else str(annotation.get("/Dest", ""))


def marked_texts(form: pikepdf.Stream) -> dict[int, str]:
    """The text of each marked-content sequence (by MCID) a Form XObject draws."""
    with pikepdf.new() as scratch:
        page = scratch.add_blank_page()
        copied = scratch.copy_foreign(form)
        page.obj.Resources = copied.Resources
        page.obj.Contents = scratch.make_stream(copied.read_bytes())
        out = io.BytesIO()
        scratch.save(out)
    texts: dict[int, str] = {}
    open_ids: list[int | None] = []

    def operator(op: bytes, args: list, *_) -> None:
        if op == b"BDC":
            properties = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
            open_ids.append(properties.get("/MCID"))
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


@pytest.mark.parametrize("output", EDITIONS)
def test_a_stamped_edition_keeps_its_tags_language_outline_links_and_the_clinic_as_tagged_text(
    stamped, full_pdfs, output, tmp_path
):
    edition, whole = stamped(output)
    clinic = Session(full_pdfs / "content", as_of=AS_OF).publication.get(output.split("/")[0])
    with pikepdf.open(io.BytesIO(edition)) as pdf, pikepdf.open(io.BytesIO(whole)) as laid_out:
        assert shape(pdf.Root.StructTreeRoot.K) == shape(laid_out.Root.StructTreeRoot.K)
        assert str(pdf.Root.Lang) == str(laid_out.Root.Lang) == "en-GB"
        assert str(pdf.docinfo.Title) == str(laid_out.docinfo.Title)
        assert str(pdf.docinfo.Author) == clinic.title
        with pdf.open_metadata() as xmp:
            assert xmp.get("pdfuaid:part") == "1"
            assert xmp.get("dc:creator") == [clinic.title]
        with pdf.open_outline() as ours, laid_out.open_outline() as theirs:
            assert [item.title for item in ours.root] == [item.title for item in theirs.root]
        targets = [_target(annotation) for page in pdf.pages for annotation in page.get("/Annots", [])]
        assert sorted(targets) == sorted(
            _target(annotation) for page in laid_out.pages for annotation in page.get("/Annots", [])
        )
        assert clinic.website in targets  # the clinic's link, and the QR code's and the handout's own
        # The band's marked content is in a form on page 1, tagged: the parent tree maps the form's key to the
        # elements whose MCRs name the form, and those elements hold the clinic's details as text.
        tree = pdf.Root.StructTreeRoot
        parents = dict(pikepdf.NumberTree(tree.ParentTree).items())
        forms = [x for x in pdf.pages[0].Resources.XObject.values() if "/StructParents" in x]
        assert len(forms) == 1
        form = forms[0]
        texts = marked_texts(form)
        tagged = ""
        for mcid, element in enumerate(parents[int(form.StructParents)]):
            mcrs = [kid for kid in _listed(element.K) if isinstance(kid, pikepdf.Dictionary) and "/Stm" in kid]
            assert any(int(kid.MCID) == mcid and kid.Stm.objgen == form.objgen for kid in mcrs)
            assert all(kid.Pg.objgen == pdf.pages[0].obj.objgen for kid in mcrs)
            tagged += texts.get(mcid, "")
        for detail in (clinic.title, clinic.address, clinic.phone, clinic.website.split("://")[1]):
            assert " ".join(detail.split()) in " ".join(tagged.split())
        for page in pdf.pages:
            for annotation in page.get("/Annots", []):
                holder = parents[int(annotation.StructParent)]
                assert any(
                    isinstance(kid, pikepdf.Dictionary) and "/Obj" in kid and kid.Obj.objgen == annotation.objgen
                    for kid in _listed(holder.K)
                ), "every link is tagged"
    (tmp_path / "edition.pdf").write_bytes(edition)
    check = subprocess.run(["qpdf", "--check", str(tmp_path / "edition.pdf")], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_stamped_build_makes_every_clinic_edition_and_pack_from_stamped_editions(tmp_path):
    content = tmp_path / "project" / "content"
    shutil.copytree(ROOTS / "minimal" / "content", content)
    replace_in(content / "programme.yaml", "formats:\n", "formats:\n  pdf:\n    branding: stamped\n")
    second = (content / "clinics/test-clinic.md").read_text().replace("Test Clinic", "Second Clinic")
    (content / "clinics/second-clinic.md").write_text(second.replace("paper: Letter", "paper: A4"))

    report = build(content, formats=["pdf"], jobs=1)

    assert "pdf/second-clinic/pack.pdf" in report.rendered and "pdf/test-clinic/pack.pdf" in report.rendered
    outputs = content.parent / "outputs" / "pdf"
    for clinic in ("test-clinic", "second-clinic"):
        with pikepdf.open(outputs / clinic / "first-steps.pdf") as pdf:
            assert_bands_tagged(pdf, 1)
        pack = outputs / clinic / "pack.pdf"
        check = subprocess.run(["qpdf", "--check", str(pack)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        with pikepdf.open(pack) as pdf:
            assert_bands_tagged(pdf, 1)


def assert_bands_tagged(pdf: pikepdf.Pdf, bands: int) -> None:
    """Each tagged band form (`bands` of them) has its key in the parent tree, and the elements there mark content
    in that form: a pack moved every edition's keys, its bands' too."""
    parents = dict(pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree).items())
    forms = {
        form.objgen: form
        for page in pdf.pages
        for form in page.get("/Resources", {}).get("/XObject", {}).values()
        if "/StructParents" in form
    }
    assert len(forms) == bands
    assert len({int(form.StructParents) for form in forms.values()}) == bands
    for form in forms.values():
        for element in parents[int(form.StructParents)]:
            kids = _listed(element.K)
            assert any(isinstance(kid, pikepdf.Dictionary) and kid.get("/Stm") == form for kid in kids)


def test_a_pack_of_stamped_two_page_editions_keeps_every_band_tagged(stamped, full_pdfs, tmp_path):
    pdf, publication = stamped.format, stamped.publication
    clinic = publication.get("maple-street-back-care")
    data = render_output(pdf, publication, f"{clinic.id}/pack.pdf")
    (tmp_path / "pack.pdf").write_bytes(data)
    check = subprocess.run(["qpdf", "--check", str(tmp_path / "pack.pdf")], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    with pikepdf.open(io.BytesIO(data)) as pack:
        assert_bands_tagged(pack, len(pack_handouts(publication, clinic)))
