"""Doses in the programme's language: its unit words and decimal mark are read (with English's), others refused,
and the language comes from programme.yaml during validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from backpub.content.validation import load
from backpub.model import Dose
from backpub_testkit import edit

ICE = "content/protocols/ice.md"


def dose(language: str | None, **fields: str) -> Dose:
    return Dose.model_validate(fields, context={"language": language})


@pytest.mark.parametrize(
    ("language", "written", "expected"),
    [
        ("de-DE", "15–20 Min.", (15, 20, "min")),
        ("de-DE", "5–10 Sek.", (5, 10, "s")),
        ("de-DE", "1,5 min", (1.5, None, "min")),
        ("de-DE", "2 Std.", (2, None, "h")),
        ("de-DE", "10 bis 12 Minuten", (10, 12, "min")),
        ("de-DE", "3-5 minutes", (3, 5, "min")),  # English words stay valid in any language
        ("en-GB", "3 to 5 minutes", (3, 5, "min")),
        ("en-GB", "1.5 h", (1.5, None, "h")),
        (None, "5-10 s", (5, 10, "s")),
    ],
)
def test_durations_are_read_in_the_programme_language(language, written, expected):
    duration = dose(language, duration=written).duration
    assert duration is not None
    assert (duration.min, duration.max, duration.unit) == expected


def test_german_counts_take_their_words():
    assert dose("de-DE", repetitions="8–12 Wdh.").repetitions.max == 12  # type: ignore[union-attr]
    assert dose("de-DE", sets="2 bis 3").sets.min == 2  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("language", "field", "written", "low", "high"),
    [("en-GB", "sets", "2 sets", 2, None), ("en-GB", "sets", "2-3 sets", 2, 3), ("en-GB", "repetitions", "8-12 reps", 8, 12),
     ("en-GB", "sets", "1 set", 1, None), ("de-DE", "sets", "2–3 Sätze", 2, 3)],
)  # fmt: skip
def test_sets_take_the_word_sets_as_repetitions_take_reps(language, field, written, low, high):
    quantity = getattr(dose(language, **{field: written}), field)
    assert (quantity.min, quantity.max) == (low, high)


@pytest.mark.parametrize(
    ("language", "written"),
    [("en-GB", "1,5 min"), ("en-GB", "15–20 Min. lang"), ("en-GB", "5 Sek."), ("de-DE", "5 Tage"), (None, "1,5 min")],
)
def test_words_and_marks_of_other_languages_are_refused(language, written):
    with pytest.raises(ValidationError, match="cannot read"):
        dose(language, duration=written)


def test_validation_reads_doses_in_the_language_of_programme_yaml(project: Path):
    edit(project / ICE, "duration: 3-5 min", "duration: 1,5 min")
    problems = load(project / "content").problems
    assert [(p.path.endswith("ice.md"), p.line) for p in problems if "cannot read '1,5 min'" in p.message] == [
        (True, 10)
    ]

    edit(project / "content/programme.yaml", "language: en-GB", "language: de-DE")
    publication = load(project / "content").publication
    assert publication is not None
    assert publication.get("ice").dose.duration.min == 1.5  # type: ignore[attr-defined]
