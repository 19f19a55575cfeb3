"""`backpub new`: write a new content file with every required field, and find the placeholders it leaves."""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backpub import clock
from backpub.content.gate import PLACEHOLDER
from backpub.errors import ConfigError
from backpub.files.loading import PROGRAMME_FILE, ParseError, parse_entity_file, parse_yaml_file

KINDS = ("concept", "mistake", "protocol", "treatment", "principle", "episode", "handout", "clinic")
FOLDERS = {kind: f"{kind}s" for kind in KINDS}
SUNDAY = 6


# ---------------------------------------------------------------------------------------------
# Dates


def local_today(timezone: str, now: datetime | None = None) -> date:
    """Today's date in the programme's timezone (`now` is any aware datetime; default: the one clock)."""
    return (now or clock.now()).astimezone(clock.zone(timezone)).date()


def next_free_sunday(today: date, taken: set[date]) -> date:
    """The first Sunday after `today` on which no episode is released."""
    day = today + timedelta(days=(SUNDAY - today.weekday()) % 7 or 7)
    while day in taken:
        day += timedelta(days=7)
    return day


# ---------------------------------------------------------------------------------------------
# What the content folder already holds (read leniently: a half-written project still gets a new file)


@dataclass
class Existing:
    """The facts `new` needs from the content folder."""

    timezone: str
    phases: list[str]
    by_kind: dict[str, list[dict[str, Any]]]
    default_country: str = "GB"

    @classmethod
    def read(cls, content_dir: Path) -> Existing:
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
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for kind, folder in FOLDERS.items():
            found = []
            for path in sorted((content_dir / folder).glob("*.md")):
                try:
                    found.append({**parse_entity_file(path, content_dir).data, "id": path.stem})
                except (ParseError, OSError):
                    continue
            by_kind[kind] = found
        return cls(timezone, phases, by_kind, country)

    def episodes(self) -> list[dict[str, Any]]:
        return self.by_kind["episode"]

    def next_number(self) -> int:
        numbers = [e["number"] for e in self.episodes() if isinstance(e.get("number"), int)]
        return max(numbers, default=0) + 1

    def release_days(self) -> set[date]:
        return {e["release"] for e in self.episodes() if isinstance(e.get("release"), date)}

    def first_id(self, *kinds: str) -> str | None:
        return next((e["id"] for kind in kinds for e in self.by_kind[kind]), None)


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


# ---------------------------------------------------------------------------------------------
# Writing the file


def new_entity(
    content_dir: Path,
    kind: str,
    entity_id: str | None = None,
    *,
    release: date | None = None,
    title: str | None = None,
    now: datetime | None = None,
) -> Path:
    """Write content/<kind>s/<id>.md with every required field and placeholders; never overwrite a file."""
    if kind not in KINDS:
        raise ConfigError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    content_dir = Path(content_dir)
    if not content_dir.is_dir():
        raise ConfigError(f"content folder {str(content_dir)!r} does not exist")
    existing = Existing.read(content_dir)
    today = local_today(existing.timezone, now)
    facts: dict[str, Any] = {"today": today, "title": title}
    if kind == "episode":
        if release is not None and release.weekday() != SUNDAY:
            raise ConfigError(f"--date {release.isoformat()} is a {release:%A}; episodes go out on Sundays")
        number = existing.next_number()
        facts.update(number=number, release=release or next_free_sunday(today, existing.release_days()))
        entity_id = entity_id or f"episode-{number:03d}"
    elif entity_id is None:
        raise ConfigError(f"give the new {kind}'s id, e.g. `backpub new {kind} my-{kind}` (it becomes the file name)")
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", entity_id):
        raise ConfigError(f"{entity_id!r} is not a kebab-case id such as 'towel-stretch'")
    text = TEMPLATES[kind](existing, facts)
    path = content_dir / FOLDERS[kind] / f"{entity_id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8") as handle:  # "x": fails if the file exists, even in a race
            handle.write(text)
    except FileExistsError:
        raise ConfigError(f"{path} already exists; backpub new never overwrites a file") from None
    return path


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _todo(what: str) -> str:
    return f"{PLACEHOLDER}: {what}"


def _header(facts: dict[str, Any], kind: str) -> list[str]:
    """The title and an empty review record: only the clinician who reviews the text writes their name and the
    date, so nothing new is ever published as reviewed by someone who has not seen it."""
    title = facts["title"] or _todo(f"the {kind}'s title")
    return [
        "---",
        f"title: {_q(title)}",
        f"reviewed:  # {PLACEHOLDER}: the date a clinician reviewed this text (YYYY-MM-DD), written by them",
        f'reviewer:  # {PLACEHOLDER}: the name of the clinician who reviewed it, e.g. "A. Clinician, MCSP"',
    ]


def _footer(body: str) -> list[str]:
    return ["---", _todo(body), ""]


