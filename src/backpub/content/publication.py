"""The validated, read-only programme every renderer receives, with the lookups formats need."""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cached_property
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any, TypeVar

from backpub import clock
from backpub.model import Entity, Episode, Programme, Protocol
from backpub.model.kinds import BUILT_IN, Kinds

E = TypeVar("E", bound=Entity)


class Links(Mapping[str, str]):
    """Where every format publishes what (`Format.links`), by entity id or name: empty while the formats work it
    out from the publication, then published once by the session, and read-only after."""

    def __init__(self, targets: Mapping[str, str] | None = None) -> None:
        self._targets = dict(targets or {})
        self._published = targets is not None

    def publish(self, targets: Mapping[str, str]) -> None:
        """Set the links, once."""
        if self._published:
            raise RuntimeError("a publication's links are published once")
        self._targets, self._published = dict(targets), True

    def __getitem__(self, key: str) -> str:
        return self._targets[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._targets)

    def __len__(self) -> int:
        return len(self._targets)

    def __repr__(self) -> str:
        return f"Links({self._targets!r})"


@dataclass(frozen=True)
class Source:
    """Where an entity came from: its file (as shown to users) and the line its front matter starts on."""

    path: str
    line: int = 1


@dataclass(frozen=True)
class Publication:
    """The whole validated programme. Renderers read it; nothing changes it after validation."""

    programme: Programme
    entities: tuple[Entity, ...]
    content_dir: Path
    sources: dict[str, Source] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    """A fingerprint of each entity's validated data, by id, for incremental builds."""
    programme_hash: str = ""
    """A fingerprint of the programme settings."""
    programme_path: str = "content/programme.yaml"
    """Where the programme settings came from, as shown in messages."""
    links: Links = field(default_factory=Links)
    """Site paths (or absolute URLs) of what every format publishes, by entity id or name (`Format.links`)."""
    kinds: Kinds = BUILT_IN
    """The kinds of entity in force: the built-in ones and those plugins registered, in reading order."""
    withheld_ids: frozenset[str] = frozenset()
    """The members-only entities whose content this view withholds (the public view's; none in the members')."""

    # --- who reads what: the public view and the members' view --------------------------------------------

    @cached_property
    def public(self) -> Publication:
        """What everyone may read: members-only entities (`access: members`) reduced to their title, teaser and
        the fields that say nothing of their content (`backpub.model.fields.withheld_copy`). Every public output
        is rendered from it; it is this publication itself when nothing is members-only."""
        from backpub.model.fields import members_only, withheld_copy

        if self.withheld_ids:
            return self
        ids = frozenset(entity.id for entity in self.entities if members_only(entity))
        if not ids:
            return self
        entities = tuple(withheld_copy(entity) if entity.id in ids else entity for entity in self.entities)
        as_written = {key: entity for key, entity in self.as_written.items() if key not in ids}
        view = dataclasses.replace(self, entities=entities, withheld_ids=ids, as_written=as_written)
        view.__dict__["members"] = self
        return view

    @cached_property
    def members(self) -> Publication:
        """What members read: every entity in full. Only outputs that only members get may be made from it (their
        newsletter, the files the subscription service serves them: `Job.audience`)."""
        return self

    def withheld(self, entity: Entity | str) -> bool:
        """Whether this view withholds an entity's content (it is members-only, and this is the public view):
        show its title and teaser with the programme's `membership_url` instead."""
        return (entity if isinstance(entity, str) else entity.id) in self.withheld_ids

    as_written: Mapping[str, Entity] = field(default_factory=dict)
    """Each entity whose text refers to a dose (`{dose}`), as written, by id: `entities` hold the texts with the
    references filled in; a prescription fills them in again with the dose it prescribes."""

    @cached_property
    def by_id(self) -> dict[str, Entity]:
        """Every entity by id."""
        return {entity.id: entity for entity in self.entities}

    def field_hashes(self, entity_id: str) -> Mapping[str, str]:
        """A digest of each field of an entity's validated data, by field name; worked out on first use."""
        if entity_id not in self._field_hashes:
            from backpub.content.digests import field_digests

            self._field_hashes[entity_id] = field_digests(self.get(entity_id))
        return self._field_hashes[entity_id]

    @cached_property
    def _field_hashes(self) -> dict[str, Mapping[str, str]]:
        return {}

    def get(self, entity_id: str) -> Entity:
        """The entity with this id (KeyError if there is none)."""
        return self.by_id[entity_id]

    def of(self, cls: type[E]) -> tuple[E, ...]:
        """All entities of one type, in id order."""
        if cls not in self._by_type:
            self._by_type[cls] = tuple(entity for entity in self.entities if isinstance(entity, cls))
        return self._by_type[cls]  # type: ignore[return-value]

    @cached_property
    def _by_type(self) -> dict[type, tuple[Entity, ...]]:
        return {}

    @cached_property
    def _episodes_in_order(self) -> tuple[Episode, ...]:
        return tuple(sorted(self.of(Episode), key=lambda episode: (episode.release, episode.number)))

    def __getattr__(self, name: str) -> tuple[Entity, ...]:
        """Every entity of a kind by its folder's name, in id order: `publication.concepts`, `publication.myths`
        (for typed access, `publication.of(Concept)`)."""
        kinds = self.__dict__.get("kinds")  # (not there yet while the object is unpickled)
        cls = kinds.by_folder.get(name) if kinds is not None and not name.startswith("_") else None
        if cls is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return self.of(cls)

    @property
    def episodes(self) -> tuple[Episode, ...]:
        """Every episode, in release order (including unreleased and retired ones)."""
        return self._episodes_in_order

    def episodes_on(self, day: date) -> tuple[Episode, ...]:
        """The episodes released on `day`, not retired (a lookup, so per-Sunday work stays linear)."""
        return self._by_release.get(day, ())

    @cached_property
    def _by_release(self) -> dict[date, tuple[Episode, ...]]:
        days: dict[date, list[Episode]] = {}
        for episode in self.episodes:
            if not episode.retired:
                days.setdefault(episode.release, []).append(episode)
        return {day: tuple(episodes) for day, episodes in days.items()}

    def is_public(self, entity: Entity | str, day: date) -> bool:
        """Whether an entity is out on `day`: an episode from its release until it is retired, anything else always.
        What is not public appears in no public output, not even as a reference."""
        if isinstance(entity, str):
            entity = self.get(entity)
        return not isinstance(entity, Episode) or (entity.release <= day and not entity.retired)

    def public_from(self, entity: Entity | str) -> date | None:
        """The first day an entity is public: an episode's release (None once retired), anything else always."""
        if isinstance(entity, str):
            entity = self.get(entity)
        if isinstance(entity, Episode):
            return None if entity.retired else entity.release
        return date.min

    def public_ids(self, ids: Iterable[str], day: date) -> list[str]:
        """The ids among `ids` of entities public on `day`, in order (references to embargoed episodes dropped)."""
        return [entity_id for entity_id in ids if entity_id in self.by_id and self.is_public(entity_id, day)]

    def public_data(self, entity: Entity, day: date) -> dict[str, Any]:
        """An entity's data as JSON-ready values, as a public output may show it on `day`: references to what is
        not public yet (episodes before their release) left out, and Markdown links to them reduced to their words."""
        from backpub.model.fields import markdown_texts, references
        from backpub.text.markdown import unlink

        data = entity.model_dump(mode="json")
        hidden = set(self.embargoed(day))
        if not hidden:
            return data
        for loc, target, _ in sorted(references(entity), key=lambda found: found[0], reverse=True):
            if target in hidden:
                _drop(data, loc)
        for loc, text in markdown_texts(entity):
            _put(data, loc, unlink(text, hidden))
        return data

    def embargoed(self, day: date) -> tuple[str, ...]:
        """The ids of the episodes not public on `day` (not released yet, or retired)."""
        return tuple(episode.id for episode in self.episodes if not self.is_public(episode, day))

    def released_episodes(self, as_of: date) -> tuple[Episode, ...]:
        """Episodes released on or before `as_of`, not retired, in release order."""
        return tuple(ep for ep in self.episodes if ep.release <= as_of and not ep.retired)

    def at(self, day: date, time_of_day: time) -> datetime:
        """A timezone-aware datetime on `day` at `time_of_day` in the programme's timezone."""
        return datetime.combine(day, time_of_day, tzinfo=clock.zone(self.programme.timezone))

    def protocols_by_phase(self) -> list[tuple[str, tuple[Protocol, ...]]]:
        """Protocols grouped by programme phase, in phase order, each group in prerequisite order."""
        groups = []
        for phase in self.programme.phases:
            members = [protocol for protocol in self.of(Protocol) if protocol.phase == phase.id]
            groups.append((phase.id, tuple(_prerequisite_order(members))))
        return groups

    def asset(self, relative: str) -> Path:
        """The absolute path of a content-relative asset (validated to exist inside the content folder)."""
        return self.content_dir / relative

    def source_of(self, entity_id: str) -> Source:
        """Where an entity is defined."""
        return self.sources.get(entity_id, Source(str(self.content_dir)))

    # --- URLs: formats declare where they publish (`Format.links`); everyone links through these --------

    def path_for(self, entity: Entity) -> str:
        """The site path of an entity's page or file, e.g. '/episodes/why-it-hurts/'.

        What a format declared in `Format.links`; otherwise the neutral default '/<kind folder>/<id>/'."""
        return self.links.get(entity.id) or f"/{entity.folder}/{entity.id}/"

    def url_for(self, entity: Entity | str) -> str:
        """The absolute URL of an entity's page (or file) on the programme's site."""
        if isinstance(entity, str):
            entity = self.get(entity)
        return self.absolute(self.path_for(entity))

    def link(self, key: str) -> str | None:
        """The absolute URL a format published under `key` (e.g. 'book'), or None when no format did."""
        target = self.links.get(key)
        return self.absolute(target) if target else None

    def absolute(self, target: str) -> str:
        """A site path made absolute (absolute URLs stay as they are)."""
        return self.programme.site_url + target if target.startswith("/") else target

    @property
    def home_url(self) -> str:
        """The site's home page."""
        return self.programme.site_url + "/"


