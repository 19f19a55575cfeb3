"""Where a model's references, Markdown texts, content files and patient prose are, found from its fields' markers.

Every walk reads the roles the model declares on its fields (see backpub.model.base), so a new kind's fields are
checked by what they are, not by a list of names kept elsewhere.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from backpub.model.base import (
    MEMBERS,
    AssetFile,
    DeclaredIn,
    MarkdownText,
    OnCard,
    PatientProse,
    Public,
    RefTo,
    Teaser,
)

Loc = tuple[str | int, ...]


@functools.cache
def _markers(cls: type[BaseModel]) -> dict[str, tuple[Any, ...]]:
    """Each field's role markers: those on the field and those inside its type (list items, optional values)."""
    return {name: (*info.metadata, *_inside(info.annotation)) for name, info in cls.model_fields.items()}


def _inside(annotation: Any) -> tuple[Any, ...]:
    found: list[Any] = []
    for arg in typing.get_args(annotation):
        if isinstance(arg, (RefTo, MarkdownText, AssetFile, PatientProse, OnCard, DeclaredIn, Teaser, Public)):
            found.append(arg)
        elif not isinstance(arg, type) or not issubclass(arg, BaseModel):
            found += _inside(arg)
    return tuple(found)


def marked(model: BaseModel, role: type, loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    """(loc, text) for every string of a field marked with `role` (list items too), recursively, in field order."""
    for name, markers in _markers(type(model)).items():
        value = getattr(model, name)
        if any(isinstance(marker, role) for marker in markers):
            if isinstance(value, str):
                yield (*loc, name), value
            elif isinstance(value, list):
                yield from (((*loc, name, index), item) for index, item in enumerate(value) if isinstance(item, str))
        elif isinstance(value, BaseModel):
            yield from marked(value, role, (*loc, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from marked(item, role, (*loc, name, index))


def references(entity: BaseModel, loc: Loc = ()) -> Iterator[tuple[Loc, str, RefTo]]:
    """Yield (loc, target id, the field's marker: which kinds it accepts) for every reference, recursively."""
    for name, markers in _markers(type(entity)).items():
        value = getattr(entity, name)
        marker = next((m for m in markers if isinstance(m, RefTo)), None)
        if marker is not None:
            if isinstance(value, str):
                yield (*loc, name), value, marker
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    yield (*loc, name, index), item, marker
        elif isinstance(value, BaseModel):
            yield from references(value, (*loc, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from references(item, (*loc, name, index))


def declared(model: BaseModel) -> Iterator[tuple[Loc, str, DeclaredIn]]:
    """Yield (loc, value, marker) for every top-level field whose value the programme must declare."""
    for name, markers in _markers(type(model)).items():
        marker = next((m for m in markers if isinstance(m, DeclaredIn)), None)
        value = getattr(model, name)
        if marker is not None and isinstance(value, str):
            yield (name,), value, marker


def asset_paths(model: BaseModel) -> Iterator[tuple[Loc, str]]:
    """Yield (loc, path) for every content file a model names (an image, artwork, a logo, an audio file...)."""
    return marked(model, AssetFile)


def markdown_texts(model: BaseModel, loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    """Yield (loc, text) for every Markdown field, recursively."""
    return marked(model, MarkdownText, loc)


def prose_texts(model: BaseModel) -> Iterator[tuple[Loc, str]]:
    """Yield (loc, text) for every text written for patients to read (nothing for a kind that is not for them)."""
    if not getattr(type(model), "patient_facing", True):
        return iter(())
    return marked(model, PatientProse)


def card_fields(cls: type[BaseModel]) -> frozenset[str]:
    """The fields of an entity's card (marked `OnCard`): what a format prints of it where room is short."""
    return frozenset(name for name, markers in _markers(cls).items() if any(isinstance(m, OnCard) for m in markers))


def referenced_ids(entity: BaseModel, *, markdown: bool = True, fields: frozenset[str] | None = None) -> list[str]:
    """Every id an entity refers to, in order: its reference fields (nested ones too; only `fields`, when given),
    then (unless `markdown` is False) the `@id` links of its Markdown fields. What ties entities together, e.g. for
    a list of related pages."""
    from backpub.text.markdown import references as markdown_references

    found = [target for loc, target, _ in references(entity) if fields is None or loc[0] in fields]
    if not markdown:
        return found
    return found + [target for _, text in markdown_texts(entity) for target in markdown_references(text)[0]]


# -- members-only entities ----------------------------------------------------------------------------------------

KEPT = ("id", "title", "reviewed", "reviewer", "access")
"""What every members-only entity shows the public, whatever its kind: who it is and that it is for members."""


def teaser_field(cls: type[BaseModel]) -> str | None:
    """The field a kind shows the public of a members-only entity (marked `Teaser`); None: the kind has no
    teaser, so it cannot be members-only."""
    return next((name for name, markers in _markers(cls).items() if any(isinstance(m, Teaser) for m in markers)), None)


def members_only(entity: BaseModel) -> bool:
    """Whether an entity is `access: members`."""
    return getattr(entity, "access", None) == MEMBERS


@functools.cache
def withheld_fields(cls: type[BaseModel]) -> frozenset[str]:
    """The fields the public copy of a members-only entity of this kind withholds: every field but its identity
    (`KEPT`), its teaser, references, declared ids, fields marked `Public` and fields that can hold no text."""
    withheld = set()
    for name, markers in _markers(cls).items():
        if name in KEPT or any(isinstance(m, (Teaser, Public, RefTo, DeclaredIn)) for m in markers):
            continue
        if _holds_text(cls.model_fields[name].annotation):
            withheld.add(name)
    return frozenset(withheld)


def _holds_text(annotation: Any) -> bool:
    """Whether a value of this type can hold a string (so it may say something of the entity's content)."""
    if annotation is str:
        return True
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return True  # a nested value (audio, a dose, an image, a section) is the entity's content
        return issubclass(annotation, str)
    return any(_holds_text(arg) for arg in typing.get_args(annotation))


M = typing.TypeVar("M", bound=BaseModel)


def withheld_copy(entity: M) -> M:
    """The public copy of a members-only entity: every withheld field emptied ('' for text, [] for a list, None
    for anything else, even a required value such as an episode's audio: a format that reads it for a members-only
    entity fails loudly instead of publishing it). Made without validation: only formats read it."""
    empty: dict[str, Any] = {}
    for name in withheld_fields(type(entity)):
        value = getattr(entity, name)
        empty[name] = [] if isinstance(value, list) else "" if isinstance(value, str) else None
    return entity.model_copy(update=empty)
