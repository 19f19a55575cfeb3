"""Small value types used inside entities: quantities, doses, images, analogies, episode media and chapters."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, PositiveInt, Tag, ValidationInfo, model_validator

from backpub.model.base import AssetPath, EntityId, Line, Markdown, Model, PatientProse, Prose, RefTo, Text
from backpub.model.units import read_quantity


class Range(Model):
    """A quantity that may be a range, e.g. 3–5 min or 10 repetitions. Authors may write "3-5 min"."""

    min: float = Field(ge=0, allow_inf_nan=False)
    """The lower bound (or the exact value when there is no maximum)."""
    max: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    """The upper bound, if this is a range."""

    @model_validator(mode="before")
    @classmethod
    def _parse_text(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return {"min": value}
        if isinstance(value, dict):
            return value
        # The programme's language (validation context) adds its unit words and decimal mark to English's.
        language = (info.context or {}).get("language") if info else None
        quantity = read_quantity(value, language) if isinstance(value, str) else None
        if quantity is None:
            raise ValueError(f"cannot read {value!r} as a quantity such as '3-5 min' or '10'")
        parsed: dict[str, Any] = {"min": quantity.min}
        if quantity.max is not None:
            parsed["max"] = quantity.max
        if quantity.unit:
            parsed["unit"] = quantity.unit
        return parsed

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        # What authors write ("3-5 min", 10) as well as the object it is read into.
        written = {"type": "string", "description": "e.g. '3-5 min', '8-12' or '5 to 10 seconds'"}
        count = [] if "unit" in cls.model_fields else [{"type": "number", "minimum": 0}]  # a duration needs its unit
        return {"anyOf": [written, *count, handler(core_schema)]}

    @model_validator(mode="after")
    def _min_not_above_max(self) -> Range:
        if self.max is not None and self.min > self.max:
            raise ValueError(f"the minimum ({_num(self.min)}) exceeds the maximum ({_num(self.max)})")
        return self

    def text(self, unit: str = "", messages: Any = None) -> str:
        """The range as people read it, e.g. '3–5 min'; with `messages` (backpub.Messages), in their language."""
        if messages is not None:
            return str(messages.quantity(self.min, self.max, unit or None))
        amount = _num(self.min) if self.max is None else f"{_num(self.min)}–{_num(self.max)}"
        return f"{amount} {unit}".strip()


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class Duration(Range):
    """A duration with a unit: seconds, minutes or hours."""

    unit: Literal["s", "min", "h"]
    """The unit: s, min or h."""

    def text(self, unit: str = "", messages: Any = None) -> str:
        """The duration as people read it, e.g. '5–10 s'."""
        return super().text(unit or self.unit, messages)

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

    def parts(self, messages: Any = None) -> list[tuple[str, str]]:
        """The dose as (label, value) pairs in reading order, e.g. [('Time', '3–5 min')]; with `messages`
        (backpub.Messages) the labels and units are in the programme's language."""
        _ = messages.gettext if messages is not None else str
        parts = []
        if self.duration:
            parts.append((_("Time"), self.duration.text(messages=messages)))
        if self.repetitions:
            parts.append((_("Repetitions"), self.repetitions.text(messages=messages)))
        if self.sets:
            parts.append((_("Sets"), self.sets.text(messages=messages)))
        if self.frequency:
            parts.append((_("How often"), self.frequency))
        return parts

    def text(self, messages: Any = None) -> str:
        """The dose on one line, e.g. '3–5 min · daily'."""
        return " · ".join(value for _, value in self.parts(messages))

    def given(self) -> dict[str, Any]:
        """The parts this dose gives, by name ('duration', 'repetitions', 'sets', 'frequency'), in reading order."""
        return {name: getattr(self, name) for name in DOSE_PARTS if getattr(self, name) is not None}

    def with_parts(self, other: Dose | None) -> Dose:
        """This dose with the parts `other` gives in place of its own (a prescription's dose over the programme's)."""
        return self if other is None else self.model_copy(update=other.given())


DOSE_PARTS = ("duration", "repetitions", "sets", "frequency")
"""A dose's parts, in reading order."""


def _seconds(quantity: Range) -> tuple[float, float]:
    """A quantity's bounds, in seconds for a duration (a count as it is)."""
    if isinstance(quantity, Duration):
        return quantity.seconds()
    return quantity.min, quantity.max if quantity.max is not None else quantity.min


class SafeDose(Model):
    """The doses a clinician may prescribe for a protocol, part by part, each a range with both bounds (e.g.
    `{duration: "5-30 s", repetitions: "5-15"}`): a prescription outside them is refused. Only the clinician who
    reviews the protocol declares them; a part without bounds may be prescribed at any amount."""

    duration: Duration | None = None
    """The shortest and the longest time of one go, e.g. '5-30 s'."""
    repetitions: Range | None = None
    """The fewest and the most repetitions per set, e.g. '5-15'."""
    sets: Range | None = None
    """The fewest and the most sets, e.g. '1-3'."""

    @model_validator(mode="after")
    def _bounded(self) -> SafeDose:
        given = {name: value for name, value in self if value is not None}
        if not given:
            raise ValueError("a safe dose bounds at least one of duration, repetitions or sets")
        open_ended = [name for name, value in given.items() if value.max is None]
        if open_ended:
            raise ValueError(f"{', '.join(open_ended)}: a safe range needs both bounds, e.g. '5-15'")
        return self

    def outside(self, dose: Dose, messages: Any = None) -> dict[str, str]:
        """The parts of `dose` outside these bounds, each with the bounds as people read them ('5–30 s')."""
        found = {}
        for name in ("duration", "repetitions", "sets"):
            bounds, value = getattr(self, name), getattr(dose, name)
            if bounds is None or value is None:
                continue
            (low, high), (least, most) = _seconds(value), _seconds(bounds)
            if low < least or high > most:
                found[name] = bounds.text(messages=messages)
        return found


