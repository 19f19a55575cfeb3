"""The JSON Schema of the content format, generated from the model, for editors."""

from __future__ import annotations

from typing import Any

from backpub.errors import ConfigError
from backpub.model import TYPES_BY_FOLDER, TYPES_BY_KIND, Programme

SCHEMA_BASE = "https://backpub.example.org/schema"
NOT_IN_FRONT_MATTER = ("id", "body")


def front_matter_schema(kind: str) -> dict[str, Any]:
    """The schema of one kind's front matter (without `id` and `body`, which come from the file)."""
    cls = TYPES_BY_KIND.get(kind) or TYPES_BY_FOLDER.get(kind)
    if cls is None:
        raise ConfigError(f"unknown kind {kind!r} (kinds: {', '.join(TYPES_BY_KIND)})")
    schema = cls.model_json_schema()
    for name in NOT_IN_FRONT_MATTER:
        schema["properties"].pop(name, None)
        if name in schema.get("required", []):
            schema["required"].remove(name)
    schema["$id"] = f"{SCHEMA_BASE}/{cls.kind}.json"
    schema["description"] = f"Front matter of content/{cls.folder}/<id>.md. " + (cls.__doc__ or "")
    return schema


def content_schema(kind: str | None = None) -> dict[str, Any]:
    """One kind's schema, or every kind's and programme.yaml's under `$defs`-style keys."""
    if kind:
        if kind in ("programme", "programme.yaml"):
            return Programme.model_json_schema()
        return front_matter_schema(kind)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}/content.json",
        "title": "backpub content",
        "programme.yaml": Programme.model_json_schema(),
        "kinds": {cls.folder: front_matter_schema(cls.kind) for cls in TYPES_BY_KIND.values()},
    }
