"""Helpers for the site tests: building projects and a crawler of the output (imported by conftest and tests)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from posixpath import join as url_join
from posixpath import normpath
from urllib.parse import urlsplit

import pytest

from backpub import Session
from backpub.build import BuildReport, build
from backpub.content.publication import Publication
from backpub_testkit import FULL_PROGRAMME

REPO = Path(__file__).resolve().parents[3]
FULL = FULL_PROGRAMME
MINIMAL = REPO / "tests" / "roots" / "minimal" / "content"
AS_OF = date(2026, 12, 31)
"""After the full test programme's episode's release (2026-11-22)."""


@dataclass
class Built:
    """A project whose site was built, with its publication as the build saw it."""

    project: Path
    publication: Publication
    report: BuildReport
    as_of: date

    @property
    def outputs(self) -> Path:
        return self.project / "outputs"

    @property
    def site(self) -> Path:
        return self.outputs / "site"


def build_project(
    source: Path, target: Path, *, as_of: date = AS_OF, formats: tuple[str, ...] = ("site",), cache: bool = True
) -> Built:
    """Copy a content folder into `target` (unless there already) and build the given formats."""
    if not (target / "content").exists():
        shutil.copytree(source, target / "content")
    report = build(target / "content", formats=list(formats), as_of=as_of, jobs=2, use_cache=cache)
    publication = Session(target / "content", as_of=as_of).publication
    return Built(target, publication, report, as_of)


# ---------------------------------------------------------------------------------------------
# The crawler


@dataclass
class Reference:
    """One URL a page refers to: the element, the attribute, its value, and the <link rel> if any."""

    page: str
    tag: str
    attribute: str
    value: str
    rel: str = ""


@dataclass
class ParsedPage:
    """What the crawler reads from one HTML file."""

    path: str
    references: list[Reference] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    scripts: list[tuple[str, str]] = field(default_factory=list)
    """(type attribute, text) of every <script>."""
    headings: list[int] = field(default_factory=list)
    lang: str | None = None
    title: str = ""
    meta: dict[str, str] = field(default_factory=dict)


class _PageParser(HTMLParser):
    URL_ATTRIBUTES = frozenset({"href", "src", "action", "poster", "srcset", "data"})

    def __init__(self, page: ParsedPage) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self._script_type: str | None = None
        self._script_text: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        for name, value in attributes.items():
            if name in self.URL_ATTRIBUTES:
                self.page.references.append(Reference(self.page.path, tag, name, value, attributes.get("rel", "")))
        if "id" in attributes:
            self.page.ids.add(attributes["id"])
        if tag == "html":
            self.page.lang = attributes.get("lang")
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.page.headings.append(int(tag[1]))
        if tag == "meta":
            key = attributes.get("property") or attributes.get("name")
            if key:
                self.page.meta[key] = attributes.get("content", "")
        if tag == "script":
            self._script_type = attributes.get("type", "")
            self._script_text = []
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script_type is not None:
            self.page.scripts.append((self._script_type, "".join(self._script_text)))
            self._script_type = None
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._script_type is not None:
            self._script_text.append(data)
        if self._in_title:
            self.page.title += data


def parse_page(site: Path, relative: str) -> ParsedPage:
    """Parse one built HTML page with html.parser."""
    page = ParsedPage(relative)
    parser = _PageParser(page)
    parser.feed((site / relative).read_text(encoding="utf-8"))
    parser.close()
    return page


def html_pages(site: Path) -> list[str]:
    """Every HTML file of a built site, as site-relative paths."""
    return sorted(path.relative_to(site).as_posix() for path in site.rglob("*.html"))


def resolve(page: str, value: str) -> str:
    """A relative reference from a page, as a site-relative file path ('' for the site root)."""
    path = urlsplit(value).path
    base = page.rsplit("/", 1)[0] if "/" in page else ""
    joined = normpath(url_join(base, path)) if path else page
    if joined.startswith("../") or joined == "..":
        raise AssertionError(f"{page}: {value!r} leaves the site folder")
    if path.endswith("/") or joined == ".":
        joined = "index.html" if joined == "." else f"{joined}/index.html"
    return joined


def site_file_for_url(site_url: str, url: str) -> str:
    """The site-relative file an absolute URL on the programme's site is served from."""
    assert url.startswith(site_url + "/"), url
    path = url[len(site_url) + 1 :]
    return path + "index.html" if path == "" or path.endswith("/") else path


