"""backpub.testing: the fixtures and helpers a plugin author's tests use."""

from __future__ import annotations

from backpub import Format, Job
from backpub.build import build
from backpub.testing import host_with

CONCEPT = "---\ntitle: A concept\nsummary: Short.\nreviewed: 2026-11-01\nreviewer: R\n---\nBody.\n"


class CountFormat(Format):
    """Writes how many concepts the programme has."""

    name = "count"

    def jobs(self, publication):
        return [Job("count.txt", entities=frozenset(c.id for c in publication.concepts))]

    def render(self, job, publication):
        return str(len(publication.concepts)).encode()


def test_backpub_project_is_valid_and_takes_extra_files(backpub_project, backpub_cli):
    project = backpub_project({"content/concepts/a-concept.md": CONCEPT})
    result = backpub_cli("validate", "content", "--as-of", "2026-11-25", cwd=project)
    assert result.exit_code == 0, result.output
    assert "1 concept," in result.output


def test_backpub_cli_reports_errors(backpub_project, backpub_cli):
    project = backpub_project({"content/concepts/a-concept.md": CONCEPT.replace("summary", "sumary")})
    result = backpub_cli("validate", "content", cwd=project)
    assert result.exit_code == 1
    assert "unknown field 'sumary'; did you mean 'summary'?" in result.output


def test_host_with_adds_a_format_for_one_test(backpub_project):
    project = backpub_project({"content/concepts/a-concept.md": CONCEPT})
    with host_with(CountFormat) as host:
        build(project / "content", formats=["count"], host=host)
    assert (project / "outputs/count/count.txt").read_text() == "1"
