"""What each PDF shows: the entities, assets and links behind a handout, found without rendering anything."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from backpub import Clinic, Entity, Handout, Protocol, Publication, card_fields, markdown_texts, referenced_ids, scan
from backpub import references as markdown_references

PACK_NAME = "pack"
"""A clinic's pack is `<clinic>/pack.pdf`; check() refuses a handout with this id so the names cannot clash."""
SHARED_FOLDER = ".shared"
"""Where the intermediate files stamped editions and packs are made from are named (never in outputs/: see
`Job.intermediate`); no entity's id starts with a dot, so no edition's name can clash with theirs."""


@dataclass(frozen=True)
class Footprint:
    """Everything one handout's pages depend on."""

    entities: frozenset[str]
    """Entities the pages depend on whole (the handout itself, and what a booklet shows in full)."""
    fields: dict[str, frozenset[str]]
    """Entities of which the pages print only some fields (see `Job.fields`)."""
    assets: frozenset[str]
    episode_released: bool | tuple[bool | None, ...] | None
    """Whether the QR code can point at the handout's episode page (None when the handout names no episode);
    for a pack, each of its handouts' in pack order."""


COMMON_FIELDS = frozenset({"id", "title", "reviewed"})
"""What a sheet prints of every entity it shows besides its card (the fields its kind marks `OnCard`): its title,
and its `reviewed` date in the review date. templates/_handout.html.j2's macro `card` prints the card's fields
(the longer explanations are one QR code away); tests/plugins/pdf/test_pdf_dependencies.py checks they agree."""
LINKED_FIELDS = frozenset({"title"})
"""What a handout prints of an entity it links to ("do this instead", "first", "when you are ready")."""
EPISODE_FIELDS = frozenset({"number", "title"})
"""What a handout prints of its episode (the QR code's label; its address comes from the site's links, and
whether it is out yet is part of the job's values)."""
HANDOUT_FIELDS = frozenset(
    {"id", "title", "reviewed", "reviewer", "audience", "summary", "episode", "sections", "layout"}
)
"""What a handout prints of itself (its review record, not a body: a handout is its sections)."""
CLINIC_FIELDS = frozenset(
    {
        "id", "title", "logo", "logo_alt", "country", "address", "phone", "website", "email", "accent_colour",
        "paper", "handouts",
    }
)  # fmt: skip
"""What an edition prints of its clinic, and its pack's choice of handouts (not the clinic's review)."""
BRANDING_FIELDS = CLINIC_FIELDS - {"country", "handouts"}
"""What a clinic's branding prints of it (its band, running head and pack cover): not the country, whose urgent-help
notice is the shared layout's, nor its pack's handouts."""
PACK_ORDER_FIELDS = frozenset({"phase"})
"""What a pack's order reads of the protocols its handouts show, when the clinic does not list its handouts."""


def add_fields(fields: dict[str, frozenset[str]], entity_id: str, names: frozenset[str]) -> None:
    """Depend on `names` of an entity as well as on what was already declared of it."""
    fields[entity_id] = fields.get(entity_id, frozenset()) | names


def shown_entities(publication: Publication, handout: Handout) -> list[Entity]:
    """The entities a handout's sections show, in order, each once."""
    seen: dict[str, Entity] = {}
    for section in handout.sections:
        for entity_id in section.entities:
            seen.setdefault(entity_id, publication.get(entity_id))
    return list(seen.values())


def markdown_fields(entity: Entity) -> list[str]:
    """The Markdown texts an entity's handout entry renders: all of them (its body, an analogy's...)."""
    return [text for _, text in markdown_texts(entity)]


def sheet_fields(entity: Entity) -> frozenset[str] | None:
    """What a sheet prints of an entity: its card's fields, or None when its kind has no card (then all of it)."""
    card = card_fields(type(entity))
    return COMMON_FIELDS | card if card else None


def markdown_images(text: str) -> set[str]:
    """Content-relative image paths used in a Markdown text."""
    return set(markdown_references(text)[1])


def footprint(publication: Publication, handout: Handout, as_of: date, themed: bool = False) -> Footprint:
    """The entities (whole or some fields), assets and release state one handout depends on.

    A booklet prints every explanation in full, and a project's theme may print anything of the entities a
    handout shows: then they count whole. A sheet prints only its cards' fields (`sheet_fields`)."""
    whole = themed or handout.layout == "booklet"
    entities: set[str] = {handout.id} if themed else set()
    fields: dict[str, frozenset[str]] = {} if themed else {handout.id: HANDOUT_FIELDS}
    assets: set[str] = set()
    texts = [section.intro for section in handout.sections]
    for entity in shown_entities(publication, handout):
        shown = sheet_fields(entity)
        if whole or shown is None:
            entities.add(entity.id)
            texts.extend(markdown_fields(entity))
        else:
            add_fields(fields, entity.id, shown)
        for entity_id in listed_ids(entity):
            add_fields(fields, entity_id, LINKED_FIELDS)
        if isinstance(entity, Protocol) and entity.image:
            assets.add(entity.image.src)
    for text in texts:
        assets.update(markdown_images(text))
    for text in texts:
        # Markdown links print only the entity's address, made from the site's links (part of every job).
        for _, entity_id in scan(text)[1]:
            add_fields(fields, entity_id, frozenset())
    released = None
    if handout.episode:
        released = any(episode.id == handout.episode for episode in publication.released_episodes(as_of))
        # Until it is out, the QR code points at the programme's site and the handout prints nothing of it.
        add_fields(fields, handout.episode, EPISODE_FIELDS if released else frozenset())
    return Footprint(frozenset(entities), fields, frozenset(assets), released)


