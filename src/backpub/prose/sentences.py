"""Prose in content files: the text readers read, its sentences, and the file line each sentence is on.

The dose and readability checks both need "this sentence, in this field, is on line N of this file". Front
matter values are folded or quoted YAML, so a character of the value is found in the file by following the
value's words through the file's text in order (folding changes only the whitespace between words).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from pydantic import BaseModel

from backpub.files.loading import Record
from backpub.model.fields import prose_texts


@dataclass(frozen=True)
class Sentence:
    """A sentence of a field's text: where it starts and ends in the text; its file line on demand."""

    start: int
    end: int
    text: str
    field: Field | None = dataclass_field(default=None, repr=False, compare=False)

    @property
    def line(self) -> int:
        """The file line the sentence starts on."""
        return self.field.line_at(self.start) if self.field is not None else 1


class Field:
    """One text value of an entity (a whole field or one list item), with its location in the file."""

    def __init__(self, loc: tuple[str | int, ...], text: str, record: Record, raw: str | None = None) -> None:
        self.loc = loc
        self.text = text
        self.record = record
        self.raw = raw

    @property
    def name(self) -> str:
        """The field as authors write it, e.g. 'steps[2]' or 'image.alt'."""
        out = ""
        for part in self.loc:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out

    def line_at(self, offset: int) -> int:
        """The file line of a character of the text (worked out on demand: few sentences ever need one)."""
        record, text = self.record, self.text
        if self.loc == ("body",):
            # The model strips the body: count the blank lines it lost at the top.
            skipped = record.body[: len(record.body) - len(record.body.lstrip())].count("\n")
            return record.body_line + skipped + text.count("\n", 0, offset)
        if self.raw is None:
            self.raw = file_text(record)
        upto = _REST_OF_WORD.match(text, offset).end()  # type: ignore[union-attr]
        return _follow_words(self.raw, _line_start(self.raw, record.mark(self.loc)[0]), text[:upto])

    @functools.cached_property
    def sentences(self) -> list[Sentence]:
        """The text's sentences (headings and blank items left out)."""
        return [Sentence(start, end, self.text[start:end], self) for start, end in split_sentences(self.text)]


def string_fields(model: BaseModel, loc: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """(loc, text) for every string in a model: fields, list items and nested models, in field order."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, str):
            yield (*loc, name), value
        elif isinstance(value, BaseModel):
            yield from string_fields(value, (*loc, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, str):
                    yield (*loc, name, index), item
                elif isinstance(item, BaseModel):
                    yield from string_fields(item, (*loc, name, index))


def patient_fields(model: BaseModel, record: Record) -> list[Field]:
    """The patient-facing text of an entity or the programme (its fields marked as prose), located in its file."""
    return [Field(loc, text, record) for loc, text in prose_texts(model) if text.strip()]


def locate(record: Record, loc: tuple, text: str, raw: str | None = None) -> Field:
    """A text value of a record, located in its file (`raw`: the file's text, if already read)."""
    return Field(loc, text, record, raw)


def file_text(record: Record) -> str:
    """The text of a record's file as the loader read it (line endings normalised)."""
    try:
        raw = record.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    return re.sub(r"\r\n?", "\n", raw.removeprefix("\ufeff"))


def _line_start(raw: str, line: int) -> int:
    position = 0
    for _ in range(line - 1):
        found = raw.find("\n", position)
        if found < 0:
            return len(raw)
        position = found + 1
    return position


_CORE = re.compile(r"[^\W_]+", re.UNICODE)
_REST_OF_WORD = re.compile(r"\S*")


def _follow_words(raw: str, position: int, text: str) -> int:
    """The file line of the last word of `text`, found by following its words through `raw` from `position`
    in order (a word not found, e.g. after a YAML escape, keeps the line so far)."""
    line = raw.count("\n", 0, position) + 1
    for core in _CORE.finditer(text):
        word = core.group()
        found = raw.find(word, position, position + 400 + len(word))
        if found >= 0:
            line += raw.count("\n", position, found)
            position = found + len(word)
    return line


# -- sentences ----------------------------------------------------------------------------------------

_LIST_ITEM = re.compile(r"[ \t]{0,3}(?:[-*+]|\d{1,3}[.)])[ \t]+")
# One pass finds every place a sentence may end: a heading line (left out), a stop before a space, or a line
# break before a blank line or a list item.
_BREAK = re.compile(
    r"(?P<heading>^[ \t]{0,3}#{1,6}(?:[ \t][^\n]*)?$)"
    r"|(?P<stop>[.!?…]+[\"'”’)\]*_]*)(?=\s|$)"
    r"|\n(?=[ \t]*(?:\n|(?:[-*+]|\d{1,3}[.)])[ \t]))",
    re.MULTILINE,
)
_WORD_CHARACTER = re.compile(r"\w")
_ABBREVIATIONS = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|cf|approx|Dr|Mr|Mrs|Ms|St|No)|\b[A-Z])\.$")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: blank lines, list items and headings end one; headings are left out."""
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _BREAK.finditer(text):
        if match["heading"] is not None:
            spans.append((position, match.start()))
            position = match.end()
            continue
        if match["stop"] is not None:
            if _ABBREVIATIONS.search(text, max(position, match.start() - 8), match.start() + 1):
                continue
            if text[position : match.start()].strip().isdigit():
                continue  # "1." numbering a list item
            end = match.end()
        else:
            end = match.start()
        spans.append((position, end))
        position = end
    spans.append((position, len(text)))
    found = []
    for start, end in spans:
        start, end = _trim(text, start, end)
        item = _LIST_ITEM.match(text, start, end)
        start = item.end() if item else start
        if end > start and _WORD_CHARACTER.search(text, start, end):
            found.append((start, end))
    return found


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    part = text[start:end]
    return start + len(part) - len(part.lstrip()), end - len(part) + len(part.rstrip())


_MARKUP = re.compile(r"\]\([^)]*\)|<[^>]+>|`[^`]*`")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*|\d+(?:[.,]\d+)*", re.UNICODE)


def words(sentence: str) -> list[str]:
    """The words of a sentence, without link targets, HTML tags or inline code."""
    if "](" in sentence or "<" in sentence or "`" in sentence:
        sentence = _MARKUP.sub(" ", sentence)
    return _WORD.findall(sentence)
