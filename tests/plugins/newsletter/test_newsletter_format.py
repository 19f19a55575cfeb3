"""The built issue: message.eml parsed back with `email`, HTML fit for email clients, reproducible bytes."""

from __future__ import annotations

import email
import re
import shutil
from datetime import date
from email import policy
from html.parser import HTMLParser
from pathlib import Path

import pytest

from backpub.build import build
from backpub_testkit import FULL_PROGRAMME, edit

AS_OF = date(2026, 11, 25)
ISSUE = "2026-11-22"


def build_newsletter(project: Path, as_of: date = AS_OF, **options):
    return build(project / "content", formats=["newsletter"], as_of=as_of, jobs=1, **options)


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <style> blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def parse_tags(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


@pytest.fixture(scope="module")
def full_issue(tmp_path_factory) -> Path:
    """The full test programme's newsletter, built once for this module."""
    project = tmp_path_factory.mktemp("full")
    shutil.copytree(FULL_PROGRAMME, project / "content")
    build_newsletter(project)
    return project / "outputs" / "newsletter" / ISSUE


def test_builds_one_issue_per_released_sunday(project):
    assert build_newsletter(project, as_of=date(2026, 11, 21)).formats["newsletter"].written == 0
    report = build_newsletter(project)
    folder = project / "outputs" / "newsletter"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        f"{ISSUE}/email.txt",
        f"{ISSUE}/index.html",
        f"{ISSUE}/message.eml",
    ]
    assert report.formats["newsletter"].written == 3


