"""The pdf format's glyph check: every character a handout prints must have a glyph in a bundled font.

Without it, a character no font has (an emoji the fonts lack, a script none covers) prints as an empty box.
The check reads the text a PDF prints (every handout, what its sections show, the clinics, the programme's
settings; only the titles of what a handout merely names) and reports each such character at its file, line
and field.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from backpub import Format, Problem, Publication
from backpub_pdf.fonts import FONT_PACKAGES, cmap, describe, font_roots, uncovered
from backpub_pdf.planning import footprint, shown_entities
from backpub_pdf.rendering import bundled_fonts

FULL, TITLE = "full", "title"
"""How much of an entity a PDF prints: all its text, or only its title (a link, 'listen to episode ...')."""


def glyph_problems(fmt: Format, publication: Publication) -> list[Problem]:
    """A located error for each font file that is missing and each character no bundled font covers."""
    fonts = bundled_fonts(fmt.context.theme_dir(fmt.name))
    missing = list(dict.fromkeys(path for path, _ in fonts if not path.is_file()))
    if missing:
        return [_missing_font(fmt, publication, path) for path in missing]
    covered = frozenset().union(*(face.limit(cmap(path)) for path, face in fonts))
    families = ", ".join(dict.fromkeys(_family(path) for path, _ in fonts))
    problems = []
    for entity_id, loc, text in printed_texts(fmt, publication):
        for character in uncovered(text, covered):
            path, line, column = _locate(fmt, publication, entity_id, character)
            message = (
                f"[{fmt.name}] {_field_name(loc)}: {describe(character)} is in no font of the PDFs ({families}), "
                "so it would print as an empty box; replace it, or add a font that has it in theme/pdf/fonts.css"
            )
            problems.append(Problem(path, line, column, "error", message, entity_id))
    return problems


def printed_texts(fmt: Format, publication: Publication) -> Iterator[tuple[str | None, tuple, str]]:
    """(entity id or None for the programme, field location, text) for every text a PDF may print."""
    yield from ((None, loc, text) for loc, text in string_fields(publication.programme))
    extent: dict[str, str] = {}
    for handout in publication.handouts:
        extent[handout.id] = FULL
        for entity in shown_entities(publication, handout):
            extent[entity.id] = FULL
        for entity_id in footprint(publication, handout, fmt.context.as_of).entities:
            extent.setdefault(entity_id, TITLE)
    for clinic in publication.clinics:
        extent[clinic.id] = FULL
    for entity_id, how in extent.items():
        entity = publication.by_id.get(entity_id)
        if entity is None:
            continue
        if how == FULL:
            yield from ((entity_id, loc, text) for loc, text in string_fields(entity))
        else:
            yield entity_id, ("title",), entity.title


def string_fields(model: BaseModel, loc: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """(loc, text) for every string in a model: fields, list items and nested models, in field order."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = list(enumerate(value)) if isinstance(value, (list, tuple)) else [(None, value)]
        for index, item in items:
            where = (*loc, name) if index is None else (*loc, name, index)
            if isinstance(item, str):
                yield where, item
            elif isinstance(item, BaseModel):
                yield from string_fields(item, where)


def _field_name(loc: tuple) -> str:
    """The field as authors write it, e.g. 'steps[2]' or 'image.alt'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _locate(fmt: Format, publication: Publication, entity_id: str | None, character: str) -> tuple[str, int, int]:
    """The file (as shown), line and column where the character is first written, from the entity's own line."""
    if entity_id is None:
        shown, start = publication.programme_path, 1
    else:
        source = publication.source_of(entity_id)
        shown, start = source.path, source.line
    path = _real_path(fmt, shown)
    try:
        lines = path.read_text(encoding="utf-8").splitlines() if path else []
    except (OSError, UnicodeDecodeError):
        lines = []
    for number in range(start, len(lines) + 1):
        if character in lines[number - 1]:
            return shown, number, lines[number - 1].index(character) + 1
    return shown, start, 1


def _real_path(fmt: Format, shown: str) -> Path | None:
    for candidate in (Path(shown), fmt.context.project_dir / shown, fmt.context.content_dir / shown):
        if candidate.is_file():
            return candidate
    return None


def _family(path: Path) -> str:
    """A font file's family name as readers know it (e.g. 'Noto Color Emoji')."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return font["name"].getBestFamilyName() or path.stem


def _missing_font(fmt: Format, publication: Publication, path: Path) -> Problem:
    root = next((name for name, folder in font_roots().items() if path.is_relative_to(folder)), None)
    source = FONT_PACKAGES.get(root or "", "the theme")
    message = (
        f"[{fmt.name}] the font file {path} is missing: install {source} (see the README's set-up); "
        "without it, PDFs would print some characters as empty boxes"
    )
    return Problem(publication.programme_path, 1, 1, "error", message, None)
