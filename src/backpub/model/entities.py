"""The entities content is made of, one Markdown file each: each kind is declared once, on its class.

A kind's class says everything backpub knows about it: its name (`kind`), its folder, its label and plural (for
formats to print, from the core's message catalogue), what `backpub new` writes for it (`scaffold`), whether its
text is for patients, whether it belongs to the library a reader studies, and the roles of its fields (markers in
their annotations, see backpub.model.base). `ENTITY_TYPES` lists the built-in kinds in the order a reader meets
them; plugins add kinds with the `register_kinds` hook, and everything else is derived (see backpub.model.kinds).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import Field, PositiveInt, ValidationInfo, field_validator

from backpub.model.base import (
    Access,
    AssetPath,
    Colour,
    CountryCode,
    DeclaredIn,
    EntityId,
    Line,
    Markdown,
    Model,
    OnCard,
    Prose,
    Public,
    RefTo,
    Scaffold,
    Teaser,
    Text,
)
from backpub.model.values import (
    Analogy,
    Audio,
    ChapterMark,
    Chapters,
    ChaptersFile,
    Dose,
    Image,
    SafeDose,
    Transcript,
    Video,
)
from backpub.text.addresses import EmailAddress
from backpub.text.i18n import N_


class Entity(Model):
    """Fields every entity shares. `id` and `body` come from the file, not the front matter."""

    kind: ClassVar[str]
    """The kind's name, e.g. 'concept': `backpub new concept`, references' kinds, `backpub schema --kind`."""
    folder: ClassVar[str]
    """The content folder its files are in, e.g. 'concepts' (also the default site path, /concepts/<id>/)."""
    label: ClassVar[str]
    """What one of them is called, a catalogue message marked with N_ (e.g. N_("Concept")): formats translate it."""
    plural: ClassVar[str]
    """What several are called (e.g. N_("Concepts")), for a heading or an index page."""
    scaffold: ClassVar[Scaffold]
    """What `backpub new <kind>` writes after the title and the empty review record."""
    heading: ClassVar[str] = ""
    """A heading over all of them in a long document, e.g. N_("Mistakes to stop") (a book's chapter); empty: the
    plural."""
    intro: ClassVar[str] = ""
    """A phrase introducing all of them, e.g. N_("the ideas the programme rests on."), for an index page after the
    plural (programme.yaml `wording.intros` words it for one programme); empty: none."""
    patient_facing: ClassVar[bool] = True
    """Whether patients read its text (its prose is checked for doses and reading level)."""
    library: ClassVar[bool] = True
    """Whether it is part of the library a reader studies (a page each on a site, a card in a handout, a chapter
    of a book), as opposed to what publishes the library (episodes, handouts) or uses it (clinics)."""

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
    label = N_("Concept")
    plural = N_("Concepts")
    heading = N_("Understanding the problem")
    intro = N_("the ideas the programme rests on.")
    scaffold = Scaffold(
        'summary: {{ todo("one or two sentences") }}',
        "the concept explained, in Markdown",
    )

    summary: Annotated[Prose, OnCard()]
    """One or two sentences."""
    analogy: Analogy | None = None
    """An everyday comparison, e.g. the funny bone."""
    related: Annotated[list[EntityId], RefTo()] = Field(default_factory=list)
    """Other entities worth reading next."""


class Mistake(Entity):
    """A common practice that keeps the problem going."""

    kind = "mistake"
    folder = "mistakes"
    label = N_("Mistake")
    plural = N_("Mistakes")
    heading = N_("Mistakes to stop")
    intro = N_("common habits that keep the problem going, and what to do instead.")
    scaffold = Scaffold(
        """\
summary: {{ todo("one or two sentences") }}
feels_good: {{ todo("why it feels good at the time") }}
harms: {{ todo("why it does harm") }}
instead: []  # optional: ids of the protocols to do instead""",
        "the mistake explained, in Markdown",
    )

    summary: Annotated[Prose, OnCard()]
    """One or two sentences."""
    examples: list[Text] = Field(default_factory=list)
    """Typical forms the mistake takes."""
    feels_good: Prose
    """Why it feels good at the time."""
    harms: Prose
    """Why it does harm."""
    instead: Annotated[list[EntityId], RefTo("protocol"), OnCard()] = Field(default_factory=list)
    """The protocols to do instead."""


