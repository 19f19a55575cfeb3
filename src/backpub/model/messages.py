"""Pydantic's validation errors about the model, reworded for authors: the field, what it wants, a did-you-mean."""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel

from backpub.model.base import ID_PATTERN
from backpub.model.values import FORM_TAG

# What each pattern in the model asks for, in words an author understands (the regex is no help to them).
_PATTERN_WORDS = {
    ID_PATTERN: "a kebab-case id such as 'towel-stretch'",
    r"^https://\S+$": "an https:// URL",
    r"^https://\S+[^/]$": "an https:// URL without a trailing slash",
    r"^https?://\S+$": "an http:// or https:// URL",
    r"^https://\S+\.(?:jpg|png)$": "an https:// URL ending in .jpg or .png",
    r"^#[0-9a-fA-F]{6}$": "a colour written as #RRGGBB, e.g. '#1f5f8b'",
    r"^[a-z]{2,3}(?:-[A-Z]{2})?$": "a language tag such as 'en-GB'",
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$": "an e-mail address",
    r"^[^@\s]+@[^@\s]+$": "an e-mail address",
    r"^\S+$": "text without spaces",
}


REQUIRED_SINCE = {
    ("Clinic", "country"): "every clinic names its country since December 2026: add e.g. 'country: GB', a code "
    "programme.yaml 'countries' holds; its handouts print that country's urgent-help notice (see docs/changes.md)",
}
"""Fields a release made required, by (model, field): content written before gets what to write, not just 'missing'.
(Keys a release moved are in content.validation.MOVED_PROGRAMME_KEYS and each format's `moved_settings`.)"""


def explain(cls: type[BaseModel], error: Any, prefix: tuple[Any, ...] = ()) -> str:
    """The message for one of pydantic's errors (an item of `ValidationError.errors()`) about a `cls`, whose data
    sits at `prefix` in its file (e.g. ('formats', 'feed'))."""
    relative = tuple(error["loc"])
    loc = prefix + relative
    field_path = dotted(loc)
    if loc and loc[0] == "body":
        return f"body: {error['msg']}"
    if error["type"] == "missing":
        model = _model_at(cls, relative[:-1])
        since = REQUIRED_SINCE.get((getattr(model, "__name__", ""), str(relative[-1]))) if relative else None
        return f"missing required field {field_path!r}" + (f": {since}" if since else "")
    if error["type"] == "extra_forbidden":
        return f"unknown field {field_path!r}" + suggest(str(loc[-1]), _field_names(cls, relative[:-1]))
    text = _plain_words(error) or str(error["msg"]).removeprefix("Value error, ")
    return f"{field_path}: {text}" if field_path else text


def field_loc(loc: typing.Iterable[str | int]) -> tuple[str | int, ...]:
    """A pydantic error's location as the author wrote it: without the tags of a field's forms (see FORM_TAG). A tag
    follows the name of the field it tags, so the first part is always the author's (a key they wrote, 'form:...')."""
    return tuple(
        part
        for index, part in enumerate(loc)
        if index == 0 or not (isinstance(part, str) and part.startswith(FORM_TAG))
    )


def dotted(loc: tuple[Any, ...]) -> str:
    """A field's location as authors write it, e.g. 'dose.duration' or 'sections[0].entities'."""
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif part.startswith(("function-", "constrained-")):
            continue  # pydantic's names for validators, not fields
        else:
            parts.append(("." if parts else "") + part)
    return "".join(parts)


def suggest(word: str, candidates: typing.Iterable[str]) -> str:
    """'; did you mean ...?' with the closest candidate, or '' when none is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _plain_words(error: Any) -> str | None:
    """A friendlier message for the pydantic errors authors meet most, or None to keep pydantic's."""
    if error["type"] == "string_pattern_mismatch":
        wanted = _PATTERN_WORDS.get(error.get("ctx", {}).get("pattern", ""))
        return f"{error['input']!r} is not {wanted}" if wanted else None
    if error["type"] == "string_type" and error["input"] is None:
        return "is empty; give it a value"
    if error["type"] in _DATE_ERRORS:
        return f"{error['input']!r} is not a date written as YYYY-MM-DD, e.g. 2026-11-22"
    if error["type"] in _TIME_ERRORS:
        return f"{error['input']!r} is not a time of day written as HH:MM, e.g. '06:00'"
    return None


_DATE_ERRORS = frozenset({"date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"})
_TIME_ERRORS = frozenset({"time_type", "time_parsing"})


def _field_names(cls: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The fields of the model found at `loc` inside `cls` (for did-you-mean), or [] when there is none."""
    model = _model_at(cls, loc)
    return list(model.model_fields) if model is not None else []


def _model_at(cls: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """The model found at `loc` inside `cls`, or None."""
    model: Any = cls
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = model.model_fields.get(part).annotation if model and part in model.model_fields else None
        model = _model_in(annotation)
        if model is None:
            return None
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found:
            return found
    return None
