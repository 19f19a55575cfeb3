"""Related articles: pages that share entities with a page, found in the graph of references between entities.

Two entities are neighbours when either refers to the other (a reference field, an episode's `covers`, an `@id`
link in Markdown). A candidate's score is 1 for being a neighbour itself plus, for every neighbour the two share,
1 / that neighbour's number of neighbours (an episode covering twenty things says less about each pair of them than a
handout section of two). Ties break by kind, then title, then id, so the list never depends on file order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from backpub import ENTITY_TYPES, Clinic, Entity, referenced_ids

MAX_RELATED = 5
KIND_ORDER = {cls.kind: index for index, cls in enumerate(ENTITY_TYPES)}


def reference_graph(entities: Iterable[Entity]) -> dict[str, set[str]]:
    """Every entity's neighbours (undirected), among the given entities; clinics take no part."""
    members = {entity.id: entity for entity in entities if not isinstance(entity, Clinic)}
    graph: dict[str, set[str]] = {entity_id: set() for entity_id in members}
    for entity_id, entity in members.items():
        for target in referenced_ids(entity):
            if target in members and target != entity_id:
                graph[entity_id].add(target)
                graph[target].add(entity_id)
    return graph


def related(
    entity_id: str,
    graph: dict[str, set[str]],
    entities: dict[str, Entity],
    *,
    eligible: Callable[[Entity], bool],
    exclude: Iterable[str] = (),
    first: Iterable[str] = (),
    limit: int = MAX_RELATED,
) -> list[str]:
    """Up to `limit` ids related to `entity_id`: the `first` ones in their order, then the best scored eligible
    entities that are not excluded (nor the entity itself)."""
    chosen = [i for i in dict.fromkeys(first) if i != entity_id][:limit]
    skip = {entity_id, *exclude, *chosen}
    neighbours = graph.get(entity_id, set())
    candidates = set(neighbours)
    for neighbour in neighbours:
        candidates |= graph[neighbour]
    scored = []
    for candidate in candidates - skip:
        entity = entities[candidate]
        if not eligible(entity):
            continue
        shared = sorted(neighbours & graph[candidate])
        score = (1.0 if candidate in neighbours else 0.0) + sum(1 / len(graph[n]) for n in shared)
        scored.append((-score, KIND_ORDER.get(entity.kind, 99), entity.title.casefold(), candidate))
    return chosen + [candidate for *_, candidate in sorted(scored)][: limit - len(chosen)]
