"""Message catalogues and locale data: every fixed word a format adds, in the programme's language.

Catalogues are gettext `.po` files read with Babel at runtime (no compile step, so a clean `pip install -e .`
and a project's theme work alike). A language's messages are looked up in layers, the later ones winning:

1. the core's catalogue (`backpub/locale/`: dose labels and unit words);
2. the format's own catalogue (`<plugin package>/locale/`);
3. the project's theme: `theme/locale/` for every format, then `theme/<format>/locale/` for one.

Each folder holds `<lang>/LC_MESSAGES/messages.po` (or `<lang>/messages.po`), where `<lang>` is a Babel locale
name: `de`, `de_DE`, `en`, `en_US`. A programme in `de-DE` reads `de_DE`, then `de`; a message none of them
translates is printed in English (`en`) and `missing()` names it, so `validate` can warn.
Dates, numbers and units come from Babel's CLDR data for the programme's language.
"""

from __future__ import annotations

import functools
import gettext as _gettext
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.numbers import format_decimal as _format_decimal

CORE_LOCALE = Path(__file__).resolve().parents[1] / "locale"
ENGLISH = "en"
"""The language every message is written in (British spelling), and the one a missing translation falls back to."""
_CONTEXT = "\x04"
UNITS = {"s": "duration-second", "min": "duration-minute", "h": "duration-hour"}
"""A dose's unit codes and CLDR's names for them."""


def locale_of(language: str) -> Locale:
    """The Babel locale of a BCP 47 tag such as 'de-DE'; English when Babel does not know the tag."""
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(ENGLISH)


def _chain(locale: Locale) -> list[str]:
    """Catalogue names for a locale, most specific first: de_DE, de."""
    names = [str(locale)]
    if locale.territory:
        names.append(locale.language)
    return list(dict.fromkeys(names))


@functools.lru_cache(maxsize=256)
def _read(path: Path, mtime: float) -> tuple[dict[Any, str], str]:
    """A catalogue's translated messages (gettext's key scheme) and its plural expression."""
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalogue = read_po(
            handle, locale=path.parent.parent.name if path.parent.name == "LC_MESSAGES" else path.parent.name
        )
    messages: dict[Any, Any] = {}
    for message in catalogue:
        if not message.id or message.fuzzy:
            continue
        prefix = f"{message.context}{_CONTEXT}" if message.context else ""
        if isinstance(message.id, (list, tuple)):
            strings = list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]
            if all(strings):
                for index, text in enumerate(strings):
                    messages[(prefix + message.id[0], index)] = text
        elif message.string:
            messages[prefix + message.id] = message.string
    return messages, catalogue.plural_expr


def _catalogue_file(folder: Path, name: str) -> Path | None:
    for path in (folder / name / "LC_MESSAGES" / "messages.po", folder / name / "messages.po"):
        if path.is_file():
            return path
    return None


def _layers(folders: Sequence[Path], names: Iterable[str]) -> tuple[dict[Any, str], str | None]:
    merged: dict[Any, str] = {}
    plural = None
    for name in reversed(list(names)):  # the general catalogue first, the specific one wins
        for folder in folders:
            path = _catalogue_file(folder, name)
            if path is not None:
                found, plural = _read(path, path.stat().st_mtime)
                merged.update(found)
    return merged, plural


