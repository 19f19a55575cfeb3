"""What each PDF shows: the entities, assets and links behind a handout, found without rendering anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from backpub import Clinic, Concept, Entity, Handout, Mistake, Protocol, Publication, scan
from backpub import references as markdown_references

PACK_NAME = "pack"
"""A clinic's pack is `<clinic>/pack.pdf`; check() refuses a handout with this id so the names cannot clash."""


@dataclass(frozen=True)
class Footprint:
    """Everything one handout's pages depend on."""

    entities: frozenset[str]
    assets: frozenset[str]
    episode_released: bool | None
    """Whether the QR code can point at the handout's episode page (None when the handout names no episode)."""


def shown_entities(publication: Publication, handout: Handout) -> list[Entity]:
    """The entities a handout's sections show, in order, each once."""
    seen: dict[str, Entity] = {}
    for section in handout.sections:
        for entity_id in section.entities:
            seen.setdefault(entity_id, publication.get(entity_id))
    return list(seen.values())


def markdown_fields(entity: Entity) -> list[str]:
    """The Markdown texts an entity's handout entry renders."""
    texts = [entity.body]
    if isinstance(entity, Concept) and entity.analogy:
        texts.append(entity.analogy.body)
    return texts


def referenced_ids(entity: Entity) -> set[str]:
    """Entities whose titles or addresses the entry prints (links in Markdown, 'do this instead', next steps)."""
    ids: set[str] = set()
    for text in markdown_fields(entity):
        ids.update(entity_id for _, entity_id in scan(text)[1])
    if isinstance(entity, Mistake):
        ids.update(entity.instead)
    if isinstance(entity, Protocol):
        ids.update(entity.prerequisites)
        ids.update(entity.progressions)
    return ids


def markdown_images(text: str) -> set[str]:
    """Content-relative image paths used in a Markdown text."""
    return set(markdown_references(text)[1])


def footprint(publication: Publication, handout: Handout, as_of: date) -> Footprint:
    """The entities, assets and release state one handout depends on."""
    entities = {handout.id}
    assets: set[str] = set()
    texts = [section.intro for section in handout.sections]
    for entity in shown_entities(publication, handout):
        entities.add(entity.id)
        entities.update(referenced_ids(entity))
        texts.extend(markdown_fields(entity))
        if isinstance(entity, Protocol) and entity.image:
            assets.add(entity.image.src)
    for text in texts:
        assets.update(markdown_images(text))
    for text in (section.intro for section in handout.sections):
        entities.update(entity_id for _, entity_id in scan(text)[1])
    released = None
    if handout.episode:
        entities.add(handout.episode)
        released = any(episode.id == handout.episode for episode in publication.released_episodes(as_of))
    return Footprint(frozenset(entities), frozenset(assets), released)


def clinic_footprint(clinic: Clinic | None) -> tuple[frozenset[str], frozenset[str]]:
    """The clinic's own entity and logo (nothing for the unbranded edition)."""
    if clinic is None:
        return frozenset(), frozenset()
    return frozenset({clinic.id}), frozenset({clinic.logo} if clinic.logo else ())


def review_date(publication: Publication, handout: Handout) -> date:
    """The content's review date: the oldest `reviewed` among the handout and the entities it shows."""
    return min([handout.reviewed, *(entity.reviewed for entity in shown_entities(publication, handout))])


def pack_handouts(publication: Publication, clinic: Clinic) -> list[Handout]:
    """A clinic's pack contents in reading order: the clinic's own list when it gives one, else every handout,
    those that only explain (no protocol) first, then by the programme phase of their first protocol."""
    if clinic.handouts:
        chosen = [publication.get(handout_id) for handout_id in clinic.handouts]
        return [handout for handout in chosen if isinstance(handout, Handout)]
    phases = [phase.id for phase in publication.programme.phases]

    def position(handout: Handout) -> int:
        shown = [entity.phase for entity in shown_entities(publication, handout) if isinstance(entity, Protocol)]
        return min((phases.index(phase) + 1 for phase in shown if phase in phases), default=0)

    # sorted() is stable: handouts of the same position keep their id order.
    return sorted(publication.handouts, key=position)