class Image(Model):
    """An image from the content folder, with the text that describes it."""

    src: AssetPath
    """The image file, relative to the content folder."""
    alt: Prose
    """What the image shows, for people who cannot see it (required)."""
    caption: Annotated[str, PatientProse()] | None = None
    """An optional caption printed under the image."""


class Analogy(Model):
    """An everyday comparison that makes a concept click."""

    title: Line
    """A short name for the analogy, e.g. 'The funny bone'."""
    body: Markdown
    """The analogy told in a paragraph or two."""


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


class Video(Model):
    """A video version of an episode, self-hosted: the feed offers it beside the audio, the site plays it."""

    url: Annotated[str, Field(pattern=r"^https://\S+$")]
    """The video file's public https URL (on the programme's own host: no third-party player)."""
    mime_type: Literal["video/mp4", "video/webm", "video/quicktime", "video/x-m4v"] = "video/mp4"
    """The file's MIME type."""
    size_bytes: PositiveInt
    """The file's size in bytes."""
    duration_seconds: PositiveInt
    """The running time in whole seconds."""
    height: PositiveInt | None = None
    """The picture's height in pixels, e.g. 1080."""


_CLOCK_TEXT = re.compile(r"\s*\d+(?::[0-5]?\d){1,2}(?:\.\d+)?\s*")


def _timestamp(value: Any) -> Any:
    """Seconds from a number or a clock reading such as '12:34' or '1:02:03.5'."""
    if isinstance(value, str) and _CLOCK_TEXT.fullmatch(value):
        seconds = 0.0
        for part in value.strip().split(":"):
            seconds = seconds * 60 + float(part)
        return seconds
    if isinstance(value, str):
        raise ValueError(f"cannot read {value!r} as a time such as '12:34', '1:02:03' or a number of seconds")
    return value


Timestamp = Annotated[float, BeforeValidator(_timestamp), Field(ge=0, allow_inf_nan=False)]


def clock(seconds: float) -> str:
    """A time as players show it: '0:00', '12:34' or '1:02:03' (fractions dropped)."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ChaptersFile(Model):
    """A chapters file the podcast host makes and publishes (Podcast Index JSON chapters), named by its address:
    `chapters: {url: https://...}` instead of chapter marks."""

    url: Annotated[str, Field(pattern=r"^https://\S+$")]
    """The file's public https URL, e.g. 'https://media.example.org/episode-001.chapters.json': the feed names it
    in podcast:chapters, and the site and newsletter link to it."""


FORM_TAG = "form:"
"""How a field written in more than one form tags its forms (pydantic puts the tag in an error's location, where
messages leave it out: see `messages.field_loc`)."""


class ChapterMark(Model):
    """A chapter of an episode: where it starts, its title, and optionally what it links to and its image."""

    start: Timestamp
    """When the chapter starts: '12:34', '1:02:03' or seconds; inside the audio, in time order."""
    title: Line
    """The chapter's title, as podcast apps and the chapter lists show it."""
    entity: Annotated[EntityId | None, RefTo()] = None
    """An entity the chapter is about; the chapter links to its page."""
    url: Annotated[str, Field(pattern=r"^https://\S+$")] | None = None
    """A web page the chapter links to (instead of an entity)."""
    image: AssetPath | None = None
    """An optional chapter image (JPEG or PNG) from the content folder, published with the site."""

    @model_validator(mode="after")
    def _one_link(self) -> ChapterMark:
        if self.entity and self.url:
            raise ValueError("a chapter links to an entity or a url, not both")
        return self

    def clock(self) -> str:
        """When the chapter starts, as players show it: '0:00', '12:34' or '1:02:03'."""
        return clock(self.start)


def _chapters_form(value: Any) -> str | None:
    """Which form an episode's `chapters` is written in: a list of marks, or a hosted file's {url: ...}."""
    if isinstance(value, list) or value is None:
        return f"{FORM_TAG}marks"
    return f"{FORM_TAG}file" if isinstance(value, dict | ChaptersFile) else None


Chapters = Annotated[
    Annotated[list[ChapterMark], BeforeValidator(lambda value: [] if value is None else value), Tag(f"{FORM_TAG}marks")]
    | Annotated[ChaptersFile, Tag(f"{FORM_TAG}file")],
    Discriminator(
        _chapters_form,
        custom_error_type="chapters_form",
        custom_error_message="write chapter marks as a list (- {start: '0:00', title: ...}) or a chapters file "
        "published elsewhere as {url: https://...}",
    ),
]
"""An episode's chapters: marks written in the episode, or a hosted Podcast Index chapters file."""
