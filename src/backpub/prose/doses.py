"""Doses written once: prose refers to a protocol's `dose` field, and every format prints it from there.

The reference syntax, in any text field of any entity (front matter or body, Markdown or plain):

- `{dose}`: the whole dose of the protocol the text belongs to, e.g. "3 to 5 minutes";
- `{dose.duration}`, `{dose.repetitions}`, `{dose.sets}`, `{dose.frequency}`: one part of it;
- `{dose:wall-drill}`, `{dose:wall-drill.duration}`: the same for another protocol, from anywhere.

A backslash before the brace (`\\{dose}`) leaves the text as it is. References are replaced once, when the
content is loaded, so every format (and a third-party one) prints the same words from the same field, in
steps and cautions as well as in Markdown. A reference to an unknown protocol, a protocol without a dose, or a
part the dose does not give is a located error.

`consistency` warns when prose states a duration or a count for a protocol in figures that differ from the
protocol's dose: the copy written by hand that the dose field was meant to replace.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel

from backpub.errors import Problem
from backpub.files.loading import Record
from backpub.model import Dose, Duration, Protocol
from backpub.prose.sentences import Field, locate, patient_fields, string_fields
from backpub.text.i18n import messages

M = TypeVar("M", bound=BaseModel)

REFERENCE = re.compile(r"(?<!\\)\{dose(?::(?P<id>[^}.\s]*))?(?:\.(?P<part>[^}\s]*))?\}")
PARTS = ("duration", "repetitions", "sets", "frequency")


def part_text(dose: Dose, part: str | None, language: str) -> str | None:
    """A dose, or one part of it, as prose prints it ("3 to 5 minutes", "3 bis 5 Minuten"); None when the
    dose does not give that part. The words come from the core's message catalogue and Babel's unit data."""
    if part is None:
        texts = [part_text(dose, name, language) for name in PARTS]
        return ", ".join(text for text in texts if text)
    value = getattr(dose, part)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    words = messages(language)
    if isinstance(value, Duration):
        return words.quantity_words(value.min, value.max, value.unit)
    amount = words.range_words(value.min, value.max)
    count = _count(value.max if value.max is not None else value.min)
    if part == "repetitions":
        return words.ngettext("%(amount)s repetition", "%(amount)s repetitions", count) % {"amount": amount}
    return words.ngettext("%(amount)s set", "%(amount)s sets", count) % {"amount": amount}


def _count(value: float) -> int:
    """The number a plural form is chosen by: a fraction counts as many."""
    return int(value) if float(value).is_integer() else 2


def _primary(language: str) -> str:
    return language.split("-")[0].lower()


# -- references ---------------------------------------------------------------------------------------


def resolve(match: re.Match[str], owner: str | None, protocols: dict[str, Protocol], language: str) -> str:
    """The text a reference stands for; raises ValueError with a plain-language reason when it has none."""
    target, part = match["id"], match["part"]
    if target is None:
        if owner not in protocols:
            raise ValueError(f"{match[0]} names no protocol; outside a protocol's own text write {{dose:PROTOCOL-ID}}")
        target = owner
    if target not in protocols:
        close = difflib.get_close_matches(target, list(protocols), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{match[0]} refers to {target!r}, which is not a protocol{hint}")
    if part is not None and part not in PARTS:
        raise ValueError(f"{match[0]}: a dose has no part {part!r}; use one of {', '.join(PARTS)}")
    dose = protocols[target].dose
    if dose is None:
        raise ValueError(f"{match[0]}: protocol {target!r} has no dose; give it a `dose:` field first")
    text = part_text(dose, part, language)
    if not text:
        raise ValueError(f"{match[0]}: the dose of {target!r} gives no {part}")
    return text


def expand(model: M, owner: str | None, protocols: dict[str, Protocol], language: str) -> M:
    """The model with every dose reference in its text replaced (references that fail are left as written)."""
    changes = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        new = _expand_value(value, owner, protocols, language)
        if new is not value:
            changes[name] = new
    return model.model_copy(update=changes) if changes else model


def _expand_value(value, owner, protocols, language):
    if isinstance(value, str):
        if "{dose" not in value:
            return value
        return REFERENCE.sub(lambda match: _or_as_written(match, owner, protocols, language), value)
    if isinstance(value, BaseModel):
        return expand(value, owner, protocols, language)
    if isinstance(value, list):
        items = [_expand_value(item, owner, protocols, language) for item in value]
        return items if any(new is not old for new, old in zip(items, value, strict=True)) else value
    return value


def _or_as_written(match: re.Match[str], owner, protocols, language) -> str:
    try:
        return resolve(match, owner, protocols, language)
    except ValueError:
        return match[0]  # reported by `reference_problems`; the load fails before any format sees it


def reference_problems(
    model: BaseModel,
    owner: str | None,
    record: Record,
    protocols: dict[str, Protocol],
    language: str,
    refused: frozenset[str] = frozenset(),
) -> Iterator[Problem]:
    """A located error for every reference in a model's text that names nothing (a reference to a file that exists
    but failed validation, `refused`, is not: that file's own errors say what is wrong)."""
    shown = record.display_path
    for loc, text in string_fields(model):
        if "{dose" not in text:
            continue
        located: Field | None = None
        for match in REFERENCE.finditer(text):
            if match["id"] in refused:
                continue
            try:
                resolve(match, owner, protocols, language)
            except ValueError as reason:
                located = located or locate(record, loc, text)
                yield Problem(shown, located.line_at(match.start()), 1, "error", f"{located.name}: {reason}", owner)


