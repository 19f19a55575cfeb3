"""Fixtures for the feed tests (a pytest plugin module: a second conftest.py would shadow the root one's `edit`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from click.testing import Result
from lxml import etree

from backpub import clock


@dataclass
class Built:
    """A finished CLI build: its result and, when it succeeded, the feed's bytes and parsed tree."""

    result: Result
    project: Path
    outputs: Path
    """Where the build wrote: outputs/, or for a preview (a day other than today) outputs/preview-<day>/."""

    @property
    def output(self) -> str:
        return self.result.output

    @property
    def path(self) -> Path:
        return self.outputs / "feed" / "podcast.xml"

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()

    @property
    def channel(self) -> etree._Element:
        return etree.fromstring(self.data).find("channel")

    @property
    def ledger(self) -> Path:
        return self.project / "content" / "feed.lock"


@pytest.fixture
def feed_project(make_project: Callable[..., Path]) -> Path:
    """A fresh copy of tests/roots/feed-audio: three episodes (22 Nov, 29 Nov, 6 Dec 2026), one with a real MP3."""
    return make_project("feed-audio")


@pytest.fixture
def build_feed(run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Built]:
    """Run `backpub build -f feed` in a project through the CLI, in one process, without SOURCE_DATE_EPOCH.

    The build runs as if today were `today` (default: the `--as-of` date, a real publishing build); a different
    `today` makes it a preview.
    """

    def build(
        project: Path, as_of: str = "2026-11-29", *extra: str, env: dict | None = None, today: str | None = None
    ) -> Built:
        pretend(monkeypatch, today or as_of)
        arguments = ["build", "--content", "content", "-f", "feed", "--as-of", as_of, "-j", "1", "-q", *extra]
        result = run_cli(*arguments, cwd=project, env={"SOURCE_DATE_EPOCH": None, **(env or {})})
        preview = (today or as_of) != as_of and "--output" not in extra
        return Built(result, project, project / "outputs" / (f"preview-{as_of}" if preview else ""))

    return build


def pretend(monkeypatch: pytest.MonkeyPatch, today: str) -> None:
    """Make the programme's "today" a fixed date (the ledger records only a build for today)."""
    noon = datetime.combine(date.fromisoformat(today), time(12), tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: noon)
