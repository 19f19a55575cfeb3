"""`backpub prescribe`: the issue's example prescription becomes one tagged, clear-print PDF in the clinic's branding,
with the patient's name, each dose as prescribed (marked where it differs), the notes, the cautions, the clinic
country's urgent-help notice on page 1 and a QR code per exercise to its page; a bad prescription is located."""

from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

from backpub import clock
from backpub.cli import cli
from backpub_testkit import FULL_PROGRAMME
from prescribing_support import page_size_mm, page_texts, pdf_text, qr_codes

EXAMPLE = """\
clinic: harbourside-spine-clinic       # branding, paper, country (its urgent-help notice)
clinician: "J. Okafor, MCSP"
patient: "Sam"                          # optional: a first name or initials, never stored
date: 2026-12-07
exercises:
  - protocol: wall-drill
    dose: {duration: "5-10 s", repetitions: "10", frequency: "3 times a day"}
    note: "Stop if the leg pain spreads below the knee."
  - protocol: towel-stretch             # the programme's own dose when none is given
"""
SITE = "https://backinshape.example.org"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("prescribe")
    shutil.copytree(FULL_PROGRAMME, folder / "content")
    (folder / "sam.yaml").write_text(EXAMPLE)
    return folder


def prescribe(project: Path, *args: str) -> tuple[int, str]:
    """`backpub prescribe ARGS` in the project, on the example's day (the programme refuses overdue reviews)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "now", lambda: datetime(2026, 12, 7, 12, tzinfo=UTC))
        patch.chdir(project)
        result = CliRunner().invoke(cli, ["prescribe", *args], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def sheet(project: Path) -> bytes:
    code, output = prescribe(project, "sam.yaml", "--output", "sheet.pdf")
    assert code == 0, output
    assert output.strip() == "sheet.pdf: 2 exercises, " + output.split(", ")[1].strip()  # no patient data echoed
    return (project / "sheet.pdf").read_bytes()


def test_the_example_is_a_tagged_pdf_ua_in_the_clinics_paper(sheet):
    with pikepdf.open(io.BytesIO(sheet)) as pdf:
        assert pdf.Root.MarkInfo.Marked is True
        assert "/StructTreeRoot" in pdf.Root
        assert str(pdf.Root.Lang) == "en-GB"
        with pdf.open_metadata() as meta:
            assert meta.get("pdfuaid:part") == "1"
            title = meta.get("dc:title")
    assert (
        title == "Home exercises from Harbourside Spine Clinic"
    )  # the patient's name is on the page, not in the file's metadata
    assert page_size_mm(sheet) == (210, 297)


def test_it_carries_the_patient_the_prescribed_doses_the_note_and_the_cautions(sheet):
    text = pdf_text(sheet)
    for expected in (
        "Exercises for Sam",
        "Prescribed by J. Okafor, MCSP on 7 December 2026.",
        "Time 5–10 s Repetitions 10 Set for you",  # the duration is the programme's: not marked; no repetitions there
        "How often 3 times a day Set for you (programme: daily)",
        "Note from J. Okafor, MCSP Stop if the leg pain spreads below the knee.",
        "Time 2–5 min",  # the towel stretch at the programme's dose
        "It may cause some pain at first.",  # the wall drill's cautions
        "Use a small towel.",  # the towel stretch's
        "Harbourside Spine Clinic",
    ):
        assert expected in text, expected
    assert text.count("Set for you") == 1 + 2  # the lead says what the mark means; two parts are marked


def test_page_one_has_harbourside_s_urgent_help_notice(sheet):
    pages = page_texts(sheet)
    first, last = pages[0], pages[-1]
    assert "When to get urgent help" in first
    assert "Call 999 or go to A&E now if you have back pain or sciatica and:" in first
    assert "Get urgent advice the same day, from NHS 111 or your GP" in first
    assert "Urgent help: see page 1 · Emergency: 999" in last


def test_each_exercise_has_a_decodable_qr_code_and_a_printed_link_to_its_page(sheet):
    found = [code for page in qr_codes(sheet) for code in page]
    assert found == [f"{SITE}/protocols/wall-drill/", f"{SITE}/protocols/towel-stretch/"]
    text = pdf_text(sheet)
    assert "backinshape.example.org/protocols/wall-drill/" in text.replace(" ", "")


def test_a_bad_prescription_is_located_and_writes_nothing(project):
    (project / "bad.yaml").write_text(EXAMPLE.replace("towel-stretch ", "towel-strech "))
    code, output = prescribe(project, "bad.yaml", "--output", "bad.pdf")
    assert code == 1
    assert output.splitlines()[0] == (
        "bad.yaml:9:15: error: exercises[1].protocol: the programme has no protocol 'towel-strech'; "
        "did you mean 'towel-stretch'?"
    )
    assert "Traceback" not in output
    assert not (project / "bad.pdf").exists()
