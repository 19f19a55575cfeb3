"""The JSON Schema of the content format, generated from the model, for editors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from backpub.errors import ConfigError
from backpub.model import Programme
from backpub.model.kinds import BUILT_IN, Kinds
from backpub.model.prescription import Prescription

SCHEMA_BASE = "https://backpub.example.org/schema"
NOT_IN_FRONT_MATTER = ("id", "body")


def front_matter_schema(kind: str, kinds: Kinds = BUILT_IN) -> dict[str, Any]:
    """The schema of one kind's front matter (without `id` and `body`, which come from the file)."""
    cls = kinds.by_kind.get(kind) or kinds.by_folder.get(kind)
    if cls is None:
        raise ConfigError(f"unknown kind {kind!r} (kinds: {', '.join(kinds.names)})")
    schema = cls.model_json_schema()
    for name in NOT_IN_FRONT_MATTER:
        schema["properties"].pop(name, None)
        if name in schema.get("required", []):
            schema["required"].remove(name)
    schema["$id"] = f"{SCHEMA_BASE}/{cls.kind}.json"
    schema["description"] = f"Front matter of content/{cls.folder}/<id>.md. " + (cls.__doc__ or "")
    return schema


def prescription_schema() -> dict[str, Any]:
    """The schema of a prescription, the document `backpub prescribe` reads (and a clinic's service receives)."""
    schema = Prescription.model_json_schema()
    schema["$id"] = f"{SCHEMA_BASE}/{Prescription.kind}.json"
    schema["description"] = (Prescription.__doc__ or "") + (
        " Doses are written as in a protocol's `dose`, e.g. '5-10 s' or '8-12' (in the programme's language)."
    )
    return schema


def options_schema(name: str, options: type[BaseModel]) -> dict[str, Any]:
    """The schema of one format's settings, programme.yaml `formats.<name>`."""
    schema = options.model_json_schema()
    schema["$id"] = f"{SCHEMA_BASE}/formats/{name}.json"
    schema["description"] = f"programme.yaml formats.{name}: " + (options.__doc__ or "").strip()
    return schema


def programme_schema(formats: Mapping[str, type[BaseModel]]) -> dict[str, Any]:
    """programme.yaml's schema, its `formats` section described by each installed format's settings."""
    schema = Programme.model_json_schema()
    sections = {name: options_schema(name, options) for name, options in sorted(formats.items())}
    # A section with its own $defs would break references once nested: editors find it under "formats" instead.
    schema["properties"]["formats"]["properties"] = {
        name: section for name, section in sections.items() if "$defs" not in section
    }
    return schema


def content_schema(
    kind: str | None = None, formats: Mapping[str, type[BaseModel]] | None = None, kinds: Kinds = BUILT_IN
) -> dict[str, Any]:
    """One kind's schema (or `format:NAME`, a format's settings; `prescription`, the document `backpub prescribe`
    reads), or everything: programme.yaml, every kind's
    front matter (`kinds`: the built-in ones and plugins') and every installed format's settings (`formats`:
    name -> the options model)."""
    formats = formats or {}
    if kind:
        if kind in ("programme", "programme.yaml"):
            return programme_schema(formats)
        if kind == Prescription.kind:
            return prescription_schema()
        if kind.startswith("format:"):
            name = kind.removeprefix("format:")
            if name not in formats:
                raise ConfigError(f"unknown format {name!r} (formats: {', '.join(sorted(formats)) or 'none'})")
            return options_schema(name, formats[name])
        return front_matter_schema(kind, kinds)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}/content.json",
        "title": "backpub content",
        "programme.yaml": programme_schema(formats),
        "kinds": {cls.folder: front_matter_schema(cls.kind, kinds) for cls in kinds},
        "formats": {name: options_schema(name, options) for name, options in sorted(formats.items())},
        "documents": {Prescription.kind: prescription_schema()},
    }
