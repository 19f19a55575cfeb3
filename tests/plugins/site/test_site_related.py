"""Related articles on episode and protocol pages: derived from shared entities, deterministic, at most five."""

from __future__ import annotations

import random
import re
from datetime import date

from site_testkit import Built, build_project

from backpub.content.validation import load
from backpub.model import Episode
from backpub_site.plan import SitePlan
from backpub_site.related import KIND_ORDER, Ranking, reference_graph, related
from backpub_testkit import ROOTS


def _related_hrefs(built: Built, entity) -> list[str]:
    html = (built.site / built.publication.path_for(entity).strip("/") / "index.html").read_text()
    section = re.search(r'<section aria-labelledby="related-articles">(.*?)</section>', html, re.S)
    return re.findall(r'class="card-title"><a href="([^"]+)"', section[1]) if section else []


def test_every_episode_and_protocol_page_lists_related_articles_it_does_not_already_list(full_site: Built):
    publication = full_site.publication
    plan = SitePlan(publication, full_site.as_of, ("site",))
    graph = plan.graph
    for entity in [*publication.released_episodes(full_site.as_of), *publication.protocols]:
        ids = plan.related_articles(entity)
        shown = plan.covered(entity) if isinstance(entity, Episode) else plan.linked_entities(entity)
        shown += [episode.id for episode in plan.covering_episodes(entity)]
        candidates = {
            other
            for other in graph
            if other != entity.id
            and other not in shown
            and (other in graph[entity.id] or graph[entity.id] & graph[other])
            and plan.has_page(publication.get(other))
        }
        # As many as there are pages to add, up to five (the programme's episode covers every library page: none).
        assert len(ids) == min(5, len(candidates)), entity.id
        assert ids or isinstance(entity, Episode), entity.id  # every protocol page has some
        assert entity.id not in ids and len(set(ids)) == len(ids)
        for other in ids:
            # Each is a neighbour in the reference graph or shares a neighbour with the page's entity.
            assert other in graph[entity.id] or graph[entity.id] & graph[other], (entity.id, other)
            assert plan.has_page(publication.get(other))
        listed = plan.covered(entity) if isinstance(entity, Episode) else plan.linked_entities(entity)
        assert not set(ids) & set(listed), entity.id
        hrefs = _related_hrefs(full_site, entity)
        assert [h.rstrip("/").rsplit("/", 1)[-1] for h in hrefs] == ids
        for href in hrefs:  # every card links to a built page
            assert (full_site.site / publication.path_for(entity).strip("/") / href / "index.html").resolve().is_file()


def test_the_order_does_not_depend_on_the_order_entities_were_loaded(full_site: Built):
    publication = full_site.publication
    entities = list(publication.entities)
    expected = reference_graph(entities)
    for seed in range(5):
        random.Random(seed).shuffle(entities)
        graph = reference_graph(entities)
        assert graph == expected
        for protocol in publication.protocols:
            ours = related(protocol.id, graph, publication.by_id, eligible=lambda e: True)
            assert ours == related(protocol.id, expected, publication.by_id, eligible=lambda e: True)


def test_more_shared_entities_rank_higher_and_hand_picked_episodes_come_first(tmp_path):
    publication = load(ROOTS / "feed-audio" / "content").publication
    by_id = publication.by_id
    graph = reference_graph(publication.entities)
    # episode-two lists [episode-one, episode-three] by hand: they come first, in that order.
    assert related("episode-two", graph, by_id, eligible=lambda e: True, first=["episode-one", "episode-three"])[
        :2
    ] == [
        "episode-one",
        "episode-three",
    ]
    built = build_project(ROOTS / "feed-audio" / "content", tmp_path, as_of=date(2026, 12, 31))
    assert _related_hrefs(built, by_id["episode-two"])[:2] == ["../episode-one/", "../episode-three/"]


def test_scores_count_shared_neighbours_weighted_by_how_much_they_link():
    from types import SimpleNamespace

    def page(title):
        return SimpleNamespace(kind="concept", title=title)

    # a-b share two small neighbours; a-c share one; a-d share only a hub that links to everything.
    edges = {"a": {"s1", "s2", "hub"}, "b": {"s1", "s2", "hub"}, "c": {"s1", "hub"}, "d": {"hub"}, "e": {"hub"}}
    graph = {node: set(neighbours) for node, neighbours in edges.items()}
    for node, neighbours in edges.items():
        for other in neighbours:
            graph.setdefault(other, set()).add(node)
    entities = {node: page(node.upper()) for node in graph}
    eligible = lambda entity: entity.title in ("B", "C", "D", "E")  # noqa: E731
    assert related("a", graph, entities, eligible=eligible) == ["b", "c", "d", "e"]  # d and e tie: by title
    assert related("a", graph, entities, eligible=eligible, limit=2) == ["b", "c"]
    assert related("a", graph, entities, eligible=eligible, exclude=["b"], first=["e"]) == ["e", "c", "d"]


def naive_related(entity_id, graph, entities, *, eligible, exclude=(), first=(), limit=5):
    """The definition, candidate by candidate: what the grouped scoring must give."""
    chosen = [i for i in dict.fromkeys(first) if i != entity_id][:limit]
    skip = {entity_id, *exclude, *chosen}
    neighbours = graph.get(entity_id, set())
    candidates = set(neighbours).union(*(graph[n] for n in neighbours))
    scored = []
    for candidate in candidates - skip:
        entity = entities[candidate]
        if eligible(entity):
            shared = sorted(neighbours & graph[candidate])
            score = (1.0 if candidate in neighbours else 0.0) + sum(1 / len(graph[n]) for n in shared)
            scored.append((-score, KIND_ORDER.get(entity.kind, 99), entity.title.casefold(), candidate))
    return chosen + [candidate for *_, candidate in sorted(scored)][: limit - len(chosen)]


def has_page(entity) -> bool:
    return entity.page


def test_grouped_scoring_gives_the_definitions_list_on_random_graphs():
    from types import SimpleNamespace

    kinds = ["concept", "episode", "protocol", "handout"]
    for seed in range(40):
        rng = random.Random(seed)
        nodes = [f"n{i}" for i in range(rng.randint(2, 40))]
        graph = {node: set() for node in nodes}
        for _ in range(rng.randint(0, 120)):
            a, b = rng.sample(nodes, 2)
            graph[a].add(b)
            graph[b].add(a)
        # few distinct titles and kinds, so ties are common and the tie-break is exercised
        entities = {
            n: SimpleNamespace(kind=rng.choice(kinds), title=rng.choice("ABCab"), page=rng.random() > 0.25)
            for n in nodes
        }
        ranking = Ranking(graph, entities)
        for node in nodes:
            exclude = rng.sample(nodes, rng.randint(0, min(3, len(nodes))))
            first = rng.sample(nodes, rng.randint(0, 2))
            limit = rng.randint(1, 6)
            expected = naive_related(
                node, graph, entities, eligible=has_page, exclude=exclude, first=first, limit=limit
            )
            ours = related(node, graph, entities, eligible=has_page, exclude=exclude, first=first, limit=limit,
                           ranking=ranking)  # fmt: skip
            assert ours == expected, (seed, node)