# -- consistency --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantities:
    """How a language states durations and counts in prose."""

    pattern: re.Pattern[str]
    numbers: dict[str, float]
    units: dict[str, str]
    """Unit word -> the dose part it belongs to and its unit, e.g. 'minutes' -> 'duration:min'."""
    articles: tuple[str, ...]
    """Words a protocol's title may start with that prose often leaves out ("the wall drill" -> "wall drill")."""

    def figures(self, text: str) -> list[re.Match[str]]:
        """Every stated figure in a text. Matching lower-cased text is three times faster than IGNORECASE."""
        lowered = text.lower()
        if len(lowered) != len(text):  # a few letters change length in lower case: keep the offsets right
            return list(re.compile(self.pattern.pattern, re.IGNORECASE).finditer(text))
        return list(self.pattern.finditer(lowered))


_EN_NUMBERS = {
    word: float(index)
    for index, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
} | {"thirty": 30.0, "forty": 40.0, "fifty": 50.0, "sixty": 60.0}
_EN_UNITS = (
    {word: "duration:s" for word in ("s", "sec", "secs", "second", "seconds")}
    | {word: "duration:min" for word in ("min", "mins", "minute", "minutes")}
    | {word: "duration:h" for word in ("h", "hr", "hrs", "hour", "hours")}
    | {word: "repetitions" for word in ("rep", "reps", "repetition", "repetitions", "times")}
    | {word: "sets" for word in ("set", "sets")}
)
_EN_NUMBER = r"(?:\d+(?:\.\d+)?|" + "|".join(_EN_NUMBERS) + ")"
QUANTITIES: dict[str, Quantities] = {
    "en": Quantities(
        pattern=re.compile(
            rf"\b(?:between\s+)?(?P<low>{_EN_NUMBER})(?:\s*(?:-|–|—|to|and|or)\s*(?P<high>{_EN_NUMBER}))?\s*"
            rf"(?P<unit>{'|'.join(sorted(_EN_UNITS, key=len, reverse=True))})\b"
            r"(?!\s+(?:a|an|per|each|every)\s+(?:day|week|night|morning|evening|hour))",  # "twice a day" is how often
        ),
        numbers=_EN_NUMBERS,
        units=_EN_UNITS,
        articles=("the ", "a ", "an "),
    ),
}
"""Languages whose prose is checked against doses."""

_SECONDS = {"s": 1, "min": 60, "h": 3600}