class Protocol(Entity):
    """A self-care or exercise protocol with steps and a dose."""

    kind = "protocol"
    folder = "protocols"
    label = N_("Protocol")
    plural = N_("Protocols")
    intro = N_("self-care and exercise, step by step, with the dose, phase by phase.")
    scaffold = Scaffold(
        """\
phase: {{ phases[0] if phases else "phase-one" }}  # {{ PLACEHOLDER }}: the phase this protocol belongs to \
({{ phases | join(", ") or "see programme.yaml" }})
purpose: {{ todo("what the protocol is for") }}
steps:
  - {{ todo("the first step") }}
cautions: []  # optional: what to read before starting
# dose: {duration: '2-5 min', frequency: daily}  # optional, exactly as the source gives it""",
        "the protocol explained, in Markdown",
    )

    phase: Annotated[EntityId, DeclaredIn("phases", "phase")]
    """The programme phase this protocol belongs to (a phase id from programme.yaml)."""
    purpose: Annotated[Prose, OnCard(), Teaser()]
    """What the protocol is for."""
    equipment: Annotated[list[Text], OnCard()] = Field(default_factory=list)
    """What you need, e.g. 'a small rolled-up towel'."""
    steps: Annotated[list[Prose], OnCard()] = Field(min_length=1)
    """The steps, in order."""
    dose: Annotated[Dose | None, OnCard()] = None
    """How much and how often, when the programme gives it."""
    safe_dose: SafeDose | None = None
    """The doses a clinician may prescribe for it (`backpub prescribe`), part by part, e.g. `{repetitions: "5-15"}`;
    declared by the clinician who reviews it, never guessed (none: any dose may be prescribed). The protocol's own
    `dose` must lie inside."""
    cautions: Annotated[list[Prose], OnCard()] = Field(default_factory=list)
    """Cautions to read before starting."""
    prerequisites: Annotated[list[EntityId], RefTo("protocol"), OnCard()] = Field(default_factory=list)
    """Protocols to do before this one."""
    progressions: Annotated[list[EntityId], RefTo("protocol"), OnCard()] = Field(default_factory=list)
    """Protocols that build on this one (the next step)."""
    image: Annotated[Image | None, OnCard()] = None
    """An optional illustration."""
    access: Access = "public"
    """`members`: only members read its steps, dose and cautions (in their newsletter and private feed); every
    public output shows its title and purpose with the programme's `membership_url`."""

    @field_validator("safe_dose")
    @classmethod
    def _own_dose_is_safe(cls, safe: SafeDose | None, info: ValidationInfo) -> SafeDose | None:
        dose = info.data.get("dose")
        outside = safe.outside(dose) if safe is not None and isinstance(dose, Dose) else {}
        if outside:
            parts = "; ".join(f"its {name} is outside {bounds}" for name, bounds in outside.items())
            raise ValueError(f"the protocol's own dose must be a safe one: {parts}")
        return safe


class Treatment(Entity):
    """A professional treatment and what it can and cannot do."""

    kind = "treatment"
    folder = "treatments"
    label = N_("Treatment")
    plural = N_("Treatments")
    heading = N_("Professional treatments")
    intro = N_("professional treatments: what each can and cannot do.")
    scaffold = Scaffold(
        """\
treatment_kind: {{ treatment_kinds[0] if treatment_kinds else PLACEHOLDER }}  # {{ PLACEHOLDER }}: one of programme.yaml \
wording.treatment_kinds ({{ treatment_kinds | join(", ") or "declare them there first" }})
what_it_does: {{ todo("what the treatment does") }}
targets_root_cause: false  # {{ PLACEHOLDER }}: true if it acts on the injured tissue itself
limitations:
  - {{ todo("what it does not do") }}""",
        "the treatment explained, in Markdown",
    )

    treatment_kind: Annotated[Line, DeclaredIn("wording.treatment_kinds", "treatment kind"), OnCard()]
    """The treatment's category: one of the ids this programme declares in programme.yaml `wording.treatment_kinds`
    (e.g. manual-therapy), printed as the programme names it there."""
    what_it_does: Annotated[Prose, OnCard()]
    """What the treatment does."""
    targets_root_cause: Annotated[bool, OnCard()]
    """Whether it acts directly on the cause of the problem (programme.yaml `wording.targets_root_cause` says how
    the programme words this)."""
    limitations: list[Prose] = Field(min_length=1)
    """What it does not do."""
    caveat: Annotated[Prose | None, OnCard()] = None
    """Whose view the verdict (`targets_root_cause`) is, and what guidance says otherwise (e.g. a NICE
    recommendation): printed wherever the verdict is."""


