"""`backpub new`: write a new content file with every required field and placeholders to replace.

What a kind's file holds is declared on its class (`Entity.scaffold`, see backpub.model.base.Scaffold); this
module reads what the content folder already holds (leniently: a half-written project still gets a new file),
works out the facts a scaffold may use and writes the file, never over an existing one.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backpub import clock
from backpub.content.gate import PLACEHOLDER
from backpub.errors import ConfigError
from backpub.files.loading import PROGRAMME_FILE, ParseError, parse_entity_file, parse_yaml_file
from backpub.model import ID_PATTERN, Entity
from backpub.model.kinds import BUILT_IN, Kinds

SUNDAY = clock.SUNDAY


def next_free_sunday(today: date, taken: set[date]) -> date:
    """The first Sunday after `today` on which no episode is released."""
    day = today + timedelta(days=(SUNDAY - today.weekday()) % 7 or 7)
    while day in taken:
        day += timedelta(days=7)
    return day


@dataclass
class Existing:
    """The facts `new` needs from the content folder."""

    timezone: str
    phases: list[str]
    by_kind: dict[str, list[dict[str, Any]]]
    default_country: str = "GB"
    treatment_kinds: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, content_dir: Path, kinds: Kinds = BUILT_IN) -> Existing:
        programme: dict[str, Any] = {}
        with contextlib.suppress(ParseError, OSError):
            programme = parse_yaml_file(content_dir / PROGRAMME_FILE, content_dir).data
        timezone = str(programme.get("timezone") or "UTC")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            timezone = "UTC"
        phases = [str(p["id"]) for p in programme.get("phases") or [] if isinstance(p, dict) and "id" in p]
        country = str(programme.get("default_country") or "GB")
        wording = programme.get("wording")
        declared = wording.get("treatment_kinds") if isinstance(wording, dict) else None
        declared = declared if isinstance(declared, dict) else {}
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for kind in kinds:
            found = []
            for path in sorted((content_dir / kind.folder).glob("*.md")):
                try:
                    found.append({**parse_entity_file(path, content_dir).data, "id": path.stem})
                except (ParseError, OSError):
                    continue
            by_kind[kind.kind] = found
        return cls(timezone, phases, by_kind, country, [str(kind) for kind in declared])

    def next_number(self, kind: str) -> int:
        numbers = [e["number"] for e in self.by_kind[kind] if isinstance(e.get("number"), int)]
        return max(numbers, default=0) + 1

    def release_days(self, kind: str) -> set[date]:
        return {e["release"] for e in self.by_kind[kind] if isinstance(e.get("release"), date)}

    def first_id(self, kinds: list[type[Entity]]) -> str | None:
        return next((e["id"] for kind in kinds for e in self.by_kind[kind.kind]), None)


def new_entity(
    content_dir: Path,
    kind: str,
    entity_id: str | None = None,
    *,
    release: date | None = None,
    title: str | None = None,
    now: datetime | None = None,
    kinds: Kinds = BUILT_IN,
) -> Path:
    """Write content/<folder>/<id>.md for a kind, with every required field and placeholders; never overwrite."""
    cls = kinds.by_kind.get(kind)
    if cls is None:
        raise ConfigError(f"unknown kind {kind!r}; choose one of {', '.join(kinds.names)}")
    content_dir = Path(content_dir)
    if not content_dir.is_dir():
        raise ConfigError(f"content folder {str(content_dir)!r} does not exist")
    if release is not None and release.weekday() != SUNDAY:
        raise ConfigError(f"--date {release.isoformat()} is a {release:%A}; episodes go out on Sundays")
    existing = Existing.read(content_dir, kinds)
    facts = _facts(cls, existing, kinds, title, release, clock.today_in(existing.timezone, now))
    if entity_id is None and cls.scaffold.default_id:
        entity_id = cls.scaffold.default_id.format(**facts)
    if entity_id is None:
        raise ConfigError(f"give the new {kind}'s id, e.g. `backpub new {kind} my-{kind}` (it becomes the file name)")
    if not re.fullmatch(ID_PATTERN, entity_id):
        raise ConfigError(f"{entity_id!r} is not a kebab-case id such as 'towel-stretch'")
    path = content_dir / cls.folder / f"{entity_id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8") as handle:  # "x": fails if the file exists, even in a race
            handle.write(scaffold_text(cls, facts))
    except FileExistsError:
        raise ConfigError(f"{path} already exists; backpub new never overwrites a file") from None
    return path


def _facts(
    cls: type[Entity], existing: Existing, kinds: Kinds, title: str | None, release: date | None, today: date
) -> dict[str, Any]:
    """What a kind's scaffold may use (see backpub.model.base.Scaffold)."""
    return {
        "title": title,
        "today": today,
        "number": existing.next_number(cls.kind),
        "release": release or next_free_sunday(today, existing.release_days(cls.kind)),
        "guid": uuid.uuid4(),
        "phases": existing.phases,
        "treatment_kinds": existing.treatment_kinds,
        "default_country": existing.default_country,
        "first_library_id": existing.first_id(list(kinds.library)),
    }


def scaffold_text(cls: type[Entity], facts: dict[str, Any]) -> str:
    """The new file: the title and an empty review record (only the clinician who reviews the text writes their
    name and the date, so nothing new is ever published as reviewed by someone who has not seen it), the kind's
    own fields, then its body's placeholder."""
    from jinja2 import Environment, StrictUndefined

    template = Environment(undefined=StrictUndefined, keep_trailing_newline=False).from_string(cls.scaffold.fields)
    title = facts["title"] or _todo(f"the {cls.kind}'s title")
    lines = [
        "---",
        f"title: {_q(title)}",
        f"reviewed:  # {PLACEHOLDER}: the date a clinician reviewed this text (YYYY-MM-DD), written by them",
        f'reviewer:  # {PLACEHOLDER}: the name of the clinician who reviewed it, e.g. "A. Clinician, MCSP"',
        template.render(**facts, todo=lambda what: _q(_todo(what)), PLACEHOLDER=PLACEHOLDER),
        "---",
        _todo(cls.scaffold.body),
        "",
    ]
    return "\n".join(lines)


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _todo(what: str) -> str:
    return f"{PLACEHOLDER}: {what}"
