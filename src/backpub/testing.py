"""A pytest plugin for backpub plugin authors: throwaway projects, the CLI in-process, a format for one test.

Enable it in your tests' conftest.py with `pytest_plugins = ["backpub.testing"]`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from click.testing import Result

    from backpub.content.publication import Publication
    from backpub.formats import Format
    from backpub.plugins import PluginHost

ARTWORK = "assets/artwork.png"

PROGRAMME = """\
title: Test Programme
publisher: Test Publisher
authors: [Test Author]
language: en-GB
timezone: Europe/London
site_url: https://programme.example.org
artwork: assets/artwork.png
disclaimer: General information, not medical advice.
default_country: GB
countries:
  GB:
    emergency_number: "0000"
    urgent_help: A test programme's urgent-help notice (0000 is no real number; a programme writes its own).
wording:
  treatment_kinds:
    manual-therapy: manual therapy
    targeted-technology: targeted technology
phases:
  - id: phase-one
    title: "Phase One: calm and unload"
    summary: Calm things down.
formats:
  feed:
    title: Test Podcast
    description: A podcast for tests.
    artwork_url: https://programme.example.org/artwork.png
    feed_url: https://programme.example.org/podcast.xml
    apple_category: Health & Fitness
    owner_name: Test Owner
    owner_email: owner@example.org
  newsletter:
    from_address: Test <sunday@example.org>
    reply_to: hello@example.org
    list_id: sunday.programme.example.org
    unsubscribe_url: https://programme.example.org/unsubscribe
    unsubscribe_mailto: unsubscribe@example.org
    postal_address: Test Publisher, 1 Example Street, Sampletown
  epub:
    book_id: urn:uuid:00000000-0000-4000-8000-000000000000
"""
"""A valid content/programme.yaml; replace it by passing your own under 'content/programme.yaml'."""


def write_project(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write a project: a valid programme.yaml and artwork, then `files` (paths relative to the project)."""
    from PIL import Image

    content = root / "content"
    (content / "assets").mkdir(parents=True, exist_ok=True)
    (content / "programme.yaml").write_text(PROGRAMME)
    Image.new("RGB", (1400, 1400), (31, 95, 139)).save(content / ARTWORK)
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data)
    return root


@pytest.fixture
def backpub_project(tmp_path: Path) -> Callable[[Mapping[str, str | bytes]], Path]:
    """Make a project folder from a dict of files, e.g. {"content/concepts/x.md": "---\\n...\\n---\\n"}."""

    def make(files: Mapping[str, str | bytes] | None = None) -> Path:
        return write_project(tmp_path / "project", files or {})

    return make


@pytest.fixture
def backpub_cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run `backpub ARGS...` in-process from a folder; returns click's Result (exit_code, output)."""
    from click.testing import CliRunner

    from backpub.cli import cli

    def run(*args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Result:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        return CliRunner().invoke(cli, list(args), env=dict(env or {}), catch_exceptions=True)

    return run


@contextmanager
def host_with(*formats: type[Format], name: str = "test-formats") -> Iterator[PluginHost]:
    """A plugin host with the installed plugins plus `formats`, for `backpub.build.build(..., host=...)`."""
    from backpub.hookspecs import hookimpl
    from backpub.plugins import make_host

    class _Formats:
        @hookimpl
        def register_formats(self) -> list[type[Format]]:
            return list(formats)

    yield make_host(plugins=((name, _Formats()),))


def render_output(instance: Format, publication: Publication, output: str) -> bytes:
    """The bytes of one of a format's outputs, its `Job.inputs` rendered first, as a build makes them (nothing is
    written to outputs/)."""
    import tempfile

    from backpub.formats import inputs_from

    jobs = {job.output: job for job in instance.jobs(publication)}
    with tempfile.TemporaryDirectory(prefix="backpub-render-") as scratch:
        folder = Path(scratch)

        def render(wanted: str) -> bytes:
            job = jobs[wanted]
            for needed in job.inputs:
                path = folder / instance.name / needed
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(render(needed))
            with inputs_from(folder):
                return instance.render(job, publication)

        return render(output)
