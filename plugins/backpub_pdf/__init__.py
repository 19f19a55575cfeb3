"""The `pdf` plugin: registers the handout format without importing it (or the model) until formats are collected.

The format class lives in `backpub_pdf.format` and is imported when the host collects formats; its names are
also reachable here (`backpub_pdf.PdfFormat`), imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from backpub import hookimpl
from backpub_pdf.version import __version__ as __version__

if TYPE_CHECKING:
    from backpub import Format

_FORMAT_NAMES = {"PdfFormat", "PdfOptions", "WEBSITE_FOLDER"}
"""The names of `backpub_pdf.format` reachable from the package, as before the class moved there."""


@hookimpl
def register_formats() -> list[type[Format]]:
    from backpub_pdf.format import PdfFormat

    return [PdfFormat]


def __getattr__(name: str) -> Any:
    if name in _FORMAT_NAMES:
        return getattr(importlib.import_module("backpub_pdf.format"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
