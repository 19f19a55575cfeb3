"""Digests of entities' fields, so a job that prints only some fields of an entity depends on only those."""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel


def field_digests(model: BaseModel) -> dict[str, str]:
    """{field name: a digest of its validated value} for every field of a model, from one dump."""
    data = model.model_dump(mode="json")
    return {
        name: hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:20]
        for name, value in data.items()
    }