def _episode(existing: Existing, facts: dict[str, Any]) -> str:
    number = facts["number"]
    return "\n".join(
        [
            *_header(facts, "episode"),
            f"number: {number}",
            f"release: {facts['release'].isoformat()}",
            f"guid: {uuid.uuid4()}",
            f"summary: {_q(_todo('a short description of the episode, in one or two sentences'))}",
            "show_notes: |",
            f"  {_todo('the show notes, in Markdown')}",
            "audio:",
            f"  url: https://{PLACEHOLDER}.invalid/episode-{number:03d}.mp3  # {PLACEHOLDER}: the audio file's "
            "public https URL; it never changes once published",
            "  mime_type: audio/mpeg",
            f"  size_bytes: 1  # {PLACEHOLDER}: the file's size in bytes (or replace both numbers with "
            "`file: assets/...` to read them from the file)",
            f"  duration_seconds: 1  # {PLACEHOLDER}: the running time in whole seconds",
            f"covers: []  # {PLACEHOLDER}: ids of the entities the episode covers, e.g. [wall-drill, dead-bug]",
            "episode_type: full",
            *_footer("the deep-dive article, in Markdown"),
        ]
    )


def _concept(existing: Existing, facts: dict[str, Any]) -> str:
    lines = [*_header(facts, "concept"), f"summary: {_q(_todo('one or two sentences'))}"]
    return "\n".join([*lines, *_footer("the concept explained, in Markdown")])


def _mistake(existing: Existing, facts: dict[str, Any]) -> str:
    lines = [
        *_header(facts, "mistake"),
        f"summary: {_q(_todo('one or two sentences'))}",
        f"feels_good: {_q(_todo('why it feels good at the time'))}",
        f"harms: {_q(_todo('why it does harm'))}",
        "instead: []  # optional: ids of the protocols to do instead",
    ]
    return "\n".join([*lines, *_footer("the mistake explained, in Markdown")])


def _protocol(existing: Existing, facts: dict[str, Any]) -> str:
    phase = existing.phases[0] if existing.phases else "phase-one"
    choices = ", ".join(existing.phases) or "see programme.yaml"
    lines = [
        *_header(facts, "protocol"),
        f"phase: {phase}  # {PLACEHOLDER}: the phase this protocol belongs to ({choices})",
        f"purpose: {_q(_todo('what the protocol is for'))}",
        "steps:",
        f"  - {_q(_todo('the first step'))}",
        "cautions: []  # optional: what to read before starting",
        "# dose: {duration: '2-5 min', frequency: daily}  # optional, exactly as the source gives it",
    ]
    return "\n".join([*lines, *_footer("the protocol explained, in Markdown")])


def _treatment(existing: Existing, facts: dict[str, Any]) -> str:
    lines = [
        *_header(facts, "treatment"),
        f"treatment_kind: manual therapy  # {PLACEHOLDER}: manual therapy or targeted technology",
        f"what_it_does: {_q(_todo('what the treatment does'))}",
        f"targets_root_cause: false  # {PLACEHOLDER}: true if it acts on the injured tissue itself",
        "limitations:",
        f"  - {_q(_todo('what it does not do'))}",
    ]
    return "\n".join([*lines, *_footer("the treatment explained, in Markdown")])


def _principle(existing: Existing, facts: dict[str, Any]) -> str:
    lines = [*_header(facts, "principle"), f"statement: {_q(_todo('the principle in one sentence'))}"]
    return "\n".join([*lines, *_footer("the principle explained, in Markdown")])


def _handout(existing: Existing, facts: dict[str, Any]) -> str:
    first = existing.first_id("concept", "protocol", "mistake", "treatment", "principle") or "an-entity-id"
    lines = [
        *_header(facts, "handout"),
        f"audience: {_q(_todo('who the handout is for'))}",
        f"summary: {_q(_todo('what the reader will take away'))}",
        "sections:",
        f"  - heading: {_q(_todo('the first section heading'))}",
        f"    entities: [{first}]  # {PLACEHOLDER}: the entities this section shows, in order",
    ]
    return "\n".join([*lines, *_footer("an optional introduction, in Markdown (or delete this line)")])


def _clinic(existing: Existing, facts: dict[str, Any]) -> str:
    lines = [
        *_header(facts, "clinic"),
        f"country: {existing.default_country}  # {PLACEHOLDER}: the clinic's country (ISO code, e.g. GB or US): its "
        "handouts print that country's urgent-help notice from programme.yaml `countries`",
        f"address: {_q(_todo('the postal address'))}",
        f"phone: {_q(_todo('the phone number'))}",
        f"website: https://{PLACEHOLDER}.invalid  # {PLACEHOLDER}: the clinic's website",
        "# email: appointments@example.org  # optional: printed on its handouts",
        "# logo: assets/clinics/logo.svg  # optional (SVG or PNG)",
        '# logo_alt: "What the logo shows"  # optional (default: the clinic\'s name)',
        '# accent_colour: "#1f5f8b"  # optional: the colour of its handouts\' rules and headings',
        "# paper: A4  # optional: A4 or Letter",
        "# handouts: []  # optional: the handouts in its pack, in order (default: every handout)",
    ]
    return "\n".join([*lines, *_footer("an optional note about the clinic (or delete this line)")])


TEMPLATES: dict[str, Callable[[Existing, dict[str, Any]], str]] = {
    "episode": _episode,
    "concept": _concept,
    "mistake": _mistake,
    "protocol": _protocol,
    "treatment": _treatment,
    "principle": _principle,
    "handout": _handout,
    "clinic": _clinic,
}
