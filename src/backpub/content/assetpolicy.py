"""One asset policy for every format: the checks `validate` applies to every image any field or Markdown names.

SVG files are parsed with a hardened XML parser (defusedxml: no DOCTYPE, no entities) and may hold no scripts,
event handlers, embedded HTML or references to other files. Raster images must be real image data of a sane
size, read by Pillow with a pixel limit, so a decompression bomb is refused before any format opens it.
"""

from __future__ import annotations

import functools
import re
import warnings
from pathlib import Path

MAX_IMAGE_BYTES = 20_000_000
MAX_PIXELS = 40_000_000
MAX_SIDE = 12_000
RASTER_SUFFIXES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
_FORBIDDEN_ELEMENTS = {"script", "foreignobject", "iframe", "embed", "object", "handler", "listener"}
_REFERENCE_ATTRIBUTES = {"href", "src"}
_CSS_REFERENCE = re.compile(r"url\(\s*['\"]?(?!#)|@import|expression\(|javascript:", re.IGNORECASE)


def asset_problem(path: Path) -> str | None:
    """Why an image may not be published (a short phrase for a located error), or None; other files pass."""
    try:
        info = path.stat()
    except OSError:
        return None  # existence is reported by the caller
    return _checked(str(path), info.st_size, info.st_mtime_ns)


@functools.lru_cache(maxsize=512)
def _checked(path: str, size: int, mtime: int) -> str | None:
    """Each asset is checked once per version of the file, whatever number of fields name it."""
    suffix = Path(path).suffix.lower()
    if suffix != ".svg" and suffix not in RASTER_SUFFIXES:
        return None
    if size > MAX_IMAGE_BYTES:
        return f"is {size:,} bytes; images are limited to {MAX_IMAGE_BYTES:,}"
    if suffix == ".svg":
        return svg_problem(Path(path).read_bytes())
    return raster_problem(Path(path), RASTER_SUFFIXES[suffix])


def svg_problem(data: bytes) -> str | None:
    """Why an SVG is unsafe to publish, or None."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        return "is an SVG with a DOCTYPE or entities, which images may not hold"
    except ParseError as exc:
        return f"is not a well-formed SVG file ({exc})"
    if _local(root.tag) != "svg":
        return f"is not an SVG image (its root element is <{_local(root.tag)}>)"
    for element in root.iter():
        name = _local(element.tag).lower()
        if name in _FORBIDDEN_ELEMENTS:
            return f"is an SVG holding a <{_local(element.tag)}> element; scripts and embedded content are refused"
        for attribute, value in element.attrib.items():
            key = _local(attribute).lower()
            if key.startswith("on"):
                return f"is an SVG with an event handler ({_local(attribute)}=...); scripts are refused"
            if key in _REFERENCE_ATTRIBUTES and not value.strip().startswith("#"):
                return f"is an SVG that refers to another file or address ({value.strip()[:60]!r}); refused"
            if key == "style" and _CSS_REFERENCE.search(value):
                return "is an SVG whose styles load other files; refused"
        if name == "style" and _CSS_REFERENCE.search("".join(element.itertext())):
            return "is an SVG whose styles load other files; refused"
    return None


def raster_problem(path: Path, expected: str) -> str | None:
    """Why a PNG/JPEG/GIF/WebP file is not a publishable image, or None."""
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as image:  # reads the header only: dimensions before any pixel
                width, height = image.size
                found = image.format
                if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
                    return f"is a {width}x{height} image; images are limited to {MAX_SIDE} pixels a side"
                image.verify()
        except Image.DecompressionBombError:
            return f"is an image too large to open safely; images are limited to {MAX_PIXELS:,} pixels"
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            return f"is not a readable image ({type(exc).__name__})"
    if found != expected:
        return f"holds {found} data, not {expected} as its name says"
    return None


def _local(tag: str) -> str:
    """An XML name without its namespace."""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1] if isinstance(tag, str) else ""