class Principle(Entity):
    """A long-term principle of recovery."""

    kind = "principle"
    folder = "principles"
    label = N_("Principle")
    plural = N_("Principles")
    heading = N_("Principles for the long term")
    intro = N_("the principles of long-term recovery.")
    scaffold = Scaffold(
        'statement: {{ todo("the principle in one sentence") }}',
        "the principle explained, in Markdown",
    )

    statement: Annotated[Prose, OnCard()]
    """The principle in one sentence."""


class Episode(Entity):
    """A weekly podcast episode; the body is its deep-dive article."""

    kind = "episode"
    folder = "episodes"
    label = N_("Episode")
    plural = N_("Episodes")
    library = False
    scaffold = Scaffold(
        """\
number: {{ number }}
release: {{ release }}
guid: {{ guid }}
summary: {{ todo("a short description of the episode, in one or two sentences") }}
show_notes: |
  {{ PLACEHOLDER }}: the show notes, in Markdown
audio:
  url: https://{{ PLACEHOLDER }}.invalid/episode-{{ "%03d" % number }}.mp3  # {{ PLACEHOLDER }}: the audio file's \
public https URL; it never changes once published
  mime_type: audio/mpeg
  size_bytes: 1  # {{ PLACEHOLDER }}: the file's size in bytes (or replace both numbers with `file: assets/...` to \
read them from the file)
  duration_seconds: 1  # {{ PLACEHOLDER }}: the running time in whole seconds
covers: []  # {{ PLACEHOLDER }}: ids of the entities the episode covers, e.g. [wall-drill, dead-bug]
episode_type: full""",
        "the deep-dive article, in Markdown",
        default_id="episode-{number:03d}",
    )

    number: PositiveInt
    """The episode number (unique)."""
    release: date
    """The release date: a Sunday, in the programme's timezone."""
    guid: Annotated[str, Field(min_length=8, pattern=r"^\S+$"), Public()]
    """A permanent, unique id (e.g. a UUID), never derived from the title and never changed."""
    summary: Annotated[Prose, Teaser()]
    """A short description for podcast apps."""
    show_notes: Markdown = Field(min_length=1)
    """The show notes, in Markdown."""
    audio: Audio
    """The audio file."""
    covers: Annotated[list[EntityId], RefTo()] = Field(default_factory=list)
    """The entities the episode covers."""
    related_episodes: Annotated[list[EntityId], RefTo("episode")] = Field(default_factory=list)
    """Other episodes to listen to next."""
    episode_type: Annotated[Literal["full", "trailer", "bonus"], Public()] = "full"
    """itunes:episodeType."""
    transcript: Transcript | None = None
    """An optional transcript; a WebVTT one also captions the video."""
    video: Video | None = None
    """An optional video version of the episode."""
    artwork: Annotated[AssetPath | None, Public()] = None
    """Optional square artwork for this episode (JPEG or PNG, 1400-3000 px, RGB); change the file name when it changes."""
    chapters: Chapters = Field(default_factory=list)
    """Chapter marks, in time order (the feed gets a Podcast Index chapters file made from them, the site and
    newsletter a list), or a chapters file the podcast host publishes, `{url: https://...}`, which every format
    links to."""
    retired: bool = False
    """Set when a published episode is deliberately withdrawn from the feed."""
    access: Access = "public"
    """`members`: only members hear it and read its article and show notes (their private feed and newsletter);
    every public output shows its title and summary with the programme's `membership_url`."""

    @property
    def chapter_marks(self) -> list[ChapterMark]:
        """The chapter marks written in the episode (none when its chapters are a hosted file)."""
        return self.chapters if isinstance(self.chapters, list) else []

    @property
    def chapters_file_url(self) -> str | None:
        """The address of the chapters file the podcast host publishes, when the episode names one."""
        return self.chapters.url if isinstance(self.chapters, ChaptersFile) else None


