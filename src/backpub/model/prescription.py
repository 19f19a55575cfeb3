"""A prescription: the programme's exercises a clinician chose for one patient, each at the patient's own dose.

It is a document written for one request (a YAML file given to `backpub prescribe`, the JSON a clinic's service
receives), never a content file: it is no entity kind, and nothing of it is kept. It is validated like content
(the same model rules, doses read in the programme's language); what it names is checked against the programme by
`backpub.content.prescriptions`, which resolves it into what a format prints.

    clinic: CLINIC-ID                    # one of the programme's clinics (its branding, paper and country)
    clinician: "the clinician's name"
    patient: "a first name"              # optional: a first name or initials, never stored
    date: 2026-12-07                     # optional: today in the programme's timezone
    exercises:
      - protocol: PROTOCOL-ID
        dose: {duration: "...", repetitions: "...", frequency: "..."}   # in the programme's language
        note: "the clinician's note for the patient"
      - protocol: ANOTHER-PROTOCOL-ID    # the programme's own dose when none is given
"""

from __future__ import annotations

from datetime import date as Date
from typing import Annotated, ClassVar

from pydantic import Field

from backpub.model.base import EntityId, Line, Model, RefTo, Text
from backpub.model.values import Dose

MAX_EXERCISES = 12
"""The most exercises one prescription may hold (a sheet for one patient, not a programme)."""


class PrescribedExercise(Model):
    """One of the programme's protocols, as prescribed."""

    protocol: Annotated[EntityId, RefTo("protocol")]
    """The protocol's id, e.g. 'wall-drill'."""
    dose: Dose | None = None
    """The patient's dose: each part it gives (duration, repetitions, sets, frequency) replaces the programme's, the
    others stay the programme's (none: the programme's dose). Written as in a protocol's `dose`, e.g. '5-10 s'."""
    note: Annotated[Text, Field(max_length=600)] | None = None
    """The clinician's note for the patient, printed with the exercise."""


class Prescription(Model):
    """A sheet of the programme's exercises for one patient, in a clinic's branding (`backpub prescribe`)."""

    kind: ClassVar[str] = "prescription"
    """What formats that render a prescription on request call it (`Format.on_request`), and `backpub schema`."""

    clinic: Annotated[EntityId, RefTo("clinic")]
    """The clinic whose branding, paper and country (its urgent-help notice) the sheet has."""
    clinician: Annotated[Line, Field(max_length=120)]
    """Who prescribes, as printed, e.g. 'J. Okafor, MCSP'."""
    patient: Annotated[Line, Field(max_length=60)] | None = None
    """The patient's first name or initials, as printed; never stored anywhere."""
    date: Date | None = None
    """The day of the prescription (default: today in the programme's timezone)."""
    exercises: list[PrescribedExercise] = Field(min_length=1, max_length=MAX_EXERCISES)
    """The exercises, in the order the patient does them."""
