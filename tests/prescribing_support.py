"""A prescribing test project (the minimal root with safe dose ranges, a second clinic and an unreviewed protocol), and
helpers to read prescription sheets; imported by name by the core's and the clinic plugin's prescription tests."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest

from backpub_testkit import ROOTS, edit, made_once

ICE_SAFE = "1-10 min"
"""The safe range the test root declares for the ice protocol's duration (its own dose is 3-5 min)."""
PRESS_UP = """\
---
title: The wall press-up
phase: phase-one
purpose: Strengthen the arms while the back stays straight.
steps:
  - Stand facing a wall, hands flat on it.
  - Bend your elbows {dose.repetitions}, keeping your back straight.
dose:
  repetitions: 8-12
  frequency: daily
safe_dose:
  repetitions: 5-15
  sets: 1-3
cautions: [Stop if your back hurts.]
reviewed: 2026-11-01
reviewer: A. Reviewer
---
"""
DRAFT = """\
---
title: A draft stretch
phase: phase-one
purpose: Not reviewed yet.
steps: [Stretch gently.]
---
"""
OTHER_CLINIC = """\
---
title: Other Clinic
country: GB
address: 2 Low Street, Testtown
phone: "01234 000000"
website: https://other.example.org
accent_colour: "#7a2a1f"
paper: A4
reviewed: 2026-11-01
reviewer: A. Reviewer
---
"""


def make_prescribing(folder: Path) -> None:
    """The minimal test programme with what prescriptions need: safe ranges, a step naming its dose, two clinics,
    an unreviewed protocol."""
    content = folder / "content"
    shutil.copytree(ROOTS / "minimal" / "content", content)
    ice = content / "protocols" / "ice.md"
    edit(ice, "  - Place it on the lower spine.\n", "  - Place it on the lower spine for {dose.duration}.\n")
    edit(ice, "dose:\n  duration: 3-5 min\n", f"dose:\n  duration: 3-5 min\nsafe_dose:\n  duration: {ICE_SAFE}\n")
    (content / "protocols" / "wall-press-up.md").write_text(PRESS_UP)
    (content / "protocols" / "draft-stretch.md").write_text(DRAFT)
    (content / "clinics" / "other-clinic.md").write_text(OTHER_CLINIC)


@pytest.fixture(scope="session")
def prescribing_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The prescribing test project, made once per test run (read-only: copy it to change it)."""
    return made_once(tmp_path_factory, "prescribing", make_prescribing)


def page_texts(data: bytes) -> list[str]:
    """Each page's text, whitespace collapsed (pypdf: it keeps the space between a dose's label and its value)."""
    from pypdf import PdfReader

    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages]


def pdf_text(data: bytes) -> str:
    """A PDF's text, whitespace collapsed."""
    return " ".join(page_texts(data))


def qr_codes(data: bytes) -> list[list[str]]:
    """The QR codes each page of a PDF shows, decoded (zxing-cpp, from the page drawn at 150 dpi)."""
    import pymupdf
    import zxingcpp
    from PIL import Image

    pages = []
    with pymupdf.open(stream=data, filetype="pdf") as document:
        for page in document:
            pixels = page.get_pixmap(dpi=150)
            image = Image.frombytes("RGB", (pixels.width, pixels.height), pixels.samples)
            pages.append([found.text for found in zxingcpp.read_barcodes(image)])
    return pages


def page_size_mm(data: bytes) -> tuple[int, int]:
    """The first page's size in whole millimetres."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        box = [float(value) for value in pdf.pages[0].mediabox]
    return round((box[2] - box[0]) * 25.4 / 72), round((box[3] - box[1]) * 25.4 / 72)
