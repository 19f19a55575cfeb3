"""How full the pages are: a 25-step protocol flows across columns and pages without leaving empty ones.

Measured from the text's bounding boxes (`pdftotext -bbox-layout`), as a reader would see the page.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree
from pdf_support import AS_OF, REPO

from backpub.build import build

ROOT = REPO / "tests" / "roots" / "long-protocol" / "content"
MM = 72 / 25.4
HANDOUTS = ["long-sheet.pdf", "long-booklet.pdf", "test-clinic/long-sheet.pdf", "test-clinic/long-booklet.pdf"]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The long-protocol project's PDFs, built once for this module."""
    project = tmp_path_factory.mktemp("long-protocol")
    shutil.copytree(ROOT, project / "content")
    build(project / "content", formats=["pdf"], as_of=AS_OF, jobs=2)
    return project / "outputs" / "pdf"


def page_fill(pdf: Path) -> list[float]:
    """For each page, how far down its body text reaches (0-1), averaged over the page's two halves.

    Each half (a column of a sheet) counts the text lines that lie in it; a line across both counts for both.
    The page's header and footer, in its top 11 mm and bottom 14.5 mm, are not body text.
    """
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    namespace = {"x": "http://www.w3.org/1999/xhtml"}
    fills = []
    for page in etree.fromstring(xml).iterfind(".//x:page", namespace):
        width, height = float(page.get("width")), float(page.get("height"))
        top, bottom = 11 * MM, height - 14.5 * MM
        reach = [0.0, 0.0]
        for line in page.iterfind(".//x:line", namespace):
            x_min, y_min, x_max, y_max = (float(line.get(key)) for key in ("xMin", "yMin", "xMax", "yMax"))
            if y_min < top or y_max > bottom:
                continue
            for half, (left, right) in enumerate([(0, width / 2), (width / 2, width)]):
                if x_min < right and x_max > left:
                    reach[half] = max(reach[half], (y_max - top) / (bottom - top))
        fills.append(sum(reach) / 2)
    return fills


def test_the_project_has_a_25_step_protocol_on_a_sheet_and_in_a_booklet():
    protocol = (ROOT / "protocols" / "long-routine.md").read_text()
    assert protocol.count("\n  - Step ") == 25
    assert "layout: booklet" in (ROOT / "handouts" / "long-booklet.md").read_text()
    assert "layout:" not in (ROOT / "handouts" / "long-sheet.md").read_text()


@pytest.mark.parametrize("output", HANDOUTS)
def test_no_page_but_the_last_is_less_than_a_quarter_full(outputs, output):
    """A protocol that never splits may leave the rest of a page to the next; never more than three quarters."""
    fills = page_fill(outputs / output)
    assert len(fills) >= 2, "the protocol runs over more than one page"
    for number, fill in enumerate(fills[:-1], start=1):
        assert fill >= 0.25, f"{output}: page {number} of {len(fills)} is only {fill:.0%} full"


def test_every_step_is_printed(outputs):
    for output in HANDOUTS:
        text = subprocess.run(["pdftotext", str(outputs / output), "-"], capture_output=True, check=True, text=True)
        flat = " ".join(text.stdout.split())
        missing = [n for n in range(1, 26) if f"Step {n} of the routine" not in flat]
        assert not missing, f"{output} lacks steps {missing}"


def test_the_measure_sees_a_half_empty_page(tmp_path):
    """The fill measure itself: one short paragraph on a page reads as nearly empty."""
    import weasyprint

    pdf = tmp_path / "short.pdf"
    weasyprint.HTML(string="<p style='margin-top: 20mm'>One line.</p>").write_pdf(pdf)
    (fill,) = page_fill(pdf)
    assert fill < 0.2
