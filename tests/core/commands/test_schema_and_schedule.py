"""`backpub schema` (JSON Schema for editors) and `backpub schedule` (the coming Sundays)."""

from __future__ import annotations

import json

from backpub_testkit import edit


def test_schema_describes_front_matter_without_file_fields(run_cli, tmp_path):
    result = run_cli("schema", "--kind", "protocol", cwd=tmp_path)
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert "id" not in schema["properties"] and "body" not in schema["properties"]
    assert set(schema["required"]) >= {"title", "phase", "purpose", "steps"}
    # A review record is written by the clinician who reviewed the text, never by a tool: not required to load,
    # required to publish (backpub.content.gate).
    assert {"reviewed", "reviewer"} <= set(schema["properties"]) - set(schema["required"])
    assert schema["properties"]["purpose"]["description"] == "What the protocol is for."
    assert schema["additionalProperties"] is False


def test_full_schema_has_every_kind_and_the_programme(run_cli, tmp_path):
    schema = json.loads(run_cli("schema", cwd=tmp_path).output)
    assert set(schema["kinds"]) == {
        "concepts",
        "mistakes",
        "protocols",
        "treatments",
        "principles",
        "episodes",
        "handouts",
        "clinics",
    }
    assert "disclaimer" in schema["programme.yaml"]["required"]


def test_unknown_kind_is_a_plain_error(run_cli, tmp_path):
    result = run_cli("schema", "--kind", "recipe", cwd=tmp_path)
    assert result.exit_code == 1 and "unknown kind 'recipe'" in result.output


def test_schedule_lists_sundays_and_gaps(run_cli, project):
    second = project / "content/episodes/episode-two.md"
    second.write_text((project / "content/episodes/episode-one.md").read_text())
    edit(second, "release: 2026-11-22", "release: 2026-12-06")
    edit(second, "number: 1", "number: 2")
    edit(second, "guid: 6f1d3c2e-8a4b-4c1d-9e2f-0a1b2c3d4e5f", "guid: 0c5e1f0a-1111-4222-8333-944455566677")
    edit(second, "title: Sciatica explained", "title: Second episode")
    result = run_cli("schedule", "content", "--as-of", "2026-11-25", "--weeks", "3", cwd=project)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "  latest released: #1 Sciatica explained (2026-11-22)" in lines
    assert "  2026-11-29  -- no episode scheduled --" in lines
    assert "  2026-12-06  #2 Second episode" in lines
