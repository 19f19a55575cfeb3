"""Doses written once: `{dose}` references print the dose field in every format; bad references and figures
that disagree with the dose are located."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from backpub.content.validation import load
from backpub_testkit import edit

ICE = "content/protocols/ice.md"
CONCEPT = "content/concepts/back-not-leg.md"


def validate(run_cli, project: Path, *args: str):
    return run_cli("validate", "content", *args, cwd=project)


def line_of(path: Path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_references_print_the_dose_in_steps_markdown_and_every_format(run_cli, project):
    edit(project / ICE, "  - Place it on the lower spine.", "  - Leave it on the lower spine for {dose.duration}.")
    (project / ICE).write_text((project / ICE).read_text() + "Ice for {dose}, no longer.\n")
    edit(project / CONCEPT, "Try the [ice](@ice).", "Try the [ice](@ice) for {dose:ice.duration}.")

    publication = load(project / "content").publication
    assert publication is not None
    assert publication.get("ice").steps[1] == "Leave it on the lower spine for 3 to 5 minutes."
    assert publication.get("ice").body == "Ice for 3 to 5 minutes, no longer."

    result = run_cli("build", "-f", "json", "-f", "site", "--no-cache", cwd=project)
    assert result.exit_code == 0, result.output
    outputs = project / "outputs"
    data = (outputs / "json/programme.json").read_text()
    assert "{dose" not in data and "for 3 to 5 minutes." in data
    concept_page = (outputs / "site/concepts/back-not-leg/index.html").read_text()
    assert "for 3 to 5 minutes." in concept_page
    protocol_page = (outputs / "site/protocols/ice/index.html").read_text()
    assert "Leave it on the lower spine for 3 to 5 minutes." in protocol_page
    assert "{dose" not in concept_page + protocol_page


def test_an_escaped_reference_is_left_as_written(project):
    edit(project / CONCEPT, "Try the [ice](@ice).", r"Write \{dose} in a protocol.")
    publication = load(project / "content").publication
    assert publication is not None
    assert r"\{dose}" in publication.get("back-not-leg").body


def test_unknown_protocol_is_a_located_error_with_a_suggestion(run_cli, project):
    edit(project / CONCEPT, "Try the [ice](@ice).", "Try the [ice](@ice) for {dose:icee}.")
    line = line_of(project / CONCEPT, "{dose:icee}")
    result = validate(run_cli, project)
    assert result.exit_code == 1
    expected = (
        f"{CONCEPT}:{line}:1: error: body: {{dose:icee}} refers to 'icee', which is not a protocol; did you mean 'ice'?"
    )
    assert expected in result.output, result.output
    assert "Traceback" not in result.output


def test_bare_reference_outside_a_protocol_and_unknown_parts_are_errors(run_cli, project):
    edit(project / CONCEPT, "summary: The leg pain starts in the lower back.", "summary: Ice for {dose}.")
    edit(project / ICE, "  - Wrap the ice pack.", "  - Wrap the ice pack for {dose.reps}, in {dose.sets}.")
    result = validate(run_cli, project)
    assert result.exit_code == 1
    assert f"{CONCEPT}:3:1: error: summary: {{dose}} names no protocol" in result.output, result.output
    step_line = line_of(project / ICE, "{dose.reps}")
    assert f"{ICE}:{step_line}:1: error: steps[0]: {{dose.reps}}: a dose has no part 'reps'" in result.output
    assert f"{ICE}:{step_line}:1: error: steps[0]: {{dose.sets}}: the dose of 'ice' gives no sets" in result.output


def test_reference_to_a_protocol_without_a_dose_is_an_error(run_cli, project):
    edit(project / ICE, "dose:\n  duration: 3-5 min\n", "")
    edit(project / CONCEPT, "Try the [ice](@ice).", "Ice for {dose:ice}.")
    result = validate(run_cli, project)
    assert result.exit_code == 1
    assert "{dose:ice}: protocol 'ice' has no dose; give it a `dose:` field first" in result.output


def test_prose_that_contradicts_the_dose_is_a_located_warning(run_cli, project):
    edit(project / ICE, "  - Place it on the lower spine.", "  - Place it on the lower spine for 10 minutes.")
    result = validate(run_cli, project)
    assert result.exit_code == 0, result.output
    line = line_of(project / ICE, "10 minutes")
    expected = (
        f"{ICE}:{line}:1: warning: steps[1]: states '10 minutes' for protocol 'ice', but its dose says 3–5 min; "
        "write {dose:ice.duration} so the two cannot differ"
    )
    assert expected in result.output, result.output
    assert validate(run_cli, project, "--strict").exit_code == 1


def test_figures_in_other_entities_are_checked_against_the_protocol_they_name(run_cli, project):
    concept = project / CONCEPT
    edit(
        concept,
        "Try the [ice](@ice).",
        "Try the [ice](@ice) for two minutes.\n\nIce the lower back for 3 to 5 minutes.",
    )
    result = validate(run_cli, project)
    assert f"{CONCEPT}:{line_of(concept, 'two minutes')}:1: warning: body: states 'two minutes'" in result.output
    assert "3 to 5 minutes'" not in result.output, result.output


def test_a_folded_front_matter_value_is_located_on_the_figure_s_own_line(run_cli, project):
    edit(
        project / ICE,
        "purpose: Calm inflammation.",
        "purpose: >-\n  Calm inflammation in the lower back\n  with a few quiet minutes of ice,\n  about 20 minutes each time.",
    )
    result = validate(run_cli, project)
    line = line_of(project / ICE, "about 20 minutes")
    assert f"{ICE}:{line}:1: warning: purpose: states '20 minutes' for protocol 'ice'" in result.output, result.output


def test_agreeing_figures_counts_per_day_and_other_kinds_are_not_flagged(run_cli, project):
    edit(
        project / ICE,
        "  - Place it on the lower spine.",
        "  - Place it on the lower spine for three to five minutes, 3 times a day.",
    )
    result = validate(run_cli, project, "--strict", "--format", "json")
    assert json.loads(result.output)["problems"] == [], result.output


def test_a_count_when_the_dose_gives_none_is_flagged(run_cli, project):
    edit(project / ICE, "  - Wrap the ice pack.", "  - Wrap the ice pack and repeat 10 times.")
    result = validate(run_cli, project)
    assert "states '10 times' for protocol 'ice', whose dose gives no repetitions" in result.output, result.output


def test_the_full_test_programme_has_no_hand_written_doses_and_passes_strict(run_cli, make_project):
    project = make_project("back-in-shape")
    result = validate(run_cli, project, "--strict", "--as-of", "2026-11-25", "--format", "json")
    data = json.loads(result.output)
    assert result.exit_code == 0 and data["problems"] == [], result.output
    publication = load(project / "content").publication
    assert publication is not None
    ice = publication.get("ice-the-lower-back")
    assert any("3 to 5 minutes" in step for step in ice.steps)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{}dose:.ic-\\ durationx")), max_size=40))
def test_any_reference_text_resolves_or_says_why(text):
    from backpub.model import Protocol
    from backpub.prose.doses import REFERENCE, resolve

    ice = Protocol.model_validate(
        {"id": "ice", "title": "Ice", "reviewed": "2026-11-01", "reviewer": "R", "phase": "p", "purpose": "P",
         "steps": ["S"], "dose": {"duration": "3-5 min"}}
    )  # fmt: skip
    for match in REFERENCE.finditer(text):
        try:
            assert resolve(match, "ice", {"ice": ice}, "en-GB")
        except ValueError as reason:
            assert str(reason).startswith(match[0])
