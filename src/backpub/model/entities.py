"""The entities content is made of, one Markdown file each, and the tables that find their types."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import Field, PositiveInt

from backpub.model.base import AssetPath, Colour, CountryCode, EntityId, Line, Markdown, Model, RefTo, Text
from backpub.model.values import Analogy, Audio, ChapterMark, Dose, Image, Transcript, Video
from backpub.text.addresses import EmailAddress


class Entity(Model):
    """Fields every entity shares. `id` and `body` come from the file, not the front matter."""

    kind: ClassVar[str]
    folder: ClassVar[str]

    id: EntityId
    """The entity's id: its file's stem."""
    title: Line
    """The entity's title."""
    reviewed: date | None = None
    """When a clinician last reviewed this content (YYYY-MM-DD). Only the person who reviewed it writes it:
    content without a review record is never published (a build for today refuses it)."""
    reviewer: Text | None = None
    """Who reviewed it, e.g. 'H. Marsh, MCSP' (written by that person, like `reviewed`)."""
    body: Markdown = ""
    """The Markdown body after the front matter."""

    @property
    def is_reviewed(self) -> bool:
        """Whether the entity has a review record: a date and a reviewer."""
        return self.reviewed is not None and bool(self.reviewer)


class Concept(Entity):
    """An idea the reader needs to understand, e.g. 'the pain comes from where the nerve is irritated'."""

    kind = "concept"
    folder = "concepts"

    summary: Text
    """One or two sentences."""
    analogy: Analogy | None = None
    """An everyday comparison, e.g. the funny bone."""
    related: Annotated[list[EntityId], RefTo()] = Field(default_factory=list)
    """Other entities worth reading next."""


class Mistake(Entity):
    """A common practice that keeps the problem going."""

    kind = "mistake"
    folder = "mistakes"

    summary: Text
    """One or two sentences."""
    examples: list[Text] = Field(default_factory=list)
    """Typical forms the mistake takes."""
    feels_good: Text
    """Why it feels good at the time."""
    harms: Text
    """Why it does harm."""
    instead: Annotated[list[EntityId], RefTo("protocol")] = Field(default_factory=list)
    """The protocols to do instead."""


class Protocol(Entity):
    """A self-care or exercise protocol with steps and a dose."""

    kind = "protocol"
    folder = "protocols"

    phase: EntityId
    """The programme phase this protocol belongs to (a phase id from programme.yaml)."""
    purpose: Text
    """What the protocol is for."""
    equipment: list[Text] = Field(default_factory=list)
    """What you need, e.g. 'a small rolled-up towel'."""
    steps: list[Text] = Field(min_length=1)
    """The steps, in order."""
    dose: Dose | None = None
    """How much and how often, when the programme gives it."""
    cautions: list[Text] = Field(default_factory=list)
    """Cautions to read before starting."""
    prerequisites: Annotated[list[EntityId], RefTo("protocol")] = Field(default_factory=list)
    """Protocols to do before this one."""
    progressions: Annotated[list[EntityId], RefTo("protocol")] = Field(default_factory=list)
    """Protocols that build on this one (the next step)."""
    image: Image | None = None
    """An optional illustration."""


class Treatment(Entity):
    """A professional treatment and what it can and cannot do."""

    kind = "treatment"
    folder = "treatments"

    treatment_kind: Literal["manual therapy", "targeted technology"]
    """manual therapy (hands-on professions) or targeted technology (devices aimed at the injured tissue)."""
    what_it_does: Text
    """What the treatment does."""
    targets_root_cause: bool
    """Whether it acts directly on the cause of the problem (programme.yaml `wording.targets_root_cause` says how
    the programme words this)."""
    limitations: list[Text] = Field(min_length=1)
    """What it does not do."""
    caveat: Text | None = None
    """Whose view the verdict (`targets_root_cause`) is, and what guidance says otherwise (e.g. a NICE
    recommendation): printed wherever the verdict is."""


class Principle(Entity):
    """A long-term principle of recovery."""

    kind = "principle"
    folder = "principles"

    statement: Text
    """The principle in one sentence."""


