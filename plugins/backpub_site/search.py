"""Site search without a third party: a JSON index of every entity page, built as one job of the site format, and
the words the search box uses, in the programme's language. static/site.js searches the index in the browser."""

from __future__ import annotations

import json
from typing import Any

from backpub import Entity, Messages, Publication, card_fields, plain_text, prose_texts, referenced_ids

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


def searchable_text(entity: Entity, summary: str = "") -> str:
    """The words a page shows that a reader may search for, besides its title and `summary`: every text its kind
    writes for patients and every text of its card (e.g. a protocol's equipment), Markdown as plain text, in field
    order, the body last."""
    texts = list(prose_texts(entity))
    prose = {loc[0] for loc, _ in texts}
    for name in sorted(card_fields(type(entity)) - prose):
        if not referenced_ids(entity, markdown=False, fields=frozenset({name})):  # ids are no words to search
            texts += [((name,), item) for item in _strings(getattr(entity, name))]
    order = {name: index for index, name in enumerate(type(entity).model_fields)}
    texts.sort(key=lambda found: (found[0] == ("body",), order[str(found[0][0])]))  # stable: items keep their order
    parts = [text for _, text in texts if text != summary]
    return " ".join(" ".join(plain_text(part).split()) for part in parts if part)[:MAX_TEXT]


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def index(publication: Publication, pages: list[tuple[Entity, str, str, str]]) -> bytes:
    """The index: for each (entity, site path, kind label, summary), what the browser searches and shows."""
    entries: list[dict[str, Any]] = [
        {"u": path.lstrip("/"), "t": entity.title, "k": label, "s": summary, "x": searchable_text(entity, summary)}
        for entity, path, label, summary in pages
    ]
    data = {"lang": publication.programme.language, "pages": entries}
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
