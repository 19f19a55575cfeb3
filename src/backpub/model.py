"""The canonical programme model: every entity, its fields and their documentation."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    model_validator,
)

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class Model(BaseModel):
    """Base of every content model: strict, immutable, documented."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class RefTo:
    """Marks a field as holding references to other entities, of the given kinds (any kind if empty)."""

    def __init__(self, *kinds: str) -> None:
        self.kinds = kinds

    def __repr__(self) -> str:
        return f"RefTo{self.kinds!r}"


EntityId = Annotated[str, Field(pattern=ID_PATTERN, description="A kebab-case entity id (a file's stem).")]
AssetPath = Annotated[
    str,
    Field(
        min_length=1,
        description="A file path relative to the content folder, e.g. assets/images/wall-drill.svg.",
    ),
]
Colour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$", description="A colour as #RRGGBB.")]
Text = Annotated[str, Field(min_length=1)]


def _strip(value: str) -> str:
    return value.strip()


class MarkdownText:
    """Marks a field as Markdown, so validation checks its links and images."""


Markdown = Annotated[str, AfterValidator(_strip), MarkdownText()]

# ---------------------------------------------------------------------------------------------
# Small value types


_RANGE_TEXT = re.compile(
    r"^\s*(?P<min>\d+(?:\.\d+)?)\s*(?:(?:-|–|to)\s*(?P<max>\d+(?:\.\d+)?))?\s*(?P<unit>[a-z]*)\s*$"
)
_UNIT_ALIASES = {
    "s": "s",
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
    "min": "min",
    "mins": "min",
    "minute": "min",
    "minutes": "min",
    "h": "h",
    "hour": "h",
    "hours": "h",
    "": "",
    "reps": "",
    "rep": "",
    "times": "",
}


