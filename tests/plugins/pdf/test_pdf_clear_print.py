"""Clear print, read from every edition of the full test programme as its reader meets it (PyMuPDF gives each piece of text's size,
font and place): large type on every page, the urgent-help notice as large as the body, every protocol whole on
one page with its dose box, no page left nearly empty, every handout within its sheets; and the warning that
names what does not fit when a handout takes more paper than it declares.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pymupdf
import pytest
from pdf_support import AS_OF, flat, replace_in

from backpub import Session
from backpub.build import build
from backpub.model import Protocol
from backpub_pdf.band import band_problems
from backpub_pdf.planning import shown_entities
from backpub_pdf.view import DoseBox
from backpub_testkit import FULL_PROGRAMME

MM = 72 / 25.4
BODY_SIZE = 12
SIZE_TOLERANCE = 0.05
"""Sizes are read back from the PDF's matrices, so 12 pt may read as 11.99."""
RUNNING_HEADS = (13 * MM, 16 * MM)
"""The page's top and bottom margins, where the running heads are (pdf.css): not body text."""
PROTOCOL_TITLE_SIZE = 14.5
"""A protocol's title is set larger than this (15 pt), its name in a "First:" line at the body's size."""


def full_outputs() -> list[str]:
    handouts = sorted(path.stem for path in (FULL_PROGRAMME / "handouts").glob("*.md"))
    clinics = sorted(path.stem for path in (FULL_PROGRAMME / "clinics").glob("*.md"))
    editions = [f"{handout}.pdf" for handout in handouts]
    editions += [f"{clinic}/{name}.pdf" for clinic in clinics for name in [*handouts, "pack"]]
    return editions


EDITIONS = [name for name in full_outputs() if not name.endswith("pack.pdf")]


@pytest.fixture(scope="module")
def publication(full_pdfs: Path):
    return Session(full_pdfs / "content", as_of=AS_OF).publication


@pytest.fixture(scope="module")
def opened(full_pdfs: Path) -> Iterator[Callable[[str], pymupdf.Document]]:
    """An output as PyMuPDF reads it, opened once for all this module's tests."""
    documents: dict[str, pymupdf.Document] = {}

    def open_output(output: str) -> pymupdf.Document:
        if output not in documents:
            documents[output] = pymupdf.open(full_pdfs / "outputs" / "pdf" / output)
        return documents[output]

    yield open_output
    for document in documents.values():
        document.close()


def spans(page: pymupdf.Page, clip: pymupdf.Rect | None = None) -> list[dict]:
    """The page's runs of text (in `clip`), each with its size, font and box."""
    found = page.get_text("dict", clip=clip)["blocks"]
    return [
        span for block in found for line in block.get("lines", []) for span in line["spans"] if span["text"].strip()
    ]


def fill(page: pymupdf.Page) -> float:
    """How far down its body the page's text reaches (0-1), averaged over its two halves (see test_pdf_layout)."""
    top, bottom = RUNNING_HEADS[0], page.rect.height - RUNNING_HEADS[1]
    reach = [0.0, 0.0]
    for span in spans(page):
        x0, y0, _, y1 = span["bbox"]
        if y0 < top or y1 > bottom:
            continue
        half = 0 if x0 < page.rect.width / 2 else 1
        reach[half] = max(reach[half], (y1 - top) / (bottom - top))
    return sum(reach) / 2


def first_words(text: str, words: int = 7) -> str:
    return " ".join(flat(text).split()[:words])


def found(page: pymupdf.Page, text: str, clip: pymupdf.Rect | None = None) -> list[dict]:
    """The runs of text where the first words of `text` are printed (across line breaks)."""
    return [span for rect in page.search_for(first_words(text), clip=clip) for span in spans(page, rect)]


@pytest.mark.parametrize("output", full_outputs())
def test_every_page_is_in_clear_print_and_at_least_a_quarter_full(opened, output):
    for number, page in enumerate(opened(output), start=1):
        runs = spans(page)
        if not runs:
            assert output.endswith("pack.pdf"), f"{output}: page {number} is empty"
            continue  # the blank back of a handout's last sheet in a pack
        characters = sum(len(span["text"].strip()) for span in runs)
        large = sum(len(span["text"].strip()) for span in runs if span["size"] >= BODY_SIZE - SIZE_TOLERANCE)
        assert large >= 0.9 * characters, f"{output}: page {number}: {large} of {characters} characters at 12 pt"
        assert fill(page) >= 0.25, f"{output}: page {number} is only {fill(page):.0%} full"
        straight = [span["text"] for span in runs if re.search("[\"']", span["text"])]
        assert not straight, f"{output}: page {number}: straight quotation marks in {straight}"


