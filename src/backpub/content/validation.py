"""Phase one of every command: load all content, validate it, and collect every problem at once."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ValidationError

from backpub.content.crosschecks import CrossChecks
from backpub.content.gate import Pending
from backpub.content.publication import Publication, Source
from backpub.errors import ConfigError, Problem
from backpub.files import contentfs
from backpub.files.cache import Store, folder_digest
from backpub.files.loading import PROGRAMME_FILE, ParseError, Record, display_path, parse_entity_file, parse_yaml_file
from backpub.model import ID_PATTERN, Entity, Programme, messages
from backpub.model.kinds import BUILT_IN, Kinds
from backpub.prose.proofreading import proofread
from backpub.text import markdown

RESERVED_KEYS = ("id", "body")
IGNORED_TOP_LEVEL = {"assets", PROGRAMME_FILE}
MOVED_PROGRAMME_KEYS = {
    "urgent_help": (
        "'urgent_help' is now per country: move the notice under 'countries: <CODE>: urgent_help:' (e.g. GB), give "
        "that country its 'emergency_number', set 'default_country: <CODE>' and give every clinic its 'country' "
        "(see docs/changes.md)"
    ),
}
"""programme.yaml keys an earlier release accepted, each with what to write instead (a located error)."""
REPLACED_BY = {"urgent_help": ("countries", "default_country")}
"""The fields an old key's message already asks for: not reported missing again while the old key is there."""


@dataclass
class Validation:
    """The outcome of loading: the publication (when there are no errors) and every problem found."""

    publication: Publication | None
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    readability: list[dict[str, object]] = field(default_factory=list)
    """Each patient-facing entity's reading grade and the figures behind it (see backpub.prose.readability)."""
    options: dict[str, BaseModel] = field(default_factory=dict)
    """Each installed format's options, validated once here from programme.yaml `formats.<name>`."""
    pending: list[Pending] = field(default_factory=list)
    """What stops each entity from being published (no review record, placeholders, the day its review falls
    due): problems or not depending on the day a build publishes for (see backpub.content.gate)."""

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "warning"]


MODEL_ENTRY = "model.pickle"
FACTS_ENTRY = "markdown-facts.pickle"


@dataclass(frozen=True)
class FormatSettings:
    """What the installed plugins expect of the content: each format's options model, the top-level keys of
    programme.yaml where their settings used to live with where they went (an old key is then a located error
    saying so), and the kinds of entity (the built-in ones and plugins')."""

    options: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    moved: Mapping[str, str] = field(default_factory=dict)
    kinds: Kinds = BUILT_IN

    def digest(self) -> str:
        """What the outcome of a load depends on."""
        parts = [(name, _schema(model)) for name, model in sorted(self.options.items())]
        kinds = [(cls.kind, cls.folder, _schema(cls)) for cls in self.kinds]
        return json.dumps([parts, sorted(self.moved.items()), kinds], sort_keys=True, default=str)


@functools.cache
def _schema(model: type[BaseModel]) -> str:
    """A model's JSON schema as text: worked out once per class (a few milliseconds each, for every load)."""
    return json.dumps(model.model_json_schema(), sort_keys=True, default=str)


def load(
    content_dir: Path,
    *,
    base: Path | None = None,
    store: Store | None = None,
    settings: FormatSettings | None = None,
    content_digest: str | None = None,
) -> Validation:
    """Load and validate a content folder; never raises for content problems.

    `settings` validates each installed format's section of programme.yaml. With a `store`, the outcome is reused
    while every content file, backpub's own code and the working folder are the same as last time; any difference
    means a full load. Markdown facts are kept there too. What depends on the day (reviews falling due, what is
    released) is not decided here: see `Validation.pending` and backpub.content.gate.
    """
    content_dir = Path(content_dir)
    if not content_dir.is_dir():
        raise ConfigError(f"content folder {str(content_dir)!r} does not exist")
    base = base or Path.cwd()
    store = store or Store(None)
    settings = settings or FormatSettings()
    digest = content_digest or folder_digest(content_dir.resolve())
    key = _load_key(digest, content_dir.resolve(), base.resolve(), settings.digest())
    cached = store.get(MODEL_ENTRY, key)
    # The facts too when the model is reused: formats plan with them (a book's images, a page's links), and
    # without them every text would be parsed again just to plan.
    markdown.remember_facts(store.get(FACTS_ENTRY, "facts"))
    if isinstance(cached, Validation):
        return cached
    validation = _Loader(content_dir.resolve(), base, settings).run()
    store.put(MODEL_ENTRY, key, validation)
    store.put(FACTS_ENTRY, "facts", markdown.facts_in_use())
    return validation


