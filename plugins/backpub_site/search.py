"""Site search without a third party: a JSON index of every entity page, built as one job of the site format, and
the words the search box uses, in the programme's language. static/site.js searches the index in the browser."""

from __future__ import annotations

import json
from typing import Any

from backpub import Concept, Entity, Episode, Mistake, Protocol, Publication, Treatment, plain_text

INDEX_OUTPUT = "search/index.json"
PAGE_OUTPUT = "search/index.html"
MAX_TEXT = 20_000
"""Characters of each page's text the index keeps (a long article is still found by its opening and headings)."""

# The search box's words by primary language subtag; a programme in another language gets English.
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "label": "Search the site",
        "button": "Search",
        "one": "1 page matches “{q}”",
        "many": "{n} pages match “{q}”",
        "none": "No page matches “{q}”",
        "failed": "Search is unavailable right now.",
        "heading": "Search",
        "all": "Every page, A to Z",
        "noscript": "Searching needs JavaScript. Every page of the site is listed below instead.",
    },
    "de": {
        "label": "Website durchsuchen",
        "button": "Suchen",
        "one": "1 Seite passt zu „{q}“",
        "many": "{n} Seiten passen zu „{q}“",
        "none": "Keine Seite passt zu „{q}“",
        "failed": "Die Suche ist gerade nicht verfügbar.",
        "heading": "Suche",
        "all": "Alle Seiten von A bis Z",
        "noscript": "Die Suche braucht JavaScript. Unten stehen stattdessen alle Seiten der Website.",
    },
    "fr": {
        "label": "Rechercher sur le site",
        "button": "Rechercher",
        "one": "1 page correspond à « {q} »",
        "many": "{n} pages correspondent à « {q} »",
        "none": "Aucune page ne correspond à « {q} »",
        "failed": "La recherche est indisponible pour le moment.",
        "heading": "Recherche",
        "all": "Toutes les pages, de A à Z",
        "noscript": "La recherche nécessite JavaScript. Toutes les pages du site sont listées ci-dessous.",
    },
    "es": {
        "label": "Buscar en el sitio",
        "button": "Buscar",
        "one": "1 página coincide con «{q}»",
        "many": "{n} páginas coinciden con «{q}»",
        "none": "Ninguna página coincide con «{q}»",
        "failed": "La búsqueda no está disponible ahora.",
        "heading": "Búsqueda",
        "all": "Todas las páginas, de la A a la Z",
        "noscript": "La búsqueda necesita JavaScript. Abajo están todas las páginas del sitio.",
    },
    "nl": {
        "label": "Zoeken op de site",
        "button": "Zoeken",
        "one": "1 pagina past bij ‘{q}’",
        "many": "{n} pagina's passen bij ‘{q}’",
        "none": "Geen pagina past bij ‘{q}’",
        "failed": "Zoeken is nu niet beschikbaar.",
        "heading": "Zoeken",
        "all": "Alle pagina's van A tot Z",
        "noscript": "Zoeken heeft JavaScript nodig. Hieronder staan alle pagina's van de site.",
    },
}


def messages(language: str) -> dict[str, str]:
    """The search box's words for a BCP 47 language tag such as 'en-GB'."""
    return MESSAGES.get(language.split("-")[0].lower(), MESSAGES["en"])


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
