"""Slugs for file names and URLs, transliterated as readers of the programme's language expect."""

from __future__ import annotations

from slugify import slugify

# Letters whose plain-Latin spelling depends on the language: German readers expect 'ä' as 'ae', not 'a'.
_BY_LANGUAGE: dict[str, list[list[str]]] = {
    "de": [["ä", "ae"], ["ö", "oe"], ["ü", "ue"], ["Ä", "Ae"], ["Ö", "Oe"], ["Ü", "Ue"], ["ß", "ss"]],
    "da": [["æ", "ae"], ["ø", "oe"], ["å", "aa"], ["Æ", "Ae"], ["Ø", "Oe"], ["Å", "Aa"]],
    "nb": [["æ", "ae"], ["ø", "oe"], ["å", "aa"], ["Æ", "Ae"], ["Ø", "Oe"], ["Å", "Aa"]],
    "sv": [["å", "aa"], ["ä", "ae"], ["ö", "oe"], ["Å", "Aa"], ["Ä", "Ae"], ["Ö", "Oe"]],
}


def slug(text: str, language: str = "en", fallback: str = "item") -> str:
    """Lower-case ASCII words joined by hyphens, e.g. 'Rückenschule für alle' -> 'rueckenschule-fuer-alle' in
    German; accents elsewhere lose their marks ('Café' -> 'cafe'). ASCII titles give what they always gave."""
    replacements = _BY_LANGUAGE.get(language.split("-")[0].lower(), [])
    return slugify(text, replacements=replacements) or fallback
