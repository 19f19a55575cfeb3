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


class LayeredFormat(BundleFormat):
    """Two outputs made from one intermediate file (`Job.intermediate`), and one made from nothing."""

    name = "layered"

    def jobs(self, publication: Publication) -> list[Job]:
        shared = Job("shared/ice.txt", fields={"ice": frozenset({"title"})}, intermediate=True)
        return [
            shared,
            Job("first.txt", inputs=(shared.output,)),
            Job("second.txt", inputs=(shared.output,)),
            Job("concept.txt", fields={"back-not-leg": frozenset({"title"})}),
        ]


class BundlePlugin:
    @hookimpl
    def register_formats(self):
        return [BundleFormat, SneakyFormat, LayeredFormat]


def run(project: Path, jobs: int = 1, name: str = "bundle") -> list[str]:
    """The outputs rendered, in the order they were (with workers, the order they were reported in)."""
    RENDERED.clear()
    host = make_host(plugins=(("bundle-plugin", BundlePlugin()),))
    report = build(project / "content", host=host, formats=[name], jobs=jobs)
    if jobs == 1:
        assert [f"{name}/{output}" for output in RENDERED if not output.startswith("shared/")] == report.rendered
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


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_intermediate_file_is_made_for_its_users_kept_in_the_cache_and_never_in_outputs(project, jobs):
    outputs = project / "outputs/layered"
    cached = project / ".backpub/cache/intermediates/layered"

    def files(folder: Path) -> list[str]:
        return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())

    assert sorted(run(project, jobs, "layered")) == ["concept.txt", "first.txt", "second.txt"]
    if jobs == 1:  # (with workers, the jobs render in other processes)
        assert RENDERED.count("shared/ice.txt") == 1 and RENDERED.index("shared/ice.txt") < RENDERED.index("first.txt")
    assert files(outputs) == ["concept.txt", "first.txt", "second.txt"]  # no intermediate file, no empty folder
    assert not (outputs / "shared").exists() and (outputs / "first.txt").read_text() == "Ice the lower back\n"
    assert len(files(cached)) == 1
    assert not list(project.glob("outputs.staging-*")) and not list(project.glob(".outputs.staging-*"))

    assert run(project, jobs, "layered") == []  # a no-op build renders nothing, the intermediate file neither
    (outputs / "first.txt").unlink()
    assert run(project, jobs, "layered") == ["first.txt"]  # made from the cached intermediate file
    assert jobs == 2 or RENDERED == ["first.txt"]
    assert (outputs / "first.txt").read_text() == "Ice the lower back\n"

    edit(project / "content/protocols/ice.md", "title: Ice the lower back", "title: Ice the low back")
    assert sorted(run(project, jobs, "layered")) == ["first.txt", "second.txt"]
    assert (outputs / "second.txt").read_text() == "Ice the low back\n"
    assert files(outputs) == ["concept.txt", "first.txt", "second.txt"]
    assert len(files(cached)) == 1  # the old one dropped from the cache


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
