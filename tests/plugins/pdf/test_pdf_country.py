"""Each clinic's patients are told where to get urgent help in the clinic's own country, and every sheet says who
reviewed it and when its next review is due (issue 22)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pdf_support import page_texts

US_CLINIC = "maple-street-back-care"
UK_CLINIC = "harbourside-spine-clinic"
UK_ONLY = ("999", "A&E", "NHS", "GP")


def outputs_of(full_pdfs: Path, clinic: str) -> list[Path]:
    return sorted((full_pdfs / "outputs" / "pdf" / clinic).glob("*.pdf"))


def words_in(pdf: Path) -> str:
    return " ".join(page_texts(pdf.read_bytes()))


def test_the_us_clinics_editions_and_pack_send_patients_to_911_and_never_to_the_nhs(full_pdfs: Path) -> None:
    found = outputs_of(full_pdfs, US_CLINIC)
    assert {pdf.name for pdf in found} >= {"pack.pdf", "phase-one-first-steps.pdf"}
    for pdf in found:
        text = words_in(pdf)
        assert "Call 911 or go to the nearest emergency room" in text, pdf.name
        for word in UK_ONLY:
            assert not re.search(rf"(?<![\w&]){re.escape(word)}(?![\w&])", text), f"{word!r} in {pdf.name}"
        for page in page_texts(pdf.read_bytes()):
            if "Urgent help: see page" in page:  # every handout page's footer (a pack's cover has none)
                assert "Emergency: 911" in page, pdf.name


def test_the_uk_clinics_editions_keep_the_nhs_notice(full_pdfs: Path) -> None:
    for pdf in outputs_of(full_pdfs, UK_CLINIC):
        text = words_in(pdf)
        assert "Call 999 or go to A&E now" in text and "NHS 111" in text, pdf.name
        assert "911" not in text, pdf.name


@pytest.mark.parametrize("edition", ["", f"{UK_CLINIC}/", f"{US_CLINIC}/"])
def test_every_sheet_names_its_reviewer_and_its_next_review(full_pdfs: Path, edition: str) -> None:
    folder = full_pdfs / "outputs" / "pdf" / edition
    for pdf in sorted(path for path in folder.glob("*.pdf") if path.name != "pack.pdf"):
        text = " ".join(words_in(pdf).split())
        assert "Clinically reviewed by H. Marsh, MCSP; content reviewed 1 November 2026." in text, pdf.name
        assert "Next review due by 1 November 2027." in text, pdf.name