class Messages:
    """The fixed words of a format in one language, with Babel's dates and numbers for it."""

    def __init__(self, language: str, folders: Sequence[Path] = ()) -> None:
        self.language = language
        self.locale = locale_of(language)
        self.folders = [CORE_LOCALE, *folders]
        self._own, plural = _layers(self.folders, _chain(self.locale))
        self._english, english_plural = _layers(self.folders, [ENGLISH])
        self._plural = _gettext.c2py(plural or english_plural or "(n != 1)")
        self._english_plural = _gettext.c2py(english_plural or "(n != 1)")

    # -- gettext -------------------------------------------------------------------------------------

    def gettext(self, message: str) -> str:
        """The message in the programme's language (English, then the message itself, when not translated)."""
        return self._own.get(message) or self._english.get(message) or message

    def pgettext(self, context: str, message: str) -> str:
        """A message that has a context, for one English word with two translations."""
        key = f"{context}{_CONTEXT}{message}"
        return self._own.get(key) or self._english.get(key) or message

    def quotes(self) -> str:
        """The language's quotation marks: opening and closing double, then single (see markdown.typographic)."""
        marks = self.pgettext("quotation marks: open and close double, then single", "“”‘’")
        return marks if len(marks) == 4 else "“”‘’"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The singular or a plural form of a message, as the language counts `n`."""
        own = self._own.get((singular, self._plural(n)))
        if own:
            return own
        english = self._english.get((singular, self._english_plural(n)))
        return english or (singular if n == 1 else plural)

    def files(self) -> frozenset[Path]:
        """Every catalogue file these messages read (the language's and English): a job that prints them lists
        them among its templates, so editing a catalogue re-renders the outputs that use it."""
        names = list(dict.fromkeys([*_chain(self.locale), ENGLISH]))
        found = (_catalogue_file(folder, name) for folder in self.folders for name in names)
        return frozenset(path for path in found if path is not None)

    def has(self, message: str, context: str | None = None) -> bool:
        """Whether the programme's language itself translates a message (no English fallback)."""
        return (f"{context}{_CONTEXT}{message}" if context else message) in self._own

    def missing(self) -> list[str]:
        """Every English message the programme's language does not translate, e.g. ['Steps']."""
        if self.locale.language == ENGLISH:
            return []
        names = []
        for key in self._english:
            if key in self._own:
                continue
            text = key[0] if isinstance(key, tuple) else key
            if isinstance(key, tuple) and key[1] != 0:
                continue
            names.append(text.replace(_CONTEXT, " | "))
        return sorted(set(names))

    # -- locale data ---------------------------------------------------------------------------------

    def format_date(self, day: date | datetime, format: str = "long") -> str:
        """A date in the language's words: 'long' -> '29 November 2026' (en-GB), '29. November 2026' (de).

        `format` is a CLDR width (short, medium, long, full) or a pattern such as 'EEEE d MMMM y'."""
        if isinstance(day, datetime):
            day = day.date()
        return _format_date(day, format, locale=self.locale)

    def format_datetime(self, moment: datetime, format: str = "long") -> str:
        """A date and time in the language's words."""
        return _format_datetime(moment, format, locale=self.locale)

    def format_decimal(self, number: float) -> str:
        """A number with the language's decimal separator: 1.5 -> '1,5' in German."""
        return _format_decimal(number, locale=self.locale, group_separator=False)

    def unit_pattern(self, unit: str, count: float, length: str = "long") -> str:
        """CLDR's pattern for an amount of a unit, e.g. ('duration-minute', 5) -> '{0} minutes'."""
        patterns = self.locale._data["unit_patterns"][unit][length]
        return str(patterns.get(self.locale.plural_form(count)) or patterns["other"])

    def quantity(self, low: float, high: float | None = None, unit: str | None = None) -> str:
        """An amount as a dose box prints it: '3–5 min' (en), '3–5 Min.' (de), '1,5 Min.' (de).

        `unit` is a dose unit code (s, min, h): the catalogue's short word for it (context 'unit') when the
        language has one, else CLDR's short unit pattern."""
        amount = self.format_decimal(low) if high is None else f"{self.format_decimal(low)}–{self.format_decimal(high)}"
        if not unit:
            return amount
        if self.has(unit, "unit"):
            return f"{amount} {self.unit_words()[unit]}"
        return self.unit_pattern(UNITS[unit], high if high is not None else low, "short").format(amount)

    def unit_words(self) -> dict[str, str]:
        """The catalogue's short words for the dose units (English keeps the symbols s, min, h)."""
        return {"s": self.pgettext("unit", "s"), "min": self.pgettext("unit", "min"), "h": self.pgettext("unit", "h")}

    def quantity_words(self, low: float, high: float | None = None, unit: str | None = None) -> str:
        """An amount of time as prose says it: '3 to 5 minutes', '1 minute', '3 bis 5 Minuten' (CLDR's words)."""
        amount = self.range_words(low, high)
        if not unit:
            return amount
        return self.unit_pattern(UNITS[unit], high if high is not None else low).format(amount)

    def range_words(self, low: float, high: float | None = None) -> str:
        """'3' or '3 to 5' in the language's words and numbers."""
        if high is None:
            return self.format_decimal(low)
        return self.gettext("%(low)s to %(high)s") % {
            "low": self.format_decimal(low),
            "high": self.format_decimal(high),
        }

    # -- templates -----------------------------------------------------------------------------------

    def install(self, env: Any) -> Any:
        """Give a Jinja environment these messages: `{% trans %}`, `_()`, `gettext()`, `ngettext()`,
        `pgettext()` (new-style: `_('Episode %(n)s', n=3)`) and the filters `format_date`, `format_decimal`."""
        env.add_extension("jinja2.ext.i18n")
        env.install_gettext_callables(self.gettext, self.ngettext, newstyle=True, pgettext=self.pgettext)
        env.filters["format_date"] = self.format_date
        env.filters["format_decimal"] = self.format_decimal
        env.globals["messages"] = self
        return env


@functools.lru_cache(maxsize=64)
def _cached(language: str, folders: tuple[Path, ...], stamps: tuple[float, ...]) -> Messages:
    return Messages(language, folders)


def messages(language: str, folders: Sequence[Path] = ()) -> Messages:
    """The messages of `language` from the core's catalogue and `folders` (later folders win), cached."""
    kept = tuple(folder for folder in folders if folder.is_dir())
    stamps = tuple(path.stat().st_mtime for folder in kept for path in sorted(folder.rglob("*.po")))
    return _cached(language, kept, stamps)


def translator(language: str, folders: Sequence[Path] = ()) -> Callable[[str], str]:
    """A `_()` for one language: `_ = translator('de-DE'); _('Time')` -> 'Dauer'."""
    return messages(language, folders).gettext


# -- catalogue upkeep (scripts/update-catalogues, and the completeness test) -----------------------------

TEMPLATE_SUFFIXES = (".html", ".xhtml", ".j2")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None}


