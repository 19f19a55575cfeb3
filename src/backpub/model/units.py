"""How authors write a quantity in their programme's language: unit words, "to" between bounds, decimal mark.

A dose such as "15–20 Min.", "5–10 Sek." or "1,5 min" is read with the words of the programme's language
(programme.yaml `language`, passed to validation as context) as well as English's, so content written before
stays valid. Unit symbols (s, min, h) are the same everywhere. Matching ignores case and a final full stop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class QuantityWords:
    """One language's ways of writing a quantity."""

    units: dict[str, str]
    """A word as written (lower case, no final full stop) -> unit code ('s', 'min', 'h'; '' for a count)."""
    to: tuple[str, ...] = ()
    """Words between the bounds of a range besides '-' and '–' (e.g. 'to', 'bis')."""
    decimal: str = "."
    """The decimal mark."""


SYMBOLS = {"": "", "s": "s", "min": "min", "h": "h"}

WORDS: dict[str, QuantityWords] = {
    "en": QuantityWords(
        units={
            "sec": "s", "secs": "s", "second": "s", "seconds": "s",
            "mins": "min", "minute": "min", "minutes": "min",
            "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
            "rep": "", "reps": "", "repetition": "", "repetitions": "", "times": "", "set": "", "sets": "",
        },
        to=("to",),
    ),
    "de": QuantityWords(
        units={
            "sek": "s", "sekunde": "s", "sekunden": "s",
            "minute": "min", "minuten": "min",
            "std": "h", "stunde": "h", "stunden": "h",
            "wdh": "", "wiederholung": "", "wiederholungen": "", "mal": "", "x": "", "satz": "", "sätze": "",
        },
        to=("bis",),
        decimal=",",
    ),
}  # fmt: skip
"""Languages by primary subtag; a language without an entry is read with English's words only."""


@dataclass(frozen=True)
class Quantity:
    """A quantity as read: the bounds and the unit code ('' for a count)."""

    min: float
    max: float | None
    unit: str


def words_for(language: str | None) -> list[QuantityWords]:
    """The word lists a programme in `language` may use: its own (if known) and English's."""
    primary = (language or "en").split("-")[0].lower()
    return [WORDS["en"]] + ([WORDS[primary]] if primary in WORDS and primary != "en" else [])


def read_quantity(text: str, language: str | None) -> Quantity | None:
    """'3-5 min', '15–20 Min.', '1,5 Std.', '10 Wdh.' as a Quantity, or None if it cannot be read."""
    lists = words_for(language)
    decimals = "".join(sorted({re.escape(words.decimal) for words in lists}))
    number = rf"\d+(?:[{decimals}]\d+)?"
    between = "|".join(["-", "–", *(re.escape(word) for words in lists for word in words.to)])
    match = re.fullmatch(
        rf"\s*(?P<min>{number})\s*(?:(?:{between})\s*(?P<max>{number}))?\s*(?P<unit>[^\W\d_]*\.?)\s*",
        text,
        re.IGNORECASE,
    )
    if match is None:
        return None
    unit = _unit(match["unit"].lower().removesuffix("."), lists)
    if unit is None:
        return None
    low, high = _number(match["min"], lists), _number(match["max"], lists) if match["max"] else None
    if low is None or (match["max"] and high is None):
        return None
    return Quantity(low, high, unit)


def _unit(word: str, lists: list[QuantityWords]) -> str | None:
    if word in SYMBOLS:
        return SYMBOLS[word]
    return next((words.units[word] for words in lists if word in words.units), None)


def _number(text: str, lists: list[QuantityWords]) -> float | None:
    """A number written with one of the languages' decimal marks ('1,5' only where ',' is the mark)."""
    if "," in text and not any(words.decimal == "," for words in lists):
        return None
    return float(text.replace(",", "."))
