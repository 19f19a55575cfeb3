"""The plugin host: entry points, local plugins, a third-party format, and failures attributed by name."""

from __future__ import annotations

import json
from importlib.metadata import EntryPoint
from pathlib import Path

import click
import pytest

from backpub import Format, Job, PluginError, Problem, hookimpl
from backpub.build import build
from backpub.content.publication import Publication
from backpub.plugins import make_host


class UpperFormat(Format):
    """A third-party style format: writes every concept's title in capitals."""

    name = "upper"
    version = "7"

    def jobs(self, publication: Publication) -> list[Job]:
        return [Job(f"{c.id}.txt", entities=frozenset({c.id}), args={"id": c.id}) for c in publication.concepts]

    def render(self, job: Job, publication: Publication) -> bytes:
        return publication.get(job.args["id"]).title.upper().encode()


class UpperPlugin:
    @hookimpl
    def register_formats(self):
        return [UpperFormat]


def test_hook_register_formats_adds_a_third_party_format(project):
    host = make_host(plugins=(("upper-plugin", UpperPlugin()),))
    assert host.formats()["upper"] is UpperFormat
    build(project / "content", formats=["upper"], host=host, jobs=1)
    assert (project / "outputs/upper/back-not-leg.txt").read_text() == "SCIATICA IS A BACK PROBLEM"


def test_built_in_formats_come_through_the_entry_point_group():
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group="backpub")}
    assert {"json", "pdf", "epub", "feed", "newsletter", "site"} <= names
    host = make_host()
    assert "json" in host.formats()
    assert any(info["name"] == "json" and "json" in info["formats"] for info in host.describe())


def test_a_third_party_distribution_is_loaded_like_the_built_ins(project, tmp_path, monkeypatch):
    """An installed distribution declaring a `backpub` entry point is found with no other set-up."""
    site = tmp_path / "site-packages"
    (site / "backpub_upper-1.0.dist-info").mkdir(parents=True)
    (site / "backpub_upper-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: backpub-upper\nVersion: 1.0\n"
    )
    (site / "backpub_upper-1.0.dist-info" / "entry_points.txt").write_text("[backpub]\nupper = backpub_upper\n")
    (site / "backpub_upper.py").write_text(
        "from backpub import Format, Job, hookimpl\n"
        "class Upper(Format):\n"
        "    name = 'upper'\n"
        "    def jobs(self, publication):\n"
        "        return [Job('title.txt')]\n"
        "    def render(self, job, publication):\n"
        "        return publication.programme.title.upper().encode()\n"
        "@hookimpl\n"
        "def register_formats():\n"
        "    return [Upper]\n"
    )
    monkeypatch.syspath_prepend(str(site))
    host = make_host()
    assert {"upper", "json"} <= set(host.formats())
    assert any(p["name"] == "upper" and p["version"] == "1.0" for p in host.describe())
    build(project / "content", formats=["upper"], host=host)
    assert (project / "outputs/upper/title.txt").read_text() == "MINIMAL PROGRAMME"


def test_plugin_that_fails_to_load_is_named(monkeypatch):
    import backpub.plugins as plugins_module

    broken = EntryPoint(name="broken", value="no_such_module_xyz", group="backpub")
    monkeypatch.setattr(plugins_module, "entry_points", lambda group: [broken])
    with pytest.raises(PluginError, match=r"plugin 'broken': failed to load .*ModuleNotFoundError"):
        make_host()


def test_duplicate_format_names_name_both_plugins():
    class Again(UpperPlugin):
        pass

    host = make_host(entrypoints=False, plugins=(("first", UpperPlugin()), ("second", Again())))
    with pytest.raises(PluginError, match="format 'upper' is already registered by plugin") as caught:
        host.formats()
    assert {caught.value.plugin, str(caught.value).rsplit(" ", 1)[-1].strip("'")} == {"first", "second"}


def test_hook_that_raises_is_attributed_to_its_plugin():
    class Raising:
        @hookimpl
        def register_formats(self):
            raise RuntimeError("boom")

    host = make_host(entrypoints=False, plugins=(("raising", Raising()),))
    with pytest.raises(PluginError, match="plugin 'raising': hook register_formats raised RuntimeError: boom"):
        host.formats()


def test_unknown_hook_is_refused():
    class Typo:
        @hookimpl
        def register_fromats(self):
            return []

    with pytest.raises(PluginError, match="plugin 'typo'"):
        make_host(entrypoints=False, plugins=(("typo", Typo()),))


def test_local_plugin_folder(project, run_cli):
    folder = project / "local_plugins"
    folder.mkdir()
    (folder / "shout.py").write_text(
        "from backpub import Format, Job, hookimpl\n"
        "class Shout(Format):\n"
        "    name = 'shout'\n"
        "    def jobs(self, publication):\n"
        "        return [Job('title.txt')]\n"
        "    def render(self, job, publication):\n"
        "        return publication.programme.title.upper().encode()\n"
        "@hookimpl\n"
        "def register_formats():\n"
        "    return [Shout]\n"
    )
    result = run_cli("build", "-f", "shout", cwd=project)
    assert result.exit_code == 0, result.output
    assert (project / "outputs/shout/title.txt").read_text() == "MINIMAL PROGRAMME"
    listed = run_cli("plugins", "--json", cwd=project)
    assert any(p["name"] == "local:shout" and p["formats"] == ["shout"] for p in json.loads(listed.output))


def test_local_plugin_with_a_syntax_error_is_named(project, run_cli):
    (project / "local_plugins").mkdir()
    (project / "local_plugins" / "bad.py").write_text("def oops(:\n")
    result = run_cli("build", "-f", "json", cwd=project)
    assert result.exit_code == 1
    assert "plugin 'local:bad': failed to load" in result.output
    assert "Traceback" not in result.output


def test_hook_register_commands_adds_a_cli_command(project):
    class Commands:
        @hookimpl
        def register_commands(self, cli):
            @cli.command(name="hello-test")
            def hello():
                click.echo("hello from a plugin")

    group = click.Group()
    make_host(entrypoints=False, plugins=(("commands", Commands()),)).register_commands(group)
    assert "hello-test" in group.commands


def test_hook_check_publication_problems_stop_the_build(project):
    class Checker:
        @hookimpl
        def check_publication(self, publication, context):
            return [Problem(publication.source_of("ice").path, 3, 1, "error", "house style: no ice", "ice")]

    host = make_host(entrypoints=True, plugins=(("checker", Checker()),))
    from backpub.errors import ContentError

    with pytest.raises(ContentError) as caught:
        build(project / "content", formats=["json"], host=host)
    assert [p.message for p in caught.value.problems] == ["house style: no ice"]
    assert not (project / "outputs").exists()


def test_disabling_a_plugin_by_environment(monkeypatch):
    monkeypatch.setenv("BACKPUB_DISABLE_PLUGINS", "json")
    assert "json" not in make_host().formats()


def test_plugins_command_lists_plugins(run_cli, tmp_path):
    result = run_cli("plugins", cwd=tmp_path)
    assert result.exit_code == 0
    assert "json" in result.output and "entry point backpub_json" in result.output


def test_core_imports_no_renderer():
    source = Path(__file__).resolve().parents[2] / "src" / "backpub"
    for module in source.glob("*.py"):
        text = module.read_text()
        for heavy in ("weasyprint", "ebooklib", "feedgen", "css_inline", "backpub_"):
            assert f"import {heavy}" not in text and f"from {heavy}" not in text, (module.name, heavy)
