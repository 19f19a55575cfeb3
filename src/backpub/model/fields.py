"""Where a model's references, Markdown texts and content files are, found from its fields' markers."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel

from backpub.model.base import MarkdownText, RefTo
from backpub.model.entities import Entity


def references(entity: BaseModel, loc: tuple = ()) -> Iterator[tuple[tuple, str, tuple[str, ...]]]:
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
            yield from references(value, (*loc, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from references(item, (*loc, name, index))


def asset_paths(entity: Entity) -> Iterator[tuple[tuple, str]]:
    """Yield (loc, path) for every content file an entity names: its image, artwork, logo, audio file, chapter
    images."""
    image = getattr(entity, "image", None)
    if image is not None:
        yield ("image", "src"), image.src
    artwork = getattr(entity, "artwork", None)
    if artwork:
        yield ("artwork",), artwork
    logo = getattr(entity, "logo", None)
    if logo:
        yield ("logo",), logo
    audio = getattr(entity, "audio", None)
    if audio is not None and audio.file:
        yield ("audio", "file"), audio.file
    for index, mark in enumerate(getattr(entity, "chapters", ())):
        if mark.image:
            yield ("chapters", index, "image"), mark.image


def markdown_texts(entity: BaseModel, loc: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Yield (loc, text) for every Markdown-typed field, recursively."""
    for name, info in type(entity).model_fields.items():
        value = getattr(entity, name)
        if isinstance(value, str) and any(isinstance(m, MarkdownText) for m in info.metadata):
            yield (*loc, name), value
        elif isinstance(value, BaseModel):
            yield from markdown_texts(value, (*loc, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from markdown_texts(item, (*loc, name, index))


def referenced_ids(entity: BaseModel) -> list[str]:
    """Every id an entity refers to, in order: its reference fields (nested ones too), then the `@id` links of its
    Markdown fields. What ties entities together, e.g. for a list of related pages."""
    from backpub.text.markdown import references as markdown_references

    found = [target for _, target, _ in references(entity)]
    return found + [target for _, text in markdown_texts(entity) for target in markdown_references(text)[0]]
