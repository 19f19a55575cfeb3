"""Helpers and fixtures for the PDF format's tests (not a conftest.py: `conftest` is the shared tests' module name).

Test modules import the fixtures they use from here.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from backpub import Session
from backpub.content.publication import Publication
from backpub.testing import render_output
from backpub_pdf import PdfFormat

REPO = Path(__file__).resolve().parents[3]
AS_OF = date(2026, 11, 25)


def prepared_format(project: Path, as_of: date = AS_OF) -> tuple[PdfFormat, Publication]:
    """A PdfFormat for a project, prepared as a worker process would be."""
    session = Session(project / "content", as_of=as_of)
    publication = session.publication
    pdf = session.formats(["pdf"])["pdf"]
    pdf.prepare(publication)
    return pdf, publication


def render(pdf: PdfFormat, publication: Publication, output: str) -> bytes:
    """The bytes of the job that writes `output` (a pack's handouts rendered first)."""
    return render_output(pdf, publication, output)


def page_texts(data: bytes) -> list[str]:
    """Each page's text with whitespace collapsed, so phrases can be found across line breaks (PyMuPDF: pypdf's
    extraction took a quarter of the PDF tests' time)."""
    import pymupdf

    with pymupdf.open(stream=data, filetype="pdf") as document:
        return [re.sub(r"\s+", " ", page.get_text()) for page in document]


def flat(text: str) -> str:
    """Text with whitespace collapsed, as page_texts() gives it."""
    return re.sub(r"\s+", " ", text).strip()


def replace_in(path: Path, old: str, new: str) -> None:
    """Replace text in a file, failing loudly if the text is not there."""
    text = path.read_text()
    assert old in text, f"{old!r} not found in {path}"
    path.write_text(text.replace(old, new, 1))
