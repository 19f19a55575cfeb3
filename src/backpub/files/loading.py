"""Reading content files: discovery, UTF-8 and size checks, YAML front matter with line numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from backpub.errors import Problem

MAX_FILE_BYTES = 1_000_000
"""Content files larger than this are refused (a safety limit, not a style rule)."""

PROGRAMME_FILE = "programme.yaml"

Loc = tuple[str | int, ...]

_SAFE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


@dataclass
class Record:
    """A content file's parsed front matter and body, with where each key and value sits."""

    path: Path
    display_path: str
    data: dict[str, Any]
    body: str = ""
    body_line: int = 1
    key_marks: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    value_marks: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def mark(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """The (line, col) of the closest known key or value for a location, 1-based."""
        marks = self.key_marks if key else self.value_marks
        for end in range(len(loc), 0, -1):
            found = marks.get(loc[:end]) or self.key_marks.get(loc[:end])
            if found:
                return found
        return (1, 1)


class ParseError(Exception):
    """A file could not be read; carries the located problem."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def display_path(path: Path, base: Path) -> str:
    """The path as shown in messages: relative to the base folder when inside it."""
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def read_text(path: Path, shown: str) -> str:
    """A file's text, refused with a located problem if it is too large, empty or not UTF-8."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ParseError(Problem(shown, message=f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}"))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ParseError(
            Problem(shown, line, message=f"file is not UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8")
        ) from None
    if not text.strip():
        raise ParseError(Problem(shown, message="file is empty"))
    return text.removeprefix("\ufeff")


def parse_entity_file(path: Path, base: Path) -> Record:
    """Parse `---` front matter and a Markdown body from an entity file."""
    shown = display_path(path, base)
    text = read_text(path, shown)
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ParseError(Problem(shown, message="file must start with '---' and YAML front matter"))
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise ParseError(Problem(shown, message="front matter is not closed with a '---' line"))
    record = parse_yaml("".join(lines[1:end]), shown, path, line_offset=1)
    record.body = re.sub(r"\r\n?", "\n", "".join(lines[end + 1 :]))  # CRLF files give the same model as LF
    record.body_line = end + 2
    return record


def parse_yaml_file(path: Path, base: Path) -> Record:
    """Parse a whole YAML file (programme.yaml)."""
    shown = display_path(path, base)
    return parse_yaml(read_text(path, shown), shown, path)


def parse_yaml(text: str, shown: str, path: Path, line_offset: int = 0) -> Record:
    """Parse YAML into plain data with marks, refusing tags that build objects and aliases."""
    try:
        node = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1 + line_offset, mark.column + 1) if mark else (1 + line_offset, 1)
        if line > _last_line(text, line_offset):  # "end of stream" sits after the final line break
            line, col = _last_line(text, line_offset), 1
        raise ParseError(Problem(shown, line, col, message=_syntax_message(exc, text, line_offset))) from None
    except yaml.reader.ReaderError as exc:
        # libyaml reports a byte offset into the UTF-8 text, not a character index
        before = text.encode("utf-8")[: exc.position].decode("utf-8", "ignore")
        line = min(before.count("\n") + 1 + line_offset, _last_line(text, line_offset))
        col = len(before) - before.rfind("\n")
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"character U+{code:04X} is not allowed in YAML (a control character?); remove it"
        raise ParseError(Problem(shown, line, col, message=message)) from None
    except yaml.YAMLError as exc:
        raise ParseError(Problem(shown, 1 + line_offset, message=f"YAML syntax error: {exc}")) from None
    record = Record(path=path, display_path=shown, data={})
    if node is None:
        raise ParseError(Problem(shown, 1 + line_offset, message="front matter is empty"))
    builder = _Builder(record, shown, line_offset)
    data = builder.build(node, ())
    if not isinstance(data, dict):
        raise ParseError(Problem(shown, *builder.where(node), message="front matter must be a mapping of fields"))
    record.data = data
    return record


def _last_line(text: str, line_offset: int) -> int:
    """The last line a YAML mark can point at: the file's last line, or front matter's closing '---'."""
    breaks = len(re.findall(r"\r\n|[\r\n\x85\u2028\u2029]", text))  # what PyYAML counts as line breaks
    return line_offset + breaks + (1 if line_offset or not text.endswith(("\n", "\r")) else 0)


def _syntax_message(exc: yaml.MarkedYAMLError, text: str, line_offset: int) -> str:
    """PyYAML's complaint in plain words, with where the unfinished construct started."""
    mark, context = exc.problem_mark, exc.context_mark
    if mark is not None and text[mark.index : mark.index + 1] == "\t":
        return "YAML syntax error: a tab character; indent YAML with spaces"
    message = f"YAML syntax error: {exc.problem or exc}"
    if exc.context and exc.problem and not exc.context.startswith("while "):
        return f"YAML syntax error: {exc.context}, {exc.problem}"
    if exc.context and exc.context.startswith("while ") and context is not None and context != mark:
        where = f"line {context.line + 1 + line_offset}, column {context.column + 1}"
        message += f" ({exc.context} that starts at {where})"
    return message + _syntax_hint(exc, text)


def _syntax_hint(exc: yaml.MarkedYAMLError, text: str) -> str:
    """What usually causes the error, and what to write instead, when PyYAML's words do not say."""
    problem, mark = exc.problem or "", exc.problem_mark
    if problem.startswith("mapping values are not allowed") and mark is not None:
        line = text.splitlines()[mark.line] if mark.line < len(text.splitlines()) else ""
        _, _, value = line.partition(": ")
        quoted = value.strip()[:1] in ("'", '"')
        if not quoted and (": " in value or value.rstrip().endswith(":")):
            return f"; a value that holds ': ' needs quotes, e.g. {line.split(':')[0].strip()}: \"{value.strip()}\""
        return "; is this line indented further than the key above it?"
    if "while scanning a quoted scalar" in (exc.context or "") and "end of stream" in problem:
        return "; a quote opened there is never closed"
    return ""


class _Builder:
    """Turns a composed YAML node tree into plain Python values, recording marks."""

    def __init__(self, record: Record, shown: str, line_offset: int) -> None:
        self.record = record
        self.shown = shown
        self.offset = line_offset
        self.seen: set[int] = set()
        self.constructor = yaml.constructor.SafeConstructor()

    def where(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1 + self.offset, node.start_mark.column + 1

    def fail(self, node: yaml.Node, message: str) -> ParseError:
        return ParseError(Problem(self.shown, *self.where(node), message=message))

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        if id(node) in self.seen:
            raise self.fail(node, "YAML anchors and aliases are not allowed in content")
        if node.tag not in _SAFE_TAGS:
            raise self.fail(node, f"YAML tag {node.tag!r} is not allowed in content")
        self.record.value_marks[loc] = self.where(node)
        self.seen.add(id(node))  # an alias yields the anchored node again, scalars included
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, index)) for index, item in enumerate(node.value)]
        if node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float") and ":" in str(node.value):
            # YAML 1.1 reads 06:00 as a base-60 number; authors mean a time of day.
            return str(node.value)
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as exc:
            raise self.fail(node, f"cannot read value {node.value!r}: {exc}") from None

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self.fail(key_node, "YAML merge keys ('<<') are not allowed in content")
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, "keys must be plain names")
            key = str(key_node.value)
            if key in result:
                raise self.fail(key_node, f"duplicate key {key!r}")
            self.record.key_marks[(*loc, key)] = self.where(key_node)
            result[key] = self.build(value_node, (*loc, key))
        return result