def _drop(data: Any, loc: tuple[Any, ...]) -> None:
    """Remove the reference at `loc` (a list item goes; a single reference becomes null)."""
    *path, last = loc
    for part in path:
        data = data[part]
    if isinstance(data, list):
        del data[last]
    else:
        data[last] = None


def _put(data: Any, loc: tuple[Any, ...], value: Any) -> None:
    *path, last = loc
    for part in path:
        data = data[part]
    data[last] = value


def _prerequisite_order(protocols: list[Protocol]) -> list[Protocol]:
    """Order protocols so that each comes after its prerequisites and after anything that progresses to it;
    among those ready, the smallest id comes first. Validation refuses loops; were one left, id order is used."""
    by_id = {protocol.id: protocol for protocol in protocols}
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for protocol in sorted(protocols, key=lambda protocol: protocol.id):
        sorter.add(protocol.id, *sorted(set(protocol.prerequisites) & by_id.keys()))
        for after in sorted(set(protocol.progressions) & by_id.keys()):
            sorter.add(after, protocol.id)
    try:
        sorter.prepare()
    except CycleError:
        return sorted(protocols, key=lambda protocol: protocol.id)
    ready = list(sorter.get_ready())
    heapq.heapify(ready)
    ordered: list[Protocol] = []
    while ready:
        chosen = heapq.heappop(ready)
        ordered.append(by_id[chosen])
        sorter.done(chosen)
        for node in sorter.get_ready():
            heapq.heappush(ready, node)
    return ordered
