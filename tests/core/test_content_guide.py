"""docs/content.md, the author's guide, agrees with the model and with what `validate` prints.

Its field tables are written from the model by scripts/update-content-guide (this test fails when one is stale or
missing); the messages it explains are ones the broken-content corpus or the tests prove backpub prints; its
quantities are ones the model reads; and the project's pointers to it lead somewhere.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import itertools
import re
import tomllib
from types import ModuleType

import pytest
from pydantic import ValidationError

from backpub.model import ENTITY_TYPES, Dose
from backpub_testkit import REPO, ROOTS

GUIDE = REPO / "docs" / "content.md"


def _guide_script() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("update_content_guide", str(REPO / "scripts/update-content-guide"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _section(title: str) -> str:
    text = GUIDE.read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def test_the_field_tables_are_written_from_the_model() -> None:
    text = GUIDE.read_text()
    assert _guide_script().updated(text) == text, "run scripts/update-content-guide"


def test_every_kind_and_value_an_author_writes_has_its_table() -> None:
    script = _guide_script()
    tables = set(re.findall(r"<!-- fields:(\w+) -->", GUIDE.read_text()))
    assert tables == set(script.documented_models())
    for kind in ENTITY_TYPES:
        assert f"(`content/{kind.folder}/`)" in GUIDE.read_text(), kind.folder


def test_a_table_names_every_field_once_with_its_docstring() -> None:
    table = _guide_script().table(Dose)
    assert [line.split("|")[1].strip(" `") for line in table.splitlines()[2:]] == list(Dose.model_fields)
    assert "How many sets, e.g. 2 or '2-3'." in table


def _known_messages() -> str:
    """What backpub is proven to print: the broken corpus's expected lines and the messages tests assert."""
    corpus = [
        line for path in (ROOTS / "broken").glob("*/case.toml") for line in tomllib.loads(path.read_text())["expected"]
    ]
    tests = [path.read_text() for path in (REPO / "tests").rglob("test_*.py") if path.name != "test_content_guide.py"]
    return "\n".join(corpus + tests)


def test_every_message_the_guide_explains_is_one_backpub_prints() -> None:
    rows = re.findall(r"^\| (`.+?) \| .+ \|$", _section("What each error means"), re.MULTILINE)
    assert len(rows) >= 15
    known = _known_messages()
    for row in rows:
        for quoted in re.findall(r"`([^`]+)`", row):
            for fragment in quoted.split("…"):
                assert fragment.strip(" ,") in known, f"{fragment!r} is not a message backpub is known to print"


def _reads(text: str) -> bool:
    """Whether a dose's duration or sets take the text, in English or in German's words."""
    for field, language in itertools.product(("duration", "sets"), ("en", "de")):
        try:
            Dose.model_validate({field: text}, context={"language": language})
        except ValidationError:
            continue
        return True
    return False


def test_every_quantity_the_guide_shows_is_read_as_it_says() -> None:
    written = re.findall(r'`"([^"`]+)"`', _section("Quantities"))
    assert len(written) >= 10
    assert [text for text in written if not _reads(text)] == []
    assert not _reads("a few minutes")  # (the check can fail)


@pytest.mark.parametrize("path", ["README.md", "content/programme.yaml"])
def test_the_project_points_authors_to_the_guide(path: str) -> None:
    text = (REPO / path).read_text()
    assert "docs/content.md" in text
    assert "src/backpub/model" not in text


def test_the_pdf_page_gives_no_page_count_for_the_handouts() -> None:
    """How many pages a handout takes depends on its layout and content (issue 25 prints them clear): the docs
    state what a page costs, not a count that goes stale."""
    assert "7 to 9" not in (REPO / "docs/formats/pdf.md").read_text()
