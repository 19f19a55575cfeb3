"""Image facts the pages need (intrinsic width and height) and the small derived images the site serves."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from backpub import square_copy

_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(px)?\s*$")


class ImageError(ValueError):
    """An image whose size cannot be read."""


def dimensions(path: Path) -> tuple[int, int]:
    """The image's intrinsic (width, height) in CSS pixels, so pages reserve its space before it loads."""
    if path.suffix.lower() == ".svg":
        return _svg_dimensions(path)
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, UnidentifiedImageError) as exc:
        raise ImageError(f"cannot read the image {path.name}: {exc}") from None


def _svg_dimensions(path: Path) -> tuple[int, int]:
    try:
        for _, element in ElementTree.iterparse(path, events=("start",)):
            return _svg_root_size(element.attrib, path.name)
    except ElementTree.ParseError as exc:
        raise ImageError(f"cannot read the SVG {path.name}: {exc}") from None
    raise ImageError(f"the SVG {path.name} is empty")


def _svg_root_size(attributes: dict[str, str], name: str) -> tuple[int, int]:
    width, height = _length(attributes.get("width")), _length(attributes.get("height"))
    if width and height:
        return width, height
    box = attributes.get("viewBox", "").replace(",", " ").split()
    if len(box) == 4:
        try:
            return round(float(box[2])), round(float(box[3]))
        except ValueError:
            pass
    raise ImageError(f"the SVG {name} has neither width and height in pixels nor a viewBox")


def _length(value: str | None) -> int | None:
    match = _LENGTH.match(value or "")
    return round(float(match[1])) if match else None


def thumbnail_png(path: Path, size: int) -> bytes:
    """A square PNG of the image scaled to `size` pixels, with no metadata so the bytes are reproducible."""
    return square_copy(path, size, keep_format=False)[0]