@pytest.mark.parametrize("output", EDITIONS)
def test_the_urgent_help_notice_is_at_least_body_size_with_its_emergency_line_bold(opened, publication, output):
    clinic = publication.get(output.split("/")[0]) if "/" in output else None
    notice = publication.programme.country(clinic.country if clinic else None).urgent_help  # the edition's country
    items = [line.lstrip("- ") for line in notice.splitlines() if line.startswith("- ")]
    paragraphs = [flat(block) for block in notice.split("\n\n") if not block.lstrip().startswith("- ")]
    first = opened(output)[0]
    for text in [*paragraphs, *items]:
        runs = found(first, text)
        assert runs, f"{output}: {text[:40]!r} is not on page 1"
        sizes = {round(span["size"], 1) for span in runs}
        assert min(sizes) >= BODY_SIZE - SIZE_TOLERANCE, f"{output}: {text[:40]!r} set at {sizes}"
    emergency = found(first, paragraphs[0])
    assert all(re.search("Bold|Black", span["font"]) for span in emergency), "the emergency line is bold"


def protocol_regions(document: pymupdf.Document, protocols: list[Protocol]) -> dict[str, list]:
    """Each protocol's part of a page, from its title (set as a heading) down to the next protocol's title or the
    page's end; a protocol printed whole on one page has exactly one."""
    starts = []
    for number, page in enumerate(document):
        for protocol in protocols:
            for rect in page.search_for(protocol.title):
                if any(span["size"] > PROTOCOL_TITLE_SIZE for span in spans(page, rect)):
                    starts.append((number, rect.y0, protocol.id))
    starts.sort()
    regions: dict[str, list] = {}
    for (number, top, protocol_id), following in zip(starts, [*starts[1:], None], strict=False):
        page = document[number]
        bottom = following[1] if following and following[0] == number else page.rect.height
        regions.setdefault(protocol_id, []).append((page, pymupdf.Rect(0, top - 1, page.rect.width, bottom)))
    return regions


@pytest.mark.parametrize("output", EDITIONS)
def test_every_protocol_is_whole_on_one_page_with_its_dose_box(opened, publication, output):
    handout = publication.get(output.rsplit("/", 1)[-1].removesuffix(".pdf"))
    protocols = [entity for entity in shown_entities(publication, handout) if isinstance(entity, Protocol)]
    regions = protocol_regions(opened(output), protocols)
    for protocol in protocols:
        assert len(regions.get(protocol.id, [])) == 1, f"{output}: {protocol.id}'s title is printed once, as a heading"
        ((page, region),) = regions[protocol.id]
        assert found(page, protocol.steps[-1], region), f"{output}: {protocol.id}'s last step is under its title"
        text = flat(page.get_text("text", clip=region))
        box = DoseBox.of(protocol.dose, None)
        assert all(flat(value) in text for _, value in box.parts), f"{output}: {protocol.id}'s dose"
        assert ("Your dose:" in text) == (box.write_in is not None), f"{output}: {protocol.id}'s write-in line"


@pytest.mark.parametrize("output", EDITIONS)
def test_every_shipped_edition_keeps_to_its_sheets(opened, publication, output):
    handout = publication.get(output.rsplit("/", 1)[-1].removesuffix(".pdf"))
    pages = len(opened(output))
    assert pages <= 2 * handout.sheets, f"{output}: {pages} pages for {handout.sheets} sheets"


# -- the budget's warning -----------------------------------------------------------------------------

