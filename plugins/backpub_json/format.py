"""The `json` format: the validated programme as one JSON document, for other tools and as a plugin template."""

from __future__ import annotations

import json
from datetime import date

from backpub import Format, Job, Publication
from backpub_json.version import __version__


class JsonFormat(Format):
    """Writes outputs/json/programme.json: the programme settings and every entity, grouped by kind."""

    name = "json"
    version = __version__
    description = "The validated programme model as JSON."

    def jobs(self, publication: Publication) -> list[Job]:
        shown = frozenset(entity.id for entity in _published(publication, self.context.as_of))
        return [Job("programme.json", entities=shown, values=(self.context.as_of.isoformat(),))]

    def render(self, job: Job, publication: Publication) -> bytes:
        document = {
            "programme": publication.programme.model_dump(mode="json"),
            "entities": _grouped(publication, self.context.as_of),
        }
        return (json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def _published(publication: Publication, as_of: date) -> list:
    """Every entity but the episodes not released by `as_of`: the embargo holds in the data too."""
    released = {episode.id for episode in publication.released_episodes(as_of)}
    return [entity for entity in publication.entities if entity.kind != "episode" or entity.id in released]


def _grouped(publication: Publication, as_of: date) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for entity in _published(publication, as_of):
        # References to what is not out yet are left out: an unreleased episode's id says what it is about.
        data = {"kind": entity.kind, **publication.public_data(entity, as_of)}
        data["url"] = publication.url_for(entity) if entity.kind != "clinic" else None
        if publication.withheld(entity) and entity.id not in publication.links:
            data["url"] = None  # members-only, and no format publishes a page of it (a handout's PDF)
        grouped.setdefault(entity.folder, []).append(data)
    return grouped