class Range(Model):
    """A quantity that may be a range, e.g. 3–5 min or 10 repetitions. Authors may write "3-5 min"."""

    min: float = Field(ge=0, allow_inf_nan=False)
    """The lower bound (or the exact value when there is no maximum)."""
    max: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    """The upper bound, if this is a range."""

    @model_validator(mode="before")
    @classmethod
    def _parse_text(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return {"min": value}
        if isinstance(value, dict):
            return value
        if not isinstance(value, str):
            raise ValueError(f"cannot read {value!r} as a quantity such as '3-5 min' or '10'")
        match = _RANGE_TEXT.match(value)
        if not match or match["unit"] not in _UNIT_ALIASES:
            raise ValueError(f"cannot read {value!r} as a quantity such as '3-5 min' or '10'")
        parsed: dict[str, Any] = {"min": float(match["min"])}
        if match["max"] is not None:
            parsed["max"] = float(match["max"])
        unit = _UNIT_ALIASES[match["unit"]]
        if unit:
            parsed["unit"] = unit
        return parsed

    @model_validator(mode="after")
    def _min_not_above_max(self) -> Range:
        if self.max is not None and self.min > self.max:
            raise ValueError(f"the minimum ({_num(self.min)}) exceeds the maximum ({_num(self.max)})")
        return self

    def text(self, unit: str = "") -> str:
        """The range as people read it, e.g. '3–5 min'."""
        amount = _num(self.min) if self.max is None else f"{_num(self.min)}–{_num(self.max)}"
        return f"{amount} {unit}".strip()


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class Duration(Range):
    """A duration with a unit: seconds, minutes or hours."""

    unit: Literal["s", "min", "h"]
    """The unit: s, min or h."""

    def text(self, unit: str = "") -> str:
        """The duration as people read it, e.g. '5–10 s'."""
        return super().text(unit or self.unit)

    def seconds(self) -> tuple[float, float]:
        """The range in seconds, (min, max)."""
        factor = {"s": 1, "min": 60, "h": 3600}[self.unit]
        return self.min * factor, (self.max if self.max is not None else self.min) * factor


class Dose(Model):
    """How much of a protocol to do: structured so every format can show it at a glance."""

    duration: Duration | None = None
    """How long each go lasts, e.g. '3-5 min' or '5-10 s'."""
    repetitions: Range | None = None
    """How many repetitions per set, e.g. '8-12'."""
    sets: Range | None = None
    """How many sets, e.g. 2 or '2-3'."""
    frequency: Text | None = None
    """How often, in words, e.g. 'daily' or 'several times a day'."""

    @model_validator(mode="after")
    def _not_empty(self) -> Dose:
        if not any((self.duration, self.repetitions, self.sets, self.frequency)):
            raise ValueError("a dose needs at least one of duration, repetitions, sets or frequency")
        return self

    def parts(self) -> list[tuple[str, str]]:
        """The dose as (label, value) pairs in reading order, e.g. [('Time', '3–5 min')]."""
        parts = []
        if self.duration:
            parts.append(("Time", self.duration.text()))
        if self.repetitions:
            parts.append(("Repetitions", self.repetitions.text()))
        if self.sets:
            parts.append(("Sets", self.sets.text()))
        if self.frequency:
            parts.append(("How often", self.frequency))
        return parts

    def text(self) -> str:
        """The dose on one line, e.g. '3–5 min · daily'."""
        return " · ".join(value for _, value in self.parts())


class Image(Model):
    """An image from the content folder, with the text that describes it."""

    src: AssetPath
    """The image file, relative to the content folder."""
    alt: Text
    """What the image shows, for people who cannot see it (required)."""
    caption: str | None = None
    """An optional caption printed under the image."""


class Analogy(Model):
    """An everyday comparison that makes a concept click."""

    title: Text
    """A short name for the analogy, e.g. 'The funny bone'."""
    body: Markdown
    """The analogy told in a paragraph or two."""


class Phase(Model):
    """A phase of the programme; protocols belong to one."""

    id: EntityId
    """The phase's id, used by protocols' `phase` field."""
    title: Text
    """The phase's title, e.g. 'Phase One: calm and unload'."""
    summary: Text
    """What the phase is for, in a sentence or two."""


class Audio(Model):
    """An episode's audio file as the feed's enclosure describes it."""

    url: Annotated[str, Field(pattern=r"^https://\S+$")]
    """The public https URL of the audio file. It must never change once published."""
    mime_type: Literal["audio/mpeg", "audio/x-m4a", "audio/mp4", "audio/aac", "audio/ogg"] = "audio/mpeg"
    """The file's MIME type."""
    file: AssetPath | None = None
    """The audio file in the content folder, if it is kept there: size and duration are then read from it."""
    size_bytes: PositiveInt | None = None
    """The file's size in bytes (declare it only when the file is not in the content folder)."""
    duration_seconds: PositiveInt | None = None
    """The running time in whole seconds (declare it only when the file is not in the content folder)."""

    @model_validator(mode="after")
    def _facts_known(self) -> Audio:
        if self.file is None:
            missing = [name for name in ("size_bytes", "duration_seconds") if getattr(self, name) is None]
            if missing:
                raise ValueError(f"audio needs {' and '.join(missing)} when no local `file` is given to read them from")
        return self


class Transcript(Model):
    """A transcript of an episode, as the Podcast Index `podcast:transcript` tag describes it."""

    url: Annotated[str, Field(pattern=r"^https://\S+$")]
    """The transcript's public URL."""
    type: Literal["text/plain", "text/html", "text/vtt", "application/json", "application/x-subrip"]
    """The transcript's MIME type."""
    language: str | None = None
    """The transcript's language, if not the programme's."""


class Chapters(Model):
    """An episode's chapters file (JSON chapters, Podcast Index format)."""

    url: Annotated[str, Field(pattern=r"^https://\S+$")]
    """The chapters file's public URL."""


# ---------------------------------------------------------------------------------------------
# Programme settings


class PodcastSettings(Model):
    """How the programme appears in podcast apps."""

    title: Text
    """The podcast's name, as directories show it."""
    description: Text
    """The podcast's description (at most 4000 bytes)."""
    artwork: AssetPath
    """Square artwork, 1400-3000 px, JPEG or PNG, RGB, relative to the content folder."""
    artwork_url: Annotated[str, Field(pattern=r"^https://\S+\.(?:jpg|png)$")]
    """The artwork's public URL; its extension must match the file."""
    feed_url: Annotated[str, Field(pattern=r"^https://\S+$")]
    """The feed's canonical public URL (used for atom:link rel=self and podcast:guid)."""
    apple_category: Text
    """Apple Podcasts category, e.g. 'Health & Fitness'."""
    apple_subcategory: str | None = None
    """Apple Podcasts subcategory, e.g. 'Medicine'."""
    owner_name: Text
    """The owner's name (itunes:owner)."""
    owner_email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    """The owner's e-mail (itunes:owner, podcast:locked owner)."""
    explicit: bool = False
    """Whether the podcast contains explicit content."""
    type: Literal["episodic", "serial"] = "episodic"
    """itunes:type: episodic (newest first) or serial."""
    locked: bool = True
    """podcast:locked: whether other hosts must refuse to import the feed."""
    release_time: time = time(6, 0)
    """The time of day, in the programme's timezone, at which Sunday episodes go out."""
    copyright: str | None = None
    """The copyright line (no word 'Copyright', no ©, no year, per PSP-1)."""
    live_feed_url: str | None = None
    """Optionally, the live feed to check GUID continuity against."""
    guid: Annotated[str, Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")] | None = None
    """The podcast:guid. Unset, it is the UUIDv5 of feed_url (Podcast Index rule); write that value here before
    the feed URL ever changes, so the podcast keeps its identity."""


class NewsletterSettings(Model):
    """The Sunday newsletter's sender and list settings."""

    from_address: Text
    """The From header, e.g. 'Back In Shape <sunday@example.org>'."""
    reply_to: Text
    """The Reply-To address."""
    send_time: time = time(7, 0)
    """The time on Sunday, in the programme's timezone, at which the issue is sent."""
    list_id: Text
    """The List-Id, e.g. 'sunday.backinshape.example.org'."""
    unsubscribe_url: Annotated[str, Field(pattern=r"^https://\S+$")]
    """The base https URL of the one-click unsubscribe endpoint; a signed token is appended."""
    unsubscribe_mailto: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]
    """The mailbox that handles mailto: unsubscribes."""
    signup_form_action: Annotated[str, Field(pattern=r"^https://\S+$")] | None = None
    """Where the website's sign-up form posts to."""


class Programme(Model):
    """Programme-wide settings, from content/programme.yaml."""

    title: Text
    """The programme's title."""
    subtitle: str | None = None
    """An optional subtitle."""
    introduction: Markdown = ""
    """The programme's introduction, shown on the home page and at the front of the book."""
    publisher: Text
    """Who publishes the programme."""
    authors: list[Text] = Field(min_length=1)
    """The programme's authors."""
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(?:-[A-Z]{2})?$")]
    """The language as a BCP 47 tag, e.g. en-GB."""
    timezone: Text
    """The IANA timezone, e.g. Europe/London."""
    site_url: Annotated[str, Field(pattern=r"^https://\S+[^/]$")]
    """The programme's website, without a trailing slash."""
    book_id: Text
    """A stable identifier for the e-book, e.g. a urn:uuid; never changes between editions."""
    review_interval_months: PositiveInt = 12
    """How long a review stays current; older content is a warning (an error under --strict)."""
    disclaimer: Markdown = Field(min_length=1)
    """The medical disclaimer printed on every handout and in the book."""
    urgent_help: Markdown = Field(min_length=1)
    """The 'when to get urgent help' safety notice printed on every handout and in the book."""
    call_to_action: Markdown = ""
    """An invitation to the full programme, used by the newsletter and the site."""
    phases: list[Phase] = Field(min_length=1)
    """The programme's phases, in order."""
    podcast: PodcastSettings
    """Podcast settings."""
    newsletter: NewsletterSettings
    """Newsletter settings."""
    formats: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Per-format options, keyed by format name; each format validates its own section."""

    def phase(self, phase_id: str) -> Phase:
        """The phase with this id."""
        return next(phase for phase in self.phases if phase.id == phase_id)


# ---------------------------------------------------------------------------------------------
# Entities


class Entity(Model):
    """Fields every entity shares. `id` and `body` come from the file, not the front matter."""

    kind: ClassVar[str]
    folder: ClassVar[str]

    id: EntityId
    """The entity's id: its file's stem."""
    title: Text
    """The entity's title."""
    reviewed: date
    """When the content was last clinically reviewed."""
    reviewer: Text
    """Who reviewed it."""
    body: Markdown = ""
    """The Markdown body after the front matter."""


class Concept(Entity):
    """An idea the reader needs to understand, e.g. 'sciatica is a back problem'."""

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
    """Whether it acts directly on the injured tissue in the lower back."""
    limitations: list[Text] = Field(min_length=1)
    """What it does not do."""


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
    """An optional transcript."""
    chapters: Chapters | None = None
    """An optional chapters file."""
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
    address: Text
    """The clinic's postal address."""
    phone: Text
    """The clinic's phone number."""
    website: Annotated[str, Field(pattern=r"^https?://\S+$")]
    """The clinic's website."""
    email: str | None = None
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
