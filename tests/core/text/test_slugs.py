"""Slugs: transliterated as readers of the language expect; the shipped programme's ASCII names unchanged."""

from __future__ import annotations

import pytest

from backpub import slug


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Back In Shape", "en-GB", "back-in-shape"),
        ("Rückenschule für alle", "de-DE", "rueckenschule-fuer-alle"),
        ("Den Rücken stärken: Grundlagen", "de", "den-ruecken-staerken-grundlagen"),
        ("Straße", "de-AT", "strasse"),
        ("Café crème", "fr-FR", "cafe-creme"),
        ("Rückenschule", "en-GB", "ruckenschule"),  # an English reader spells it without the umlaut
        ("Здоровая спина", "ru", "zdorovaia-spina"),
        ("!!!", "en", "item"),
    ],
)
def test_slugs_read_as_the_language_expects(text: str, language: str, expected: str) -> None:
    assert slug(text, language) == expected
