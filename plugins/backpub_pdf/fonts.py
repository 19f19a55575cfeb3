"""The handouts' fonts: where the bundled font files live, which characters they cover, and a font set-up that
lets WeasyPrint see those files and no font of the machine.

fonts.css (or a theme's copy) declares every font a PDF may use with @font-face, by virtual URL; the folders
those URLs name are listed here. They come from the README's set-up: Lato from the font-lato package (PyPI),
DejaVu Sans (extended Latin, Greek, Cyrillic, arrows, symbols) from Debian's fonts-dejavu-core, Noto Color
Emoji from fonts-noto-color-emoji, and Symbola (monochrome emoji and symbols) from fonts-symbola.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FONT_PACKAGES = {
    "fonts": "the font-lato Python package",
    "dejavu": "the Debian package fonts-dejavu-core",
    "emoji": "the Debian package fonts-noto-color-emoji",
    "symbola": "the Debian package fonts-symbola",
}
"""Which install provides each font folder, for the error when a file is missing."""

DEBIAN_FONTS = Path("/usr/share/fonts/truetype")


def lato_folder() -> Path:
    """Where the Lato font files (the font-lato package, SIL OFL) live."""
    spec = importlib.util.find_spec("font_lato")
    assert spec is not None and spec.origin is not None, "the font-lato package is a dependency of backpub"
    return Path(spec.origin).parent / "files"


def font_roots() -> dict[str, Path]:
    """The folders fonts.css may name, by the root name of their virtual URLs (`file:///backpub/<root>/...`)."""
    return {
        "fonts": lato_folder(),
        "dejavu": DEBIAN_FONTS / "dejavu",
        "emoji": DEBIAN_FONTS / "noto",
        "symbola": DEBIAN_FONTS / "ancient-scripts",
    }


@dataclass(frozen=True)
class FontFace:
    """One @font-face rule: the url() sources it names and the characters it is limited to (unicode-range)."""

    urls: tuple[str, ...]
    ranges: tuple[tuple[int, int], ...] | None = None

    def limit(self, covered: frozenset[int]) -> frozenset[int]:
        """The characters of a font file this rule lets the renderer use."""
        if self.ranges is None:
            return covered
        return _within(covered, self.ranges)


@functools.lru_cache(maxsize=64)
def _within(points: frozenset[int], ranges: tuple[tuple[int, int], ...]) -> frozenset[int]:
    """The points inside any of the ranges (asked again for the same font and rule by every document)."""
    return frozenset(point for point in points if any(low <= point <= high for low, high in ranges))


@functools.lru_cache(maxsize=16)
def declared_fonts(css: str) -> tuple[FontFace, ...]:
    """Every @font-face rule of a stylesheet with url() sources (local() ones name no file we ship), in order.
    Kept by the stylesheet's text: every check and document asks again, and parsing it costs 15 ms."""
    import tinycss2

    faces = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type != "at-rule" or rule.lower_at_keyword != "font-face" or rule.content is None:
            continue
        urls: list[str] = []
        ranges = None
        for declaration in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
            if declaration.type == "declaration" and declaration.lower_name == "src":
                urls.extend(_urls(declaration.value))
            elif declaration.type == "declaration" and declaration.lower_name == "unicode-range":
                ranges = _ranges(tinycss2.serialize(declaration.value))
        if urls:
            faces.append(FontFace(tuple(urls), ranges))
    return tuple(faces)


def _urls(tokens: Iterable) -> list[str]:
    found = []
    for token in tokens:
        if token.type == "url":
            found.append(token.value)
        elif token.type == "function" and token.lower_name == "url":
            found.extend(argument.value for argument in token.arguments if argument.type == "string")
    return found


_RANGE = re.compile(r"U\+([0-9A-F?]{1,6})(?:-([0-9A-F]{1,6}))?", re.IGNORECASE)


def _ranges(value: str) -> tuple[tuple[int, int], ...]:
    """A unicode-range value as (first, last) code points: U+20, U+2190-21FF, U+1F6?? (a wildcard range)."""
    found = []
    for match in _RANGE.finditer(value):
        first, last = match[1], match[2]
        if "?" in first:
            found.append((int(first.replace("?", "0"), 16), int(first.replace("?", "F"), 16)))
        else:
            found.append((int(first, 16), int(last or first, 16)))
    return tuple(found)


@functools.cache
def cmap(path: Path) -> frozenset[int]:
    """The code points a font file has glyphs for (read once per process: the cmap table only)."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True, fontNumber=0) as font:
        return frozenset(font.getBestCmap() or ())


def needs_no_glyph(character: str) -> bool:
    """Characters that print nothing of their own: line breaks, joiners, variation selectors, soft hyphens."""
    category = unicodedata.category(character)
    return category in ("Cc", "Cf", "Zl", "Zp") or "VARIATION SELECTOR" in unicodedata.name(character, "")


def uncovered(text: str, covered: frozenset[int]) -> list[str]:
    """The characters of a text, each once in order, that no bundled font has a glyph for."""
    seen: dict[str, None] = {}
    for character in text:
        if ord(character) not in covered and not needs_no_glyph(character):
            seen.setdefault(character)
    return list(seen)


def describe(character: str) -> str:
    """A character as authors can find it: itself, its code point and its Unicode name."""
    name = unicodedata.name(character, "unnamed character")
    return f"{character!r} (U+{ord(character):04X} {name})"


def bundled_font_config():
    """A WeasyPrint FontConfiguration that holds only the fonts the stylesheets' @font-face rules add.

    WeasyPrint's own configuration loads every font of the machine, and Pango falls back to them for any
    character the stylesheet's fonts lack, so the PDF would depend on the machine it was built on. This one
    reads fontconfig's settings (aliases, synthetic bold and italic) but no font file of the system.
    """
    from weasyprint.text.ffi import ffi, fontconfig, gobject, pangoft2
    from weasyprint.text.fonts import FontConfiguration

    try:
        fontconfig.FcInitLoadConfig  # noqa: B018 - present if a WeasyPrint release declares it
    except AttributeError:
        ffi.cdef("FcConfig * FcInitLoadConfig (void);")

    class BundledFonts(FontConfiguration):
        """FontConfiguration.__init__ with a configuration that has no system fonts (the rest is inherited)."""

        def __init__(self) -> None:
            self._config = fontconfig.FcInitLoadConfig()  # settings only: FcInitLoadConfigAndFonts less the fonts
            self.font_map = ffi.gc(pangoft2.pango_ft2_font_map_new(), gobject.g_object_unref)
            pangoft2.pango_fc_font_map_set_config(ffi.cast("PangoFcFontMap *", self.font_map), self._config)
            fontconfig.FcConfigDestroy(self._config)  # the font map keeps its own reference
            self._folder = None
            self.strut_layouts: dict[Any, Any] = {}
            self.font_features: dict[Any, Any] = {}

    return BundledFonts()
