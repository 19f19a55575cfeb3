"""The shipped programme (`content/`) is publishable today: it validates under --strict and builds every format.

This is the only test module that reads the shipped content (the others use their own projects in tests/roots/,
so an author adding an episode never turns the suite red; tests/test_adding_content.py checks that). Its checks
hold for any valid programme: they name no entity and count nothing the content may grow, and they run on the
shipped content and on it with a new episode, protocol and clinic added (tests/roots/added-content/).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner, Result

from backpub import Session
from backpub.cli import cli
from backpub_testkit import ROOTS, SHIPPED_CONTENT


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=True)


ADDED = ROOTS / "added-content" / "content"
"""A new episode, protocol and clinic, valid under `validate --strict`: what an author's commit adds."""


@pytest.fixture(scope="module", params=["as shipped", "with an added episode, protocol and clinic"])
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped content (a build for today records into content/), as shipped and with new content
    added: adding valid content never turns these checks red (tests/test_adding_content.py)."""
    folder = tmp_path_factory.mktemp("shipped")
    shutil.copytree(SHIPPED_CONTENT, folder / "content")
    if request.param != "as shipped":
        for path in ADDED.rglob("*.md"):
            target = folder / "content" / path.relative_to(ADDED)
            assert not target.exists(), f"{target.name} is not new"
            shutil.copyfile(path, target)
    return folder


@pytest.fixture(scope="module")
def built(project: Path) -> dict:
    result = run("build", "--content", str(project / "content"), "--strict", "--jobs", "2", "--report", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_shipped_content_validates_strictly_today(project: Path) -> None:
    result = run("validate", "--content", str(project / "content"), "--strict", "--format", "json")
    data = json.loads(result.stdout)
    assert (result.exit_code, data["problems"]) == (0, []), result.output


def test_the_shipped_content_builds_every_format_today_without_a_warning(project: Path, built: dict) -> None:
    assert built["warnings"] == [] and built["notes"] == []
    installed = Session(project / "content").host.formats()
    assert set(built["formats"]) == set(installed)
    for name in installed:
        assert any(path.is_file() for path in (project / "outputs" / name).rglob("*")), f"{name} wrote nothing"


def test_the_feed_lists_every_released_episode_under_its_recorded_guid(project: Path, built: dict) -> None:
    session = Session(project / "content")
    released = session.publication.released_episodes(session.as_of)
    parsed = feedparser.parse((project / "outputs" / "feed" / "podcast.xml").read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    assert {entry.id for entry in parsed.entries} == {episode.guid for episode in released if not episode.retired}
    recorded = json.loads((project / "content" / "feed.lock").read_text())["episodes"]
    assert {entry["guid"] for entry in recorded} >= {entry.id for entry in parsed.entries}


def test_every_clinic_gets_a_branded_edition_of_each_of_its_handouts_and_a_pack(project: Path, built: dict) -> None:
    publication = Session(project / "content").publication
    for clinic in publication.clinics:
        folder = project / "outputs" / "pdf" / clinic.id
        handouts = clinic.handouts or [handout.id for handout in publication.handouts]
        assert {f"{handout}.pdf" for handout in handouts} | {"pack.pdf"} <= {
            path.name for path in folder.glob("*.pdf")
        }, clinic.id