def _load_key(digest: str, content_dir: Path, base: Path, settings: str) -> str:
    parts = [digest, str(content_dir), str(base), settings]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class _Loader(CrossChecks):
    """Holds the state of one load: records, models and the problems found so far."""

    def __init__(self, content_dir: Path, base: Path, settings: FormatSettings) -> None:
        self.content_dir = content_dir
        self.settings = settings
        self.kinds = settings.kinds
        self.base = base.resolve()
        self.problems: list[Problem] = []
        self.records: dict[str, Record] = {}
        self.entities: list[Entity] = []
        self.invalid_ids: set[str] = set()
        self.refused: dict[Path, str] = {}
        """Ids of files that exist but failed validation: references to them are not reported again."""
        self.language: str | None = None
        """programme.yaml's language, as written: entities' doses may use its unit words (validation context)."""
        self.pending: list[Pending] = []
        """What stops an entity from being published, found once (see backpub.content.gate)."""
        self.options: dict[str, BaseModel] = {}
        """Each format's validated options."""
        self.as_written: dict[str, Entity] = {}
        """Each entity whose text refers to doses, before the references were filled in (see Publication)."""

    # -- reporting ------------------------------------------------------------------------------

    def error(self, record: Record | str, line: int, col: int, message: str, entity: str | None = None) -> None:
        shown = record if isinstance(record, str) else record.display_path
        self.problems.append(Problem(shown, line, col, "error", message, entity))

    def warn(self, record: Record, line: int, col: int, message: str, entity: str | None = None) -> None:
        self.problems.append(Problem(record.display_path, line, col, "warning", message, entity))

    # -- the load -------------------------------------------------------------------------------

    def run(self) -> Validation:
        readings: list[dict[str, object]] = []
        self._refuse_special_entries()
        programme = self._load_programme()
        self._load_entities()
        if programme is not None:
            self._check_programme_assets(programme)
            self._cross_check(programme)
            # Doses filled in, reading level measured; a reference to a file that failed is not reported again.
            checked = proofread(programme, self.entities, self.records, frozenset(self.invalid_ids))
            programme, self.entities, readings = checked.programme, checked.entities, checked.readability
            self.as_written = checked.as_written
            self.problems += checked.problems
        self.problems.sort()
        counts = _counts(self.entities, self.kinds)
        self.pending.sort(key=lambda fact: fact.problem)
        if any(problem.severity == "error" for problem in self.problems) or programme is None:
            return Validation(None, self.problems, counts, pending=self.pending)
        return Validation(self._publication(programme), self.problems, counts, readings, self.options, self.pending)

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
            kinds=self.kinds,
            as_written=self.as_written,
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
        data = dict(record.data) if isinstance(record.data, dict) else record.data
        self.language = (
            data.get("language") if isinstance(data, dict) and isinstance(data.get("language"), str) else None
        )
        quiet: set[str] = set()
        for key, where in {**MOVED_PROGRAMME_KEYS, **self.settings.moved}.items():
            if isinstance(data, dict) and key in data:
                self.error(record, *record.mark((key,), key=True), where)
                del data[key]  # reported once, as moved, not again as unknown
                quiet.update(REPLACED_BY.get(key, ()))
        programme = cast(Programme | None, self._validate(Programme, record, data, quiet_missing=quiet))
        if programme is not None and not self._validate_format_settings(programme, record):
            programme = None
        if programme is not None:
            try:
                ZoneInfo(programme.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                self.error(record, *record.mark(("timezone",)), f"unknown timezone {programme.timezone!r}")
                return None
        self.records["programme"] = record
        return programme

    def _load_entities(self) -> None:
        for child in sorted(self.content_dir.iterdir()):
            if child.name in IGNORED_TOP_LEVEL or child.name.startswith(".") or child in self.refused:
                continue
            if child.is_dir() and child.name in self.kinds.by_folder:
                self._load_folder(child, self.kinds.by_folder[child.name])
            elif child.is_dir() or child.suffix in (".md", ".yaml", ".yml"):
                shown = display_path(child, self.base)
                folders = ", ".join(sorted(self.kinds.by_folder))
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
        self,
        cls: type[BaseModel],
        record: Record,
        data: dict[str, Any],
        entity_id: str | None = None,
        quiet_missing: set[str] | frozenset[str] = frozenset(),
    ) -> BaseModel | None:
        try:
            return cls.model_validate(data, context={"language": self.language})
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                if error["type"] == "missing" and tuple(error["loc"])[:1] in {(name,) for name in quiet_missing}:
                    continue
                self._report_pydantic(cls, record, error, entity_id)
            return None

    def _validate_format_settings(self, programme: Programme, record: Record) -> bool:
        """Validate each installed format's section, `formats.<name>`, with the format's options model."""
        valid = True
        for name, model in sorted(self.settings.options.items()):
            section = programme.formats.get(name)
            try:
                self.options[name] = model.model_validate(dict(section or {}))
            except ValidationError as exc:
                valid = False
                errors = exc.errors(include_url=False)
                if section is None and all(error["type"] == "missing" for error in errors):
                    needed = ", ".join(str(error["loc"][-1]) for error in errors)
                    line, col = record.mark(("formats",), key=True)
                    self.error(record, line, col, f"missing 'formats.{name}': the {name} format needs {needed}")
                    continue
                for error in errors:
                    self._report_pydantic(model, record, error, None, prefix=("formats", name))
        return valid

    def _report_pydantic(
        self, cls: type[BaseModel], record: Record, error: Any, entity_id: str | None, prefix: tuple = ()
    ) -> None:
        """Report one pydantic error at its key; `prefix` locates a nested model's data in the file."""
        error = {**error, "loc": messages.field_loc(error["loc"])}
        line, col = error_mark(record, prefix + tuple(error["loc"]), error["type"])
        self.error(record, line, col, messages.explain(cls, error, prefix), entity_id)


def error_mark(record: Record, loc: tuple[str | int, ...], kind: str) -> tuple[int, int]:
    """Where in its file a problem of a pydantic error's `kind` at `loc` is shown: a missing field at the mapping
    that lacks it, an unknown one at its key, a wrong value at the value."""
    if loc and loc[0] == "body":
        return record.body_line, 1
    if kind == "missing":
        return record.mark(loc[:-1]) if len(loc) > 1 else (2 if record.body_line > 1 else 1, 1)
    return record.mark(loc, key=kind == "extra_forbidden")


def _is_id(text: str) -> bool:
    return re.fullmatch(ID_PATTERN, text) is not None


def _fingerprint(model: BaseModel) -> str:
    data = json.dumps(model.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:20]


def _counts(entities: list[Entity], kinds: Kinds) -> dict[str, int]:
    counts = {folder: 0 for folder in kinds.by_folder}
    for entity in entities:
        counts[entity.folder] += 1
    return counts
