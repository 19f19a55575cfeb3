"""Phase one of every command: load all content, validate it, and collect every problem at once."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import typing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ValidationError

from backpub import clock, contentfs, markdown
from backpub.assetpolicy import asset_problem
from backpub.cache import Store, folder_digest
from backpub.errors import ConfigError, Problem
from backpub.loading import PROGRAMME_FILE, ParseError, Record, display_path, parse_entity_file, parse_yaml_file
from backpub.model import ID_PATTERN, TYPES_BY_FOLDER, Entity, Episode, MarkdownText, Programme, RefTo
from backpub.publication import Publication, Source

RESERVED_KEYS = ("id", "body")
IGNORED_TOP_LEVEL = {"assets", PROGRAMME_FILE}


@dataclass
class Validation:
    """The outcome of loading: the publication (when there are no errors) and every problem found."""

    publication: Publication | None
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "warning"]


MODEL_ENTRY = "model.pickle"
FACTS_ENTRY = "markdown-facts.pickle"


def load(
    content_dir: Path, *, as_of: date | None = None, base: Path | None = None, store: Store | None = None
) -> Validation:
    """Load and validate a content folder; never raises for content problems.

    With a `store`, the outcome is reused while every content file, backpub's own code, the date and the
    working folder are the same as last time; any difference means a full load. Markdown facts are kept there too.
    """
    content_dir = Path(content_dir)
    if not content_dir.is_dir():
        raise ConfigError(f"content folder {str(content_dir)!r} does not exist")
    base = base or Path.cwd()
    store = store or Store(None)
    key = _load_key(content_dir.resolve(), base.resolve(), as_of)
    cached = store.get(MODEL_ENTRY, key)
    if isinstance(cached, Validation):
        return cached
    markdown.remember_facts(store.get(FACTS_ENTRY, "facts"))
    validation = _Loader(content_dir.resolve(), base).run(as_of)
    store.put(MODEL_ENTRY, key, validation)
    store.put(FACTS_ENTRY, "facts", markdown.facts_in_use())
    return validation


def _load_key(content_dir: Path, base: Path, as_of: date | None) -> str:
    # Without --as-of, the review warnings depend on today's date: any quarter hour may start a new day somewhere.
    moment = clock.now()
    day = as_of.isoformat() if as_of else f"now {moment:%Y-%m-%dT%H} {moment.minute // 15}"
    parts = [folder_digest(content_dir), str(content_dir), str(base), day]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class _Loader:
    """Holds the state of one load: records, models and the problems found so far."""

    def __init__(self, content_dir: Path, base: Path) -> None:
        self.content_dir = content_dir
        self.base = base.resolve()
        self.problems: list[Problem] = []
        self.records: dict[str, Record] = {}
        self.entities: list[Entity] = []
        self.invalid_ids: set[str] = set()
        self.refused: dict[Path, str] = {}
        """Ids of files that exist but failed validation: references to them are not reported again."""

    # -- reporting ------------------------------------------------------------------------------

    def error(self, record: Record | str, line: int, col: int, message: str, entity: str | None = None) -> None:
        shown = record if isinstance(record, str) else record.display_path
        self.problems.append(Problem(shown, line, col, "error", message, entity))

    def warn(self, record: Record, line: int, col: int, message: str, entity: str | None = None) -> None:
        self.problems.append(Problem(record.display_path, line, col, "warning", message, entity))

    # -- the load -------------------------------------------------------------------------------

    def run(self, as_of: date | None) -> Validation:
        self._refuse_special_entries()
        programme = self._load_programme()
        self._load_entities()
        if programme is not None:
            self._check_programme_assets(programme)
            as_of = as_of or clock.today_in(programme.timezone)
            self._cross_check(programme, as_of)
        self.problems.sort()
        counts = _counts(self.entities)
        if any(problem.severity == "error" for problem in self.problems) or programme is None:
            return Validation(None, self.problems, counts)
        return Validation(self._publication(programme), self.problems, counts)

    def _publication(self, programme: Programme) -> Publication:
        sources = {entity.id: Source(self.records[entity.id].display_path, 1) for entity in self.entities}
        hashes = {entity.id: _fingerprint(entity) for entity in self.entities}
        return Publication(
            programme=programme,
            entities=tuple(self.entities),
            content_dir=self.content_dir,
            sources=sources,
            hashes=hashes,
            programme_hash=_fingerprint(programme),
            programme_path=self.records["programme"].display_path,
        )

    def _refuse_special_entries(self) -> None:
        """Symlinks out of the content folder and special files are errors, and are never read."""
        self.refused = {item.path: item.reason for item in contentfs.refused(self.content_dir)}
        for path, reason in sorted(self.refused.items()):
            self.error(display_path(path, self.base), 1, 1, f"{path.name!r} {reason}")

    def _load_programme(self) -> Programme | None:
        path = self.content_dir / PROGRAMME_FILE
        if path in self.refused:
            return None
        if not path.is_file():
            self.error(display_path(path, self.base), 1, 1, f"{PROGRAMME_FILE} is missing from the content folder")
            return None
        try:
            record = parse_yaml_file(path, self.base)
        except ParseError as exc:
            self.problems.append(exc.problem)
            return None
        programme = self._validate(Programme, record, record.data)
        if programme is not None:
            try:
                ZoneInfo(programme.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                self.error(record, *record.mark(("timezone",)), f"unknown timezone {programme.timezone!r}")
                return None
        self.records["programme"] = record
        return programme  # type: ignore[return-value]

    def _load_entities(self) -> None:
        for child in sorted(self.content_dir.iterdir()):
            if child.name in IGNORED_TOP_LEVEL or child.name.startswith(".") or child in self.refused:
                continue
            if child.is_dir() and child.name in TYPES_BY_FOLDER:
                self._load_folder(child, TYPES_BY_FOLDER[child.name])
            elif child.is_dir() or child.suffix in (".md", ".yaml", ".yml"):
                shown = display_path(child, self.base)
                folders = ", ".join(sorted(TYPES_BY_FOLDER))
                self.problems.append(
                    Problem(shown, severity="warning", message=f"ignored: not a content folder ({folders})")
                )

    def _load_folder(self, folder: Path, cls: type[Entity]) -> None:
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or path in self.refused:
                continue
            if path.suffix != ".md" or not path.is_file():
                shown = display_path(path, self.base)
                self.problems.append(Problem(shown, severity="warning", message="ignored: entity files end in .md"))
                continue
            self._load_entity(path, cls)

    def _load_entity(self, path: Path, cls: type[Entity]) -> None:
        try:
            record = parse_entity_file(path, self.base)
        except ParseError as exc:
            self.problems.append(exc.problem)
            self.invalid_ids.add(path.stem)
            return
        entity_id = path.stem
        if not _is_id(entity_id):
            self.error(record, 1, 1, f"file name {path.name!r} must be a kebab-case id, e.g. 'towel-stretch.md'")
            return
        for key in RESERVED_KEYS:
            if key in record.data:
                where = record.mark((key,), key=True)
                self.error(
                    record,
                    *where,
                    f"'{key}' comes from the file ({(key == 'id' and 'its name') or 'the text after the front matter'}), not the front matter",
                    entity_id,
                )
                self.invalid_ids.add(entity_id)
                return
        entity = self._validate(cls, record, {**record.data, "id": entity_id, "body": record.body}, entity_id)
        if entity is None:
            self.invalid_ids.add(entity_id)
            return
        if entity_id in self.records:
            first = self.records[entity_id].display_path
            self.error(record, 1, 1, f"duplicate id {entity_id!r}: {first} already defines it", entity_id)
            self.invalid_ids.add(entity_id)  # references to it are ambiguous: the duplicate is the problem
            return
        self.records[entity_id] = record
        self.entities.append(entity)  # type: ignore[arg-type]

    def _validate(
        self, cls: type[BaseModel], record: Record, data: dict[str, Any], entity_id: str | None = None
    ) -> BaseModel | None:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                self._report_pydantic(cls, record, error, entity_id)
            return None

    def _report_pydantic(self, cls: type[BaseModel], record: Record, error: Any, entity_id: str | None) -> None:
        loc = tuple(error["loc"])
        kind = error["type"]
        field_path = _dotted(loc)
        if loc and loc[0] == "body":
            self.error(record, record.body_line, 1, f"body: {error['msg']}", entity_id)
            return
        if kind == "missing":
            line, col = record.mark(loc[:-1]) if len(loc) > 1 else (2 if record.body_line > 1 else 1, 1)
            message = f"missing required field {field_path!r}"
        elif kind == "extra_forbidden":
            line, col = record.mark(loc, key=True)
            message = f"unknown field {field_path!r}" + _suggest(str(loc[-1]), _field_names(cls, loc[:-1]))
        else:
            line, col = record.mark(loc)
            text = _plain_words(error) or str(error["msg"]).removeprefix("Value error, ")
            message = f"{field_path}: {text}" if field_path else text
        self.error(record, line, col, message, entity_id)

    # -- checks across entities ------------------------------------------------------------------

    def _check_programme_assets(self, programme: Programme) -> None:
        record = self.records["programme"]
        self._check_asset(record, ("podcast", "artwork"), programme.podcast.artwork, None)
        for key in ("disclaimer", "urgent_help", "introduction", "call_to_action"):
            self._check_markdown(record, (key,), getattr(programme, key), None)

    def _cross_check(self, programme: Programme, as_of: date) -> None:
        ids = {entity.id: entity for entity in self.entities}
        self._check_unique_episodes()
        self._check_protocol_order()
        self._read_audio_facts()
        phases = {phase.id for phase in programme.phases}
        for entity in self.entities:
            record = self.records[entity.id]
            self._check_references(entity, record, ids)
            self._check_assets(entity, record)
            self._check_body(entity, record, ids)
            self._check_review(entity, record, programme, as_of)
            if entity.kind == "protocol" and entity.phase not in phases:  # type: ignore[attr-defined]
                phase = entity.phase  # type: ignore[attr-defined]
                self.error(
                    record, *record.mark(("phase",)), f"unknown phase {phase!r}" + _suggest(phase, phases), entity.id
                )
            if isinstance(entity, Episode) and entity.release.weekday() != 6:
                day = entity.release.strftime("%A")
                self.error(
                    record,
                    *record.mark(("release",)),
                    f"episode release {entity.release.isoformat()} is a {day}; episodes go out on Sundays",
                    entity.id,
                )

    def _read_audio_facts(self) -> None:
        """Fill in size and duration from local audio files, so nobody types them by hand."""
        for index, entity in enumerate(self.entities):
            if not isinstance(entity, Episode) or entity.audio.file is None:
                continue
            record = self.records[entity.id]
            if self._asset_file_problem(entity.audio.file):
                continue  # reported by the asset check
            facts = _audio_facts(self.content_dir / entity.audio.file)
            if isinstance(facts, str):
                self.error(record, *record.mark(("audio", "file")), f"audio.file: {facts}", entity.id)
                continue
            audio = entity.audio.model_copy(update={"size_bytes": facts[0], "duration_seconds": facts[1]})
            self.entities[index] = entity.model_copy(update={"audio": audio})

    def _check_protocol_order(self) -> None:
        """Prerequisites and progressions must describe an order: a protocol cannot come before itself."""
        protocols = {e.id: e for e in self.entities if e.kind == "protocol"}
        later: dict[str, set[str]] = {pid: set() for pid in protocols}
        for pid, protocol in protocols.items():
            for before in protocol.prerequisites:  # type: ignore[attr-defined]
                later.setdefault(before, set()).add(pid)
            later[pid].update(protocol.progressions)  # type: ignore[attr-defined]
        reported: set[str] = set()
        for start in sorted(protocols):
            loop = _loop_from(start, later)
            if loop and not reported.intersection(loop):
                reported.update(loop)
                record = self.records[start]
                field = "prerequisites" if protocols[start].prerequisites else "progressions"  # type: ignore[attr-defined]
                path = " -> ".join([*loop, loop[0]])
                message = f"prerequisites and progressions go round in a loop: {path}"
                self.error(record, *record.mark((field,), key=True), message, start)

    def _check_unique_episodes(self) -> None:
        for attribute in ("number", "guid"):
            seen: dict[object, str] = {}
            for episode in sorted((e for e in self.entities if isinstance(e, Episode)), key=lambda e: e.id):
                value = getattr(episode, attribute)
                if value in seen:
                    record = self.records[episode.id]
                    message = f"duplicate episode {attribute} {value!r}: episode {seen[value]!r} already uses it"
                    self.error(record, *record.mark((attribute,)), message, episode.id)
                else:
                    seen[value] = episode.id

    def _check_references(self, entity: Entity, record: Record, ids: dict[str, Entity]) -> None:
        for loc, target, kinds in _references(entity):
            found = ids.get(target)
            if (found is not None and (not kinds or found.kind in kinds)) or target in self.invalid_ids:
                continue
            wanted = " or ".join(kinds) if kinds else "entity"
            if found is None:
                candidates = [i for i, e in ids.items() if not kinds or e.kind in kinds]
                message = f"unknown {wanted} {target!r}" + _suggest(target, candidates)
            else:
                message = f"{target!r} is {_a(found.kind)}, but this field takes {_a(wanted)}"
            self.error(record, *record.mark(loc), message, entity.id)

    def _check_assets(self, entity: Entity, record: Record) -> None:
        for loc, path in _asset_fields(entity):
            self._check_asset(record, loc, path, entity.id)
        for loc, text in _markdown_fields(entity):
            if loc != ("body",):
                self._check_markdown(record, loc, text, entity.id)

    def _check_asset(self, record: Record, loc: tuple, relative: str, entity_id: str | None) -> None:
        problem = markdown.asset_path_problem(relative)
        if problem is None:
            problem = self._asset_file_problem(relative)
        if problem:
            self.error(record, *record.mark(loc), f"{_dotted(loc)}: {problem}", entity_id)

    def _asset_file_problem(self, relative: str) -> str | None:
        path = self.content_dir / relative
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return f"file {relative!r} does not exist in the content folder"
        if not resolved.is_relative_to(self.content_dir):
            return f"{relative!r} points outside the content folder (a symlink?); refused"
        if not resolved.is_file():
            return f"{relative!r} is not a file"
        unsafe = asset_problem(resolved)  # one asset policy, whatever field or format names the file
        return f"{relative!r} {unsafe}" if unsafe else None

    def _check_body(self, entity: Entity, record: Record, ids: dict[str, Entity]) -> None:
        self._check_markdown(record, ("body",), entity.body, entity.id, ids)

    def _check_markdown(
        self, record: Record, loc: tuple, text: str, entity_id: str | None, ids: dict[str, Entity] | None = None
    ) -> None:
        if not text:
            return
        issues, links = markdown.scan(text)
        if loc == ("body",):
            first_line, col = record.body_line, 1
        else:
            first_line, col = record.mark(loc)
            first_line += 1 if text.count("\n") else 0  # block scalars start on the next line
        for issue in issues:
            self.error(record.display_path, first_line + issue.line, col, issue.message, entity_id)
        known = ids if ids is not None else {entity.id: entity for entity in self.entities}
        for line, target in links:
            if target not in known and target not in self.invalid_ids:
                message = f"link to unknown entity '@{target}'" + _suggest(target, list(known))
                self.error(record.display_path, first_line + line, col, message, entity_id)
        for line, path in markdown.local_images(text):
            problem = self._asset_file_problem(path)
            if problem:
                self.error(record.display_path, first_line + line, col, f"image {problem}", entity_id)

    def _check_review(self, entity: Entity, record: Record, programme: Programme, as_of: date) -> None:
        due = _add_months(entity.reviewed, programme.review_interval_months)
        if due < as_of:
            message = (
                f"content review is overdue: reviewed {entity.reviewed.isoformat()}, "
                f"due {due.isoformat()} ({programme.review_interval_months}-month interval)"
            )
            self.warn(record, *record.mark(("reviewed",)), message, entity.id)


# ---------------------------------------------------------------------------------------------
# helpers


def _loop_from(start: str, later: dict[str, set[str]]) -> list[str]:
    """The shortest path from `start` back to itself in the 'comes before' graph, or [] if there is none."""
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for after in sorted(later.get(node, ())):
                if after == start:
                    return paths[node]
                if after not in paths:
                    paths[after] = [*paths[node], after]
                    following.append(after)
        frontier = following
    return []


def _is_id(text: str) -> bool:
    return re.fullmatch(ID_PATTERN, text) is not None


# What each pattern in model.py asks for, in words an author understands (the regex is no help to them).
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


def _plain_words(error: Any) -> str | None:
    """A friendlier message for the pydantic errors authors meet most, or None to keep pydantic's."""
    if error["type"] == "string_pattern_mismatch":
        wanted = _PATTERN_WORDS.get(error.get("ctx", {}).get("pattern", ""))
        return f"{error['input']!r} is not {wanted}" if wanted else None
    if error["type"] == "string_type" and error["input"] is None:
        return "is empty; give it a value"
    return None


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _dotted(loc: tuple) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif part.startswith(("function-", "constrained-")):
            continue
        else:
            parts.append(("." if parts else "") + part)
    return "".join(parts)


