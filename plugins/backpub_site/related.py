"""Related articles: pages that share entities with a page, found in the graph of references between entities.

Two entities are neighbours when either refers to the other (a reference field, an episode's `covers`, an `@id`
link in Markdown). A candidate's score is 1 for being a neighbour itself plus, for every neighbour the two share,
1 / that neighbour's number of neighbours (an episode covering twenty things says less about each pair of them than a
handout section of two). Ties break by kind, then title, then id, so the list never depends on file order.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping

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


class Ranking:
    """The tie-break order of a graph's entities (kind, then title, then id) as one number each, and every
    entity's neighbours in that order, worked out once for all the pages of a site."""

    def __init__(self, graph: dict[str, set[str]], entities: Mapping[str, Entity]) -> None:
        self.graph = graph
        ordered = sorted(graph, key=lambda i: (KIND_ORDER.get(entities[i].kind, 99), entities[i].title.casefold(), i))
        self.rank = {entity_id: position for position, entity_id in enumerate(ordered)}
        self._ordered: dict[str, list[str]] = {}

    def neighbours_in_order(self, entity_id: str) -> list[str]:
        if entity_id not in self._ordered:
            self._ordered[entity_id] = sorted(self.graph[entity_id], key=self.rank.__getitem__)
        return self._ordered[entity_id]


def related(
    entity_id: str,
    graph: dict[str, set[str]],
    entities: Mapping[str, Entity],
    *,
    eligible: Callable[[Entity], bool],
    exclude: Iterable[str] = (),
    first: Iterable[str] = (),
    limit: int = MAX_RELATED,
    ranking: Ranking | None = None,
) -> list[str]:
    """Up to `limit` ids related to `entity_id`: the `first` ones in their order, then the best scored eligible
    entities that are not excluded (nor the entity itself).

    Candidates that share the same neighbours with the entity have the same score, so they are scored once per
    such group and only each group's first few (in tie-break order) can make the list: most candidates share a
    single neighbour, and a neighbour that links to every episode would otherwise cost a look at every episode
    for every episode's page."""
    chosen = [i for i in dict.fromkeys(first) if i != entity_id][:limit]
    wanted = limit - len(chosen)
    if wanted <= 0:
        return chosen
    ranking = ranking or Ranking(graph, entities)
    skip = {entity_id, *exclude, *chosen}
    neighbours = graph.get(entity_id, set())
    reached: Counter[str] = Counter()
    for neighbour in neighbours:
        reached.update(graph[neighbour])
    several = {candidate for candidate, count in reached.items() if count > 1}
    groups: dict[tuple[bool, frozenset[str]], list[str]] = defaultdict(list)
    for candidate in (neighbours | several) - skip:
        groups[candidate in neighbours, frozenset(neighbours & graph[candidate])].append(candidate)
    offers = []
    for (direct, shared), members in groups.items():
        members.sort(key=ranking.rank.__getitem__)
        offers += _best(members, _score(direct, shared, graph), wanted, entities, eligible, ranking)
    for neighbour in neighbours:  # those reached through this neighbour alone, already in tie-break order
        alone = (
            c
            for c in ranking.neighbours_in_order(neighbour)
            if c not in skip and c not in several and c not in neighbours
        )
        offers += _best(alone, _score(False, frozenset([neighbour]), graph), wanted, entities, eligible, ranking)
    return chosen + [candidate for *_, candidate in sorted(offers)][:wanted]


def _score(direct: bool, shared: frozenset[str], graph: dict[str, set[str]]) -> float:
    """1 for a neighbour, plus 1 / its number of neighbours for each neighbour shared (summed in id order, so
    the same floating-point total every time)."""
    return (1.0 if direct else 0.0) + sum(1 / len(graph[n]) for n in sorted(shared))


def _best(
    ordered: Iterable[str],
    score: float,
    wanted: int,
    entities: Mapping[str, Entity],
    eligible: Callable[[Entity], bool],
    ranking: Ranking,
) -> list[tuple[float, int, str]]:
    """The first `wanted` eligible ids of a group of equal score, as (-score, rank, id) to sort with others."""
    found = []
    for candidate in ordered:
        if eligible(entities[candidate]):
            found.append((-score, ranking.rank[candidate], candidate))
            if len(found) == wanted:
                break
    return found
