"""Worked out once per command: the clock, each format's options, the format instances and their context, the
publication with its links; and an unchanged build finishes at once whoever calls it."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, model_validator

from backpub import Format, Job, Publication, Session, clock, hookimpl
from backpub.build import build
from backpub.plugins import make_host

MADE: list[Format] = []
VALIDATED: list[str] = []


class CountedOptions(BaseModel):
    """Options that count how often they are validated."""

    model_config = ConfigDict(extra="forbid")
    greeting: str = "hello"

    @model_validator(mode="after")
    def _count(self) -> CountedOptions:
        VALIDATED.append(self.greeting)
        return self


class CountedFormat(Format):
    """One file; counts its instances."""

    name = "counted"
    Options = CountedOptions

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        MADE.append(self)

    def jobs(self, publication: Publication) -> list[Job]:
        return [Job("hello.txt", values=(self.options.greeting,))]

    def render(self, job: Job, publication: Publication) -> bytes:
        return self.options.greeting.encode()


class CountedPlugin:
    @hookimpl
    def register_formats(self):
        return [CountedFormat]


@pytest.fixture
def counted(project: Path) -> Path:
    MADE.clear()
    VALIDATED.clear()
    return project


def test_a_build_makes_each_format_once_with_one_context_and_options_validated_once(counted: Path) -> None:
    host = make_host(plugins=(("counted", CountedPlugin()),))
    build(counted / "content", host=host, formats=["counted", "json"], use_cache=False)
    assert len(MADE) == 1 and VALIDATED == ["hello"]
    session = Session(counted / "content", host=host)
    instances = session.formats(["counted", "json"])
    assert len({id(instance.context) for instance in session.installed.values()}) == 1
    assert instances["counted"] is session.installed["counted"]  # the links and the build share the instances
    session.check(instances)  # the checks use the same instances and context
    assert len(MADE) == 2  # one more session, one more instance


def test_the_publication_is_the_validated_one_with_its_links_set_once(project: Path) -> None:
    session = Session(project / "content")
    publication = session.publication
    assert publication is session.validation.publication
    assert publication.link("feed") == "https://minimal.example.org/podcast.xml"
    with pytest.raises(RuntimeError, match="published once"):
        publication.links.publish({})


def test_the_command_reads_the_clock_once(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readings: list[datetime] = []

    def now() -> datetime:
        readings.append(datetime(2026, 11, 25, 12, tzinfo=UTC))
        return readings[-1]

    monkeypatch.setattr(clock, "now", now)
    session = Session(project / "content")
    session.check(session.formats(["json"]))
    assert session.today.isoformat() == "2026-11-25" and session.day_in("Pacific/Auckland").isoformat() == "2026-11-26"
    assert len(readings) == 1


def test_a_programmatic_build_gets_the_no_op_shortcut_without_loading_the_model(project: Path) -> None:
    first = build(project / "content", formats=["json"])
    assert not first.unchanged and first.formats["json"].written == 1
    probe = (
        "import sys; from backpub.build import build\n"
        f"report = build({str(project / 'content')!r}, formats=['json'])\n"
        "print(report.unchanged, report.rendered, report.formats['json'].unchanged,"
        " sorted(m for m in sys.modules if m.startswith(('backpub.model', 'pydantic'))))\n"
    )
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert shown.stdout.split() == ["True", "[]", "1", "[]"], shown.stdout + shown.stderr
