"""The fast paths of the build: the validated-model cache, the no-op build, and the benchmark generator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from backpub.build import build
from backpub.cli import cli
from backpub.content.validation import MODEL_ENTRY, load
from backpub.files.cache import Store
from backpub_testkit import REPO, edit

AS_OF = date(2026, 11, 22)
HEAVY_MODULES = ("weasyprint", "pydyf", "ebooklib", "feedgen", "lxml", "css_inline", "segno")
"""The renderers' libraries. (Pillow is allowed: the feed's check reads the podcast artwork.)"""


def cached_load(project: Path):
    return load(project / "content", store=Store(project / "cache"))


def test_model_cache_is_reused_while_nothing_changes(project: Path) -> None:
    first = cached_load(project)
    assert (project / "cache" / MODEL_ENTRY).is_file()
    second = cached_load(project)
    assert second.publication == first.publication
    assert second.problems == first.problems
    # a hit comes from the pickle, not from a fresh load
    assert second.publication is not first.publication


@pytest.mark.parametrize("change", ["edit", "add", "delete", "touch-asset", "rename"])
def test_model_cache_misses_on_any_content_change(project: Path, change: str) -> None:
    content = project / "content"
    before = cached_load(project).publication
    assert before is not None
    concept = content / "concepts" / "back-not-leg.md"
    if change == "edit":
        edit(concept, "title:", "title: Edited")
    elif change == "add":
        (content / "concepts" / "another-idea.md").write_text(concept.read_text())
    elif change == "delete":
        (content / "mistakes" / "stretching.md").unlink()
    elif change == "touch-asset":
        with open(content / "assets" / "artwork.png", "ab") as handle:
            handle.write(b"\0")
    elif change == "rename":
        concept.rename(content / "concepts" / "back-not-legs.md")
    after = cached_load(project)
    fresh = load(content)
    assert after.publication == fresh.publication
    assert after.problems == fresh.problems
    if change == "edit":
        assert after.publication.get("back-not-leg").title.startswith("Edited")
    if change == "delete":
        assert after.publication is None or "stretching" not in after.publication.by_id


def test_the_model_cache_serves_every_day_and_the_day_decides_what_is_overdue(project: Path) -> None:
    """The loaded model does not depend on the date (one cache for every day); the review warnings do."""
    from backpub.session import Session

    cached_load(project)
    assert cached_load(project).publication == load(project / "content").publication
    soon, later = (Session(project / "content", as_of=day) for day in (AS_OF, date(2040, 1, 1)))
    overdue = [p for p in later.problems(later.formats(["json"])) if "review is overdue" in p.message]
    assert overdue, "a much later date makes every review overdue"
    assert not [p for p in soon.problems(soon.formats(["json"])) if "review is overdue" in p.message]


def test_a_damaged_cache_file_is_a_miss(project: Path) -> None:
    cached_load(project)
    (project / "cache" / MODEL_ENTRY).write_bytes(b"not a pickle")
    assert cached_load(project).publication == load(project / "content").publication


def test_no_op_build_leaves_outputs_untouched(project: Path) -> None:
    build(project / "content", formats=["json"], as_of=AS_OF)
    output = project / "outputs" / "json" / "programme.json"
    before = output.stat()
    report = build(project / "content", formats=["json"], as_of=AS_OF)
    assert report.rendered == []
    assert report.formats["json"].unchanged == 1
    assert output.stat().st_ino == before.st_ino


def test_stray_file_in_outputs_is_removed_by_the_next_build(project: Path) -> None:
    build(project / "content", formats=["json"], as_of=AS_OF)
    stray = project / "outputs" / "json" / "stray.txt"
    stray.write_text("left by hand")
    build(project / "content", formats=["json"], as_of=AS_OF)
    assert not stray.exists()


def test_deleted_output_is_rendered_again(project: Path) -> None:
    build(project / "content", formats=["json"], as_of=AS_OF)
    (project / "outputs" / "json" / "programme.json").unlink()
    report = build(project / "content", formats=["json"], as_of=AS_OF)
    assert report.rendered == ["json/programme.json"]


def test_no_op_build_of_every_format_imports_neither_the_model_nor_a_renderer(project: Path) -> None:
    """A real `backpub build` process with nothing to do imports no renderer's library, no pydantic, no model.

    (The one subprocess no-op test: its first build of every format is the expensive part.)"""
    environment = {**os.environ, "SOURCE_DATE_EPOCH": "1795000000"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", environment["SOURCE_DATE_EPOCH"])
        patch.chdir(project)
        result = CliRunner().invoke(cli, ["build", "--as-of", "2026-11-22", "-q"])
    assert result.exit_code == 0, result.output
    probe = (
        "import json, sys, runpy\n"
        "sys.argv = ['backpub', 'build', '--as-of', '2026-11-22', '--report', 'json']\n"
        "try:\n"
        "    runpy.run_module('backpub', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=project, env=environment, capture_output=True, text=True, timeout=300
    )
    report = json.loads(out.stdout)
    assert report["rendered"] == []
    modules = json.loads(out.stderr.strip().splitlines()[-1])
    heavy = sorted({name.split(".")[0] for name in modules} & {*HEAVY_MODULES, "pydantic"})
    assert heavy == []
    assert [name for name in modules if name.startswith("backpub.model")] == []


def test_benchmark_generator_output_validates(tmp_path: Path, run_cli) -> None:
    generator = REPO / "benchmarks" / "generate.py"
    subprocess.run(
        [sys.executable, str(generator), str(tmp_path), "--episodes", "6", "--handouts", "3", "--clinics", "2"],
        check=True,
        capture_output=True,
    )
    validation = load(tmp_path / "content")
    assert validation.problems == []
    publication = validation.publication
    assert publication is not None
    assert (len(publication.episodes), len(publication.handouts), len(publication.clinics)) == (6, 3, 2)
    assert [episode.release.weekday() for episode in publication.episodes] == [6] * 6
    assert publication.episodes[-1].release == AS_OF
    # one protocol is shown by several handouts, so the protocol-edit benchmark means something
    shown = [entity for handout in publication.handouts for section in handout.sections for entity in section.entities]
    assert max(shown.count(p.id) for p in publication.protocols) >= 2
    assert all(entity.title.startswith("Synthetic") for entity in publication.entities)
    cli = run_cli("validate", "content", "--as-of", AS_OF.isoformat(), cwd=tmp_path)
    assert cli.exit_code == 0, cli.output
