"""Prescriptions read and checked like content: every problem located (file:line:col, or a JSON path), the dose
parts merged over the programme's, the texts naming the prescribed dose, the publishing gate applied."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backpub import BackpubError, Format, Job, PrescriptionError, Session, clock
from backpub_testkit import ROOTS
from prescribing_support import (
    ICE_SAFE,
    prescribing_root,  # noqa: F401 - a fixture
)

GOOD = """\
clinic: test-clinic
clinician: "J. Okafor, MCSP"
patient: "Sam"
date: 2026-12-07
exercises:
  - protocol: ice
    dose: {duration: "6-8 min", frequency: "3 times a day"}
    note: "Stop if the leg pain spreads below the knee."
  - protocol: wall-press-up
"""


@pytest.fixture(autouse=True)
def on_the_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole program's clock on the day of the examples (reviews stay current, whenever the tests run)."""
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 7, 12, tzinfo=UTC))


@pytest.fixture(scope="module")
def session(prescribing_root: Path) -> Session:  # noqa: F811
    return Session(prescribing_root / "content")


def problems(session: Session, text: str, shown: str = "sheet.yaml") -> list[str]:
    with pytest.raises(PrescriptionError) as caught:
        session.prescription(text, shown)
    return [str(problem) for problem in caught.value.problems]


def test_a_prescription_resolves_with_the_patients_dose_over_the_programmes(session):
    prescribed = session.prescription(GOOD, "sheet.yaml")
    assert (prescribed.clinic.id, prescribed.clinician, prescribed.patient) == ("test-clinic", "J. Okafor, MCSP", "Sam")
    assert prescribed.date.isoformat() == "2026-12-07"
    ice, press_up = prescribed.exercises
    assert ice.changed == {"duration", "frequency"}
    assert (ice.protocol.dose.duration.min, ice.protocol.dose.duration.max) == (6, 8)
    assert ice.programme_dose.duration.text() == "3–5 min"
    assert ice.note == "Stop if the leg pain spreads below the knee."
    # The step that names the dose says the prescribed one, not the programme's.
    assert ice.protocol.steps[-1] == "Place it on the lower spine for 6 to 8 minutes."
    assert session.publication.get("ice").steps[-1] == "Place it on the lower spine for 3 to 5 minutes."
    assert (press_up.changed, press_up.protocol, press_up.note) == (
        frozenset(),
        session.publication.get(press_up.protocol.id),
        None,
    )


def test_a_part_given_as_the_programme_gives_it_is_not_marked_as_changed(session):
    data = {
        "clinic": "test-clinic",
        "clinician": "A",
        "exercises": [{"protocol": "ice", "dose": {"duration": "3 to 5 minutes"}}],
    }
    assert session.prescription(data).exercises[0].changed == frozenset()


def test_the_date_defaults_to_today_in_the_programmes_timezone(session):
    data = {"clinic": "test-clinic", "clinician": "A", "exercises": [{"protocol": "ice"}]}
    assert session.prescription(data).date.isoformat() == "2026-12-07"


def test_every_problem_is_located_at_its_line_and_column(session):
    text = """\
clinic: test-clinc
clinician: "J. Okafor"
colour: blue
exercises:
  - protocol: ise
  - protocol: wall-press-up
    dose: {repetitions: "5 bananas"}
  - protocol: wall-press-up
  - protocol: back-not-leg
"""
    assert problems(session, text) == [
        "sheet.yaml:1:9: error: clinic: the programme has no clinic 'test-clinc'; did you mean 'test-clinic'?",
        "sheet.yaml:3:1: error: unknown field 'colour'",
        "sheet.yaml:5:15: error: exercises[0].protocol: the programme has no protocol 'ise'; did you mean 'ice'?",
        "sheet.yaml:7:25: error: exercises[1].dose.repetitions: cannot read '5 bananas' as a quantity such as "
        "'3-5 min' or '10'",
        "sheet.yaml:8:15: error: exercises[2].protocol: 'wall-press-up' is already prescribed as exercises[1]; "
        "give each exercise once",
        "sheet.yaml:9:15: error: exercises[3].protocol: 'back-not-leg' is a concept, not a protocol",
    ]


def test_a_dose_outside_the_declared_safe_range_is_refused_where_it_is_written(session):
    text = GOOD.replace('duration: "6-8 min"', 'duration: "8-12 min"').replace(
        "  - protocol: wall-press-up\n", "  - protocol: wall-press-up\n    dose:\n      sets: 4\n"
    )
    assert problems(session, text) == [
        f"sheet.yaml:7:22: error: exercises[0].dose.duration: outside the safe range 'ice' declares "
        f"({ICE_SAFE.replace('-', '–')})",
        "sheet.yaml:11:13: error: exercises[1].dose.sets: outside the safe range 'wall-press-up' declares (1–3)",
    ]


def test_a_dose_in_seconds_is_compared_with_a_range_in_minutes(session):
    inside = {
        "clinic": "test-clinic",
        "clinician": "A",
        "exercises": [{"protocol": "ice", "dose": {"duration": "90 s"}}],
    }
    assert session.prescription(inside).exercises[0].changed == {"duration"}
    outside = {**inside, "exercises": [{"protocol": "ice", "dose": {"duration": "30 s"}}]}
    with pytest.raises(PrescriptionError) as caught:
        session.prescription(outside)
    assert [finding.json_path for finding in caught.value.findings] == ["$.exercises[0].dose.duration"]


