"""The `epub` plugin: registers the book format without importing it (or the model) until formats are collected.

The format class lives in `backpub_epub.format` and is imported when the host collects formats; its names are
also reachable here (`backpub_epub.EpubFormat`), imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from backpub import hookimpl
from backpub_epub.version import __version__ as __version__

if TYPE_CHECKING:
    from backpub import Format

_FORMAT_NAMES = {
    "COVER_TYPES",
    "EpubFormat",
    "EpubOptions",
    "IMAGE_TYPES",
    "PACKAGE_DIR",
    "SVG_DANGERS",
    "TEMPLATES_DIR",
    "WEBSITE_FOLDER",
    "book_filename",
}
"""The names of `backpub_epub.format` reachable from the package, as before the class moved there."""


@hookimpl
def register_formats() -> list[type[Format]]:
    from backpub_epub.format import EpubFormat

    return [EpubFormat]


def __getattr__(name: str) -> Any:
    if name in _FORMAT_NAMES:
        return getattr(importlib.import_module("backpub_epub.format"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
