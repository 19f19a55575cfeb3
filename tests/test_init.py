"""Issue 26's done-when: `backpub init` in an empty folder, then `validate`, a preview build and the generated CI
workflow's commands pass, with backpub installed from a built wheel into a fresh venv: a programme repository that
is not this one, using backpub as a package. And it cannot publish until its placeholders are filled.

Kept to seconds: the wheel is built once per test run (`pip wheel --no-deps --no-build-isolation`, offline, with
hatchling from the test extra), and the venv is made without pip (`--without-pip --system-site-packages`); this
suite's pip installs the wheel into it with `--no-deps`, and a `.pth` file lends it the suite's installed
dependencies (their folder joins its import path, but that folder's own `.pth` files, among them the editable
install of this checkout, are not read, so `import backpub` finds the wheel's copy: the test checks it does).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner
from pydantic import BaseModel, ConfigDict

from backpub import Format, Session, Starter
from backpub.commands.init import SETUP_STEPS, weekly_cron
from backpub_testkit import REPO, made_once


def _run(command: list[str], **options) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, **options)


def _make_venv(folder: Path) -> None:
    wheels = folder / "wheel"
    built = _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels),
                  str(REPO)])  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("backpub-*.whl")
    venv = folder / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)])
    assert made.returncode == 0, made.stderr
    (site,) = venv.glob("lib/python*/site-packages")
    (site / "suite-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = _run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
                      "--no-deps", "--no-index", str(wheel)])  # fmt: skip
    assert installed.returncode == 0, installed.stderr


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with backpub installed from its wheel, made once per test run."""
    return made_once(tmp_path_factory, "backpub-wheel-venv", _make_venv) / "venv"


