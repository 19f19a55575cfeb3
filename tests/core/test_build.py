"""The build engine: two phases, atomic outputs, incremental and parallel rendering."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from backpub import Format, Job, RenderError, hookimpl
from backpub.build import build
from backpub.content.publication import Publication
from backpub.errors import ContentError, PluginError
from backpub.plugins import make_host
from backpub_testkit import edit

RENDERED: list[str] = []


class TitlesFormat(Format):
    """One small file per entity, so the tests can see exactly which jobs re-render."""

    name = "titles"

    def jobs(self, publication: Publication) -> list[Job]:
        jobs = [Job(f"{e.id}.txt", entities=frozenset({e.id}), args={"id": e.id}) for e in publication.entities]
        everything = frozenset(publication.by_id)
        return [*jobs, Job("index.txt", entities=everything)]

    def render(self, job: Job, publication: Publication) -> bytes:
        RENDERED.append(job.output)
        if job.output == "index.txt":
            return "\n".join(sorted(publication.by_id)).encode()
        entity = publication.get(job.args["id"])
        if "FAIL" in entity.title:
            raise RenderError("the title asks to fail", path=publication.source_of(entity.id).path, entity=entity.id)
        if "CRASH" in entity.title:
            raise ZeroDivisionError("plugin bug")
        return f"{entity.title}\n{os.getpid()}".encode() if job.args.get("pid") else entity.title.encode()


class TitlesPlugin:
    @hookimpl
    def register_formats(self):
        return [TitlesFormat]


@pytest.fixture
def host():
    return make_host(plugins=(("titles-plugin", TitlesPlugin()),))


def run(project: Path, host, **kwargs):
    RENDERED.clear()
    return build(project / "content", host=host, formats=["titles", "json"], **kwargs)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_writes_every_format_into_its_folder(project, host):
    report = run(project, host, jobs=1)
    assert (project / "outputs/titles/ice.txt").read_text() == "Ice the lower back"
    document = json.loads((project / "outputs/json/programme.json").read_text())
    assert document["programme"]["title"] == "Minimal Programme"
    assert {e["id"] for e in document["entities"]["episodes"]} == {"episode-one"}
    assert report.formats["titles"].written == 7


def test_no_op_rebuild_renders_nothing_and_keeps_files(project, host):
    run(project, host, jobs=1)
    before = (project / "outputs/titles/ice.txt").stat()
    report = run(project, host, jobs=1)
    assert RENDERED == []
    assert report.formats["titles"].unchanged == 7
    after = (project / "outputs/titles/ice.txt").stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_editing_an_entity_rerenders_exactly_its_dependants(project, host):
    run(project, host, jobs=1)
    edit(project / "content/protocols/ice.md", "title: Ice the lower back", "title: Ice your lower back")
    run(project, host, jobs=1)
    assert sorted(RENDERED) == ["ice.txt", "index.txt"]
    assert (project / "outputs/titles/ice.txt").read_text() == "Ice your lower back"


def test_deleting_an_entity_removes_its_outputs(project, host):
    run(project, host, jobs=1)
    edit(project / "content/concepts/back-not-leg.md", "related: [ice]", "related: []")
    edit(project / "content/concepts/back-not-leg.md", "[ice](@ice)", "ice")
    edit(project / "content/mistakes/stretching.md", "instead: [ice]", "instead: []")
    edit(project / "content/episodes/episode-one.md", "covers: [back-not-leg, stretching, ice]", "covers: []")
    edit(project / "content/handouts/first-steps.md", "entities: [stretching, ice]", "entities: [stretching]")
    (project / "content/protocols/ice.md").unlink()
    report = run(project, host, jobs=1)
    assert not (project / "outputs/titles/ice.txt").exists()
    assert report.formats["titles"].removed == 1


def test_programme_change_rerenders_everything(project, host):
    run(project, host, jobs=1)
    edit(project / "content/programme.yaml", "title: Minimal Programme", "title: Minimal Programme 2")
    run(project, host, jobs=1)
    assert len(RENDERED) == 7


def test_no_cache_renders_everything(project, host):
    run(project, host, jobs=1)
    run(project, host, jobs=1, use_cache=False)
    assert len(RENDERED) == 7


def test_parallel_and_serial_builds_are_identical(make_project, host):
    serial, parallel = make_project("minimal", "serial"), make_project("minimal", "parallel")
    run(serial, host, jobs=1)
    run(parallel, host, jobs=2, use_cache=False)
    assert snapshot(serial / "outputs") == snapshot(parallel / "outputs")


def test_failed_build_leaves_previous_outputs_untouched(project, host):
    run(project, host, jobs=1)
    before = snapshot(project / "outputs")
    edit(project / "content/protocols/ice.md", "title: Ice the lower back", "title: FAIL please")
    with pytest.raises(RenderError) as caught:
        run(project, host, jobs=2)
    assert caught.value.entity == "ice"
    assert caught.value.format_name == "titles" and caught.value.output == "ice.txt"
    assert "content/protocols/ice.md" in str(caught.value)
    assert snapshot(project / "outputs") == before
    assert not list(project.glob(".outputs.*")), "staging folders must be cleaned up"


def test_crashing_plugin_is_named_and_outputs_survive(project, host):
    run(project, host, jobs=1)
    before = snapshot(project / "outputs")
    edit(project / "content/protocols/ice.md", "title: Ice the lower back", "title: CRASH")
    with pytest.raises(
        PluginError, match=r"plugin 'titles': crashed while rendering titles/ice\.txt: ZeroDivisionError"
    ):
        run(project, host, jobs=1)
    assert snapshot(project / "outputs") == before


def test_invalid_content_stops_before_rendering(project, host):
    run(project, host, jobs=1)
    before = snapshot(project / "outputs")
    edit(project / "content/episodes/episode-one.md", "release: 2026-11-22", "release: 2026-11-23")
    with pytest.raises(ContentError):
        run(project, host, jobs=1)
    assert RENDERED == []
    assert snapshot(project / "outputs") == before


def test_building_one_format_keeps_the_others(project, host):
    run(project, host, jobs=1)
    json_before = (project / "outputs/json/programme.json").read_bytes()
    build(project / "content", host=host, formats=["titles"], jobs=1)
    assert (project / "outputs/json/programme.json").read_bytes() == json_before


def test_unknown_format_suggests_a_name(project, host):
    from backpub.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown format 'titels'; did you mean 'titles'"):
        build(project / "content", host=host, formats=["titels"])


def test_second_concurrent_build_is_refused(project, host):
    from backpub.errors import BuildLockedError
    from backpub.files.cache import StateLayout
    from backpub.files.output import ProjectLock

    with ProjectLock(StateLayout.of(project).lock), pytest.raises(BuildLockedError, match="another backpub build"):
        run(project, host, jobs=1)


def test_build_cli_summary_and_json_report(project, run_cli):
    result = run_cli("build", "-f", "json", "--report", "json", cwd=project)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["formats"]["json"]["written"] == 1
    assert report["rendered"] == ["json/programme.json"]


def test_build_cli_content_error_is_located_without_traceback(project, run_cli):
    edit(project / "content/protocols/ice.md", "purpose:", "purpsoe:")
    result = run_cli("build", "-f", "json", cwd=project)
    assert result.exit_code == 1
    assert "content/protocols/ice.md:4:1: error: unknown field 'purpsoe'" in result.output
    assert "Traceback" not in result.output


def test_as_of_defaults_and_parses(project, run_cli):
    bad = run_cli("build", "-f", "json", "--as-of", "22/11/2026", cwd=project)
    assert bad.exit_code == 2 and "is not a date like" in bad.output


def test_clean_keeps_state(project, run_cli):
    assert run_cli("build", "-f", "json", cwd=project).exit_code == 0
    state = project / ".backpub/state"
    state.mkdir(parents=True)
    (state / "ledger.sqlite").write_text("keep me")
    result = run_cli("clean", cwd=project)
    assert result.exit_code == 0
    assert not (project / "outputs").exists() and not (project / ".backpub/cache").exists()
    assert (state / "ledger.sqlite").read_text() == "keep me"


def test_clean_keeps_the_outputs_folders_gitkeep(project, run_cli):
    """A project that tracks an empty outputs/ in git keeps it tracked: clean removes every output, not the marker."""
    (project / "outputs").mkdir()
    (project / "outputs" / ".gitkeep").write_text("")
    assert run_cli("build", "-f", "json", "-f", "site", cwd=project).exit_code == 0
    result = run_cli("clean", cwd=project)
    assert result.exit_code == 0, result.output
    assert [path.name for path in (project / "outputs").iterdir()] == [".gitkeep"]
    assert "(kept .gitkeep)" in result.output and not (project / ".backpub/cache").exists()
    assert run_cli("build", "-f", "json", cwd=project).exit_code == 0  # and builds there again


def test_changing_a_plugins_code_rerenders_its_outputs(project, run_cli):
    folder = project / "local_plugins"
    folder.mkdir()
    plugin = folder / "greeting.py"
    template = (
        "from backpub import Format, Job, hookimpl\n"
        "class Greeting(Format):\n"
        "    name = 'greeting'\n"
        "    def jobs(self, publication):\n"
        "        return [Job('hello.txt')]\n"
        "    def render(self, job, publication):\n"
        "        return b'WORD'\n"
        "@hookimpl\n"
        "def register_formats():\n"
        "    return [Greeting]\n"
    )
    plugin.write_text(template.replace("WORD", "hello"))
    assert run_cli("build", "-f", "greeting", cwd=project).exit_code == 0
    plugin.write_text(template.replace("WORD", "bonjour"))
    from backpub.engine import engine as engine_module

    engine_module._code_hash.cache_clear()  # a new process would start with an empty cache
    assert run_cli("build", "-f", "greeting", cwd=project).exit_code == 0
    assert (project / "outputs/greeting/hello.txt").read_text() == "bonjour"


def test_plugin_command_errors_are_plain_messages(project, run_cli):
    folder = project / "local_plugins"
    folder.mkdir()
    (folder / "failing.py").write_text(
        "import click\n"
        "from backpub import ConfigError, hookimpl\n"
        "@hookimpl\n"
        "def register_commands(cli):\n"
        "    @cli.command(name='fail-plainly')\n"
        "    def fail():\n"
        "        raise ConfigError('this command needs --thing')\n"
    )
    from backpub.cli import cli

    cli._plugins_loaded = False
    try:
        result = run_cli("fail-plainly", cwd=project)
    finally:
        cli._plugins_loaded = False
        cli.commands.pop("fail-plainly", None)
    assert result.exit_code == 1
    assert "Error: this command needs --thing" in result.output
    assert "Traceback" not in result.output
