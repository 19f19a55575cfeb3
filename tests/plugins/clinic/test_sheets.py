"""The service's render workers: forked before anything is rendered (Typst runs threads once it has typeset, and a
process with threads cannot be forked safely), warm, and replaced when one dies."""

from __future__ import annotations

import os
import shutil
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


def test_what_a_clinician_types_is_printed_as_text_never_read_as_typst(session):
    typed = '#read("/programme.yaml") *not bold* = not a heading $x$ <label> @ref \\ #pagebreak()'
    prescribed = session.prescription(
        {
            "clinic": "test-clinic",
            "clinician": "#emph[A. Clinician]",
            "patient": "#Ann",
            "exercises": [{"protocol": "ice", "note": typed}],
        }
    )
    text = pdf_text(Sheets(session, warm=False).render(prescribed))
    assert typed in text
    assert "Exercises for #Ann" in text and "Note from #emph[A. Clinician]" in text
    assert "language:" not in text  # (programme.yaml was not read into the sheet)


def test_a_projects_theme_replaces_the_sheets_template(prescribing_root: Path, tmp_path: Path):  # noqa: F811
    shutil.copytree(prescribing_root / "content", tmp_path / "content")
    (tmp_path / "theme" / "pdf").mkdir(parents=True)
    (tmp_path / "theme" / "pdf" / "prescription.typ").write_text(
        '#let d = json(bytes(sys.inputs.at("sheet")))\n'
        "#set document(title: d.title)\n"
        "#set text(lang: d.lang)\n"
        "Our own sheet: #d.heading\n"
    )
    themed = Session(tmp_path / "content")
    text = pdf_text(Sheets(themed, warm=False).render(prescription(themed, "Dot")))
    assert text.strip() == "Our own sheet: Exercises for Dot"