FILLS_THE_SHEET = """---
title: The wall drill
phase: phase-one
purpose: Reset your sense of what standing upright feels like, so that standing tall comes back on its own.
equipment: [A clear stretch of wall]
steps:
  - Find a clear stretch of wall, away from doors, shelves and radiators, with room to stand comfortably.
  - Stand with your back to the wall, with your feet a short step away from it and about hip width apart.
  - Let your arms hang loosely by your sides, and look straight ahead rather than up or down at the floor.
  - Bring your heels, bum, middle back and head into contact with the wall, without forcing anything.
  - Notice how far you had to move to reach the wall. That is how far forward you were standing before.
  - Tighten your core gently, as if bracing for a light push, and keep breathing slowly and evenly.
  - Hold this position for the time in the dose box, then step away from the wall and relax completely.
  - Repeat when you are ready, as often as your clinician suggests, and stop if the pain spreads.
cautions:
  - It may cause some pain at first. Straightening up narrows the spaces around swollen nerves.
  - Icing the lower back first can help take the edge off the pain before you start the drill.
  - Stop and get advice if the pain is severe or your leg symptoms clearly get worse.
reviewed: 2026-11-01
reviewer: A. Reviewer
---
"""
ONE_TOO_MANY = """---
title: The towel stretch
phase: phase-one
purpose: Take load off the lower back. The towel supports the natural inward curve of your lower back.
equipment: [A small towel, rolled up]
steps:
  - Roll a small towel into a short, firm roll.
  - Lie on your back.
  - Place the towel under your lower back, so that it supports the natural inward curve.
  - Rest like this for the time in the dose box.
dose:
  duration: 2-5 min
cautions:
  - Use a small towel. It should support your natural curve, not force a bigger one.
reviewed: 2026-11-01
reviewer: A. Reviewer
---
"""


def sheet_warnings(project: Path) -> list:
    session = Session(project / "content", as_of=AS_OF)
    return [problem for problem in session.problems(session.formats(["pdf"])) if "sheet" in problem.message]


def test_a_handout_with_one_protocol_too_many_for_its_sheets_is_a_located_warning_naming_it(make_project, monkeypatch):
    """A sheet that a long protocol has filled takes one protocol more onto a third page. `validate`, which
    renders nothing, lays the handout out to know; a build's renders record what they found, so it warns too
    without laying anything out twice."""
    project = make_project("minimal")
    content = project / "content"
    (content / "protocols" / "wall-drill.md").write_text(FILLS_THE_SHEET)
    (content / "protocols" / "towel-stretch.md").write_text(ONE_TOO_MANY)
    handout = content / "handouts" / "first-steps.md"
    replace_in(handout, "reviewer: A. Reviewer\n", "reviewer: A. Reviewer\nsheets: 1\n")
    replace_in(handout, "entities: [stretching, ice]", "entities: [stretching, ice, wall-drill]")
    assert sheet_warnings(project) == [], "the sheet is full"

    replace_in(handout, "wall-drill]", "wall-drill, towel-stretch]")
    found = sheet_warnings(project)
    assert {problem.severity for problem in found} == {"warning"}
    assert {problem.path for problem in found} == {str(handout)}
    assert {re.search(r"the (\w+) edition", problem.message)[1] for problem in found} == {"A4", "Letter"}
    for problem in found:
        assert "budget of 1 sheet (2 pages" in problem.message
        assert "beyond page 2: 'The towel stretch'" in problem.message, problem.message

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1793000000")
    report = build(content, formats=["pdf"], as_of=AS_OF, jobs=1)
    warned = [problem for problem in report.warnings if "sheet" in problem.message]
    assert [problem.message for problem in warned] == [problem.message for problem in found], "the build warns too"


def test_a_clinic_line_too_long_for_its_band_is_a_warning_at_the_clinic(make_project):
    """The band has one size: a line it cannot hold would be cut off, so validate says so (measured, no layout)."""
    project = make_project("minimal")
    clinic = project / "content" / "clinics" / "test-clinic.md"
    session = Session(project / "content", as_of=AS_OF)
    assert band_problems(session.formats(["pdf"])["pdf"], session.publication) == []
    address = (
        "Unit 14, The Old Sorting Office, 1 High Street, Upper Testtown Industrial Estate, Testtown, Testshire TT1 2AB"
    )
    replace_in(clinic, "address: 1 High Street, Testtown", f"address: {address}")
    session = Session(project / "content", as_of=AS_OF)
    (problem,) = band_problems(session.formats(["pdf"])["pdf"], session.publication)
    assert (problem.severity, problem.path, problem.entity) == ("warning", str(clinic), "test-clinic")
    assert address in problem.message and "cut off" in problem.message