def test_a_protocol_without_a_review_record_cannot_be_prescribed(session):
    text = "clinic: test-clinic\nclinician: A\nexercises:\n  - protocol: draft-stretch\n"
    [problem] = problems(session, text)
    assert problem.startswith("sheet.yaml:4:15: error: exercises[0].protocol: 'draft-stretch' cannot be printed: ")
    assert "not published: no review record" in problem and "protocols/draft-stretch.md" in problem


def test_a_request_is_located_by_json_path(session):
    data = {
        "clinic": "test-clinic",
        "clinician": "",
        "patient": "x" * 61,
        "exercises": [{"protocol": "ice", "dose": {"duration": "lots"}, "note": "ok"}, {"protocl": "ice"}],
    }
    with pytest.raises(PrescriptionError) as caught:
        session.prescription(data)
    found = {finding.json_path: finding.message for finding in caught.value.findings}
    assert sorted(found) == [
        "$.clinician",
        "$.exercises[0].dose.duration",
        "$.exercises[1].protocl",
        "$.exercises[1].protocol",
        "$.patient",
    ]
    assert found["$.exercises[1].protocl"] == "unknown field 'exercises[1].protocl'; did you mean 'protocol'?"
    assert all(problem.path == "request" for problem in caught.value.problems)


def test_not_a_mapping_and_broken_yaml_are_one_located_problem_each(session):
    assert problems(session, "- just\n- a list\n") == [
        "sheet.yaml:1:1: error: front matter must be a mapping of fields"
    ]
    [broken] = problems(session, "clinic: [\n")
    assert broken.startswith("sheet.yaml:1:1: error: YAML syntax error: did not find expected node content")
    with pytest.raises(PrescriptionError) as caught:
        session.prescription(["not", "a", "mapping"])  # type: ignore[arg-type]
    assert caught.value.findings[0].json_path == "$"


def test_a_dose_is_read_in_the_programmes_language(tmp_path):
    shutil.copytree(ROOTS / "zweites-programm" / "content", tmp_path / "content")
    german = Session(tmp_path / "content")
    data = {
        "clinic": "schlafpraxis-weiss",
        "clinician": "Dr. A",
        "exercises": [{"protocol": "abendroutine", "dose": {"duration": "25 bis 30 Min."}}],
    }
    [evening] = german.prescription(data).exercises
    assert evening.protocol.steps[-1] == "Lesen Sie 25 bis 30 Minuten in Ihrem Buch."
    wrong = {**data, "exercises": [{"protocol": "abendroutine", "dose": {"duration": "zwanzig Minuten"}}]}
    with pytest.raises(PrescriptionError) as caught:
        german.prescription(wrong)
    assert [finding.json_path for finding in caught.value.findings] == ["$.exercises[0].dose.duration"]


def test_a_protocols_own_dose_must_lie_in_its_safe_range(tmp_path, prescribing_root):  # noqa: F811
    shutil.copytree(prescribing_root / "content", tmp_path / "content")
    ice = tmp_path / "content" / "protocols" / "ice.md"
    ice.write_text(ice.read_text().replace(f"duration: {ICE_SAFE}", "duration: 4-10 min"))
    validation = Session(tmp_path / "content").validation
    [problem] = [str(problem) for problem in validation.errors]
    assert problem.endswith(
        "protocols/ice.md:12:3: error: safe_dose: the protocol's own dose must be a safe one: its duration is "
        "outside 4–10 min"
    )


def test_a_safe_range_needs_both_bounds(tmp_path, prescribing_root):  # noqa: F811
    shutil.copytree(prescribing_root / "content", tmp_path / "content")
    ice = tmp_path / "content" / "protocols" / "ice.md"
    ice.write_text(ice.read_text().replace(f"duration: {ICE_SAFE}", "duration: 10 min"))
    [problem] = [problem.message for problem in Session(tmp_path / "content").validation.errors]
    assert problem == "safe_dose: duration: a safe range needs both bounds, e.g. '5-15'"


def test_schema_describes_a_prescription(run_cli, tmp_path):
    result = run_cli("schema", "--kind", "prescription", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert schema["$id"].endswith("/prescription.json")
    assert set(schema["required"]) == {"clinic", "clinician", "exercises"}
    assert schema["properties"]["exercises"]["maxItems"] == 12
    duration = schema["$defs"]["Duration"]["anyOf"]
    assert duration[0]["type"] == "string"  # "5-10 s", as authors write it
    assert "prescription" in json.loads(run_cli("schema", cwd=tmp_path).output)["documents"]


def test_a_format_renders_on_request_only_the_kinds_it_declares():
    class Plain(Format):
        name = "plain"

        def jobs(self, publication):
            return []

        def render(self, job: Job, publication):
            return b""

    assert Plain.on_request == frozenset()
    with pytest.raises(BackpubError, match="renders no 'prescription' on request"):
        Plain.__new__(Plain).render_on_request("prescription", None, None)  # type: ignore[arg-type]


def test_a_members_only_protocol_cannot_be_prescribed():
    """Its steps and cautions are for members: a sheet without them would be unsafe to follow (issue 27's weekly
    programme: synthetic-protocol-2 is `access: members`)."""
    session = Session(ROOTS / "weekly" / "content", use_cache=False)
    text = "clinic: synthetic-clinic-1\nclinician: A\nexercises:\n  - protocol: synthetic-protocol-1\n"
    assert session.prescription(text, "sheet.yaml").clinic.id == "synthetic-clinic-1"
    [problem] = problems(session, text.replace("synthetic-protocol-1", "synthetic-protocol-2"))
    assert problem == (
        "sheet.yaml:4:15: error: exercises[0].protocol: 'synthetic-protocol-2' is for members only, and a sheet must "
        "print every step and caution; prescribe another exercise"
    )