def test_message_eml_parses_back_with_both_parts_and_the_headers(full_issue):
    raw = (full_issue / "message.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["From"].addresses[0].addr_spec == "sunday@backinshape.example.org"
    assert message["Reply-To"] == "hello@backinshape.example.org"
    assert message["Subject"] == "Sciatica: causes, exercises and treatments to relieve pain"
    assert message["Date"] == "Sun, 22 Nov 2026 07:00:00 +0000"  # the Sunday send time, Europe/London
    assert re.fullmatch(r"<20261122\.[0-9a-f]{32}@backinshape\.example\.org>", message["Message-ID"])
    assert message["List-Id"] == "Back In Shape Sunday newsletter <sunday.backinshape.example.org>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # One line on the wire (a folded List-Unsubscribe has broken DKIM), https first, then mailto.
    line = re.search(rb"^List-Unsubscribe: (.*?)\r\n(?![ \t])", raw, re.MULTILINE)
    assert line and re.fullmatch(rb"<https://[^>]+>, <mailto:[^>]+>", line.group(1))
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.iter_parts()
    assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert all(line_ == b"" or len(line_) <= 998 for line_ in raw.split(b"\r\n"))
    assert len(html.get_content().encode()) < 102_000
    text = plain.get_content().replace("\r\n", "\n")  # MIME text travels with CRLF line ends
    for expected in (
        "Listen (40 min): https://backinshape.example.org/episodes/sciatica-causes-exercises-and-treatments/",
        "Few conditions are as misunderstood as sciatica. When the burning or\ntingling in your thigh",
        "Read the full article: https://backinshape.example.org/episodes/sciatica-causes-exercises-and-treatments/",
        "THIS WEEK'S PROTOCOL",
        "Ice the lower back",
        "Time: 3–5 min",
        "ONE MISTAKE TO STOP",
        "Endless stretching of the leg and buttock muscles",
        "The full Back In Shape Program takes you step by",
        "It is\nnot a diagnosis",
        "https://backinshape.example.org/newsletter/unsubscribe",
    ):
        assert expected in text


def test_html_is_fit_for_email_clients(full_issue):
    message = email.message_from_bytes((full_issue / "message.eml").read_bytes(), policy=policy.default)
    html = message.get_body(("html",)).get_content()
    tags = parse_tags(html)
    names = [name for name, _ in tags.tags]
    assert "script" not in names and "link" not in names and "<script" not in html.lower()
    images = [attrs for name, attrs in tags.tags if name == "img"]
    assert images and all(attrs.get("alt") for attrs in images)
    tables = [attrs for name, attrs in tags.tags if name == "table"]
    assert tables and all(attrs.get("role") == "presentation" for attrs in tables)
    container = next(attrs for attrs in tables if "container" in (attrs.get("class") or ""))
    assert container["width"] == "600" and "max-width: 600px" in container["style"]
    # CSS is inlined; only the media queries stay in <style>, mobile and dark mode both kept.
    paragraphs = [attrs for name, attrs in tags.tags if name == "p"]
    assert all("font-family" in (attrs.get("style") or "") for attrs in paragraphs)
    style = "".join(tags.styles)
    assert "@media only screen and (max-width: 620px)" in style and "prefers-color-scheme: dark" in style
    assert re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", style).strip() == ""
    preheader = next(attrs for name, attrs in tags.tags if name == "div")
    assert "display: none" in preheader["style"] and "mso-hide: all" in preheader["style"]
    assert html.index("Why sciatica is a lower back problem") < html.index("<table")
    assert 'href="https://backinshape.example.org/episodes/sciatica-causes-exercises-and-treatments/"' in html
    assert 'href="https://backinshape.example.org/newsletter/unsubscribe"' in html


def test_the_preview_is_the_email_with_the_artwork_embedded(full_issue):
    preview = (full_issue / "index.html").read_text()
    message = email.message_from_bytes((full_issue / "message.eml").read_bytes(), policy=policy.default)
    html = message.get_body(("html",)).get_content().replace("\r\n", "\n")
    artwork = "https://backinshape.example.org/podcast/artwork.png"
    assert artwork in html and artwork not in preview
    web_link = re.compile(r'<tr><td class="webview gutter".*?</td></tr>', re.DOTALL)
    assert web_link.search(html) and not web_link.search(preview)  # the web edition does not link to itself
    preview = re.sub(r'src="data:image/png;base64,[^"]+"', f'src="{artwork}"', preview)

    def squeezed(text: str) -> str:  # the row's removal leaves its own blank lines behind
        return re.sub(r">\s+<", "><", text).strip()

    assert squeezed(preview) == squeezed(web_link.sub("", html))


def test_builds_are_reproducible(project, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    build_newsletter(project, use_cache=False)
    folder = project / "outputs" / "newsletter" / ISSUE
    first = {path.name: path.read_bytes() for path in folder.iterdir()}
    build_newsletter(project, use_cache=False)
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == first


def test_only_changes_to_what_the_issue_shows_render_it_again(project):
    build_newsletter(project)
    replace_in(project / "content" / "clinics" / "test-clinic.md", "title:", "title: Renamed")
    assert build_newsletter(project).formats["newsletter"].written == 0
    replace_in(project / "content" / "mistakes" / "stretching.md", "It rounds the lower back.", "It rounds the back.")
    assert build_newsletter(project).formats["newsletter"].written == 3
    text = (project / "outputs" / "newsletter" / ISSUE / "email.txt").read_text()
    assert "Why it backfires: It rounds the back." in text


def test_an_episode_without_a_protocol_warns_and_leaves_the_section_out(project):
    replace_in(project / "content" / "episodes" / "episode-one.md", "covers: [back-not-leg, stretching, ice]",
               "covers: [back-not-leg, stretching]")  # fmt: skip
    report = build_newsletter(project)
    warnings = [str(problem) for problem in report.warnings]
    assert any("episodes/episode-one.md" in w and "covers no protocol" in w for w in warnings), warnings
    text = (project / "outputs" / "newsletter" / ISSUE / "email.txt").read_text()
    assert "THIS WEEK'S PROTOCOL" not in text and "ONE MISTAKE TO STOP" in text


def test_a_trailer_covers_nothing_and_passes_strict_validation(project, run_cli):
    replace_in(project / "content" / "episodes" / "episode-one.md", "covers: [back-not-leg, stretching, ice]",
               "covers: []\nepisode_type: trailer")  # fmt: skip
    result = run_cli("validate", "--strict", "--as-of", "2026-11-22", cwd=project)
    assert result.exit_code == 0, result.output
    assert build_newsletter(project).warnings == []


def test_a_project_theme_overrides_a_template(project):
    theme = project / "theme" / "newsletter"
    theme.mkdir(parents=True)
    (theme / "email.txt.j2").write_text("{{ episode.title }} for you\n{{ unsubscribe_url }}\n")
    build_newsletter(project)
    text = (project / "outputs" / "newsletter" / ISSUE / "email.txt").read_text()
    assert text == "Sciatica explained for you\nhttps://minimal.example.org/unsubscribe\n"


def test_every_issue_prints_the_postal_address_and_links_its_web_edition(full_issue):
    """CAN-SPAM asks for the sender's postal address in every message; the issue's web edition is on the site."""
    parts = _both_parts(full_issue)
    web = "https://backinshape.example.org/newsletter/2026-11-22/"
    for part in parts.values():
        assert "Back In Shape (sample address) 1 Example Street, Suite 100 Sampletown, ST 00000, USA" in part
        assert "View this issue in your browser" in part
    message = email.message_from_bytes((full_issue / "message.eml").read_bytes(), policy=policy.default)
    assert f"View this issue in your browser: {web}" in message.get_body(("plain",)).get_content()
    assert f'href="{web}"' in message.get_body(("html",)).get_content()
    assert "View this issue in your browser" not in (full_issue / "index.html").read_text()  # it is that page


def test_the_postal_address_is_a_required_setting(project, run_cli):
    edit(
        project / "content/programme.yaml",
        "    postal_address: |\n      Minimal Programme (sample address)\n      1 Example Street, Sampletown\n",
        "",
    )
    result = run_cli("validate", "--content", "content", cwd=project)
    assert result.exit_code == 1
    assert "missing required field 'formats.newsletter.postal_address'" in result.output


def _flat(text: str) -> str:
    """Text with tags removed, entities decoded and whitespace collapsed, for finding phrases across line breaks."""
    import html as html_module

    return re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", text))).strip()


def _both_parts(issue: Path) -> dict[str, str]:
    message = email.message_from_bytes((issue / "message.eml").read_bytes(), policy=policy.default)
    return {
        "text": _flat(message.get_body(("plain",)).get_content()),
        "html": _flat(message.get_body(("html",)).get_content()),
    }


def _full_publication():
    from backpub.content.validation import load

    publication = load(FULL_PROGRAMME).publication
    assert publication is not None
    return publication


def test_both_parts_carry_the_urgent_help_notice(full_issue):
    notice = _full_publication().programme.country().urgent_help
    items = [_flat(line[2:]) for line in notice.splitlines() if line.startswith("- ")]
    assert items, "the urgent-help notice has a list of signs"
    for part, text in _both_parts(full_issue).items():
        assert "When to get urgent help".lower() in text.lower(), part
        for item in items:
            assert item in text, (part, item)


def test_every_protocol_whose_steps_are_printed_has_its_cautions_printed(full_issue):
    parts = _both_parts(full_issue)
    shown = [
        protocol
        for protocol in _full_publication().protocols
        if all(_flat(step) in parts["html"] for step in protocol.steps)
    ]
    assert shown, "the issue prints a protocol's steps"
    for protocol in shown:
        for part, text in parts.items():
            assert all(_flat(step) in text for step in protocol.steps), (part, protocol.id)
            for caution in protocol.cautions:
                assert _flat(caution) in text, (part, protocol.id, caution)


def test_a_build_prepares_the_artwork_once_and_each_issue_once_for_its_three_files(project, monkeypatch):
    from backpub_newsletter import rendering

    episodes = project / "content" / "episodes"
    first = (episodes / "episode-one.md").read_text()
    for number, day in ((2, "2026-11-29"), (3, "2026-12-06")):
        text = first.replace("number: 1", f"number: {number}").replace("release: 2026-11-22", f"release: {day}")
        text = text.replace("6f1d3c2e-8a4b-4c1d-9e2f-0a1b2c3d4e5f", f"6f1d3c2e-8a4b-4c1d-9e2f-0a1b2c3d4e5{number}")
        (episodes / f"episode-{number}.md").write_text(text.replace("Sciatica explained", f"Part {number}"))
    calls = {"artwork": 0, "html": 0, "markdown": 0}

    def counted(name, function):
        def call(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return call

    monkeypatch.setattr(rendering, "artwork_data_uri", counted("artwork", rendering.artwork_data_uri))
    monkeypatch.setattr(rendering, "render_markdown", counted("markdown", rendering.render_markdown))
    monkeypatch.setattr(rendering.IssueRenderer, "_render_html", counted("html", rendering.IssueRenderer._render_html))
    report = build_newsletter(project, as_of=date(2026, 12, 6), use_cache=False)
    assert report.formats["newsletter"].written == 9  # three issues, three files each
    # One small copy of the programme's artwork for every preview; per issue one e-mail HTML, one preview HTML.
    assert calls["artwork"] == 1
    assert calls["html"] == 6
    # The call to action, disclaimer and urgent-help notice: once per build, not once per issue and file.
    assert calls["markdown"] <= 3
    previews = [(project / f"outputs/newsletter/{day}/index.html").read_text() for day in ("2026-11-29", "2026-12-06")]
    assert all("data:image/png;base64," in preview for preview in previews)


def test_artwork_copies_follow_the_files_bytes(tmp_path):
    from PIL import Image

    from backpub_newsletter.rendering import ArtworkCopies

    path = tmp_path / "art.png"
    Image.new("RGB", (64, 64), "red").save(path)
    copies = ArtworkCopies()
    red = copies.data_uri(path, 16)
    assert copies.data_uri(path, 16) is red  # reused, not made again
    assert copies.data_uri(path, 32) != red  # another size is another copy
    Image.new("RGB", (64, 64), "blue").save(path)
    assert copies.data_uri(path, 16) != red  # a changed file is never served from the old copy
