"""Reading level of patient-facing text: a grade per entity, measured the way that suits the programme's language.

`MEASURES` maps a language (the primary subtag of programme.yaml's `language`) to a measure:

- English: the Flesch-Kincaid grade level, 0.39 × words per sentence + 11.8 × syllables per word − 15.59,
  with syllables counted by the heuristic in `english_syllables` (no dictionary, no download).
- German: the first Wiener Sachtextformel (Bamberger and Vanecek), which also gives a school grade.

A language without a measure is not checked. Each entity's grade is measured over all its patient-facing
fields (see backpub.prose.sentences); an entity above the programme's `reading_grade` gets a warning that names its
longest sentences by line, so an author knows where to start. Entities of fewer than `MIN_WORDS` words get
figures but no verdict: a formula needs some text to average over.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from backpub.errors import Problem
from backpub.prose.sentences import Field, Sentence, words

LONGEST_NAMED = 3
"""How many of an entity's longest sentences a warning names."""
MIN_WORDS = 30
"""Below this many words a grade swings on a single long word, so the figures are reported but not judged."""


@dataclass(frozen=True)
class Counts:
    """What a readability formula needs to know about a text."""

    sentences: int
    words: int
    syllables: int
    long_words: int
    """Words of more than six letters."""
    polysyllables: int
    """Words of three syllables or more."""
    monosyllables: int
    """Words of one syllable."""


@dataclass(frozen=True)
class Measure:
    """A readability formula for one language: its name, how it counts syllables, and the grade formula."""

    name: str
    syllables: Callable[[str], int]
    grade: Callable[[Counts], float]


# -- syllables ------------------------------------------------------------------------------------------

# Vowel pairs usually said as two syllables: sci-a-tica, oste-o-pathy, actu-al, medi-um, peri-od; not
# -cial/-tian, -tion, -ious, people or qu-.
_EN_SAID_APART = re.compile(
    r"(?<![ct])ia|[ct]ia(?![ln])|eo(?!ple)|(?<!q)ua|uo|iu|ii|io(?![nu])|ea$|(?<!t)ie(?=nc)|[aeo](?=ing)"
)
_EN_SILENT_E = re.compile(r"[^aeiouy]e$|[^aeiouy]e(?:ly|ments?|ful|ness|less|thing|times|where)$")


@functools.lru_cache(maxsize=65536)  # a programme uses a few thousand words, over and over
def english_syllables(word: str) -> int:
    """Syllables in an English word, by vowel groups with the common corrections.

    One per group of vowels (y counts as a vowel after the first letter); less one for a silent final e
    ('bone', not 'table' or 'free'), a final -ed that is not said ('placed', not 'rounded') and a final -es
    after a consonant other than s, x, z, c, g, ch, sh and le ('makes', not 'stages' or 'muscles'); plus one
    for vowels usually said apart ('via', 'osteopathy', 'actual', 'area', 'science', 'going'; not
    '-tion', '-ious', 'people').
    Numbers count one. Hyphenated and apostrophe words add up their parts. Accurate to about nine words in ten,
    which is enough for a grade that is an estimate anyway.
    """
    parts = [part for part in re.split(r"[-'’]", word.lower()) if part]
    if not parts:
        return 0
    return sum(_english_part(part) for part in parts)


_NUMBER = re.compile(r"[\d.,]+")
_VOWEL = re.compile(r"[aeiouy]")
_VOWELS = re.compile(r"[aeiouy]+")
_LE_END = re.compile(r"[^aeiouy]le$")
_ED_END = re.compile(r"[^aeiouytd]ed$")
_ES_END = re.compile(r"[^aeiouy]es$")
_ES_SAID = re.compile(r"(?:[sxzcg]|ch|sh|[^aeiouy]l)es$")


def _english_part(word: str) -> int:
    if _NUMBER.fullmatch(word):
        return 1
    if len(word) <= 2:
        return 1 if _VOWEL.search(word) or len(word) == 1 else 0  # the 's of it's, the t of don't
    stem = word[1:] if word.startswith("y") else word  # a leading y is a consonant: yes, your, yoga
    count = len(_VOWELS.findall(stem)) + len(_EN_SAID_APART.findall(word))
    if _EN_SILENT_E.search(word) and not _LE_END.search(word):
        count -= 1
    if _ED_END.search(word) or (_ES_END.search(word) and not _ES_SAID.search(word)):
        count -= 1
    return max(count, 1)


@functools.lru_cache(maxsize=65536)
def german_syllables(word: str) -> int:
    """Syllables in a German word: groups of vowels (ä, ö, ü and y included; ei, ie, au, eu, äu are one)."""
    return max(1, len(re.findall(r"[aeiouyäöü]+", word.lower())))


