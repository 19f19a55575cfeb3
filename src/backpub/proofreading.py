"""The checks that read the prose: dose references and consistency, then reading level, on a loaded programme."""

from __future__ import annotations

from dataclasses import dataclass, field

from backpub import doses, readability
from backpub.errors import Problem
from backpub.loading import Record
from backpub.model import Entity, Programme, Protocol
from backpub.prose import patient_fields


@dataclass
class Proofread:
    """The programme and entities with dose references filled in, what the checks found, and the figures."""

    programme: Programme
    entities: list[Entity]
    problems: list[Problem] = field(default_factory=list)
    readability: list[dict[str, object]] = field(default_factory=list)


def proofread(programme: Programme, entities: list[Entity], records: dict[str, Record]) -> Proofread:
    """Check dose references and figures against the source text, fill the references in, then measure
    the reading level of what readers will actually read."""
    language = programme.language
    items = [(None, programme, records["programme"])] + [(e.id, e, records[e.id]) for e in entities]
    problems = doses.check(items, language)
    protocols = {entity.id: entity for entity in entities if isinstance(entity, Protocol)}
    programme = doses.expand(programme, None, protocols, language)
    entities = [doses.expand(entity, entity.id, protocols, language) for entity in entities]
    measured = [(records["programme"].display_path, None, patient_fields(programme, records["programme"]))]
    measured += [(records[e.id].display_path, e.id, patient_fields(e, records[e.id])) for e in entities]
    found, figures = readability.check(measured, language, programme.reading_grade)
    return Proofread(programme, entities, problems + found, figures)
