"""Prose in content files: which fields readers read, their sentences, and the file line each sentence is on.

The dose and readability checks both need "this sentence, in this field, is on line N of this file". Front
matter values are folded or quoted YAML, so a character of the value is found in the file by following the
value's words through the file's text in order (folding changes only the whitespace between words).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import BaseModel

from backpub.loading import Record

PROSE_FIELDS = frozenset(
    {
        "summary", "body", "purpose", "steps", "cautions", "feels_good", "harms", "what_it_does", "limitations",
        "statement", "show_notes", "intro", "alt", "caption", "introduction", "disclaimer", "urgent_help",
        "call_to_action",
    }
)  # fmt: skip
"""Fields written for patients to read, wherever they sit (nested ones too, e.g. an analogy's or image's)."""

NOT_PATIENT_FACING = frozenset({"clinic"})
"""Entity kinds whose text is for staff, not patients (a clinic's address and notes)."""


@dataclass(frozen=True)
class Sentence:
    """A sentence of a field's text: where it starts and ends in the text, and its file line."""

    start: int
    end: int
    line: int
    text: str


@dataclass(frozen=True)
class Field:
    """One text value of an entity (a whole field or one list item), with its location and file lines."""

    loc: tuple[str | int, ...]
    text: str
    starts: tuple[int, ...]
    lines: tuple[int, ...]
    """For the offsets in `starts` (each word's start, ascending), the file line the word is on."""

    @property
    def name(self) -> str:
        """The field as authors write it, e.g. 'steps[2]' or 'image.alt'."""
        out = ""
        for part in self.loc:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out

    def line_at(self, offset: int) -> int:
        """The file line of a character of the text."""
        index = bisect.bisect_right(self.starts, offset) - 1
        return self.lines[max(index, 0)] if self.lines else 1

    def sentences(self) -> list[Sentence]:
        """The text's sentences, with their lines (headings and blank items left out)."""
        return [
            Sentence(start, end, self.line_at(start), self.text[start:end]) for start, end in split_sentences(self.text)
        ]


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
    """The patient-facing text of an entity or the programme, located in its file."""
    if getattr(model, "kind", None) in NOT_PATIENT_FACING:
        return []
    raw = file_text(record)
    found = []
    for loc, text in string_fields(model):
        named = [part for part in loc if isinstance(part, str)]
        if named[-1] in PROSE_FIELDS and text.strip():
            found.append(locate(record, loc, text, raw))
    return found


def locate(record: Record, loc: tuple, text: str, raw: str | None = None) -> Field:
    """A text value with the file line of each of its words (`raw`: the file's text, if already read)."""
    if loc == ("body",):
        # The model strips the body: count the blank lines it lost at the top.
        skipped = record.body[: len(record.body) - len(record.body.lstrip())].count("\n")
        first = record.body_line + skipped
        starts = tuple(m.start() for m in re.finditer(r"\S+", text))
        return Field(loc, text, starts, tuple(first + text.count("\n", 0, s) for s in starts))
    raw = file_text(record) if raw is None else raw
    line = record.mark(loc)[0]
    starts, lines = _follow_words(raw, _line_start(raw, line), text)
    return Field(loc, text, starts, lines)


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


def _follow_words(raw: str, position: int, text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Find each word of `text` in `raw` from `position` on, in order; a word not found keeps the last line."""
    starts: list[int] = []
    lines: list[int] = []
    line = raw.count("\n", 0, position) + 1
    for match in re.finditer(r"\S+", text):
        core = _CORE.search(match.group())
        if core:
            found = raw.find(core.group(), position, position + 400 + len(core.group()))
            if found >= 0:
                line += raw.count("\n", position, found)
                position = found + len(core.group())
        starts.append(match.start())
        lines.append(line)
    return tuple(starts), tuple(lines)


# -- sentences ----------------------------------------------------------------------------------------

_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s|$)")
_END = re.compile(r"[.!?…]+[\"'”’)\]*_]*(?=\s|$)")
_ABBREVIATIONS = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|cf|approx|Dr|Mr|Mrs|Ms|St|No)|\b[A-Z])\.$")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: blank lines, list items and headings end one; headings are left out."""
    spans: list[tuple[int, int]] = []
    for start, end in _blocks(text):
        position = start
        for match in _END.finditer(text, start, end):
            if _ABBREVIATIONS.search(text[max(start, match.start() - 8) : match.start() + 1]):
                continue
            spans.append((position, match.end()))
            position = match.end()
        spans.append((position, end))
    return [(s, e) for s, e in (_trim(text, s, e) for s, e in spans) if e > s and re.search(r"\w", text[s:e])]


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    """Paragraphs and list items as spans; a heading line is a block of its own that is skipped."""
    start = None
    offset = 0
    for line in text.splitlines(keepends=True):
        content = line.rstrip("\n")
        boundary = not content.strip() or _HEADING.match(content) or _LIST_ITEM.match(content)
        if boundary and start is not None:
            yield start, offset
            start = None
        if content.strip() and not _HEADING.match(content):
            item = _LIST_ITEM.match(content)
            if start is None:
                start = offset + (item.end() if item else 0)
        offset += len(line)
    if start is not None:
        yield start, offset


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_MARKUP = re.compile(r"\]\([^)]*\)|<[^>]+>|`[^`]*`")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*|\d+(?:[.,]\d+)*", re.UNICODE)


def words(sentence: str) -> list[str]:
    """The words of a sentence, without link targets, HTML tags or inline code."""
    return _WORD.findall(_MARKUP.sub(" ", sentence))
