"""No network and no file outside the project during a build, whatever the content or a theme points at.

A TCP server on 127.0.0.1 counts every connection (plain HTTP or a TLS handshake alike). Hostile content must be
refused with a located error (exit 1, path:line, no traceback) by every format's build; hostile theme CSS and plain
hyperlinks build, and still nothing connects.
"""

from __future__ import annotations

import re
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from backpub_testkit import edit, serve_in_thread

FORMATS = ["json", "feed", "epub", "newsletter", "site", "pdf"]
AS_OF = "2026-11-25"


class Counter(socketserver.ThreadingTCPServer):
    """Counts connections and answers like a tiny web server, so a fetcher that got through would get bytes."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.connections = 0
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return self.server_address[1]


class _Answer(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        with self.server.lock:  # type: ignore[attr-defined]
            self.server.connections += 1  # type: ignore[attr-defined]
        self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/css\r\nContent-Length: 2\r\n\r\n{}")


@pytest.fixture
def counter() -> Iterator[Counter]:
    server = Counter()
    serve_in_thread(server)
    yield server
    server.shutdown()
    server.server_close()


def hostile_urls(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/x.png",
        f"https://127.0.0.1:{port}/x.png",
        f"//127.0.0.1:{port}/x.png",
        "file:///etc/passwd",
    ]


# (name, file, text to replace, replacement with {url}, the line the error must point at)
EPISODE = "content/episodes/episode-one.md"
ICE = "content/protocols/ice.md"
CLINIC = "content/clinics/test-clinic.md"
BODY = ("## The article\n", "## The article\n\n{html}\n")
CONTENT_CASES = {
    "protocol image": (ICE, "phase: phase-one\n", "phase: phase-one\nimage:\n  src: {url}\n  alt: An ice pack\n", 5),
    "clinic logo": (CLINIC, "paper: Letter\n", "paper: Letter\nlogo: {url}\n", 9),
    "programme artwork": ("content/programme.yaml", "artwork: assets/artwork.png", "artwork: {url}", 7),
    "markdown image": (EPISODE, *BODY, 19),
    "raw img": (EPISODE, *BODY, 19),
    "raw srcset": (EPISODE, *BODY, 19),
    "raw link stylesheet": (EPISODE, *BODY, 19),
    "style @import": (EPISODE, *BODY, 19),
    "style url()": (EPISODE, *BODY, 19),
    "iframe": (EPISODE, *BODY, 19),
    "object": (EPISODE, *BODY, 19),
    "video poster": (EPISODE, *BODY, 19),
    "svg image": (EPISODE, *BODY, 19),
    "concept analogy image": (
        "content/concepts/back-not-leg.md",
        "  body: Knock your elbow and your fingers tingle.",
        "  body: 'Knock your elbow. ![x]({url})'",
        8,
    ),
}
HTML = {
    "markdown image": "Look: ![a wall]({url})",
    "raw img": '<img src="{url}" alt="a wall">',
    "raw srcset": '<img src="assets/artwork.png" srcset="{url} 2x" alt="art">',
    "raw link stylesheet": '<link rel="stylesheet" href="{url}">',
    "style @import": "<style>@import '{url}';</style>",
    "style url()": '<p style="background: url({url})">Words.</p>',
    "iframe": '<iframe src="{url}"></iframe>',
    "object": '<object data="{url}"></object>',
    "video poster": '<video poster="{url}"></video>',
    "svg image": '<svg><image href="{url}"/></svg>',
}


def make_hostile(project: Path, case: str, url: str) -> tuple[str, int]:
    relative, old, new, line = CONTENT_CASES[case]
    html = HTML.get(case, "").replace("{url}", url)
    edit(project / relative, old, new.replace("{html}", html).replace("{url}", url))
    return relative, line


def assert_refused(result, relative: str, line: int) -> None:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert f"{relative}:{line}:" in result.output, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_content_is_refused_with_a_located_error_and_nothing_connects(make_project, run_cli, counter, fmt):
    urls = hostile_urls(counter.port)
    for number, case in enumerate(CONTENT_CASES):
        # Each format sees every case; across the formats every case meets every kind of URL.
        url = urls[(number + FORMATS.index(fmt)) % len(urls)]
        project = make_project(name=f"{fmt}-{number}")
        relative, line = make_hostile(project, case, url)
        result = run_cli("build", "-f", fmt, "--as-of", AS_OF, "--jobs", "1", cwd=project)
        assert_refused(result, relative, line)
        assert not (project / "outputs").exists()
    assert counter.connections == 0


@pytest.mark.parametrize(
    ("asset", "why"),
    [
        ("../programme-outside.png", "outside|\\.\\."),
        ("/etc/passwd", "absolute"),
        ("assets/leak.png", "outside the content folder"),  # a symlink to a file outside the project
        ("assets/linked/hosts", "outside the content folder"),  # through a symlinked folder
    ],
)
def test_asset_paths_outside_the_content_folder_are_refused(project, run_cli, asset, why):
    outside = project.parent / "secret.png"
    outside.write_bytes((project / "content/assets/artwork.png").read_bytes())
    (project / "content/assets/leak.png").symlink_to(outside)
    (project / "content/assets/linked").symlink_to("/etc")
    (project / "programme-outside.png").write_bytes(b"x")
    for relative, old, new in [
        (ICE, "phase: phase-one\n", f"phase: phase-one\nimage:\n  src: {asset}\n  alt: An ice pack\n"),
        (EPISODE, "## The article\n", f"## The article\n\n![a wall]({asset})\n"),
        ("content/programme.yaml", "artwork: assets/artwork.png", f"artwork: {asset}"),
    ]:
        original = (project / relative).read_text()
        edit(project / relative, old, new)
        result = run_cli("build", "-f", "site", "-f", "json", "--as-of", AS_OF, "--jobs", "1", cwd=project)
        assert result.exit_code == 1, (relative, result.output)
        assert re.search(rf"{re.escape(relative)}:\d+:\d+: error: .*({why})", result.output), result.output
        (project / relative).write_text(original)
    assert not (project / "outputs").exists()


THEMES = {
    "pdf/pdf.css": "@import url('http://127.0.0.1:{port}/a.css');\n"
    "@font-face {{ font-family: X; src: url('https://127.0.0.1:{port}/f.woff2'); }}\n"
    "body {{ background: url('http://127.0.0.1:{port}/bg.png'); }}\n"
    "h1 {{ background: url('file:///etc/passwd'); }}\n",
    "epub/book.css": "@import url('http://127.0.0.1:{port}/a.css');\n"
    "body {{ background: url('//127.0.0.1:{port}/bg.png'); }}\n",
    "newsletter/email.css": "@import url('http://127.0.0.1:{port}/a.css');\n"
    "body {{ background: url('http://127.0.0.1:{port}/bg.png'); }}\n",
    "site/site.css": "@import url('http://127.0.0.1:{port}/a.css');\nbody {{ color: #111; }}\n",
}


def write_theme(project: Path, port: int) -> None:
    for relative, css in THEMES.items():
        path = project / "theme" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(css.format(port=port))


THEMED = {"epub": "book.css", "newsletter": "email.css", "site": "site.css", "pdf": "pdf.css"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_theme_css_and_plain_links_never_connect(project, run_cli, counter, fmt):
    """Themes are trusted to style, not to fetch: each build refuses the theme or drops the reference; no connection."""
    write_theme(project, counter.port)
    link = f"http://127.0.0.1:{counter.port}/page"
    edit(
        project / EPISODE,
        "## The article\n",
        f'## The article\n\nSee [a guide]({link}) and <a href="{link}2">this</a>.\n',
    )
    result = run_cli("build", "-f", fmt, "--as-of", AS_OF, "--jobs", "1", cwd=project)
    assert "Traceback" not in result.output
    assert counter.connections == 0, f"{fmt} connected {counter.connections} time(s)"
    if fmt in THEMED:  # refused before rendering, located in the theme file (the pdf fetcher would refuse too)
        assert result.exit_code == 1, result.output
        assert f"theme/{fmt}/{THEMED[fmt]}:1:1: error: [{fmt}] the theme loads 'http://127.0.0.1:" in result.output
        assert not (project / "outputs").exists()
    else:  # json and feed have no stylesheet: they build, and a plain hyperlink is never fetched
        assert result.exit_code == 0, result.output
    if result.exit_code == 0:
        for path in (project / "outputs" / fmt).rglob("*"):
            if path.is_file():
                assert f"127.0.0.1:{counter.port}/a.css".encode() not in path.read_bytes(), path


def test_the_counting_server_does_count(counter):
    """The zero counts above mean something: a real fetch is seen."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{counter.port}/x.css", timeout=5) as answer:
        assert answer.read() == b"{}"
    assert counter.connections == 1


def test_hostile_theme_template_is_refused_at_its_line(project, run_cli, counter):
    """A theme template (not only a stylesheet) that loads a remote image or script is refused before rendering."""
    template = project / "theme" / "site" / "base.html"
    template.parent.mkdir(parents=True)
    template.write_text(
        '<a href="https://example.org/ok">plain links are fine</a>\n'
        f'<img src="http://127.0.0.1:{counter.port}/pixel.png" alt="">\n'
        '<img src="{{ image }}" alt="filled in from checked content">\n'
        f'<script src="//127.0.0.1:{counter.port}/x.js"></script>\n'
    )
    result = run_cli("build", "-f", "site", "--as-of", AS_OF, cwd=project)
    assert result.exit_code == 1, result.output
    assert f"theme/site/base.html:2:1: error: [site] the theme loads 'http://127.0.0.1:{counter.port}/pixel.png'" in (
        result.output
    )
    assert f"theme/site/base.html:4:1: error: [site] the theme loads '//127.0.0.1:{counter.port}/x.js'" in result.output
    assert "example.org/ok" not in result.output
    assert counter.connections == 0
