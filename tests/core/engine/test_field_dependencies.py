"""Dependencies by field: a job that declares which fields of an entity it shows re-renders only when they change."""

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
FIELDS: dict[str, frozenset[str]] = {"ice": frozenset({"title"})}


class FieldsFormat(Format):
    """Four files about one protocol: its title only, all of it, both declared, and its address only."""

    name = "fields"

    def jobs(self, publication: Publication) -> list[Job]:
        return [
            Job("title.txt", fields=FIELDS),
            Job("whole.txt", entities=frozenset({"ice"})),
            Job("both.txt", entities=frozenset({"ice"}), fields=FIELDS),
            Job("address.txt", fields={"ice": frozenset()}),
        ]

    def render(self, job: Job, publication: Publication) -> bytes:
        RENDERED.append(job.output)
        return publication.get("ice").model_dump_json().encode()


class FieldsPlugin:
    @hookimpl
    def register_formats(self):
        return [FieldsFormat]


def run(project: Path) -> list[str]:
    RENDERED.clear()
    build(project / "content", host=make_host(plugins=(("fields-plugin", FieldsPlugin()),)), formats=["fields"], jobs=1)
    return sorted(RENDERED)


def test_a_job_re_renders_only_when_a_field_it_declared_changes(project):
    protocol = project / "content/protocols/ice.md"
    assert run(project) == ["address.txt", "both.txt", "title.txt", "whole.txt"]
    edit(protocol, "Wrap the ice pack.", "Wrap the ice pack in a towel.")
    assert run(project) == ["both.txt", "whole.txt"]  # an entity also in `entities` counts whole
    edit(protocol, "title: Ice the lower back", "title: Ice the low back")
    assert run(project) == ["both.txt", "title.txt", "whole.txt"]
    assert run(project) == []


def test_a_misspelt_field_or_unknown_entity_is_the_plugins_error(project, monkeypatch):
    monkeypatch.setitem(FIELDS, "ice", frozenset({"titel"}))
    with pytest.raises(PluginError, match=r"unknown fields \['titel'\] of 'ice'"):
        run(project)
    monkeypatch.setitem(FIELDS, "nowhere", frozenset({"title"}))
    monkeypatch.delitem(FIELDS, "ice")
    with pytest.raises(PluginError, match="unknown entities"):
        run(project)
