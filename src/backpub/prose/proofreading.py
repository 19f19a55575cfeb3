"""The checks that read the prose: dose references and consistency, then reading level, on a loaded programme."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from backpub.errors import Problem
from backpub.files.loading import Record
from backpub.model import Entity, Programme, Protocol
from backpub.prose import doses, readability
from backpub.prose.sentences import patient_fields


@dataclass
class Proofread:
    """The programme and entities with dose references filled in, what the checks found, and the figures."""

    programme: Programme
    entities: list[Entity]
    problems: list[Problem] = field(default_factory=list)
    readability: list[dict[str, object]] = field(default_factory=list)
    as_written: dict[str, Entity] = field(default_factory=dict)
    """Each entity whose text refers to doses, as written (its references not filled in), by id."""


def proofread(
    programme: Programme, entities: list[Entity], records: dict[str, Record], refused: frozenset[str] = frozenset()
) -> Proofread:
    """Check dose references and figures against the source text, fill the references in, then measure
    the reading level of what readers will actually read. `refused`: ids of files that exist but failed validation
    (their own errors are reported; references to them are not reported again)."""
    language = programme.language
    items: list[tuple[str | None, BaseModel, Record]] = [(None, programme, records["programme"])]
    items += [(e.id, e, records[e.id]) for e in entities]
    located = {owner: patient_fields(model, record) for owner, model, record in items}
    problems = doses.check(items, language, located, refused)
    protocols = {entity.id: entity for entity in entities if isinstance(entity, Protocol)}
    expanded = [(owner, doses.expand(model, owner, protocols, language), record) for owner, model, record in items]
    measured = [
        # Measure what readers read: texts whose references were filled in are located afresh.
        (record.display_path, owner, located[owner] if new is old else patient_fields(new, record))
        for (owner, new, record), (_, old, _) in zip(expanded, items, strict=True)
    ]
    found, figures = readability.check(measured, language, programme.reading_grade)
    programme = expanded[0][1]  # type: ignore[assignment]
    entities = [model for _, model, _ in expanded[1:]]  # type: ignore[misc]
    as_written = {
        owner: old for (owner, new, _), (_, old, _) in zip(expanded, items, strict=True) if owner and new is not old
    }
    return Proofread(programme, entities, problems + found, figures, as_written)  # type: ignore[arg-type]