class HandoutSection(Model):
    """A section of a handout, made of entities in order."""

    heading: Text
    """The section's heading."""
    intro: Markdown = ""
    """An optional paragraph before the entities."""
    entities: Annotated[list[EntityId], RefTo(library=True)] = Field(min_length=1)
    """The entities shown in this section, in order (of the library's kinds)."""


class Handout(Entity):
    """A printable compilation that clinics hand to patients."""

    kind = "handout"
    folder = "handouts"
    label = N_("Handout")
    plural = N_("Handouts")
    library = False
    scaffold = Scaffold(
        """\
audience: {{ todo("who the handout is for") }}
summary: {{ todo("what the reader will take away") }}
sections:
  - heading: {{ todo("the first section heading") }}
    entities: [{{ first_library_id or "an-entity-id" }}]  # {{ PLACEHOLDER }}: the entities this section shows, in order""",
        "an optional introduction, in Markdown (or delete this line)",
    )

    audience: Text
    """Who the handout is for."""
    summary: Annotated[Prose, Teaser()]
    """What the reader will take away."""
    episode: Annotated[EntityId | None, RefTo("episode")] = None
    """The episode the handout's QR code points to (else the programme site)."""
    sections: list[HandoutSection] = Field(min_length=1)
    """The handout's sections, in order."""
    layout: Annotated[Literal["sheet", "booklet"], Public()] = "sheet"
    """How the PDF prints it: `sheet` (short cards, the longer explanations a QR code away on the site) or
    `booklet` (every explanation in full)."""
    sheets: PositiveInt = 2
    """How much paper a printed edition may take, in sheets printed on both sides (two pages each): a printed
    edition that runs longer is a warning naming what does not fit."""
    access: Access = "public"
    """`members`: only members get its sections; the public handouts, site and book show its title and summary
    with the programme's `membership_url`."""


class Clinic(Entity):
    """A clinic's branded edition of the handouts."""

    kind = "clinic"
    folder = "clinics"
    label = N_("Clinic")
    plural = N_("Clinics")
    patient_facing = False  # a clinic's address and notes are for its staff
    library = False
    scaffold = Scaffold(
        """\
country: {{ default_country }}  # {{ PLACEHOLDER }}: the clinic's country (ISO code, e.g. GB or US): its handouts \
print that country's urgent-help notice from programme.yaml `countries`
address: {{ todo("the postal address") }}
phone: {{ todo("the phone number") }}
website: https://{{ PLACEHOLDER }}.invalid  # {{ PLACEHOLDER }}: the clinic's website
# email: appointments@example.org  # optional: printed on its handouts
# logo: assets/clinics/logo.svg  # optional (SVG or PNG)
# logo_alt: "What the logo shows"  # optional (default: the clinic's name)
# accent_colour: "#1f5f8b"  # optional: the colour of its handouts' rules and headings
# paper: A4  # optional: A4 or Letter
# handouts: []  # optional: the handouts in its pack, in order (default: every handout)""",
        "an optional note about the clinic (or delete this line)",
    )

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
    """The handouts the clinic gives out, in this order: it gets editions of these only, and its pack holds them
    (empty: every handout, introductory ones first)."""


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
"""The built-in entity kinds, in the order a reader meets them (plugins add theirs: see backpub.model.kinds)."""

TYPES_BY_FOLDER: dict[str, type[Entity]] = {cls.folder: cls for cls in ENTITY_TYPES}
"""The built-in kinds by content folder (a session's `kinds` has plugins' kinds too)."""
TYPES_BY_KIND: dict[str, type[Entity]] = {cls.kind: cls for cls in ENTITY_TYPES}
"""The built-in kinds by name (a session's `kinds` has plugins' kinds too)."""
