"""Issue 15's done-when: a second programme (healthy sleep, in German, with emoji, an arrow, accented clinic names,
a trailer and a future episode) builds in every format with none of the shipped programme's words, none of the
formats' English labels, only bundled fonts in its PDFs and no unreleased episode anywhere."""

from __future__ import annotations

import email
import re
import shutil
import subprocess
import zipfile
from datetime import date
from email.header import decode_header, make_header
from email.policy import default as default_policy
from pathlib import Path

import pytest

from backpub.build import build
from backpub_testkit import ROOTS, made_once

AS_OF = date(2026, 11, 8)
"""A Sunday: the trailer and the first full episode are out, folge-zwei (6 December) is not."""

SHIPPED_WORDS = ("Back In Shape", "sciatica", "lower back", "leg pain")
ENGLISH_LABELS = (
    "Why it feels good", "Before you start", "Steps", "Page", "Content reviewed", "Listen to episode", "Time",
    "Repetitions", "How often", "THE SUNDAY LETTER", "THIS WEEK'S PROTOCOL", "Related episodes",
    "Protocols covered in this episode", "Sunday newsletter", "podcast artwork",
)  # fmt: skip
UNRELEASED = ("Geheimnis der nächsten Woche", "folge-zwei", "unveroeffentlicht", "c15df090-429a-4ca2-ba63-13a65b8ba132")
BUNDLED_FONTS = ("Lato", "DejaVu-Sans", "Noto-Color-Emoji", "Symbola")
"""How WeasyPrint names the fonts fonts.css declares (family, then style) in a PDF."""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def make(folder: Path) -> None:
        shutil.copytree(ROOTS / "zweites-programm" / "content", folder / "content")
        build(folder / "content", as_of=AS_OF, jobs=2, use_cache=False)

    return made_once(tmp_path_factory, "zweites-programm", make)


@pytest.fixture(scope="module")
def outputs(project: Path) -> dict[str, str]:
    """Every output file's text as a reader (or a program) gets it, by path under outputs/."""
    texts: dict[str, str] = {}
    for path in sorted((project / "outputs").rglob("*")):
        if path.is_file():
            texts.update(readable(path, path.relative_to(project / "outputs").as_posix()))
    return texts


def readable(path: Path, name: str) -> dict[str, str]:
    """PDFs through pdftotext, EPUBs file by file, e-mails decoded part by part, other text files as they are."""
    if path.suffix == ".pdf":
        return {name: subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout}
    if path.suffix == ".epub":
        with zipfile.ZipFile(path) as book:
            return {f"{name}!{member}": _text(book.read(member)) for member in book.namelist()}
    if path.suffix == ".eml":
        message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
        headers = "\n".join(f"{key}: {make_header(decode_header(str(value)))}" for key, value in message.items())
        parts = [_text(part.get_payload(decode=True) or b"") for part in message.walk() if not part.is_multipart()]
        return {name: "\n".join([headers, *parts])}
    return {name: _text(path.read_bytes())}


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return ""  # images and fonts say nothing


def found(outputs: dict[str, str], phrase: str, ignore_case: bool) -> list[str]:
    """The outputs in which a phrase stands as words of its own (so 'Page' is not found in 'WebPage')."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", re.IGNORECASE if ignore_case else 0)
    return [name for name, text in outputs.items() if pattern.search(text)]


def test_every_format_was_built(outputs: dict[str, str]):
    built = {name.split("/")[0] for name in outputs}
    assert built >= {"pdf", "epub", "feed", "newsletter", "site", "json"}
    assert any(name.endswith(".eml") for name in outputs)
    assert "Die Abendroutine 😴" in outputs["pdf/besser-schlafen.pdf"]
    assert "Dimmen Sie das Licht → der Körper" in outputs["pdf/besser-schlafen.pdf"]
    assert "Clinique du Sommeil Élodie Böhm" in outputs["pdf/clinique-elodie/besser-schlafen.pdf"]


@pytest.mark.parametrize("phrase", SHIPPED_WORDS)
def test_no_word_of_the_shipped_programme_appears(outputs: dict[str, str], phrase: str):
    assert found(outputs, phrase, ignore_case=True) == []


@pytest.mark.parametrize("label", ENGLISH_LABELS)
def test_no_english_label_appears(outputs: dict[str, str], label: str):
    assert found(outputs, label, ignore_case=False) == []


@pytest.mark.parametrize("phrase", UNRELEASED)
def test_no_unreleased_episode_appears_anywhere(outputs: dict[str, str], phrase: str):
    assert found(outputs, phrase, ignore_case=False) == []
    assert phrase not in outputs["json/programme.json"]


def test_the_pdfs_embed_only_bundled_fonts(project: Path):
    pdfs = sorted((project / "outputs").rglob("*.pdf"))
    assert len(pdfs) >= 5
    for pdf in pdfs:
        listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True, text=True).stdout
        rows = [line.split() for line in listing.splitlines()[2:]]
        names = {row[0].split("+", 1)[-1] for row in rows}
        assert all(row[-5] == "yes" for row in rows), listing  # the 'emb' column
        assert all(name.startswith(BUNDLED_FONTS) for name in names), (pdf.name, names)
        assert any(name.startswith("Noto-Color-Emoji") for name in names), (pdf.name, names)  # the emoji
        assert any(name.startswith("DejaVu-Sans") for name in names), (pdf.name, names)  # the arrow


def test_validate_strict_passes(project: Path, run_cli):
    result = run_cli("validate", "content", "--strict", "--as-of", AS_OF.isoformat(), cwd=project)
    assert result.exit_code == 0, result.output
