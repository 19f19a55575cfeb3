"""What is built is what is deployed: every URL on the programme's site that any format prints is a file of
outputs/site/, and `backpub preview` serves each one."""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import urllib.request
import zipfile
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from backpub import Session
from backpub.build import build
from backpub.commands.preview import Preview
from backpub_testkit import ROOTS

AS_OF = date(2026, 11, 29)
TEXT_SUFFIXES = {".xml", ".html", ".xhtml", ".txt", ".json", ".opf", ".ncx", ".css", ".js"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("website")
    shutil.copytree(ROOTS / "feed-audio" / "content", project / "content")
    build(project / "content", as_of=AS_OF, jobs=2)
    return project


def _texts(path: Path) -> list[str]:
    """Every text a reader of this output file sees or follows: parts of e-mails, books and PDFs too."""
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return [path.read_text(encoding="utf-8", errors="replace")]
    if suffix == ".eml":
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        headers = [f"{name}: {value}" for name, value in message.items()]
        return headers + [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
    if suffix == ".epub":
        with zipfile.ZipFile(path) as book:
            return [book.read(name).decode("utf-8", "replace") for name in book.namelist() if not name.endswith(".png")]
    if suffix == ".pdf":
        reader = PdfReader(path)
        uris = [
            str(annotation.get_object().get("/A", {}).get("/URI", ""))
            for page in reader.pages
            for annotation in page.get("/Annots") or []
        ]
        return uris + [page.extract_text() for page in reader.pages]
    return []


def _site_urls(project: Path, site_url: str) -> dict[str, set[str]]:
    """{URL under the site: the output files that print it}."""
    pattern = re.compile(re.escape(site_url) + r"(?:/[^\s\"'<>\\)\]]*)?")
    found: dict[str, set[str]] = {}
    for path in sorted((project / "outputs").rglob("*")):
        if not path.is_file():
            continue
        for text in _texts(path):
            for url in pattern.findall(text):
                url = re.split(r"[?#]", url.rstrip(".,;:"))[0]
                found.setdefault(url, set()).add(path.relative_to(project / "outputs").as_posix())
    return found


def _site_file(site: Path, site_url: str, url: str) -> Path | None:
    relative = url.removeprefix(site_url).lstrip("/")
    for candidate in (site / relative, site / relative / "index.html"):
        if candidate.is_file():
            return candidate
    return None


def test_every_url_any_format_prints_is_a_file_of_the_website_and_the_preview_serves_it(built: Path) -> None:
    session = Session(built / "content", as_of=AS_OF)
    site_url = session.publication.programme.site_url
    newsletter = session.formats(["newsletter"])["newsletter"].options
    services = [url for url in (newsletter.unsubscribe_url, newsletter.signup_form_action) if url]
    urls = {url: where for url, where in _site_urls(built, site_url).items() if not url.startswith(tuple(services))}
    printed_by = {format_name.split("/", 1)[0] for where in urls.values() for format_name in where}
    assert {"feed", "newsletter", "pdf", "site", "json"} <= printed_by  # the book links only within itself
    missing = {
        url: sorted(where) for url, where in urls.items() if _site_file(built / "outputs/site", site_url, url) is None
    }
    assert not missing, missing

    preview = Preview(session, port=0, jobs=1, log=lambda _: None)
    preview.start()
    try:
        for url in sorted(urls):
            path = url.removeprefix(site_url).lstrip("/")
            with urllib.request.urlopen(preview.url + path, timeout=60) as response:
                assert response.status == 200, url
    finally:
        preview.stop()


def test_a_format_built_alone_says_which_links_will_not_resolve_yet(tmp_path: Path) -> None:
    shutil.copytree(ROOTS / "minimal" / "content", tmp_path / "content")
    report = build(tmp_path / "content", formats=["site"], as_of=date(2026, 11, 22), jobs=1)
    notes = "\n".join(report.notes)
    for missing in ("pdf", "epub", "feed"):
        assert f"'{missing}'" in notes, notes
