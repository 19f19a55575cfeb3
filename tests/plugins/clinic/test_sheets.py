"""The service's render workers: forked before anything is rendered (Typst runs threads once it has typeset, and a
process with threads cannot be forked safely), warm, and replaced when one dies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backpub import Session
from backpub_clinic.sheets import SheetFailed, Sheets
from prescribing_support import pdf_text, prescribing_root  # noqa: F401 - a fixture


class DiesWhenRead:
    """A request that kills the worker that unpickles it, as a crash or the out-of-memory killer would."""

    def __reduce__(self):
        return (os._exit, (70,))


@pytest.fixture(scope="module")
def session(prescribing_root: Path) -> Session:  # noqa: F811
    return Session(prescribing_root / "content")


def prescription(session: Session, patient: str):
    return session.prescription(
        {"clinic": "test-clinic", "clinician": "A. Clinician", "patient": patient, "exercises": [{"protocol": "ice"}]}
    )


def test_a_worker_that_dies_is_replaced_and_the_next_sheet_is_served(session):
    sheets = Sheets(session, workers=1)
    try:
        assert "Exercises for Ann" in pdf_text(sheets.render(prescription(session, "Ann")))
        with pytest.raises(SheetFailed, match="started again"):
            sheets.render(DiesWhenRead())
        assert "Exercises for Bea" in pdf_text(sheets.render(prescription(session, "Bea")))
    finally:
        sheets.close()


def test_a_sheet_renders_in_this_process_without_workers(session):
    sheets = Sheets(session, workers=0)
    assert "Exercises for Cy" in pdf_text(sheets.render(prescription(session, "Cy")))