def crawl_problems(built: Built) -> list[str]:
    """Every reference on every page that does not resolve, or that would make a browser fetch a third party."""
    site, programme = built.site, built.publication.programme
    audio_urls = {episode.audio.url for episode in built.publication.episodes}
    problems = []
    for relative in html_pages(site):
        page = parse_page(site, relative)
        for ref in page.references:
            value = ref.value
            if value.startswith("#"):
                if value[1:] not in page.ids:
                    problems.append(f"{relative}: fragment {value} has no target")
                continue
            if value.startswith(("mailto:", "tel:")):
                continue
            if re.match(r"^[a-z]+:|^//", value):
                problems += _absolute_problem(built, relative, ref, audio_urls)
                continue
            target = resolve(relative, value)
            if not (site / target).is_file():
                problems.append(f"{relative}: {ref.tag} {ref.attribute}={value!r} -> {target} is not built")
        if programme.formats["newsletter"].get("signup_form_action") is None:  # the only form: the site search
            assert not any(ref.tag == "form" and re.match(r"^[a-z]+:|^//", ref.value) for ref in page.references)
    return problems


def _absolute_problem(built: Built, page: str, ref, audio_urls: set[str]) -> list[str]:
    """Absolute URLs: navigation links may go anywhere, but nothing may be fetched from a third party."""
    programme = built.publication.programme
    site_url = programme.site_url
    own = ref.value == site_url or ref.value.startswith(site_url + "/")
    configured = {programme.formats["feed"]["feed_url"], programme.formats["feed"]["artwork_url"]}
    if ref.tag == "a" and ref.value in configured:
        return []  # published by the feed format at the address the programme settings give
    if ref.value.startswith("data:"):
        return []  # inline (the newsletter's web edition embeds its images): nothing is fetched
    newsletter = programme.formats.get("newsletter", {})
    services = [url for url in (newsletter.get("unsubscribe_url"), newsletter.get("signup_form_action")) if url]
    if ref.tag == "a" and services and ref.value.startswith(tuple(services)):
        return []  # answered by the subscription service, not a file of the site
    if ref.tag == "a":
        if own:
            target = site_file_for_url(site_url, re.split(r"[?#]", ref.value)[0])
            if not (built.site / target).is_file():
                return [f"{page}: link {ref.value} is on the programme's site but not built"]
        return []
    if (
        ref.tag == "link"
        and ref.rel in ("canonical", "alternate")
        and (own or ref.value == programme.formats["feed"]["feed_url"])
    ):
        return []
    if ref.tag == "audio" and ref.value in audio_urls:
        return []
    episodes = built.publication.episodes
    if ref.tag == "source" and ref.value in {e.video.url for e in episodes if e.video}:
        return []  # the video on the programme's own media host, like the audio
    if ref.tag == "track" and ref.value in {e.transcript.url for e in episodes if e.transcript}:
        return []
    if ref.tag == "form" and ref.value == programme.formats["newsletter"].get("signup_form_action"):
        return []
    return [f"{page}: <{ref.tag} {ref.attribute}={ref.value!r}> would fetch from outside the site"]


# ---------------------------------------------------------------------------------------------
# Headless Chromium (the fixtures are in conftest.py)

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE_INSTALLED = REPO / ".cache" / "node" / "node_modules" / "axe-core" / "axe.min.js"
"""Where scripts/test installs axe-core (npm, outside the source tree's Python packages)."""
AXE = Path(os.environ.get("AXE_CORE_JS") or AXE_INSTALLED)
REQUIRE_FLAGS = ("CI", "BACKPUB_REQUIRE_BROWSER_TESTS")
"""Set by CI services (CI=true) and by scripts/test: a missing browser-test tool then fails the run."""


def require(condition: bool, what: str) -> None:
    """Skip when a browser-test tool is missing in a plain local `pytest`; fail where the tools must be there (CI,
    scripts/test), so the browser tests can never be skipped silently there."""
    if condition:
        return
    if any(os.environ.get(flag) for flag in REQUIRE_FLAGS):
        pytest.fail(f"{what} is required for the browser tests (see scripts/test)")
    pytest.skip(f"{what} is not installed (scripts/test installs it)")


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves a folder without logging every request."""

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def axe_in_every_page(browser) -> Iterator[None]:
    """axe-core in every page the browser opens inside the block, loaded by Chromium itself (DevTools protocol)
    before the page's own scripts: the half-megabyte script crosses WebDriver once instead of after every page
    load, which took about 0.1 s a page."""
    source = AXE.read_text(encoding="utf-8")
    added = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})
    try:
        yield
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": added["identifier"]})
