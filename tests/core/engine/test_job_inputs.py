"""Jobs made from other outputs (`Job.inputs`): rendered after them, with them, and again when they change."""

from __future__ import annotations

from pathlib import Path

import pytest

from backpub import Format, Job, hookimpl
from backpub.build import build
from backpub.content.publication import Publication
from backpub.errors import PluginError
from backpub.plugins import make_host
from backpub_testkit import edit

RENDERED: list[str] = []
INPUTS: dict[str, tuple[str, ...]] = {}


class BundleFormat(Format):
    """Two parts, each about one entity, and a bundle made from both parts' files."""

    name = "bundle"

    def jobs(self, publication: Publication) -> list[Job]:
        # The bundle is declared first: the engine, not the declaration order, puts it after its inputs.
        return [
            Job("bundle.txt", inputs=INPUTS.get("bundle.txt", ("parts/ice.txt", "parts/concept.txt"))),
            Job("parts/ice.txt", fields={"ice": frozenset({"title"})}, inputs=INPUTS.get("parts/ice.txt", ())),
            Job("parts/concept.txt", fields={"back-not-leg": frozenset({"title"})}),
        ]

    def render(self, job: Job, publication: Publication) -> bytes:
        RENDERED.append(job.output)
        if job.inputs:
            return b"".join(self.read_input(job, output) for output in job.inputs)
        entity_id = next(iter(job.fields))
        return f"{publication.get(entity_id).title}\n".encode()


class SneakyFormat(BundleFormat):
    """Reads an output it did not declare as an input."""

    name = "sneaky"

    def render(self, job: Job, publication: Publication) -> bytes:
        if job.output == "bundle.txt":
            return self.read_input(job, "elsewhere.txt")
        return super().render(job, publication)


class BundlePlugin:
    @hookimpl
    def register_formats(self):
        return [BundleFormat, SneakyFormat]


def run(project: Path, jobs: int = 1, name: str = "bundle") -> list[str]:
    """The outputs rendered, in the order they were (with workers, the order they were reported in)."""
    RENDERED.clear()
    host = make_host(plugins=(("bundle-plugin", BundlePlugin()),))
    report = build(project / "content", host=host, formats=[name], jobs=jobs)
    if jobs == 1:
        assert [f"{name}/{output}" for output in RENDERED] == report.rendered
    return [path.removeprefix(f"{name}/") for path in report.rendered]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_job_is_made_after_and_from_its_inputs_and_again_when_one_changes(project, jobs):
    order = run(project, jobs)
    assert sorted(order) == ["bundle.txt", "parts/concept.txt", "parts/ice.txt"]
    assert order[-1] == "bundle.txt"
    bundle = project / "outputs/bundle/bundle.txt"
    assert bundle.read_text() == "Ice the lower back\nSciatica is a back problem\n"

    edit(project / "content/protocols/ice.md", "title: Ice the lower back", "title: Ice the low back")
    assert run(project, jobs) == ["parts/ice.txt", "bundle.txt"]
    # (Made from the part rendered in the same build: in a worker, the bundle started after the part was written.)
    assert bundle.read_text() == "Ice the low back\nSciatica is a back problem\n"
    # An edit no input shows renders nothing, and a bundle whose inputs were kept reads the kept files.
    edit(project / "content/protocols/ice.md", "Wrap the ice pack.", "Wrap the ice pack in a towel.")
    assert run(project, jobs) == []


def test_reading_an_output_not_declared_as_an_input_is_the_plugins_error(project):
    with pytest.raises(
        PluginError, match=r"plugin 'sneaky': job 'bundle\.txt' reads 'elsewhere\.txt', which it does not list"
    ):
        run(project, name="sneaky")


def test_an_input_no_job_makes_or_a_cycle_is_the_plugins_error(project, monkeypatch):
    monkeypatch.setitem(INPUTS, "bundle.txt", ("parts/missing.txt",))
    with pytest.raises(PluginError, match=r"'parts/missing\.txt', which no job makes"):
        run(project)
    monkeypatch.setitem(INPUTS, "bundle.txt", ("parts/ice.txt",))
    monkeypatch.setitem(INPUTS, "parts/ice.txt", ("bundle.txt",))
    with pytest.raises(PluginError, match=r"in a cycle: bundle.txt -> parts/ice.txt -> bundle.txt"):
        run(project)
    assert RENDERED == []