class Episode(Entity):
    """A weekly podcast episode; the body is its deep-dive article."""

    kind = "episode"
    folder = "episodes"

    number: PositiveInt
    """The episode number (unique)."""
    release: date
    """The release date: a Sunday, in the programme's timezone."""
    guid: Annotated[str, Field(min_length=8, pattern=r"^\S+$")]
    """A permanent, unique id (e.g. a UUID), never derived from the title and never changed."""
    summary: Text
    """A short description for podcast apps."""
    show_notes: Markdown = Field(min_length=1)
    """The show notes, in Markdown."""
    audio: Audio
    """The audio file."""
    covers: Annotated[list[EntityId], RefTo()] = Field(default_factory=list)
    """The entities the episode covers."""
    related_episodes: Annotated[list[EntityId], RefTo("episode")] = Field(default_factory=list)
    """Other episodes to listen to next."""
    episode_type: Literal["full", "trailer", "bonus"] = "full"
    """itunes:episodeType."""
    transcript: Transcript | None = None
    """An optional transcript; a WebVTT one also captions the video."""
    video: Video | None = None
    """An optional video version of the episode."""
    artwork: AssetPath | None = None
    """Optional square artwork for this episode (JPEG or PNG, 1400-3000 px, RGB); change the file name when it changes."""
    chapters: list[ChapterMark] = Field(default_factory=list)
    """Chapter marks, in time order: the feed gets a Podcast Index chapters file, the site and newsletter a list."""
    retired: bool = False
    """Set when a published episode is deliberately withdrawn from the feed."""


class HandoutSection(Model):
    """A section of a handout, made of entities in order."""

    heading: Text
    """The section's heading."""
    intro: Markdown = ""
    """An optional paragraph before the entities."""
    entities: Annotated[list[EntityId], RefTo("concept", "mistake", "protocol", "treatment", "principle")] = Field(
        min_length=1
    )
    """The entities shown in this section, in order."""


class Handout(Entity):
    """A printable compilation that clinics hand to patients."""

    kind = "handout"
    folder = "handouts"

    audience: Text
    """Who the handout is for."""
    summary: Text
    """What the reader will take away."""
    episode: Annotated[EntityId | None, RefTo("episode")] = None
    """The episode the handout's QR code points to (else the programme site)."""
    sections: list[HandoutSection] = Field(min_length=1)
    """The handout's sections, in order."""
    layout: Literal["sheet", "booklet"] = "sheet"
    """How the PDF prints it: `sheet` (one sheet printed on both sides, the longer explanations a QR code away
    on the site) or `booklet` (every explanation in full, as many pages as it takes)."""


class Clinic(Entity):
    """A clinic's branded edition of the handouts."""

    kind = "clinic"
    folder = "clinics"

    logo: AssetPath | None = None
    """The clinic's logo (SVG or PNG), relative to the content folder."""
    logo_alt: str | None = None
    """Text describing the logo (defaults to the clinic's name)."""
    country: CountryCode
    """The clinic's country (ISO 3166-1 alpha-2, e.g. GB or US): its editions print that country's urgent-help
    notice from programme.yaml `countries`."""
    address: Text
    """The clinic's postal address."""
    phone: Text
    """The clinic's phone number."""
    website: Annotated[str, Field(pattern=r"^https?://\S+$")]
    """The clinic's website."""
    email: EmailAddress | None = None
    """The clinic's e-mail address."""
    accent_colour: Colour = "#1f5f8b"
    """The clinic's accent colour."""
    paper: Literal["A4", "Letter"] = "A4"
    """The clinic's paper size."""
    handouts: Annotated[list[EntityId], RefTo("handout")] = Field(default_factory=list)
    """The handouts in the clinic's pack, in this order (empty: every handout, introductory ones first)."""


ENTITY_TYPES: tuple[type[Entity], ...] = (
    Concept,
    Mistake,
    Protocol,
    Treatment,
    Principle,
    Episode,
    Handout,
    Clinic,
)
"""Every entity type, in the order a reader meets them."""

TYPES_BY_FOLDER: dict[str, type[Entity]] = {cls.folder: cls for cls in ENTITY_TYPES}
TYPES_BY_KIND: dict[str, type[Entity]] = {cls.kind: cls for cls in ENTITY_TYPES}
