"""The epub format's checks and options: cover image, SVG safety, theme overrides, and XHTML clean-up."""

from __future__ import annotations

import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest

from backpub.build import build
from backpub.errors import ContentError

MINIMAL = Path(__file__).resolve().parents[3] / "tests/roots/minimal/content"
AS_OF = date(2026, 11, 22)
SAFE_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>'


@pytest.fixture
def content(tmp_path: Path) -> Path:
    shutil.copytree(MINIMAL, tmp_path / "content")
    return tmp_path / "content"


def _illustrate(content: Path, svg: str) -> None:
    (content / "assets/images").mkdir()
    (content / "assets/images/ice pack.svg").write_text(svg)
    protocol = content / "protocols/ice.md"
    text = protocol.read_text()
    image = "image:\n  src: assets/images/ice pack.svg\n  alt: An ice pack on the lower back.\n"
    protocol.write_text(text.replace("reviewed:", image + "reviewed:", 1))


def _epub(content: Path) -> zipfile.ZipFile:
    build(content, formats=["epub"], as_of=AS_OF, jobs=1)
    return zipfile.ZipFile(content.parent / "outputs/epub/minimal-programme.epub")


def test_an_illustration_gets_a_safe_file_name_and_its_alt_text(content: Path):
    _illustrate(content, SAFE_SVG)
    book = _epub(content)
    assert "EPUB/media/images/ice_pack.svg" in book.namelist()
    chapter = book.read("EPUB/phase-phase-one.xhtml").decode()
    assert '<img src="media/images/ice_pack.svg" alt="An ice pack on the lower back."/>' in chapter


@pytest.mark.parametrize(
    "svg",
    [
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><rect onload="alert(1)"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://tracker.example/x.png"/></svg>',
    ],
)
def test_unsafe_svg_is_refused_at_the_entity_that_uses_it(content: Path, svg: str):
    _illustrate(content, svg)
    with pytest.raises(ContentError) as refused:
        _epub(content)
    (problem,) = refused.value.problems
    # one asset policy for every format: refused by validation at the field that uses it, before any format renders
    assert problem.path.endswith("protocols/ice.md") and problem.message.endswith("refused")


def test_a_given_cover_image_is_used(content: Path):
    programme = content / "programme.yaml"
    programme.write_text(programme.read_text().replace("  epub:\n", "  epub:\n    cover: assets/artwork.png\n"))
    book = _epub(content)
    assert book.read("EPUB/media/cover.png") == (content / "assets/artwork.png").read_bytes()


def test_a_missing_cover_image_is_a_located_problem(content: Path):
    programme = content / "programme.yaml"
    programme.write_text(programme.read_text().replace("  epub:\n", "  epub:\n    cover: assets/nope.png\n"))
    with pytest.raises(ContentError) as refused:
        _epub(content)
    (problem,) = refused.value.problems
    assert problem.path.endswith("programme.yaml") and "assets/nope.png" in problem.message


def test_a_theme_stylesheet_replaces_ours_and_a_change_to_it_rebuilds_the_book(content: Path):
    theme = content.parent / "theme/epub"
    theme.mkdir(parents=True)
    (theme / "book.css").write_text("body { font-family: serif; }\n")
    assert _epub(content).read("EPUB/book.css") == b"body { font-family: serif; }\n"
    (theme / "book.css").write_text("body { font-family: sans-serif; }\n")
    assert _epub(content).read("EPUB/book.css") == b"body { font-family: sans-serif; }\n"


def test_html5_fragments_become_well_formed_xhtml():
    from lxml import etree

    from backpub_epub.xhtml import html_to_xhtml

    xhtml = html_to_xhtml('lead <p>one<br>two&nbsp;&amp; <img src="a.png" alt="x"></p><hr> tail')
    assert xhtml == 'lead <p>one<br/>two\xa0&amp; <img src="a.png" alt="x"/></p><hr/> tail'
    etree.fromstring(f"<div>{xhtml}</div>")


def test_a_theme_template_cannot_put_scripts_handlers_or_dead_links_in_the_book(content: Path):
    theme = content.parent / "theme/epub"
    theme.mkdir(parents=True)
    (theme / "title.xhtml").write_text(
        '{% extends "layout.xhtml" %}{% block content %}'
        '<h1 onclick="steal()">{{ programme.title }}</h1><script>steal()</script>'
        '<p><a href="elsewhere.xhtml">Gone</a> and <a href="concepts.xhtml#back-not-leg">kept</a></p>'
        "{% endblock %}"
    )
    page = _epub(content).read("EPUB/title.xhtml").decode()
    assert "steal" not in page and "elsewhere" not in page
    assert '<p>Gone and <a href="concepts.xhtml#back-not-leg">kept</a></p>' in page


def test_a_theme_template_that_loads_a_remote_image_is_refused_at_its_line(content: Path):
    from backpub.build import build
    from backpub.errors import ContentError

    theme = content.parent / "theme/epub"
    theme.mkdir(parents=True)
    (theme / "title.xhtml").write_text(
        '{% extends "layout.xhtml" %}{% block content %}\n<img src="https://tracker.example/pixel.png" alt=""/>'
        "{% endblock %}"
    )
    with pytest.raises(ContentError) as caught:
        build(content, formats=["epub"], jobs=1)
    [problem] = caught.value.problems
    assert problem.path.endswith("theme/epub/title.xhtml") and problem.line == 2
    assert "https://tracker.example/pixel.png" in problem.message
