"""Does a clinic's branding fit its band? The band at the top of page 1 has one size whatever it holds (so every
edition of a handout breaks its pages alike); a line too long for it would be cut at its edge, and a patient
would lose part of the address or the phone number. `validate` measures each line with the font's own
advance widths (fontTools, no layout) against the band's width in the clinic's paper, and warns at the clinic.

Keep the sizes here in step with pdf.css (`.band`, `.band-name`, `.band-detail`, `@page` margins).
"""

from __future__ import annotations

import functools
from pathlib import Path

from backpub import Clinic, Messages, Problem, Publication
from backpub_pdf.fonts import lato_folder

MM_PER_PT = 25.4 / 72
PAPER_WIDTH_MM = {"A4": 210.0, "Letter": 215.9}
TEXT_WIDTH_MM = {paper: width - 2 * 12 - 22 for paper, width in PAPER_WIDTH_MM.items()}
"""The band's text: the page less its side margins (12 mm each) and the logo's cell (22 mm)."""
NAME = ("Lato-Black.ttf", 15.0)
DETAIL = ("Lato-Regular.ttf", 12.0)
LABEL = ("Lato-Bold.ttf", 12.0)


@functools.cache
def _advances(font_file: str) -> tuple[dict[int, int], int, int]:
    """A font's advance width per character, its average (for characters it lacks), and its units per em."""
    from fontTools.ttLib import TTFont

    font = TTFont(Path(lato_folder()) / font_file, lazy=True)
    metrics = font["hmtx"].metrics
    widths = {code: metrics[name][0] for code, name in font.getBestCmap().items() if name in metrics}
    average = sum(widths.values()) // max(len(widths), 1)
    return widths, average, font["head"].unitsPerEm


def width_mm(text: str, face: tuple[str, float]) -> float:
    """How wide `text` is set in a face (a font file and a size in points), without kerning (a little wider)."""
    widths, average, units = _advances(face[0])
    return sum(widths.get(ord(char), average) for char in text) * face[1] / units * MM_PER_PT


def band_lines(clinic: Clinic, website: str, words: Messages) -> list[tuple[str, float]]:
    """Each line of a clinic's band (as the template prints it) with its width in mm."""
    _ = words.gettext
    gap = width_mm(" ", DETAIL)
    contact = (
        width_mm(_("Phone"), LABEL) + gap + width_mm(f"{clinic.phone} · ", DETAIL)
        + width_mm(_("Web"), LABEL) + gap + width_mm(website, DETAIL)
    )  # fmt: skip
    lines = [(clinic.title, width_mm(clinic.title, NAME)), (clinic.address, width_mm(clinic.address, DETAIL))]
    lines.append((f"{clinic.phone} · {website}", contact))
    if clinic.email:
        lines.append((clinic.email, width_mm(_("Email"), LABEL) + gap + width_mm(clinic.email, DETAIL)))
    return lines


def band_problems(fmt, publication: Publication) -> list[Problem]:
    """A warning for each line of a clinic's band that its band cannot hold."""
    words = fmt.messages(publication)
    problems = []
    for clinic in publication.clinics:
        room = TEXT_WIDTH_MM[clinic.paper]
        website = clinic.website.split("://", 1)[1].rstrip("/")
        for text, width in band_lines(clinic, website, words):
            if width > room:
                message = (
                    f"{text!r} is {width:.0f} mm wide, and the clinic's band on its handouts holds {room:.0f} mm "
                    "a line: it would be cut off. Shorten it (or split the address)"
                )
                problems.append(fmt.problem(publication, clinic.id, message, severity="warning"))
    return problems
