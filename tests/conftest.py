"""Shared fixtures: test projects copied from tests/roots/ and a CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from backpub.cli import cli
from backpub_testkit import FULL_PROGRAMME, REPO, ROOTS, edit, made_once

__all__ = ["FULL_PROGRAMME", "REPO", "ROOTS", "edit"]

pytest_plugins = ["backpub.testing"]  # the fixtures backpub offers plugin authors, tested like any others


# The files that take longest, slowest first (wall time of each file, measured on the 2-core machine). pytest-xdist
# hands files to its workers in collection order (pyproject.toml turns its own reordering by test count off); with
# these first, the short files fill in at the end and the two workers finish together, instead of one running a
# long file alone while the other is done.
SLOWEST_FIRST = (
    "tests/plugins/pdf/test_pdf_branding.py",  # (the shipped PDFs' build is shared with the other PDF files)
    "tests/hardening/test_killed_build.py",
    "tests/test_shipped_content.py",  # every format built twice: as shipped, and with content added
    "tests/plugins/site/test_site_accessibility.py",  # with test_site_search.py (SAME_WORKER below)
    "tests/plugins/site/test_site_search.py",
    "tests/core/engine/test_dask_executor.py",  # a LocalCluster of two worker processes, four builds
    "tests/plugins/pdf/test_pdf_content.py",
    "tests/plugins/epub/test_epub_book.py",
    "tests/test_init.py",
    "tests/plugins/mailinglist/test_observations_issue24.py",
    "tests/plugins/mailinglist/test_list_send.py",
    "tests/plugins/pdf/test_pdf_build.py",
    "tests/plugins/pdf/test_pdf_country.py",
    "tests/plugins/mailinglist/test_list_pace.py",
    "tests/plugins/pdf/test_pdf_dependencies.py",
    "tests/plugins/clinic/test_clinic_service.py",  # a service of its own and 100 prescriptions through it
    "tests/plugins/site/test_site_episode_extras.py",
    "tests/core/engine/test_build_speed.py",
    "tests/hardening/test_faults_newsletter.py",
    "tests/hardening/test_faults_build.py",
    "tests/hardening/test_hardening_properties.py",
)


SAME_WORKER = {"tests/plugins/site/test_site_search.py": "tests/plugins/site/test_site_accessibility.py"}
"""Files handed to the same worker as another file, as one unit: both drive the one headless Chromium of a session
fixture, which takes seconds to start."""


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadfile`, except that the files in SAME_WORKER go with their partner."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class Scheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            return SAME_WORKER.get(file, file)

    return Scheduling(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the slowest files first; every file keeps its own order, and the others keep theirs."""
    rank = {name: index for index, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.partition("::")[0], len(rank)))


LAYOUT_RECORDS = Path(".backpub/cache/pdf-layouts")
"""Where the PDF format keeps what its layouts found (page counts), keyed by what a layout is made from alone."""


def _measured_layouts(tmp_path_factory: pytest.TempPathFactory, root: str) -> Path:
    """The PDF layout records of a root's handouts, made once per test run by one `validate` (a handout's page count
    is only known from a layout: about half a second each, which every validate of a fresh copy would pay again)."""

    def measure(folder: Path) -> None:
        shutil.copytree(ROOTS / root / "content", folder / "content", symlinks=True)
        from backpub.session import Session

        session = Session(folder / "content")
        session.problems(session.formats(["pdf"]))

    return made_once(tmp_path_factory, f"layouts-{root}", measure) / LAYOUT_RECORDS


MEASURED_ROOTS = ("minimal", "feed-audio")
"""The small roots most tests copy, which have handouts: their copies come with their layouts' page counts too."""


@pytest.fixture(scope="session")
def copy_full_programme(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Path]:
    """`copy(project)` puts the full test programme in `project/content`, with the page counts its handouts'
    layouts found (records keyed by what each layout is made from, so an edit that changes a handout's pages is
    laid out afresh); for module fixtures too, which cannot use `make_project`."""

    def copy(project: Path) -> Path:
        shutil.copytree(FULL_PROGRAMME, project / "content", symlinks=True)
        shutil.copytree(_measured_layouts(tmp_path_factory, FULL_PROGRAMME.parent.name), project / LAYOUT_RECORDS)
        return project

    return copy


@pytest.fixture
def make_project(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, copy_full_programme: Callable[[Path], Path]
) -> Callable[..., Path]:
    """Copy a test root (tests/roots/<root>/content) into a temporary project folder; a copy of the full programme,
    or of a root in `MEASURED_ROOTS`, comes with its layouts' page counts (`copy_full_programme`)."""

    def make(root: str = "minimal", name: str = "project") -> Path:
        target = tmp_path / name
        if ROOTS / root / "content" == FULL_PROGRAMME:
            return copy_full_programme(target)
        shutil.copytree(ROOTS / root / "content", target / "content", symlinks=True)
        if root in MEASURED_ROOTS:
            shutil.copytree(_measured_layouts(tmp_path_factory, root), target / LAYOUT_RECORDS)
        return target

    return make


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    """A fresh copy of the minimal test project."""
    return make_project("minimal")


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Invoke the backpub CLI in-process from a working directory, returning click's Result."""

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Result:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=True)

    return run
