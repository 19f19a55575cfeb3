"""Property-based tests: any front matter or Markdown gives a valid model or located errors, never an exception."""

from __future__ import annotations

import re
import shutil
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backpub.content.validation import load
from backpub.model import Concept, Protocol
from backpub.text import markdown

ROOTS = Path(__file__).resolve().parents[1] / "roots"
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
"""Each example validates a whole project (about 30 ms): 25 a test keeps the file to seconds, and every run of the
suite draws new ones, so CI tries thousands over a week."""

GOOD_CONCEPT = (ROOTS / "minimal/content/concepts/back-not-leg.md").read_text()
GOOD_PROTOCOL_DATA = {
    "title": "Walk",
    "phase": "phase-one",
    "purpose": "Keep moving.",
    "steps": ["Walk."],
    "reviewed": date(2026, 11, 1),
    "reviewer": "A. Reviewer",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """One copy of the minimal project; each example rewrites the file under test."""
    target = tmp_path_factory.mktemp("fuzz") / "project"
    shutil.copytree(ROOTS / "minimal/content", target / "content")
    return target


def line_count(text: str) -> int:
    """Lines as the most generous reader counts them (Python's splitlines, which YAML's breaks are a subset of)."""
    return max(1, len(text.splitlines()))


def load_with(project: Path, relative: str, data: str | bytes):
    """Validate the project with one file replaced; check that every problem is located inside its file."""
    path = project / "content" / relative
    original = path.read_bytes() if path.exists() else None
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    try:
        validation = load(project / "content", base=project)
        for problem in validation.problems:
            shown = project / problem.path
            text = shown.read_bytes().decode("utf-8", "replace") if shown.is_file() else ""
            assert problem.line >= 1 and problem.col >= 1, problem
            assert problem.line <= line_count(text), (str(problem), line_count(text))
            assert problem.message and "\n" not in problem.message, problem
            assert "Traceback" not in problem.message
        if validation.errors:
            assert validation.publication is None
        else:
            assert validation.publication is not None
        return validation
    finally:
        if original is None:
            path.unlink()
        else:
            path.write_bytes(original)


# -- arbitrary YAML-ish text ------------------------------------------------------------------

YAML_PIECES = st.sampled_from(
    [
        "title", "summary", "reviewed", "reviewer", "related", "analogy", "body", "id", ":", ": ", "-", "- ", "\n",
        "  ", "\t", "'", '"', "[", "]", "{", "}", ",", "&a ", "*a", "!!python/object:os.system", "!tag ", "<<: ",
        "|", ">", "#", "---", "...", "2026-11-01", "1e400", ".inf", "~", "null", "yes", "06:00", "\r\n", "\ufeff",
        "\x00", "\u2028", "\x85", "é", "@ice", "ice", "%", "?", "`",
    ]
)  # fmt: skip
YAMLISH = st.lists(st.one_of(YAML_PIECES, st.text(max_size=6)), max_size=40).map("".join)


@FAST
@given(front=YAMLISH, body=st.text(max_size=40))
def test_any_yamlish_front_matter_is_valid_or_located(project, front, body):
    load_with(project, "concepts/fuzz.md", f"---\n{front}\n---\n{body}")


@FAST
@given(text=YAMLISH)
def test_any_yamlish_file_is_valid_or_located(project, text):
    load_with(project, "concepts/fuzz.md", text)


@FAST
@given(data=st.binary(max_size=200))
def test_any_bytes_are_valid_or_located(project, data):
    load_with(project, "concepts/fuzz.md", b"---\n" + data)


@FAST
@given(line=st.integers(min_value=0, max_value=40), replacement=YAMLISH)
def test_any_line_of_programme_yaml_replaced_is_valid_or_located(project, line, replacement):
    lines = (ROOTS / "minimal/content/programme.yaml").read_text().splitlines(keepends=True)
    lines[line % len(lines)] = replacement + "\n"
    load_with(project, "programme.yaml", "".join(lines))


# -- arbitrary mappings of field names to values ----------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.dates(),
    st.sampled_from(["ice", "back-not-leg", "episode-one", "phase-one", "3-5 min", "5-3 min", "assets/artwork.png"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
FIELD_NAMES = st.sampled_from(sorted(set(Protocol.model_fields) | set(Concept.model_fields) | {"unknown"}))
DOSE_NAMES = st.sampled_from(["duration", "repetitions", "sets", "frequency", "min", "max", "unit"])


def front_matter(data: dict) -> str:
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\nBody.\n"


@FAST
@given(fields=st.dictionaries(FIELD_NAMES, VALUES, max_size=6))
def test_any_fields_over_a_valid_protocol_give_a_model_or_located_errors(project, fields):
    validation = load_with(project, "protocols/fuzz.md", front_matter({**GOOD_PROTOCOL_DATA, **fields}))
    if validation.publication is not None:
        assert validation.publication.get("fuzz").kind == "protocol"


@FAST
@given(dose=st.dictionaries(DOSE_NAMES, VALUES, max_size=4))
def test_any_dose_gives_a_model_or_located_errors(project, dose):
    validation = load_with(project, "protocols/fuzz.md", front_matter({**GOOD_PROTOCOL_DATA, "dose": dose}))
    if validation.publication is not None:
        protocol = validation.publication.get("fuzz")
        assert protocol.dose is None or protocol.dose.text()  # a valid dose can always be printed


@FAST
@given(fields=st.dictionaries(st.text(max_size=12), VALUES, max_size=5))
def test_any_field_names_give_a_model_or_located_errors(project, fields):
    load_with(project, "concepts/fuzz.md", front_matter(fields))


# -- arbitrary Markdown with raw HTML ---------------------------------------------------------

URLS = st.sampled_from(
    [
        "assets/artwork.png", "assets/nope.png", "../secret.png", "/etc/passwd", "file:///etc/passwd",
        "http://127.0.0.1:9/x.png", "https://example.org/x.png", "//example.org/x", "data:image/png;base64,AA",
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", "assets/%2e%2e/x.png", "@ice", "@nobody", "mailto:a@b.c", "",
    ]
)  # fmt: skip
TAGS = st.sampled_from(["img", "a", "script", "iframe", "style", "link", "svg", "math", "form", "div", "object", "p"])
ATTRIBUTES = st.sampled_from(["src", "href", "srcset", "style", "onclick", "onerror", "poster", "data", "action"])
RAW_TAG = st.builds(
    lambda tag, attribute, url, close: f'<{tag} {attribute}="{url}">x{"</" + tag + ">" if close else ""}',
    TAGS,
    ATTRIBUTES,
    URLS,
    st.booleans(),
)
MARKDOWN_PIECE = st.one_of(
    st.builds("![alt]({})".format, URLS),
    st.builds("[text]({})".format, URLS),
    st.builds("![alt][r]\n\n[r]: {}\n".format, URLS),
    RAW_TAG,
    st.sampled_from(["\n", "\n\n", "# ", "## ", "- ", "> ", "```\n", "`", "*", "_", "|a|b|\n|-|-|\n", "<!--", "-->"]),
    st.text(max_size=10),
)
MARKDOWN = st.lists(MARKDOWN_PIECE, max_size=25).map("".join)


@FAST
@given(body=MARKDOWN)
def test_any_markdown_body_gives_a_model_or_located_errors(project, body):
    validation = load_with(project, "concepts/back-not-leg.md", _concept(body))
    if validation.publication is not None:
        assert_safe(markdown.render(validation.publication.get("back-not-leg").body, link=lambda i: f"/{i}/"))


@FAST
@given(text=MARKDOWN)
def test_any_markdown_in_a_block_scalar_gives_a_model_or_located_errors(project, text):
    indented = "\n".join("  " + line for line in (text or "x").splitlines() or ["x"])
    show_notes = "show_notes: |\n  - What sciatica is\n"
    episode = (ROOTS / "minimal/content/episodes/episode-one.md").read_text()
    load_with(project, "episodes/episode-one.md", episode.replace(show_notes, f"show_notes: |\n{indented}\n"))


@FAST
@given(text=MARKDOWN)
def test_rendered_markdown_is_always_safe(text):
    assert_safe(markdown.render(text, link=lambda i: f"/{i}/", image=lambda src: src))


def _concept(body: str) -> str:
    head, _, _ = GOOD_CONCEPT.partition("---\nThe nerve")
    return head + "---\n" + body + "\n"


class _Elements(HTMLParser):
    """Collects the real elements of an HTML fragment (escaped text inside <code> is not markup)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    handle_startendtag = handle_starttag


DANGEROUS_TAGS = {"script", "iframe", "style", "link", "svg", "math", "form", "object", "embed", "base", "input"}


def assert_safe(html: str) -> None:
    """No active content and nothing that makes a reader fetch from elsewhere."""
    parser = _Elements()
    parser.feed(html)
    parser.close()
    for tag, attributes in parser.elements:
        assert tag not in DANGEROUS_TAGS, html
        for name, value in attributes.items():
            assert not name.startswith("on") and name not in ("style", "srcset"), html
            url = value.strip().lower()
            if name in ("href", "src"):
                assert not re.match(r"(?:javascript|vbscript|data|file):", url), html
            if name == "src":
                assert not markdown.is_remote(url) and not url.startswith("/"), html
