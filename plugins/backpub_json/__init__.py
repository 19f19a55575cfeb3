"""The `json` format: the validated programme as one JSON document, for other tools and as a plugin template."""

from __future__ import annotations

import json

from backpub import Format, Job, Publication, hookimpl

__version__ = "1.0"


class JsonFormat(Format):
    """Writes outputs/json/programme.json: the programme settings and every entity, grouped by kind."""

    name = "json"
    version = __version__
    description = "The validated programme model as JSON."

    def jobs(self, publication: Publication) -> list[Job]:
        return [Job("programme.json", entities=frozenset(publication.by_id))]

    def render(self, job: Job, publication: Publication) -> bytes:
        document = {
            "programme": publication.programme.model_dump(mode="json"),
            "entities": _grouped(publication),
        }
        return (json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def _grouped(publication: Publication) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for entity in publication.entities:
        data = {"kind": entity.kind, **entity.model_dump(mode="json")}
        data["url"] = publication.url_for(entity) if entity.kind != "clinic" else None
        grouped.setdefault(entity.folder, []).append(data)
    return grouped


@hookimpl
def register_formats() -> list[type[Format]]:
    return [JsonFormat]
