"""Start-up: listing the commands imports click, pluggy and the plugins' hooks, never the model or a format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """\
import json, sys
sys.argv = ['backpub', *json.loads(sys.argv[1])]
from backpub.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({'code': code, 'modules': sorted(sys.modules)}), file=sys.stderr)
"""
FORMAT_PLUGINS = ("backpub_json", "backpub_pdf", "backpub_epub", "backpub_feed", "backpub_newsletter", "backpub_site")
PLUGINS = (*FORMAT_PLUGINS, "backpub_clinic")
"""Every built-in plugin: the formats and the clinic's prescriptions."""
COMMAND_MODULES = ("backpub_feed.command", "backpub_clinic.commands")
"""Plugins' command modules, imported to list their commands (click only)."""


def loaded_by(args: list[str], cwd: Path) -> tuple[str, set[str]]:
    """What `backpub ARGS` prints and every module it imported, from a fresh interpreter."""
    run = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    report = json.loads(run.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, run.stderr
    return run.stdout, set(report["modules"])


def heavy(modules: set[str]) -> list[str]:
    """The modules --help must not need: pydantic, the model, the session and any format's code."""
    return sorted(
        name
        for name in modules
        if name.split(".")[0] in ("pydantic", "pydantic_core", "jinja2", "markdown_it", "weasyprint", "PIL")
        or name.startswith(("backpub.model", "backpub.formats", "backpub.session", "backpub.content", "backpub.prose"))
        or (
            name.split(".")[0] in PLUGINS
            and name not in (*PLUGINS, *COMMAND_MODULES)
            and not name.endswith(".version")  # a plugin's version number, for `backpub plugins`
        )
    )


@pytest.mark.parametrize("args", [["--help"], ["validate", "--help"], ["build", "--help"]])
def test_help_imports_no_model_and_no_format(tmp_path: Path, args: list[str]) -> None:
    shown, modules = loaded_by(args, tmp_path)
    assert "Usage: backpub" in shown
    assert heavy(modules) == []


def test_help_lists_every_plugins_commands_from_their_hooks_alone(tmp_path: Path) -> None:
    shown, modules = loaded_by(["--help"], tmp_path)
    for command in ("build", "validate", "feed", "newsletter", "prescribe", "clinic"):
        assert f"\n  {command} " in shown, shown
    assert set(PLUGINS) <= modules  # every plugin was registered: its hooks are what listed the commands


def test_a_plugin_group_loads_its_commands_when_used(tmp_path: Path) -> None:
    shown, modules = loaded_by(["newsletter", "--help"], tmp_path)
    for command in ("send", "serve", "import", "export", "unsubscribe"):
        assert f"\n  {command} " in shown, shown
    assert "pydantic" not in modules


def test_the_format_classes_are_still_reachable_from_their_packages() -> None:
    import backpub_epub
    import backpub_feed
    import backpub_json
    import backpub_pdf
    import backpub_site
    from backpub.formats import Format

    for cls in (backpub_json.JsonFormat, backpub_pdf.PdfFormat, backpub_epub.EpubFormat, backpub_feed.FeedFormat,
                backpub_site.SiteFormat):  # fmt: skip
        assert issubclass(cls, Format)
    with pytest.raises(AttributeError):
        backpub_pdf.NoSuchName  # noqa: B018 - the lazy lookup still says what is missing


def test_a_format_class_outside_its_packages_init_still_hashes_the_whole_package() -> None:
    """A template or stylesheet change must re-render a format whose class lives in a submodule."""
    import backpub_newsletter
    import backpub_pdf
    from backpub.engine.engine import code_folder
    from backpub_newsletter.format import NewsletterFormat

    assert code_folder(backpub_pdf.PdfFormat) == Path(backpub_pdf.__file__).parent
    assert code_folder(NewsletterFormat) == Path(backpub_newsletter.__file__).parent
