"""The no-op fast path: a build is skipped only when nothing it depends on changed since the last good build."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from PIL import Image

from backpub import clock
from backpub_testkit import edit


def build(run_cli, project, *args, env=None):
    result = run_cli("build", "-f", "json", "--report", "json", *args, cwd=project, env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def skipped(report) -> bool:
    return report["rendered"] == [] and report["formats"]["json"]["written"] == 0


def test_unchanged_build_is_skipped_and_reports_the_files(run_cli, project):
    first = build(run_cli, project)
    assert first["rendered"] == ["json/programme.json"]
    second = build(run_cli, project)
    assert skipped(second)
    assert second["formats"]["json"]["unchanged"] == 1


# Every kind of input the stamp covers (see backpub.stamp), each changed in a way its outputs show: the build after
# the change must be a real one, so the outputs tell whether the no-op shortcut was wrongly taken.

NOTE_PLUGIN = '''
"""A local format that writes one line."""
from backpub import Format, Job, hookimpl


class Note(Format):
    name = "note"

    def jobs(self, publication):
        return [Job("note.txt")]

    def render(self, job, publication):
        return b"WORDS"


@hookimpl
def register_formats():
    return [Note]
'''
THEME_CATALOGUE = """msgid ""
msgstr "Content-Type: text/plain; charset=utf-8\\n"