def extract(package: Path) -> dict[str | tuple[str, str], list[str]]:
    """Every message a package's Python code and templates use -> where ('file:line').

    Keys are the msgid, (msgid, plural) for plural messages, or 'context\\x04msgid'."""
    from babel.messages.extract import extract_from_file

    found: dict[str | tuple[str, str], list[str]] = {}
    for path in sorted(package.rglob("*")):
        if "locale" in path.parts or not path.is_file():
            continue
        if path.suffix == ".py":
            method = "python"
        elif "templates" in path.parts and path.name.endswith(TEMPLATE_SUFFIXES):
            method = "jinja2.ext:babel_extract"
        else:
            continue
        options = {"extensions": "jinja2.ext.do", "newstyle_gettext": "true"} if method != "python" else {}
        for line, message, _comments, context in extract_from_file(method, path, KEYWORDS, options=options):
            key: str | tuple[str, str] = (message[0], message[1]) if isinstance(message, (list, tuple)) else message
            if context:
                key = f"{context}{_CONTEXT}{key}"
            found.setdefault(key, []).append(f"{path.relative_to(package.parent).as_posix()}:{line}")
    return found


def catalogue_keys(path: Path) -> dict[Any, str]:
    """The translated messages of one .po file, keyed as `extract` keys them (plural forms by msgid pair)."""
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalogue = read_po(handle)
    keys: dict[Any, Any] = {}
    for message in catalogue:
        if not message.id or message.fuzzy:
            continue
        key = tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id
        if message.context:
            key = f"{message.context}{_CONTEXT}{key}"
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if all(strings):
            keys[key] = strings[0]
    return keys


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; it is translated where it is printed."""
    return message
