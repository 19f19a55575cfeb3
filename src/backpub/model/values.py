"""Small value types used inside entities: quantities, doses, images, analogies and episode media."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, PositiveInt, model_validator

from backpub.model.base import AssetPath, Line, Markdown, Model, Text

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


class Chapters(Model):
    """An episode's chapters file (JSON chapters, Podcast Index format)."""

    url: Annotated[str, Field(pattern=r"^https://\S+$")]
    """The chapters file's public URL."""