def _suggest(word: str, candidates) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _field_names(cls: type[BaseModel], loc: tuple) -> list[str]:
    model: Any = cls
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = model.model_fields.get(part).annotation if model and part in model.model_fields else None
        model = _model_in(annotation)
        if model is None:
            return []
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found:
            return found
    return None


def _references(entity: BaseModel, loc: tuple = ()):
    """Yield (loc, target id, allowed kinds) for every reference field, recursively."""
    for name, info in type(entity).model_fields.items():
        value = getattr(entity, name)
        marker = next((m for m in info.metadata if isinstance(m, RefTo)), None)
        if marker is not None:
            if isinstance(value, str):
                yield (*loc, name), value, marker.kinds
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    yield (*loc, name, index), item, marker.kinds
        elif isinstance(value, BaseModel):
            yield from _references(value, (*loc, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _references(item, (*loc, name, index))


def _asset_fields(entity: Entity):
    image = getattr(entity, "image", None)
    if image is not None:
        yield ("image", "src"), image.src
    logo = getattr(entity, "logo", None)
    if logo:
        yield ("logo",), logo
    audio = getattr(entity, "audio", None)
    if audio is not None and audio.file:
        yield ("audio", "file"), audio.file


def _markdown_fields(entity: BaseModel, loc: tuple = ()):
    """Yield (loc, text) for every Markdown-typed field, recursively."""
    for name, info in type(entity).model_fields.items():
        value = getattr(entity, name)
        if isinstance(value, str) and any(isinstance(m, MarkdownText) for m in info.metadata):
            yield (*loc, name), value
        elif isinstance(value, BaseModel):
            yield from _markdown_fields(value, (*loc, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _markdown_fields(item, (*loc, name, index))


def _audio_facts(path: Path) -> tuple[int, int] | str:
    """(size in bytes, whole seconds) read from an audio file, or why it could not be read."""
    import mutagen

    try:
        audio = mutagen.File(path)
    except Exception as exc:  # mutagen raises many types for damaged files
        return f"cannot read audio file {path.name!r}: {exc}"
    if audio is None or not getattr(audio.info, "length", 0):
        return f"cannot read the duration of {path.name!r}: not a supported audio file"
    return path.stat().st_size, max(1, round(audio.info.length))


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    return date(year, month, 28)


def _fingerprint(model: BaseModel) -> str:
    data = json.dumps(model.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:20]


def _counts(entities: list[Entity]) -> dict[str, int]:
    counts = {folder: 0 for folder in TYPES_BY_FOLDER}
    for entity in entities:
        counts[entity.folder] += 1
    return counts
