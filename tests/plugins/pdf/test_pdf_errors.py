"""The PDF renderer reads only the project's files, and content problems only a PDF can see are located errors."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from pdf_support import AS_OF, replace_in

from backpub.build import build
from backpub.errors import ContentError, RenderError
from backpub_pdf.fetching import FileGate, RefusedURL, make_fetcher, virtual_url
from backpub_pdf.rendering import TEMPLATES, font_folder


@pytest.fixture
def gate(project: Path) -> FileGate:
    return FileGate({"content": project / "content", "templates": TEMPLATES, "fonts": font_folder()})


def test_the_gate_serves_content_templates_and_fonts(gate):
    assert gate.read(virtual_url("content", "assets/artwork.png"))[1] == "image/png"
    assert gate.read(virtual_url("templates", "pdf.css"))[1] == "text/css"
    assert gate.read(virtual_url("fonts", "Lato-Regular.ttf"))[0][:4] == b"\x00\x01\x00\x00"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/tracker.png",
        "http://127.0.0.1/logo.svg",
        "ftp://example.org/x.css",
        "data:image/svg+xml;base64," + base64.b64encode(b"<svg/>").decode(),
        "file:///etc/passwd",
        "file:///backpub/content/../../../etc/passwd",
        "file:///backpub/content/%2e%2e/%2e%2e/etc/hostname",
        "file:///backpub/elsewhere/x.png",
        "//example.org/x.png",
    ],
)
def test_the_gate_refuses_everything_else(gate, url):
    with pytest.raises(RefusedURL) as refused:
        gate.read(url)
    assert refused.value.url == url


def test_the_gate_refuses_a_symlink_out_of_the_content(gate, project, tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not for the PDF")
    (project / "content" / "assets" / "link.png").symlink_to(secret)
    with pytest.raises(RefusedURL, match="outside"):
        gate.read(virtual_url("content", "assets/link.png"))


def test_the_weasyprint_fetcher_stops_rendering_on_a_refused_url(gate):
    from weasyprint.urls import FatalURLFetchingError

    fetcher = make_fetcher(gate)
    with pytest.raises(FatalURLFetchingError):
        fetcher("https://example.org/x.css")
    assert [refusal.url for refusal in fetcher.refused] == ["https://example.org/x.css"]
    assert fetcher(virtual_url("templates", "pdf.css")).read().startswith(b"/*")


def build_pdf(project: Path):
    return build(project / "content", formats=["pdf"], as_of=AS_OF, jobs=1)


@pytest.mark.parametrize(
    "css",
    [
        '@import url("https://example.org/brand.css");',
        'h1 { background: url("https://example.org/tracker.png"); }',
        'h1 { background: url("file:///etc/hostname"); }',
    ],
)
def test_a_theme_that_reaches_outside_the_project_fails_the_build(project, css):
    theme = project / "theme" / "pdf"
    theme.mkdir(parents=True)
    (theme / "theme.css").write_text(css + "\n")
    with pytest.raises(ContentError) as error:  # refused before anything renders, at the theme file
        build_pdf(project)
    url = css.split('"')[1]
    [problem] = error.value.problems
    assert url in problem.message
    assert problem.path.endswith("theme/pdf/theme.css") and problem.line == 1
    assert not (project / "outputs" / "pdf").exists(), "nothing is committed when the theme is refused"


def test_a_theme_template_with_a_remote_image_fails_the_build(project):
    theme = project / "theme" / "pdf"
    theme.mkdir(parents=True)
    template = (Path(TEMPLATES) / "handout.html.j2").read_text()
    theme.joinpath("handout.html.j2").write_text(
        template.replace("{% block body %}", '{% block body %}<img src="https://example.org/pixel.png" alt="x">')
    )
    with pytest.raises(ContentError) as error:  # refused before anything renders, at the template's line
        build_pdf(project)
    [problem] = error.value.problems
    assert "https://example.org/pixel.png" in problem.message
    assert problem.path.endswith("theme/pdf/handout.html.j2")


def test_a_remote_image_in_content_is_refused(project):
    replace_in(
        project / "content" / "concepts" / "back-not-leg.md", "Try the", "![x-ray](https://example.org/x.png) Try the"
    )
    with pytest.raises(ContentError) as error:
        build_pdf(project)
    assert any("https://example.org/x.png" in problem.message for problem in error.value.problems)


def test_an_image_that_cannot_be_decoded_names_the_entity_file(project):
    (project / "content" / "assets" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    replace_in(
        project / "content" / "protocols" / "ice.md",
        "reviewed:",
        "image:\n  src: assets/broken.png\n  alt: An ice pack on the lower back\nreviewed:",
    )
    with pytest.raises(ContentError) as error:  # the asset policy refuses it before anything renders
        build_pdf(project)
    (problem,) = error.value.problems
    assert problem.path.endswith("content/protocols/ice.md") and problem.entity == "ice"
    assert "assets/broken.png" in problem.message


def test_an_image_without_a_description_is_an_error(project):
    # A concept's body (and its images) is printed in a booklet; a sheet shows the summary only.
    replace_in(project / "content" / "handouts" / "first-steps.md", "sections:", "layout: booklet\nsections:")
    replace_in(project / "content" / "concepts" / "back-not-leg.md", "Try the", "![](assets/artwork.png)\n\nTry the")
    with pytest.raises(RenderError, match="alt text") as error:
        build_pdf(project)
    assert error.value.path.endswith("content/concepts/back-not-leg.md")


def test_a_handout_called_pack_would_clash_with_the_clinic_pack(project):
    handouts = project / "content" / "handouts"
    (handouts / "first-steps.md").rename(handouts / "pack.md")
    with pytest.raises(ContentError) as error:
        build_pdf(project)
    assert any("[pdf]" in problem.message and problem.entity == "pack" for problem in error.value.problems)
