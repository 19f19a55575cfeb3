"""Every fixed word a format adds comes from a message catalogue: complete in English and German, overridable
by a project's theme, and an untranslated message falls back to English with a `validate` warning."""

from __future__ import annotations

import email
import re
import shutil
import subprocess
import zipfile
from datetime import date
from email import policy
from pathlib import Path

import pytest
from markupsafe import Markup

from backpub.build import build
from backpub.model import Dose
from backpub.text.i18n import CORE_LOCALE, catalogue_keys, extract, messages

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = [ROOT / "src" / "backpub", *sorted(p for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").is_file())]
MINIMAL = ROOT / "tests" / "roots" / "minimal" / "content"
AS_OF = date(2026, 11, 25)
ENGLISH_LABELS = [
    "Related episodes",
    "Protocols covered",
    "THE SUNDAY LETTER",
    "THIS WEEK'S PROTOCOL",
    "Steps",
    "Before you start",
    "Sunday newsletter",
    "cover art",
    "How often",
    "Episode 1",
    "Sunday 22 November",
    "Skip to main content",
    "When to get urgent help",
    ">Contents<",
    "Page 1 of",
    "Content reviewed",
    "Why it feels good",
    "Patient handout",
    "Listen to episode",
    "Urgent help: see page 1",
    "Who this is for",
]


def _po(folder: Path, language: str, entries: dict[str, str]) -> None:
    path = folder / language / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f'\nmsgid "{key}"\nmsgstr "{value}"\n' for key, value in entries.items())
    path.write_text(f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n{body}')


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
@pytest.mark.parametrize("language", ["en", "de"])
def test_every_message_the_code_and_templates_use_is_translated(package, language):
    used = extract(package)
    if not used:
        return
    path = package / "locale" / language / "LC_MESSAGES" / "messages.po"
    assert path.is_file(), f"{path} is missing; run scripts/update-catalogues"
    translated = catalogue_keys(path)
    missing = [f"{key!r} ({', '.join(where)})" for key, where in used.items() if key not in translated]
    assert not missing, f"{path.relative_to(ROOT)} lacks:\n" + "\n".join(missing)
    for key, text in translated.items():  # placeholders survive translation
        msgid = key[0] if isinstance(key, tuple) else key.split("\x04")[-1]
        assert set(re.findall(r"%\(\w+\)s|\{\w+\}", msgid)) <= set(re.findall(r"%\(\w+\)s|\{\w+\}", text)), key


def test_the_extractor_finds_template_and_python_messages():
    used = extract(ROOT / "plugins" / "backpub_site")
    assert "Steps" in used  # {{ _("Steps") }} in protocol.html
    assert "Episodes" in used  # N_("Episodes") in plan.py
    assert any("templates/protocol.html" in where for where in used["Steps"])


def test_a_missing_translation_falls_back_to_english_and_is_named(tmp_path):
    _po(tmp_path, "en", {"Only in English": "Only in English"})
    words = messages("de-DE", [tmp_path])
    assert words.gettext("Only in English") == "Only in English"
    assert words.gettext("Time") == "Dauer"
    assert words.missing() == ["Only in English"]
    assert messages("en-GB", [tmp_path]).missing() == []


def test_british_english_is_the_source_and_us_spelling_can_differ(tmp_path):
    _po(tmp_path, "en_US", {"Colour": "Color"})
    assert messages("en-US", [tmp_path]).gettext("Colour") == "Color"
    assert messages("en-GB", [tmp_path]).gettext("Colour") == "Colour"
    assert messages("en-US").format_date(date(2026, 11, 29)) == "November 29, 2026"
    assert messages("en-GB").format_date(date(2026, 11, 29)) == "29 November 2026"


def test_doses_in_the_programmes_language():
    dose = Dose.model_validate({"duration": "1.5-3 min", "repetitions": "8-12", "frequency": "daily"})
    assert dose.parts() == [("Time", "1.5–3 min"), ("Repetitions", "8–12"), ("How often", "daily")]
    assert dose.parts(messages("en-GB")) == dose.parts()
    assert dose.parts(messages("de-DE")) == [("Dauer", "1,5–3 Min."), ("Wiederholungen", "8–12"), ("Wie oft", "daily")]
    from backpub.prose.doses import part_text

    assert part_text(dose, "duration", "en-GB") == "1.5 to 3 minutes"
    assert part_text(dose, "duration", "de-DE") == "1,5 bis 3 Minuten"
    assert part_text(dose, "repetitions", "de-DE") == "8 bis 12 Wiederholungen"
    one = Dose.model_validate({"duration": "1 min", "sets": 1})
    assert part_text(one, None, "en-GB") == "1 minute, 1 set"
    assert part_text(one, None, "de") == "1 Minute, 1 Satz"


def test_the_core_catalogue_ships_in_the_package():
    assert (CORE_LOCALE / "de" / "LC_MESSAGES" / "messages.po").is_file()


# -- a programme in German ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def german(tmp_path_factory):
    """The minimal programme in German, without its English wording, with a theme that overrides one message."""
    project = tmp_path_factory.mktemp("de")
    content = project / "content"
    shutil.copytree(MINIMAL, content)
    settings = content / "programme.yaml"
    text = settings.read_text().replace("language: en-GB", "language: de-DE")
    text = re.sub(r"wording:\n(?:  .*\n)+", "", text)
    settings.write_text(text)
    _po(project / "theme" / "site" / "locale", "de", {"You will need": "Das brauchen Sie"})
    build(content, formats=["site", "epub", "newsletter", "feed", "json", "pdf"], as_of=AS_OF, jobs=1)
    return project


def _texts(project: Path) -> dict[str, str]:
    outputs = project / "outputs"
    found = {}
    for path in sorted(outputs.rglob("*")):
        relative = path.relative_to(outputs).as_posix()
        if path.suffix in (".html", ".xml", ".txt", ".json"):
            found[relative] = path.read_text()
        elif path.suffix == ".eml":
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            parts = [str(message["List-Id"])] + [
                part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
            ]
            found[relative] = "\n".join(parts)
        elif path.suffix == ".pdf":
            text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
            found[relative] = " ".join(text.split())  # words a line break split are found again
        elif path.suffix == ".epub":
            with zipfile.ZipFile(path) as book:
                for name in book.namelist():
                    if name.endswith((".xhtml", ".opf", ".ncx")):
                        found[f"{relative}!{name}"] = book.read(name).decode()
    return found


def test_a_german_build_prints_no_english_label(german):
    texts = _texts(german)
    kinds = {name.split("/")[0] for name in texts}
    assert {"site", "epub", "newsletter", "feed", "pdf"} <= kinds, kinds
    found = [f"{name}: {label!r}" for name, text in texts.items() for label in ENGLISH_LABELS if label in text]
    assert not found, "English words in a German build:\n" + "\n".join(found)
    everything = "\n".join(texts.values())
    for german_word in ("Schritte", "Bevor Sie beginnen", "Der Sonntagsbrief".upper(), "Folge 1", "Dauer", "3–5 Min."):
        assert german_word in everything, german_word
    pdfs = "\n".join(text for name, text in texts.items() if name.startswith("pdf"))
    pack = next(text for name, text in texts.items() if name.endswith("/pack.pdf"))
    assert re.search(r"Seite 1 von \d", pdfs) and re.search(r"Seite 2 von \d", pack) and "Inhalt" in pack
    for german_words in (
        "Inhalt geprüft am 1. November 2026",
        "Wann Sie sofort Hilfe brauchen",
        "Patienteninformation",
        "Ihre Dosis:",
        "Sofort Hilfe holen: siehe Seite 3 · Notruf: 999",
    ):
        assert german_words in pdfs, german_words
    newsletter = "\n".join(text for name, text in texts.items() if name.startswith("newsletter"))
    assert "Sonntag, 22. November 2026" in newsletter
    assert "Sonntagsbrief <sunday.minimal.example.org>" in newsletter


def test_a_theme_overrides_one_message(german):
    page = next((german / "outputs" / "site").rglob("protocols/ice*/index.html")).read_text()
    assert "Das brauchen Sie" in page
    assert "Sie brauchen" not in page  # the catalogue's own translation is overridden
    assert "Schritte" in page  # the rest still comes from the catalogue


def test_validate_warns_about_an_untranslated_message_naming_it_and_the_format(german, run_cli):
    _po(german / "theme" / "feed" / "locale", "en", {"Heard on the radio": "Heard on the radio"})
    try:
        result = run_cli("validate", str(german / "content"), "--as-of", AS_OF.isoformat(), cwd=german)
    finally:
        shutil.rmtree(german / "theme" / "feed")
    output = result.output
    assert "[feed]" in output and "'Heard on the radio'" in output and "German" in output, output
    assert "[site]" not in output or "Heard on the radio" not in output.split("[site]")[1].split("\n")[0]


def test_shipped_us_spellings_keep_their_placeholders_and_change_only_spelling():
    variants = sorted(ROOT.glob("plugins/*/locale/en_US/LC_MESSAGES/messages.po"))
    assert len(variants) >= 4
    for path in variants:
        english = catalogue_keys(path.parents[2] / "en" / "LC_MESSAGES" / "messages.po")
        for key, text in catalogue_keys(path).items():
            assert key in english, f"{path}: {key!r} is not an English message"
            msgid = key[0] if isinstance(key, tuple) else key
            assert re.findall(r"%\(\w+\)s", msgid) == re.findall(r"%\(\w+\)s", text), key
            assert text != english[key]
    pdf = messages("en-US", [ROOT / "plugins" / "backpub_pdf" / "locale"])
    assert pdf.gettext("Find the full %(title)s programme online") == "Find the full %(title)s program online"
    assert messages("en-GB", [ROOT / "plugins" / "backpub_pdf" / "locale"]).gettext("Steps") == "Steps"


def test_editing_a_theme_catalogue_renders_the_pages_that_print_it_again(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(MINIMAL, content)
    build(content, formats=["site"], as_of=AS_OF, jobs=1)
    page = next((tmp_path / "outputs" / "site").rglob("protocols/ice*/index.html"))
    assert ">Steps<" in page.read_text()
    _po(tmp_path / "theme" / "locale", "en", {"Steps": "What to do, step by step"})
    build(content, formats=["site"], as_of=AS_OF, jobs=1)
    assert ">What to do, step by step<" in page.read_text()
    _po(tmp_path / "theme" / "locale", "en", {"Steps": "One step at a time"})
    build(content, formats=["site"], as_of=AS_OF, jobs=1)
    assert ">One step at a time<" in page.read_text()


def test_quotation_marks_are_the_languages_in_plain_text_markdown_and_templates():
    from backpub import render, typographic, typographic_text

    english, german = messages("en-GB").quotes(), messages("de").quotes()
    assert (english, german) == ("“”‘’", "„“‚‘")
    text = "Taking \"sciatica\" as the diagnosis, don't stretch the 'leg'."
    assert typographic(text, english) == "Taking “sciatica” as the diagnosis, don’t stretch the ‘leg’."
    assert typographic(text, german) == "Taking „sciatica“ as the diagnosis, don’t stretch the ‚leg‘."
    assert typographic("A <b> & 5 * 2_x", english) == "A <b> & 5 * 2_x", "nothing else in plain text changes"
    html = render('"Lumbogenic" is [*a* word](https://example.org/?a="b").', quotes=german)
    assert html == '<p>„Lumbogenic“ is <a href="https://example.org/?a=%22b%22"><em>a</em> word</a>.</p>\n'
    assert render('"x"') == "<p>&quot;x&quot;</p>\n", "without quotes, Markdown renders as before"
    finalize = typographic_text(english)
    assert finalize("it's") == "it’s" and finalize("https://example.org/it's") == "https://example.org/it's"
    assert finalize(Markup('<a title="x">it\'s</a>')) == Markup('<a title="x">it\'s</a>'), "markup is left alone"