msgid "About this information"
msgstr "What this information is for"
"""


def _read(project: Path, output: str) -> str:
    path = project / "outputs" / output
    return path.read_text() if path.is_file() else ""


@dataclass(frozen=True)
class Change:
    """A change to a built project: the formats built around it, what to do, the next build's arguments and
    environment, and what its outputs (or its outcome) must show."""

    formats: tuple[str, ...]
    make: Callable[[Path, pytest.MonkeyPatch], None]
    shows: Callable[[Path, Result], bool]
    args: tuple[str, ...] = ()
    env: dict[str, str] | None = None
    fails: bool = False
    formats_after: tuple[str, ...] | None = None
    """The formats the next build asks for, when the change is asking for others."""


def _new_concept(project: Path, _: pytest.MonkeyPatch) -> None:
    concept = project / "content/concepts/back-not-leg.md"
    (project / "content/concepts/a-second-idea.md").write_text(concept.read_text().replace("title:", "title: Second"))


def _new_artwork(project: Path, _: pytest.MonkeyPatch) -> None:
    from PIL import Image

    Image.new("RGB", (1400, 1400), (200, 30, 30)).save(project / "content/assets/artwork.png")


def _theme_catalogue(folder: str) -> Callable[[Path, pytest.MonkeyPatch], None]:
    def make(project: Path, _: pytest.MonkeyPatch) -> None:
        (project / folder).mkdir(parents=True)
        (project / folder / "messages.po").write_text(THEME_CATALOGUE)

    return make


def _theme_template(project: Path, _: pytest.MonkeyPatch) -> None:
    (project / "theme/site").mkdir(parents=True)
    (project / "theme/site/site.css").write_text("body { color: #123456; }\n")


def _note(words: str) -> Callable[[Path, pytest.MonkeyPatch], None]:
    def make(project: Path, _: pytest.MonkeyPatch) -> None:
        (project / "local_plugins").mkdir(exist_ok=True)
        (project / "local_plugins/note.py").write_text(NOTE_PLUGIN.replace("WORDS", words))

    return make


def _next_day(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 22, 12, tzinfo=UTC))  # episode one's release


def _nothing(project: Path, _: pytest.MonkeyPatch) -> None:
    pass


CHANGES = {
    "content edited": Change(("json",), lambda p, _: edit(p / "content/protocols/ice.md", "title: Ice the lower back",
                             "title: Ice it"), lambda p, r: "Ice it" in _read(p, "json/programme.json")),
    "content file added": Change(("json",), _new_concept, lambda p, r: "a-second-idea" in _read(p, "json/programme.json")),
    "asset replaced": Change(("site",), _new_artwork,
                             lambda p, r: Image.open(p / "outputs/site/static/artwork.png").getpixel((5, 5))[:3] == (200, 30, 30)),
    "output edited": Change(("json",), lambda p, _: (p / "outputs/json/programme.json").write_text("tampered"),
                            lambda p, r: _read(p, "json/programme.json").startswith("{")),
    "output deleted": Change(("json",), lambda p, _: (p / "outputs/json/programme.json").unlink(),
                             lambda p, r: _read(p, "json/programme.json").startswith("{")),
    "theme catalogue for every format": Change(("site",), _theme_catalogue("theme/locale/en"),
                                               lambda p, r: "What this information is for" in _read(p, "site/index.html")),
    "theme catalogue for one format": Change(("site",), _theme_catalogue("theme/site/locale/en"),
                                             lambda p, r: "What this information is for" in _read(p, "site/index.html")),
    "theme file": Change(("site",), _theme_template, lambda p, r: "#123456" in _read(p, "site/static/site.css")),
    "local plugin": Change(("note",), _note("changed"), lambda p, r: _read(p, "note/note.txt") == "changed"),
    "plugin disabled": Change(("note",), _nothing, lambda p, r: "unknown format 'note'" in r.output,
                              env={"BACKPUB_DISABLE_PLUGINS": "local:note"}, fails=True),
    "as-of": Change(("json",), _nothing, lambda p, r: '"episodes"' not in _read(p, "json/programme.json"),
                    args=("--as-of", "2026-11-21")),
    "today": Change(("json",), _next_day, lambda p, r: '"episodes"' in _read(p, "json/programme.json"), args=()),
    "SOURCE_DATE_EPOCH": Change(("feed",), _nothing, lambda p, r: "14 Nov 2023" in _read(p, "feed/podcast.xml"),
                                env={"SOURCE_DATE_EPOCH": "1700000000"}),
    "strict": Change(("json",), _nothing, lambda p, r: "overdue" in r.output, args=("--strict",), fails=True),
    "formats chosen": Change(("json", "note"), _nothing,
                             lambda p, r: set(json.loads(r.stdout)["formats"]) == {"json"}, formats_after=("json",)),
    "output folder": Change(("json",), _nothing, lambda p, r: (p / "elsewhere/json/programme.json").is_file(),
                            args=("--output", "elsewhere")),
}  # fmt: skip


@pytest.mark.parametrize("name", CHANGES)
def test_every_kind_of_change_means_a_real_build(run_cli, project, monkeypatch, name):
    change = CHANGES[name]
    _note("WORDS")(project, monkeypatch)
    edit(project / "content/concepts/back-not-leg.md", "reviewed: 2026-11-01", "reviewed: 2024-01-01")  # a warning
    # Built for the day before episode one's release: "today" unless the case moves the clock or the date.
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 21, 12, tzinfo=UTC))
    formats = [arg for format_name in change.formats for arg in ("-f", format_name)]
    for _ in range(2):
        before = run_cli("build", *formats, "--report", "json", cwd=project)
        assert before.exit_code == 0, before.output
    assert json.loads(before.stdout)["rendered"] == [], "the unchanged build is skipped"
    change.make(project, monkeypatch)
    after = [arg for format_name in change.formats_after or change.formats for arg in ("-f", format_name)]
    result = run_cli("build", *after, "--report", "json", *change.args, cwd=project, env=change.env)
    assert result.exit_code == (1 if change.fails else 0), result.output
    assert change.shows(project, result), result.output


def test_real_build_follows_a_change_even_when_its_fingerprints_match(run_cli, project):
    """A changed input the json format does not use still re-plans the build (and then renders nothing)."""
    build(run_cli, project)
    (project / "content/assets/new.txt").write_text("x")
    report = build(run_cli, project)
    assert report["seconds"] >= 0 and report["counts"]["concepts"] == 1, "a skipped build has no fresh counts"


def test_no_cache_never_skips(run_cli, project):
    build(run_cli, project)
    report = build(run_cli, project, "--no-cache")
    assert report["rendered"] == ["json/programme.json"]


def test_no_cache_on_one_format_leaves_the_others_records_alone(run_cli, project):
    build(run_cli, project, "-f", "json", "-f", "site")
    assert build(run_cli, project, "-f", "json", "--no-cache")["rendered"] == ["json/programme.json"]
    again = build(run_cli, project, "-f", "json", "-f", "site")
    assert again["rendered"] == []  # the site's records survived; the json's were recorded afresh


def test_a_code_folders_digest_reads_its_code_not_pythons_bytecode_caches(tmp_path: Path) -> None:
    """Another process importing a module for the first time writes its bytecode: that is no change of code, and a
    no-op build running beside it must stay a no-op."""
    from backpub.files.cache import folder_digest

    (tmp_path / "plugin").mkdir()
    (tmp_path / "plugin" / "format.py").write_text("VERSION = 1\n")
    before = folder_digest(tmp_path / "plugin")
    (tmp_path / "plugin" / "__pycache__").mkdir()
    (tmp_path / "plugin" / "__pycache__" / "format.cpython-311.pyc").write_bytes(b"\x00bytecode")
    assert folder_digest(tmp_path / "plugin") == before
    (tmp_path / "plugin" / "format.py").write_text("VERSION = 2\n")
    assert folder_digest(tmp_path / "plugin") != before