@pytest.fixture
def shell(venv: Path):
    """Run a command as a programme's author (or its CI) would, with the venv's backpub first on the PATH."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "VIRTUAL_ENV"))}
    environment["PATH"] = f"{venv / 'bin'}{os.pathsep}{environment.get('PATH', '')}"

    def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
        return _run(["bash", "-euo", "pipefail", "-c", command], cwd=cwd, env=environment)

    return run


def _steps(workflow: Path, job: str) -> list[dict]:
    return yaml.safe_load(workflow.read_text())["jobs"][job]["steps"]


def test_a_new_programme_validates_previews_and_passes_its_own_ci_with_backpub_from_a_wheel(
    venv: Path, shell, tmp_path: Path
) -> None:
    where = shell("python -c 'import backpub, backpub_site; print(backpub.__file__, backpub_site.__file__)'", tmp_path)
    assert where.stdout.split() and all(path.startswith(str(venv)) for path in where.stdout.split()), where.stdout

    made = shell("backpub init sleep --title 'Better Sleep' --site-url https://sleep.example.org --country DE "
                 "--timezone Europe/Berlin --language de-DE", tmp_path)  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    programme = tmp_path / "sleep"
    kinds = {path.parent.name for path in (programme / "content").glob("*/*.md")}
    assert kinds == {"concepts", "mistakes", "protocols", "treatments", "principles", "episodes", "handouts", "clinics"}
    assert {".gitignore", "README.md"} <= {path.name for path in programme.iterdir()}

    validated = shell("backpub validate", programme)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "still holds TODO text" in validated.stderr  # what is left to write, as warnings

    checks = [step for step in _steps(programme / ".github/workflows/check.yml", "check") if "run" in step]
    assert [step["name"] for step in checks if step["name"] not in SETUP_STEPS] == [
        "Check the content, today and the coming Sundays", "Build next Sunday as a preview"]  # fmt: skip
    for step in checks:
        if step["name"] not in SETUP_STEPS:
            result = shell(step["run"], programme)
            assert result.returncode == 0, (step["name"], result.stdout + result.stderr)
    (preview,) = (programme / "outputs").glob("preview-*")
    assert (preview / "site" / "index.html").is_file() and list((preview / "pdf").rglob("*.pdf"))
    assert json.loads((preview / "json" / "programme.json").read_text())["programme"]["language"] == "de-DE"


def test_the_weekly_publish_refuses_until_the_placeholders_are_filled(venv: Path, shell, tmp_path: Path) -> None:
    assert shell("backpub init programme --title 'A Programme'", tmp_path).returncode == 0
    programme = tmp_path / "programme"
    (publish,) = [step for step in _steps(programme / ".github/workflows/publish.yml", "build")
                  if step.get("name") == "Build for today"]  # fmt: skip
    refused = shell(publish["run"], programme)
    assert refused.returncode == 1
    assert "error: not published: no review record" in refused.stderr
    assert "content/programme.yaml" in refused.stderr and "still holds TODO text" in refused.stderr
    assert not (programme / "outputs" / "site").exists() and not (programme / "content" / "feed.lock").exists()


def test_init_writes_only_into_a_new_or_empty_folder(run_cli, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    result = run_cli("init", "taken", "--title", "X", cwd=tmp_path)
    assert result.exit_code == 1 and "not an empty folder" in result.output
    assert [path.name for path in (tmp_path / "taken").iterdir()] == ["notes.txt"]
    bad = run_cli("init", "new", "--title", "X", "--timezone", "Europe/Londn", cwd=tmp_path)
    assert bad.exit_code == 1 and "unknown timezone 'Europe/Londn'" in bad.output and "Traceback" not in bad.output
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    ("timezone", "cron"),
    [("Europe/London", (5, 7, 0)), ("America/New_York", (5, 12, 0)), ("Asia/Tokyo", (5, 22, 6)), ("UTC", (5, 7, 0))],
)
def test_the_weekly_run_starts_after_the_sunday_send_time_all_year(timezone: str, cron: tuple[int, int, int]) -> None:
    assert weekly_cron(timezone, time(7, 0)) == cron
    minute, hour, weekday = cron
    offset = weekday if weekday <= 3 else weekday - 7  # cron's day: 0 is Sunday, 6 the Saturday before
    for sunday in (datetime(2026, 1, 4, tzinfo=UTC), datetime(2026, 7, 5, tzinfo=UTC)):
        run = sunday.replace(hour=hour, minute=minute) + timedelta(days=offset)
        local = run.astimezone(ZoneInfo(timezone))
        assert local.weekday() == 6 and (local.hour, local.minute) >= (7, 0), (timezone, local)


def test_init_asks_at_a_terminal_for_what_it_was_not_told(run_cli, tmp_path: Path, monkeypatch) -> None:
    from backpub import cli

    monkeypatch.setattr(cli, "_interactive", lambda: True)
    answers = "Better Sleep\nde-DE\nEurope/Berlin\nhttps://sleep.example.org\nDE\n"
    result = CliRunner().invoke(cli.cli, ["init", str(tmp_path / "sleep")], input=answers)
    assert result.exit_code == 0, result.output
    programme = yaml.safe_load((tmp_path / "sleep" / "content" / "programme.yaml").read_text())
    assert (programme["title"], programme["language"], programme["timezone"]) == (
        "Better Sleep",
        "de-DE",
        "Europe/Berlin",
    )
    assert (programme["site_url"], programme["default_country"]) == ("https://sleep.example.org", "DE")
    assert "Title [Sleep]:" in result.output  # the folder's name, unless told otherwise


class Diary(Format):
    """A format of another package whose options a new programme must give."""

    name = "diary"

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid")
        keeper: str

    @classmethod
    def starter(cls, title: str, site_url: str) -> Starter:
        return Starter('keeper: "TODO: who keeps the diary"\n', time(9, 30))

    def jobs(self, publication):
        return []

    def render(self, job, publication):
        return b""


def test_every_installed_format_gives_its_part_of_a_new_programme(tmp_path: Path) -> None:
    """A format's required settings come from the format (`Format.starter`): the core names none, and a format
    from another package takes part like the built-in ones (here its settings and its Sunday time)."""
    from backpub.commands.init import Settings, init_programme
    from backpub.testing import host_with

    with host_with(Diary) as host:
        formats = host.formats()
        init_programme(tmp_path / "p", Settings("Diaries", timezone="UTC"), formats)
        validation = Session(tmp_path / "p" / "content", host=host).validation
    assert validation.errors == [], validation.errors
    assert validation.publication.programme.formats["diary"] == {"keeper": "TODO: who keeps the diary"}
    assert '- cron: "35 9 * * 0"' in (tmp_path / "p/.github/workflows/publish.yml").read_text()  # after 09:30 UTC
