"""Raw HTML that validation lets through (it fetches nothing) is sanitised in every format's built output.

One project carries scripts, event handlers, javascript: links, iframes, forms and SVG handlers in an episode's
article and show notes and in a concept's text; every format is built once and each output is scanned in the form
a reader gets it (the EPUB unzipped, the email's parts decoded, the feed's escaped HTML unescaped, the PDF's
actions and text). The secret SMTP password set during the build appears in no output, cache or state file.
"""

from __future__ import annotations

import email
import json
import re
import subprocess
import zipfile
from datetime import date
from email import policy
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pikepdf
import pytest

from backpub.build import build
from backpub_testkit import ROOTS, edit

FORMATS = ["json", "feed", "epub", "newsletter", "site", "pdf"]
PASSWORD = "Sup3r-Secret-SMTP-pw-7f3a"
HOSTILE = (
    "Safe words stay.\n\n"
    "<script>STEAL_SCRIPT()</script>\n\n"
    '<p onclick="STEAL_CLICK()">Click words stay.</p>\n\n'
    "[a javascript link](javascript:STEAL_LINK())\n\n"
    '<a href="https://example.org/ok" onmouseover="STEAL_HOVER()">An allowed link</a>\n\n'
    '<iframe></iframe><form><input name="pw"><button>STEAL_FORM</button></form>\n\n'
    '<img src="assets/artwork.png" onerror="STEAL_IMG()" alt="Artwork">\n\n'
    '<svg onload="STEAL_SVG()"><circle r="1"/></svg>\n\n'
    '<details ontoggle="STEAL_TOGGLE()" open><summary>More</summary>Details stay.</details>\n'
)
# Visible text may keep the refused Markdown link's words (markdown-it leaves it as plain text) and the plain-text
# summary's words (shown literally, escaped; the parser check proves they are not markup); nothing else may stay.
ALLOWED_MARKERS = {"STEAL_LINK", "STEAL_LD"}
ACTIVE_TAGS = {"script", "iframe", "form", "input", "object", "embed", "frame", "frameset", "base", "meta-refresh"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


class ActiveContent(HTMLParser):
    """Lists what would run in a browser or reader: script elements (but JSON-LD), handlers, script URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.json_ld: list[str] = []
        self._in_json_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and attributes.get("type") == "application/ld+json":
            self._in_json_ld = True
            self.json_ld.append("")
        elif tag in ACTIVE_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}")
            if name in URL_ATTRIBUTES and re.match(r"\s*(javascript|vbscript|data:text)", value or "", re.I):
                self.found.append(f"{tag} {name}={value}")

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        if self._in_json_ld:
            self.json_ld[-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_json_ld = False


def active_content(markup: str) -> list[str]:
    parser = ActiveContent()
    parser.feed(markup)
    parser.close()
    for block in parser.json_ld:
        json.loads(block)  # structured data stays data: it parses whole, nothing broke out of it
    return parser.found


def markers(text: str) -> set[str]:
    return set(re.findall(r"STEAL_[A-Z]+", text)) - ALLOWED_MARKERS


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The minimal project with hostile raw HTML, built in every format with the SMTP password in the environment."""
    import shutil

    project = tmp_path_factory.mktemp("hostile") / "project"
    shutil.copytree(ROOTS / "minimal" / "content", project / "content")
    edit(project / "content/episodes/episode-one.md", "Sciatica is a back problem.\n", HOSTILE)
    edit(
        project / "content/episodes/episode-one.md",
        "  - What sciatica is\n",
        "  - What sciatica is <script>STEAL_NOTES()</script> <b onclick='STEAL_NOTES()'>bold</b>\n",
    )
    edit(project / "content/concepts/back-not-leg.md", "Try the [ice](@ice).", f"Try the [ice](@ice).\n\n{HOSTILE}")
    edit(
        project / "content/concepts/back-not-leg.md",
        "summary: The leg pain starts in the lower back.",
        "summary: 'The leg pain starts </script><script>STEAL_LD()</script> in the lower back.'",
    )
    # the long form prints concepts' bodies, where the hostile Markdown sits (a sheet shows short cards)
    edit(project / "content/handouts/first-steps.md", "reviewed:", "layout: booklet\nreviewed:")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("BACKPUB_SMTP_PASSWORD", PASSWORD)
    try:
        build(project / "content", formats=FORMATS, as_of=date(2026, 11, 25), jobs=2)
    finally:
        monkeypatch.undo()
    return project


def readable_documents(project: Path, fmt: str) -> dict[str, str]:
    """Each output of a format as the text a reader's software interprets."""
    folder = project / "outputs" / fmt
    documents: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.suffix in (".html", ".xhtml", ".txt", ".css"):
            documents[name] = path.read_text()
        elif path.suffix == ".xml":  # the feed carries HTML as escaped text: the text of its elements is the HTML
            documents[f"{name}#0.html"] = "\n".join(ElementTree.parse(path).getroot().itertext())
        elif path.suffix == ".eml":
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            for number, part in enumerate(message.walk()):
                if part.get_content_maintype() == "text":
                    documents[f"{name}#{number}.{part.get_content_subtype()}"] = part.get_content()
        elif path.suffix == ".epub":
            with zipfile.ZipFile(path) as book:
                for member in book.namelist():
                    if member.endswith((".xhtml", ".html", ".opf", ".ncx", ".css")):
                        documents[f"{name}!{member}"] = book.read(member).decode()
        elif path.suffix == ".pdf":
            text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
            documents[f"{name} (text)"] = text
    return documents


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    """The same project without the hostile content: what the formats' own themes put on every page."""
    import shutil

    project = tmp_path_factory.mktemp("clean") / "project"
    shutil.copytree(ROOTS / "minimal" / "content", project / "content")
    build(project / "content", formats=["site"], as_of=date(2026, 11, 25), jobs=1)
    return project


@pytest.mark.parametrize("fmt", ["feed", "epub", "newsletter", "site", "pdf"])
def test_active_content_is_removed_and_the_words_survive(built, clean, fmt):
    documents = readable_documents(built, fmt)
    assert documents, f"{fmt} wrote nothing readable"
    # The site's own theme has a search box and its script; content may add nothing active to any page.
    themes = readable_documents(clean, fmt) if fmt == "site" else {}
    for name, text in documents.items():
        if re.search(r"\.(x?html|xml)$|#\d+\.html$", name):
            assert active_content(text) == active_content(themes.get(name, "")), f"{fmt} {name}"
        assert markers(text) == set(), f"{fmt} {name}: script or handler text survived"
    everything = "\n".join(documents.values())
    assert "Safe words stay." in everything or fmt == "feed", f"{fmt} lost the article's words"


def test_the_feed_keeps_show_notes_without_their_script(built):
    feed = (built / "outputs/feed/podcast.xml").read_text()
    assert "What sciatica is" in "".join(ElementTree.parse(built / "outputs/feed/podcast.xml").getroot().itertext())
    assert "STEAL_NOTES" not in feed


def test_json_carries_the_source_text_not_rendered_html(built):
    """JSON is data for other tools: it holds the Markdown as written, and no rendered HTML to trust."""
    document = json.loads((built / "outputs/json/programme.json").read_text())
    episode = document["entities"]["episodes"][0]
    assert "<script>STEAL_SCRIPT()</script>" in episode["body"]  # verbatim source, clearly not HTML output
    assert "<p" not in json.dumps(document).replace("<p onclick", "")


def test_pdfs_have_no_javascript_launch_or_javascript_uri_actions(built):
    pdfs = sorted((built / "outputs/pdf").rglob("*.pdf"))
    assert len(pdfs) >= 2
    for path in pdfs:
        with pikepdf.open(path) as pdf:
            assert "/JavaScript" not in pdf.Root.get("/Names", {}), path
            assert "/OpenAction" not in pdf.Root, path
            uris = []
            for page in pdf.pages:
                for annotation in page.get("/Annots", []):
                    action = annotation.get("/A", {})
                    assert action.get("/S") not in ("/JavaScript", "/Launch", "/SubmitForm", "/ImportData"), path
                    assert "/AA" not in annotation, path
                    if action.get("/S") == "/URI":
                        uris.append(str(action.get("/URI")))
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Dictionary):
                    assert "/JS" not in obj and obj.get("/S") not in ("/JavaScript", "/Launch"), path
        assert uris, f"{path.name}: expected at least one link"
        assert not [uri for uri in uris if not uri.startswith(("https:", "http:", "mailto:", "tel:"))], uris


def test_the_smtp_password_is_in_no_output_cache_or_state_file(built):
    leaked = []
    for folder in (built / "outputs", built / ".backpub"):
        assert folder.is_dir()
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                if PASSWORD.encode() in data:
                    leaked.append(path)
                if path.suffix == ".epub":
                    with zipfile.ZipFile(path) as book:
                        leaked += [f"{path}!{m}" for m in book.namelist() if PASSWORD.encode() in book.read(m)]
    assert leaked == []