def listed_ids(entity: Entity) -> set[str]:
    """Entities whose titles a card lists: its card's references ('do this instead', 'first', 'when you are
    ready')."""
    return set(referenced_ids(entity, markdown=False, fields=card_fields(type(entity))))


def pack_footprint(publication: Publication, clinic: Clinic, prints: dict[str, Footprint]) -> Footprint:
    """What a clinic's pack shows of its handouts: their footprints, and the phases that order them when the
    clinic does not list its handouts. Its release state is every handout's, in pack order."""
    contents = pack_handouts(publication, clinic)
    entities, fields, assets = merged(*(prints[handout.id] for handout in contents))
    if not clinic.handouts:
        for handout in publication.handouts:
            for entity in shown_entities(publication, handout):
                if isinstance(entity, Protocol):
                    add_fields(fields, entity.id, PACK_ORDER_FIELDS)
    states: tuple[bool | None, ...] = tuple(release_state(prints[handout.id]) for handout in contents)
    return Footprint(entities, fields, assets, states)


def release_state(footprint: Footprint) -> bool | None:
    """A handout's release state (a handout's footprint holds one, never a pack's tuple)."""
    assert not isinstance(footprint.episode_released, tuple)
    return footprint.episode_released


def clinic_footprint(clinic: Clinic | None, themed: bool = False, names: frozenset[str] = CLINIC_FIELDS) -> Footprint:
    """The clinic's fields (`names`; whole with a theme) and its logo; nothing for the unbranded edition."""
    if clinic is None:
        return Footprint(frozenset(), {}, frozenset(), None)
    entities = frozenset({clinic.id} if themed else ())
    fields = {} if themed else {clinic.id: names}
    return Footprint(entities, fields, frozenset({clinic.logo} if clinic.logo else ()), None)


def merged(*footprints: Footprint) -> tuple[frozenset[str], dict[str, frozenset[str]], frozenset[str]]:
    """The entities, fields and assets of several footprints together."""
    fields: dict[str, frozenset[str]] = {}
    for footprint in footprints:
        for entity_id, names in footprint.fields.items():
            add_fields(fields, entity_id, names)
    entities = frozenset().union(*(footprint.entities for footprint in footprints))
    return entities, fields, frozenset().union(*(footprint.assets for footprint in footprints))


def review_date(publication: Publication, handout: Handout) -> date | None:
    """The content's review date: the oldest `reviewed` among the handout and the entities it shows (None while any
    of them has no review record: only a preview prints such a handout)."""
    dates = [handout.reviewed, *(entity.reviewed for entity in shown_entities(publication, handout))]
    return None if None in dates else min(date for date in dates if date is not None)


def pack_handouts(publication: Publication, clinic: Clinic) -> list[Handout]:
    """A clinic's pack contents in reading order: the clinic's own list when it gives one, else every handout,
    those that only explain (no protocol) first, then by the programme phase of their first protocol."""
    if clinic.handouts:
        chosen = [publication.get(handout_id) for handout_id in clinic.handouts]
        return [handout for handout in chosen if isinstance(handout, Handout) and not publication.withheld(handout)]
    phases = [phase.id for phase in publication.programme.phases]

    def position(handout: Handout) -> int:
        shown = [entity.phase for entity in shown_entities(publication, handout) if isinstance(entity, Protocol)]
        return min((phases.index(phase) + 1 for phase in shown if phase in phases), default=0)

    # sorted() is stable: handouts of the same position keep their id order.
    public = [handout for handout in publication.of(Handout) if not publication.withheld(handout)]
    return sorted(public, key=position)


def shared_layout_output(handout: Handout, paper: str, country: str) -> str:
    """The intermediate file of a handout's layout shared by the editions in this paper and country."""
    return f"{SHARED_FOLDER}/layouts/{paper}-{country}/{handout.id}.pdf"


def branding_output(clinic: Clinic | None) -> str:
    """The intermediate file of a clinic's branding (or, for the unbranded editions, the programme's)."""
    return f"{SHARED_FOLDER}/brandings/{clinic.id}.pdf" if clinic else f"{SHARED_FOLDER}/programme-branding.pdf"


def shared_pack_output(paper: str, country: str, contents: tuple[str, ...]) -> str:
    """The intermediate file of the pack shared by the clinics with these handouts, paper and country."""
    digest = hashlib.sha256("\n".join(contents).encode()).hexdigest()[:16]
    return f"{SHARED_FOLDER}/packs/{paper}-{country}-{digest}.pdf"
