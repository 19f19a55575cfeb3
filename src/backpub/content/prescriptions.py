"""A prescription read, checked against the programme and resolved into what a format prints.

Everything a prescription can get wrong is one located problem, all found at once: a field the model refuses
(a dose the programme's language cannot read, a name too long), a clinic or protocol the programme does not have
(with a did-you-mean), a protocol prescribed twice, a dose outside the protocol's declared safe range, and what the
publishing gate refuses (a protocol without a review record, an overdue review when the programme refuses them).
A YAML file's problems are located at file:line:col (the content's loading machinery); a JSON request's at the
field's JSON path (`$.exercises[0].dose.duration`).

What a prescription holds (the patient's name, the doses, the notes) lives only in the objects made here and in
what a format renders from them: nothing here writes or logs anything.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from backpub.content.gate import Pending, problems_on
from backpub.content.publication import Publication
from backpub.content.validation import error_mark
from backpub.errors import ContentError, Problem
from backpub.files.loading import Loc, ParseError, Record, parse_yaml
from backpub.model import Clinic, Dose, Entity, Protocol, messages
from backpub.model.fields import members_only
from backpub.model.prescription import PrescribedExercise, Prescription
from backpub.prose import doses


@dataclass(frozen=True)
class Finding:
    """One problem of a prescription, at a field."""

    loc: Loc
    """Where: ('exercises', 0, 'dose', 'duration'); () for the whole document."""
    message: str
    """What is wrong, starting with the field as authors write it ('exercises[0].dose.duration: ...')."""
    kind: str = ""
    """What kind of problem it is, as pydantic names it ('missing', 'extra_forbidden', ...; '' for the rest):
    a file shows a missing field at the mapping that lacks it, an unknown one at its key, the rest at the value."""

    @property
    def json_path(self) -> str:
        """The field as a JSON path, e.g. '$.exercises[0].dose.duration'."""
        return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in self.loc)


class PrescriptionError(ContentError):
    """A prescription that cannot be printed: its problems located in its file (`problems`) and by field
    (`findings`, for a service to answer with JSON paths or mark its form's fields)."""

    def __init__(self, problems: list[Problem], findings: list[Finding]) -> None:
        super().__init__(problems)
        self.findings = findings


@dataclass(frozen=True)
class PrescribedDose:
    """One exercise as the patient does it."""

    protocol: Protocol
    """The protocol with the patient's dose as its `dose`, and its texts naming that dose (a step's 'hold for
    {dose.duration}' says the prescribed time)."""
    programme_dose: Dose | None
    """The programme's own dose of the protocol."""
    changed: frozenset[str]
    """The parts of the dose ('duration', 'repetitions', 'sets', 'frequency') set otherwise than the programme's."""
    note: str | None
    """The clinician's note for the patient."""


@dataclass(frozen=True)
class ResolvedPrescription:
    """A checked prescription with everything it names looked up: what a format renders (`Format.render_on_request`
    with `Prescription.kind`)."""

    clinic: Clinic
    clinician: str
    patient: str | None
    date: date
    exercises: tuple[PrescribedDose, ...]


def read_yaml(
    text: str, shown: str, publication: Publication, pending: Iterable[Pending], today: date
) -> ResolvedPrescription:
    """A prescription from a YAML (or JSON) file's text, `shown` as its name in problems (file:line:col)."""
    try:
        record = parse_yaml(text, shown, Path(shown))
    except ParseError as exc:
        raise PrescriptionError([exc.problem], [Finding((), exc.problem.message)]) from None
    return resolve(record.data, publication, pending, today, record=record, shown=shown)


def resolve(
    data: Any,
    publication: Publication,
    pending: Iterable[Pending],
    today: date,
    *,
    record: Record | None = None,
    shown: str = "request",
) -> ResolvedPrescription:
    """A prescription's data (parsed YAML, decoded JSON, a form's fields) checked and resolved; PrescriptionError
    with every problem otherwise (located in `record` when the data came from a file)."""
    findings, prescription = _checked(data, publication, list(pending), today)
    if findings or prescription is None:
        raise PrescriptionError(sorted(_problem(finding, record, shown) for finding in findings), findings)
    clinic = publication.get(prescription.clinic)
    assert isinstance(clinic, Clinic)
    return ResolvedPrescription(
        clinic=clinic,
        clinician=prescription.clinician,
        patient=prescription.patient,
        date=prescription.date or today,
        exercises=tuple(
            _prescribed(publication, exercise.protocol, exercise.dose, exercise.note)
            for exercise in prescription.exercises
        ),
    )


def _checked(
    data: Any, publication: Publication, pending: list[Pending], today: date
) -> tuple[list[Finding], Prescription | None]:
    if not isinstance(data, Mapping):
        return [Finding((), "a prescription is a mapping of fields (clinic, clinician, exercises, ...)")], None
    findings = _references(data, publication)
    named = {finding.loc for finding in findings}
    prescription = None
    try:
        prescription = Prescription.model_validate(dict(data), context={"language": publication.programme.language})
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = messages.field_loc(error["loc"])
            if loc not in named:  # an unknown id is said once, with its did-you-mean
                explained = messages.explain(Prescription, {**error, "loc": loc})
                findings.append(Finding(loc, explained, error["type"]))
    findings += _safe_doses(_exercises(data, prescription, publication), publication)
    if prescription is not None and not findings:
        findings += _publishable(prescription, publication, pending, today)
    return findings, prescription


def _exercises(
    data: Mapping[str, Any], prescription: Prescription | None, publication: Publication
) -> list[tuple[int, PrescribedExercise]]:
    """The exercises that are valid on their own, by position, naming a protocol of the programme (all of them
    when the whole prescription is valid): their doses can be checked whatever else is wrong."""
    if prescription is not None:
        found = list(enumerate(prescription.exercises))
    else:
        items = data.get("exercises")
        found = []
        for index, item in enumerate(items if isinstance(items, list) else []):
            try:
                exercise = PrescribedExercise.model_validate(item, context={"language": publication.programme.language})
            except ValidationError:
                continue
            found.append((index, exercise))
    return [
        (index, exercise) for index, exercise in found if isinstance(publication.by_id.get(exercise.protocol), Protocol)
    ]


def _references(data: Mapping[str, Any], publication: Publication) -> list[Finding]:
    """The clinic and protocols the data names that the programme does not have as such; protocols named twice."""
    found = []
    clinic = data.get("clinic")
    if isinstance(clinic, str):
        problem = _not_one(clinic, Clinic, publication)
        if problem:
            found.append(Finding(("clinic",), f"clinic: {problem}"))
    exercises = data.get("exercises")
    first: dict[str, int] = {}
    for index, exercise in enumerate(exercises if isinstance(exercises, list) else []):
        protocol = exercise.get("protocol") if isinstance(exercise, Mapping) else None
        if not isinstance(protocol, str):
            continue
        where = ("exercises", index, "protocol")
        problem = _not_one(protocol, Protocol, publication)
        if problem:
            found.append(Finding(where, f"{messages.dotted(where)}: {problem}"))
        elif members_only(publication.by_id[protocol]):
            # A sheet without a protocol's steps and cautions would be unsafe to follow, and members-only texts
            # go only to members (their newsletter and feed): such a protocol cannot be prescribed.
            withheld = f"{protocol!r} is for members only, and a sheet must print every step and caution"
            found.append(Finding(where, f"{messages.dotted(where)}: {withheld}; prescribe another exercise"))
        elif protocol in first:
            again = f"{protocol!r} is already prescribed as exercises[{first[protocol]}]; give each exercise once"
            found.append(Finding(where, f"{messages.dotted(where)}: {again}"))
        first.setdefault(protocol, index)
    return found


def _not_one(entity_id: str, cls: type[Entity], publication: Publication) -> str | None:
    """Why `entity_id` names no `cls` of the programme (with the closest one's id), or None when it does."""
    entity = publication.by_id.get(entity_id)
    if isinstance(entity, cls):
        return None
    what = cls.kind
    if entity is not None:
        return f"{entity_id!r} is a {entity.kind}, not a {what}"
    ids = [candidate.id for candidate in publication.of(cls)]
    close = difflib.get_close_matches(entity_id, ids, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"the programme has no {what} {entity_id!r}{hint}"


def _safe_doses(exercises: list[tuple[int, PrescribedExercise]], publication: Publication) -> list[Finding]:
    """Each prescribed dose part outside its protocol's declared safe range."""
    found = []
    for index, exercise in exercises:
        protocol = publication.get(exercise.protocol)
        assert isinstance(protocol, Protocol)
        if exercise.dose is None or protocol.safe_dose is None:
            continue
        for part, bounds in protocol.safe_dose.outside(exercise.dose).items():
            where = ("exercises", index, "dose", part)
            message = f"{messages.dotted(where)}: outside the safe range {protocol.id!r} declares ({bounds})"
            found.append(Finding(where, message))
    return found


def _publishable(
    prescription: Prescription, publication: Publication, pending: list[Pending], today: date
) -> list[Finding]:
    """What the publishing gate refuses today of what the sheet prints: the clinic, each protocol, the programme's
    settings (its urgent-help notice and disclaimer)."""
    places: dict[str | None, Loc] = {None: (), prescription.clinic: ("clinic",)}
    for index, exercise in enumerate(prescription.exercises):
        places[exercise.protocol] = ("exercises", index, "protocol")
    facts = [fact for fact in pending if fact.problem.entity in places]
    programme = publication.programme
    refused = problems_on(
        facts,
        today,
        publishing=True,
        public_from=publication.public_from,
        refuse_overdue=programme.refuse_overdue_reviews,
    )
    found = []
    for problem in refused:
        if problem.severity != "error":
            continue
        where = places[problem.entity]
        what = f"{messages.dotted(where)}: {problem.entity!r}" if where else "the programme's settings"
        found.append(Finding(where, f"{what} cannot be printed: {problem.message} ({problem.path}:{problem.line})"))
    return found


def _prescribed(publication: Publication, protocol_id: str, dose: Dose | None, note: str | None) -> PrescribedDose:
    """One exercise resolved: the protocol as the patient does it, and how its dose differs from the programme's."""
    protocol = publication.get(protocol_id)
    assert isinstance(protocol, Protocol)
    own = protocol.dose
    given = dose.given() if dose is not None else {}
    changed = frozenset(part for part, value in given.items() if not _same(value, getattr(own, part, None)))
    if not changed:
        return PrescribedDose(protocol, own, changed, note)
    prescribed = own.with_parts(dose) if own is not None else dose
    written = publication.as_written.get(protocol_id, protocol)
    assert isinstance(written, Protocol)
    doses_by_id = {entity.id: entity for entity in publication.of(Protocol)}
    doses_by_id[protocol_id] = written.model_copy(update={"dose": prescribed})
    language = publication.programme.language
    filled = doses.expand(doses_by_id[protocol_id], protocol_id, doses_by_id, language)
    return PrescribedDose(filled, own, changed, note)


def _same(value: Any, other: Any) -> bool:
    if isinstance(value, str) and isinstance(other, str):
        return value.strip().casefold() == other.strip().casefold()
    return bool(value == other)


def _problem(finding: Finding, record: Record | None, shown: str) -> Problem:
    if record is None:
        return Problem(shown, 1, 1, "error", f"{finding.json_path}: {_without_field(finding)}")
    line, col = error_mark(record, finding.loc, finding.kind)
    return Problem(record.display_path, line, col, "error", finding.message)


def _without_field(finding: Finding) -> str:
    """The message without the field it starts with (a JSON path says where instead)."""
    field = messages.dotted(finding.loc)
    return finding.message.removeprefix(f"{field}: ") if field else finding.message
