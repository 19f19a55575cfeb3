"""Building PDFs through backpub: every output of the full test programme, byte-identical rebuilds, incremental builds."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pikepdf
from pdf_support import AS_OF, page_texts, prepared_format, render, replace_in

from backpub.build import build

EPOCH = "1793000000"  # 26 October 2026 07:33:20 UTC


def build_pdf(project: Path, monkeypatch, **options):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    return build(project / "content", formats=["pdf"], as_of=AS_OF, **options)


def test_the_full_programme_builds_every_handout_edition_and_pack(full_pdfs: Path):
    project = full_pdfs  # built by `backpub build --format pdf --jobs 2` (see conftest.py)
    written = sorted(
        path.relative_to(project / "outputs" / "pdf").as_posix() for path in project.glob("outputs/pdf/**/*.pdf")
    )
    handouts = sorted(path.stem for path in (project / "content" / "handouts").glob("*.md"))
    clinics = sorted(path.stem for path in (project / "content" / "clinics").glob("*.md"))
    expected = [f"{handout}.pdf" for handout in handouts]
    expected += [f"{clinic}/{name}.pdf" for clinic in clinics for name in [*handouts, "pack"]]
    assert written == sorted(expected)
    for name in written:
        with pikepdf.open(project / "outputs" / "pdf" / name) as pdf:
            assert len(pdf.pages) >= 2


def test_two_builds_in_different_folders_are_byte_identical(make_project, monkeypatch):
    first, second = make_project("minimal", "first"), make_project("minimal", "second")
    build_pdf(first, monkeypatch, jobs=1)
    build_pdf(second, monkeypatch, jobs=2)
    outputs = sorted(path.relative_to(first / "outputs").as_posix() for path in first.glob("outputs/pdf/**/*.pdf"))
    assert outputs == ["pdf/first-steps.pdf", "pdf/test-clinic/first-steps.pdf", "pdf/test-clinic/pack.pdf"]
    for output in outputs:
        assert (first / "outputs" / output).read_bytes() == (second / "outputs" / output).read_bytes(), output
    with pikepdf.open(first / "outputs" / "pdf" / "first-steps.pdf") as pdf:
        assert str(pdf.docinfo.CreationDate).startswith("D:20261026073320")
        assert str(pdf.docinfo.ModDate).startswith("D:20261026073320")


def test_a_document_does_not_depend_on_what_the_process_rendered_before(project):
    pdf, publication = prepared_format(project)
    alone = render(pdf, publication, "test-clinic/first-steps.pdf")
    render(pdf, publication, "test-clinic/pack.pdf")
    render(pdf, publication, "first-steps.pdf")
    assert render(pdf, publication, "test-clinic/first-steps.pdf") == alone


def test_in_a_pack_every_handout_starts_on_a_sheet_of_its_own(project):
    """Printed on both sides, a pack hands out as separate sheets: a handout with an odd page count is followed
    by a blank page of its size, and the contents count it."""
    # One section only, so the handout takes one page: the next sheet must not start on its back.
    replace_in(
        project / "content/handouts/first-steps.md",
        "  - heading: Stop and start\n    entities: [stretching, ice]\n",
        "",
    )
    pdf, publication = prepared_format(project)
    edition = page_texts(render(pdf, publication, "test-clinic/first-steps.pdf"))
    assert len(edition) == 1
    data = render(pdf, publication, "test-clinic/pack.pdf")
    pages = page_texts(data)
    assert len(pages) == 4  # cover, contents, the handout, a blank back
    assert pages[2] == edition[0].replace("Page 1 of 1", "Page 3 of 4").replace("see page 1", "see page 3")
    assert pages[3].strip() == ""
    assert re.search(r"First steps\W*3\b", pages[1]), "the contents give the handout's page"
    with pikepdf.open(BytesIO(data)) as document:
        blank = document.pages[3]
        assert blank.obj.Contents.read_bytes() == b"" and list(blank.mediabox) == list(document.pages[2].mediabox)


def test_a_clinic_change_rerenders_only_that_clinics_files(project, monkeypatch):
    build_pdf(project, monkeypatch, jobs=1)
    report = build_pdf(project, monkeypatch, jobs=1)
    assert report.formats["pdf"].written == 0
    replace_in(project / "content" / "clinics" / "test-clinic.md", '"01234 567890"', '"01234 999999"')
    report = build_pdf(project, monkeypatch, jobs=1)
    assert sorted(report.rendered) == ["pdf/test-clinic/first-steps.pdf", "pdf/test-clinic/pack.pdf"]
    assert "01234 999999" in " ".join(page_texts((project / "outputs/pdf/test-clinic/first-steps.pdf").read_bytes()))


def test_a_theme_stylesheet_overrides_the_look(project, monkeypatch):
    theme = project / "theme" / "pdf"
    theme.mkdir(parents=True)
    (theme / "theme.css").write_text('h1::before { content: "Clinic copy: "; }\n')
    build_pdf(project, monkeypatch, jobs=1)
    data = (project / "outputs" / "pdf" / "first-steps.pdf").read_bytes()
    assert "Clinic copy: First steps" in " ".join(page_texts(data))
    with pikepdf.open(BytesIO(data)) as pdf:
        assert str(pdf.docinfo.Title) == "First steps"


def test_a_clinic_that_lists_its_handouts_gets_editions_of_those_only(make_project):
    """Its pack holds its own list, and so do its editions: no file is made for a handout it does not give out."""
    from backpub import Session

    project = make_project("back-in-shape")
    clinic = project / "content" / "clinics" / "harbourside-spine-clinic.md"
    replace_in(clinic, "country: GB\n", "country: GB\nhandouts: [phase-one-first-steps]\n")
    session = Session(project / "content", as_of=AS_OF)
    outputs = {job.output for job in session.formats(["pdf"])["pdf"].jobs(session.publication)}
    handouts = {handout.id for handout in session.publication.handouts}
    assert {output for output in outputs if output.startswith("harbourside-spine-clinic/")} == {
        "harbourside-spine-clinic/phase-one-first-steps.pdf", "harbourside-spine-clinic/pack.pdf"}  # fmt: skip
    assert {output for output in outputs if output.startswith("maple-street-back-care/")} == {
        *(f"maple-street-back-care/{handout}.pdf" for handout in handouts), "maple-street-back-care/pack.pdf"}  # fmt: skip
    assert {f"{handout}.pdf" for handout in handouts} <= outputs  # every handout unbranded