# -- formulas -------------------------------------------------------------------------------------------


def flesch_kincaid(counts: Counts) -> float:
    """The Flesch-Kincaid grade level (Kincaid et al., 1975)."""
    return 0.39 * counts.words / counts.sentences + 11.8 * counts.syllables / counts.words - 15.59


def wiener_sachtextformel(counts: Counts) -> float:
    """The first Wiener Sachtextformel (Bamberger and Vanecek, 1984): a German school grade."""
    ms = 100 * counts.polysyllables / counts.words
    iw = 100 * counts.long_words / counts.words
    es = 100 * counts.monosyllables / counts.words
    return 0.1935 * ms + 0.1672 * counts.words / counts.sentences + 0.1297 * iw - 0.0327 * es - 0.875


MEASURES: dict[str, Measure] = {
    "en": Measure("Flesch-Kincaid grade", english_syllables, flesch_kincaid),
    "de": Measure("Wiener Sachtextformel", german_syllables, wiener_sachtextformel),
}


def measure_for(language: str) -> Measure | None:
    """The measure for a BCP 47 language tag such as 'en-GB', or None when there is none."""
    return MEASURES.get(language.split("-")[0].lower())


# -- scoring --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """A text's reading grade and the figures behind it."""

    grade: float
    sentences: int
    words: int
    syllables: int
    longest: list[tuple[int, int, str]] = field(default_factory=list)
    """(line, words, the sentence's opening words) for the longest sentences, longest first."""

    def as_dict(self) -> dict[str, object]:
        """The score as JSON-ready data."""
        return {
            "grade": self.grade,
            "sentences": self.sentences,
            "words": self.words,
            "syllables": self.syllables,
            "words_per_sentence": round(self.words / self.sentences, 1) if self.sentences else 0,
            "longest_sentences": [{"line": line, "words": count, "starts": text} for line, count, text in self.longest],
        }


def score(sentences: list[Sentence], measure: Measure) -> Score | None:
    """The grade of a list of sentences, or None when they hold no words."""
    counted = [(sentence, words(sentence.text)) for sentence in sentences]
    counted = [(sentence, found) for sentence, found in counted if found]
    if not counted:
        return None
    every = Counter(word for _, found in counted for word in found)
    syllables = long_words = polysyllables = monosyllables = 0
    for word, times in every.items():  # each distinct word once: a programme repeats its words a lot
        count = measure.syllables(word)
        syllables += count * times
        long_words += times if len(word) > 6 else 0
        polysyllables += times if count >= 3 else 0
        monosyllables += times if count == 1 else 0
    counts = Counts(len(counted), every.total(), syllables, long_words, polysyllables, monosyllables)
    ranked = sorted(counted, key=lambda item: -len(item[1]))[:LONGEST_NAMED]  # stable: ties in reading order
    longest = [(sentence.line, len(found), _opening(sentence.text)) for sentence, found in ranked]
    return Score(round(measure.grade(counts), 1), counts.sentences, counts.words, counts.syllables, longest)


def _opening(sentence: str) -> str:
    """The first words of a sentence, enough to find it on its line."""
    flat = " ".join(sentence.split())
    return flat if len(flat) <= 40 else flat[:40].rsplit(" ", 1)[0] + "…"


def check(
    items: list[tuple[str, str | None, list[Field]]], language: str, target: float
) -> tuple[list[Problem], list[dict[str, object]]]:
    """Warnings for entities above the target grade, and every entity's figures.

    `items` holds (file as shown, entity id or None for the programme, its patient-facing fields).
    """
    measure = measure_for(language)
    if measure is None:
        return [], []
    problems: list[Problem] = []
    figures: list[dict[str, object]] = []
    for path, entity_id, fields in items:
        result = score([sentence for item in fields for sentence in item.sentences], measure)
        if result is None:
            continue
        judged = result.words >= MIN_WORDS
        above = judged and result.grade > target
        figures.append(
            {"entity": entity_id, "path": path, "measure": measure.name, "target": target, "judged": judged}
            | {"above_target": above}
            | result.as_dict()
        )
        if above:
            problems.append(_warning(path, entity_id, result, measure, target))
    return problems, figures


def _warning(path: str, entity_id: str | None, result: Score, measure: Measure, target: float) -> Problem:
    named = ", ".join(f"line {line} ({count} words: '{start}')" for line, count, start in result.longest)
    message = (
        f"reads at grade {result.grade:g} ({measure.name}), above the programme's target of {target:g}; "
        f"shorten the longest sentences first: {named}"
    )
    return Problem(path, result.longest[0][0], 1, "warning", message, entity_id)
