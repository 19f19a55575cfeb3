"""Site search without a third party: a JSON index of every entity page, built as one job of the site format, and
the words the search box uses, in the programme's language. static/site.js searches the index in the browser."""

from __future__ import annotations

import json
from typing import Any

from backpub import Concept, Entity, Episode, Messages, Mistake, Protocol, Publication, Treatment, plain_text

INDEX_OUTPUT = "search/index.json"
PAGE_OUTPUT = "search/index.html"
MAX_TEXT = 20_000
"""Characters of each page's text the index keeps (a long article is still found by its opening and headings)."""


def messages(words: Messages) -> dict[str, str]:
    """The search box's words in the programme's language ({q} is the query, {n} a count: site.js fills them)."""
    _ = words.gettext
    return {
        "label": _("Search the site"),
        "button": _("Search"),
        "one": _("1 page matches “{q}”"),
        "many": _("{n} pages match “{q}”"),
        "none": _("No page matches “{q}”"),
        "failed": _("Search is unavailable right now."),
        "heading": _("Search"),
        "all": _("Every page, A to Z"),
        "noscript": _("Searching needs JavaScript. Every page of the site is listed below instead."),
    }


def searchable_text(entity: Entity) -> str:
    """The words a page shows that a reader may search for, besides its title and summary."""
    parts: list[str] = []
    if isinstance(entity, Episode):
        parts.append(plain_text(entity.show_notes))
    if isinstance(entity, Protocol):
        parts += [entity.purpose, *entity.equipment, *entity.steps, *entity.cautions]
    if isinstance(entity, Mistake):
        parts += [*entity.examples, entity.feels_good, entity.harms]
    if isinstance(entity, Treatment):
        parts += [entity.what_it_does, *entity.limitations]
    if isinstance(entity, Concept) and entity.analogy:
        parts += [entity.analogy.title, plain_text(entity.analogy.body)]
    parts.append(plain_text(entity.body))
    return " ".join(" ".join(part.split()) for part in parts if part)[:MAX_TEXT]


def index(publication: Publication, pages: list[tuple[Entity, str, str, str]]) -> bytes:
    """The index: for each (entity, site path, kind label, summary), what the browser searches and shows."""
    entries: list[dict[str, Any]] = [
        {"u": path.lstrip("/"), "t": entity.title, "k": label, "s": summary, "x": searchable_text(entity)}
        for entity, path, label, summary in pages
    ]
    data = {"lang": publication.programme.language, "pages": entries}
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
