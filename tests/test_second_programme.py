"""Issue 15's done-when: a second programme (healthy sleep, in German, with emoji, an arrow, accented clinic names,
a trailer and a future episode) builds in every format with none of the shipped programme's words, none of the
formats' English labels, only bundled fonts in its PDFs and no unreleased episode anywhere."""

from __future__ import annotations

import email
import json
import re
import subprocess
from datetime import date
from email.policy import default as default_policy
from pathlib import Path

import pytest

from backpub_testkit import ROOTS, built_in_every_format, output_texts

AS_OF = date(2026, 11, 8)
"""A Sunday: the trailer and the first full episode are out, folge-zwei (6 December) is not."""

SHIPPED_WORDS = ("Back In Shape", "sciatica", "lower back", "leg pain")
UNRELEASED = ("Geheimnis der nächsten Woche", "folge-zwei", "unveroeffentlicht", "c15df090-429a-4ca2-ba63-13a65b8ba132")
BUNDLED_FONTS = ("Lato", "DejaVu-Sans", "Noto-Color-Emoji", "Symbola")
"""How WeasyPrint names the fonts fonts.css declares (family, then style) in a PDF."""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_in_every_format(tmp_path_factory, "zweites-programm", AS_OF)


@pytest.fixture(scope="module")
def outputs(project: Path) -> dict[str, str]:
    return output_texts(project)


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


def test_no_english_message_of_any_catalogue_appears(words: dict[str, str]):
    """Every English message the formats and the core can print, read from their catalogues (no fixed list: a
    message added tomorrow is checked too), in the words a reader gets: a hard-coded English word in a template
    shows here, as would a German catalogue that lost a translation."""
    phrases = english_phrases()
    assert len(phrases) > 150, "the catalogues were found"
    leaks = {phrase: places for phrase in phrases if (places := found(words, phrase, ignore_case=False))}
    assert leaks == {}


def test_the_english_message_check_reads_every_format_as_readers_do(words: dict[str, str]):
    """Keeps the check above honest: it reads the text, alt text and titles of every format's outputs, never
    their markup, scripts or addresses."""
    assert {name.split("/")[0] for name, text in words.items() if text.strip()} >= {
        "pdf", "epub", "feed", "newsletter", "site", "json"}  # fmt: skip
    page = '<p class="Steps">Hallo <img alt="Ein Bild" src="/Steps.png"> <a href="https://x.org/Steps">da</a></p>'
    read = _without_addresses(reader_words(f"<html><body>{page}<script>Steps()</script></body></html>".encode(),
                                           is_html=True))  # fmt: skip
    assert read.split() == ["Hallo", "Ein", "Bild", "da"]
    assert found({"page": "Play the episode now"}, "Play the episode", ignore_case=False) == ["page"]


# -- the English messages and the words readers get -------------------------------------------------

PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{[\w.:!]*\}")
ENGLISH_CATALOGUES = ("en", "en_US")


def _catalogue_strings(path: Path) -> list[str]:
    from babel.messages.pofile import read_po

    if not path.is_file():
        return []
    strings: list[str] = []
    with path.open("rb") as handle:
        for message in read_po(handle):
            if message.id:
                texts = message.string if isinstance(message.string, (list, tuple)) else [message.string]
                strings += [text for text in texts if text]
    return strings


def english_phrases() -> set[str]:
    """Every stretch of English text between the placeholders of every message of every catalogue, less what a
    German reader may meet anyway: words the German catalogues use themselves (Podcast, Newsletter) and words of
    the German programme's own content; stretches shorter than four letters say too little to be found."""
    import backpub
    import backpub_epub
    import backpub_feed
    import backpub_newsletter
    import backpub_pdf
    import backpub_site

    folders = [Path(package.__file__).parent / "locale" for package in
               (backpub, backpub_epub, backpub_feed, backpub_newsletter, backpub_pdf, backpub_site)]  # fmt: skip
    german = " ".join(text for folder in folders for text in _catalogue_strings(folder / "de/LC_MESSAGES/messages.po"))
    content = " ".join(path.read_text() for path in (ROOTS / "zweites-programm/content").rglob("*.*")
                       if path.suffix in (".md", ".yaml"))  # fmt: skip
    phrases = set()
    for folder in folders:
        for language in ENGLISH_CATALOGUES:
            for text in _catalogue_strings(folder / language / "LC_MESSAGES" / "messages.po"):
                for piece in PLACEHOLDER.split(text):
                    phrase = " ".join(piece.split()).strip(" .,:;!?()[]'\"“”‘’–—-·…")
                    if len(re.sub(r"\W", "", phrase)) < 4 or phrase in german:
                        continue
                    if found({"content": content}, phrase, ignore_case=False):
                        continue
                    phrases.add(phrase)
    return phrases


READER_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder", "label")
"""Attributes whose values people read (or hear from a screen reader)."""


def reader_words(data: bytes, *, is_html: bool) -> str:
    """The text of an HTML or XML document and its readable attributes, never its markup, styles or scripts."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        root = lxml_html.document_fromstring(data) if is_html else etree.fromstring(data, etree.XMLParser(recover=True))
    except (etree.ParserError, etree.XMLSyntaxError):
        root = None
    if root is None:
        return ""
    parts: list[str] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if etree.QName(element).localname not in ("script", "style"):
            parts.append(element.text or "")
            parts += [element.get(name) or "" for name in READER_ATTRIBUTES]
            if element.get("name") == "description" or (element.get("property") or "").startswith("og:"):
                parts.append(element.get("content") or "")
        parts.append(element.tail or "")
    return "\n".join(parts)


def _without_addresses(text: str) -> str:
    return " ".join(token for token in text.split() if "://" not in token and "@" not in token
                    and not token.startswith(("/", "./", "../")))  # fmt: skip


@pytest.fixture(scope="module")
def words(project: Path, outputs: dict[str, str]) -> dict[str, str]:
    """What readers get from each output: the text of pages, feeds and e-mails, PDFs as pdftotext reads them."""
    found: dict[str, str] = {}
    for name, text in outputs.items():
        path = name.partition("!")[0]
        if path.endswith(".pdf") or path.endswith(".txt"):
            found[name] = text
        elif path.endswith(".json"):
            found[name] = "\n".join(_json_strings(json.loads(text)))
        elif path.endswith((".html", ".htm", ".xhtml", ".xml", ".opf", ".ncx", ".eml")) or "!" in name:
            is_html = name.endswith((".html", ".htm")) or name.endswith(".eml")
            found[name] = (
                reader_words(text.encode(), is_html=is_html)
                if not path.endswith(".eml")
                else _eml(project / "outputs" / path)
            )
    return {name: _without_addresses(text) for name, text in found.items()}


def _json_strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _json_strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _json_strings(item)]
    return []


def _eml(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
    parts = [str(message["Subject"])]
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            parts.append(part.get_content())
        elif part.get_content_type() == "text/html":
            parts.append(reader_words(part.get_content().encode(), is_html=True))
    return "\n".join(parts)


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
