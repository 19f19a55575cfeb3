"""Content written for an earlier release gets, at its place, a message saying what to write instead, and
docs/changes.md lists the change; a form a release brought back (a hosted chapters file) is valid again."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from backpub_testkit import REPO, edit

CHANGES = (REPO / "docs" / "changes.md").read_text()


@dataclass(frozen=True)
class OldForm:
    file: str
    now: str
    before: str
    says: str
    """What the message at the old form's line says to write."""
    listed: str
    """How docs/changes.md names the change."""


OLD_FORMS = {
    "urgent help for every country": OldForm(
        "programme.yaml",
        'default_country: GB\ncountries:\n  GB:\n    emergency_number: "999"\n    urgent_help: |\n      Call 999 if',
        "urgent_help: |\n  Call 999 if",
        "'urgent_help' is now per country: move the notice under 'countries: <CODE>: urgent_help:'",
        "### The urgent-help notice is per country",
    ),
    "a clinic without its country": OldForm(
        "clinics/test-clinic.md", "country: GB\n", "",
        "missing required field 'country': every clinic names its country since December 2026: add e.g. "
        "'country: GB'",
        "### Every clinic names its country",
    ),
    "podcast settings at the top": OldForm(
        "programme.yaml", "formats:\n", "podcast:\n  title: Minimal Podcast\nformats:\n",
        "'podcast' moved to 'formats.feed'", "### Each format's settings live under `formats:`",
    ),
    "newsletter settings at the top": OldForm(
        "programme.yaml", "formats:\n", "newsletter:\n  list_id: x\nformats:\n",
        "'newsletter' moved to 'formats.newsletter'", "### Each format's settings live under `formats:`",
    ),
    "the book's id at the top": OldForm(
        "programme.yaml", "formats:\n", "book_id: urn:uuid:2f1c8a52-5d1e-4d59-9a51-0d3c1f0f7a10\nformats:\n",
        "'book_id' moved to 'formats.epub.book_id'", "### Each format's settings live under `formats:`",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", OLD_FORMS)
def test_an_old_form_is_refused_at_its_line_with_what_to_write_instead(run_cli, project: Path, name: str) -> None:
    form = OLD_FORMS[name]
    path = project / "content" / form.file
    edit(path, form.now, form.before)
    result = run_cli("validate", "content", "--as-of", "2026-11-25", cwd=project)
    assert result.exit_code == 1
    located = [line for line in result.output.splitlines() if f"content/{form.file}:" in line and form.says in line]
    assert located, result.output
    if form.before:
        line = path.read_text().splitlines().index(form.before.splitlines()[0]) + 1
        assert located[0].startswith(f"content/{form.file}:{line}:"), located
    assert "Traceback" not in result.output
    assert form.listed in CHANGES


def test_a_hosted_chapters_file_is_valid_again_and_listed(run_cli, project: Path) -> None:
    path = project / "content" / "episodes" / "episode-one.md"
    edit(path, "covers:", "chapters: {url: https://media.example.org/minimal/ep1.chapters.json}\ncovers:")
    result = run_cli("validate", "content", "--as-of", "2026-11-25", cwd=project)
    assert result.exit_code == 0, result.output
    assert "### An episode's chapters may be a file the host publishes" in CHANGES