def consistency(
    items: list[tuple[str | None, BaseModel, Record]],
    protocols: dict[str, Protocol],
    language: str,
    fields: dict[str | None, list[Field]] | None = None,
) -> list[Problem]:
    """Warnings where prose gives a protocol a duration or count that its dose field does not.

    `fields`: each owner's patient-facing fields, when the caller has located them already."""
    fields = fields or {}
    words = QUANTITIES.get(_primary(language))
    if words is None or not protocols:
        return []
    names = _names(protocols, words)
    problems: list[Problem] = []
    for owner, model, record in items:
        for item in fields.get(owner) or patient_fields(model, record):
            if not words.figures(item.text):
                continue  # most text states no figure at all: no need for its sentences
            for sentence in item.sentences:
                matches = words.figures(sentence.text)
                candidates = _about(sentence.text, owner, protocols, names) if matches else []
                for match in matches if candidates else ():
                    # A figure is only wrong if it agrees with none of the protocols the sentence may be about.
                    stated = sentence.text[match.start() : match.end()].strip()
                    reasons = [_mismatch(match, protocols[target], words, stated) for target in candidates]
                    if all(reasons):
                        line = item.line_at(sentence.start + match.start())
                        message = f"{item.name}: {reasons[0]}"
                        problems.append(Problem(record.display_path, line, 1, "warning", message, owner))
    return problems


def _names(protocols: dict[str, Protocol], words: Quantities) -> dict[str, re.Pattern[str]]:
    names = {}
    for pid, protocol in protocols.items():
        title = protocol.title.lower()
        for article in words.articles:
            title = title.removeprefix(article)
        names[pid] = re.compile(rf"\b{re.escape(title)}\b|\(@{re.escape(pid)}\)|\{{dose:{re.escape(pid)}\b")
    return names


def _about(
    sentence: str, owner: str | None, protocols: dict[str, Protocol], names: dict[str, re.Pattern[str]]
) -> list[str]:
    """The protocols a sentence may be about: those it names, and the protocol whose text it is."""
    lowered = sentence.lower()
    named = [pid for pid, pattern in names.items() if pattern.search(lowered) and pid != owner]
    return named + ([owner] if owner is not None and owner in protocols else [])


def _mismatch(match: re.Match[str], protocol: Protocol, words: Quantities, stated: str) -> str | None:
    low = _value(match["low"], words)
    high = _value(match["high"], words) if match["high"] else low
    kind = words.units[match["unit"].lower()]
    dose = protocol.dose
    part, _, unit = kind.partition(":")
    reference = f"{{dose:{protocol.id}.{part}}}"
    expected = getattr(dose, part) if dose is not None else None
    if expected is None:
        return (
            f"states {stated!r} for protocol {protocol.id!r}, whose dose gives no {part}; put it in the dose "
            f"field (if the source gives it) and write {reference}"
        )
    if unit:
        factor = _SECONDS[unit]
        same = (low * factor, high * factor) == expected.seconds()
    else:
        same = (low, high) == (expected.min, expected.max if expected.max is not None else expected.min)
    if same:
        return None
    return (
        f"states {stated!r} for protocol {protocol.id!r}, but its dose says {expected.text()}; "
        f"write {reference} so the two cannot differ"
    )


def _value(text: str, words: Quantities) -> float:
    return float(text) if text[0].isdigit() else words.numbers[text.lower()]


# -- both checks at once ------------------------------------------------------------------------------


def check(
    items: list[tuple[str | None, BaseModel, Record]],
    language: str,
    fields: dict[str | None, list[Field]] | None = None,
    refused: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Reference errors and consistency warnings for (owner id or None, model, record) items; `refused`: ids of
    files that exist but failed validation."""
    protocols = {model.id: model for _, model, _ in items if isinstance(model, Protocol)}
    problems: list[Problem] = []
    for owner, model, record in items:
        problems += reference_problems(model, owner, record, protocols, language, refused)
    return problems + consistency(items, protocols, language, fields)
