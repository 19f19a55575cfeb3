"""The `site` plugin: registers the website format without importing it (or the model) until formats are collected.

The format class lives in `backpub_site.format` and is imported when the host collects formats; its names are
also reachable here (`backpub_site.SiteFormat`), imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from backpub import hookimpl
from backpub_site.version import __version__ as __version__

if TYPE_CHECKING:
    from backpub import Format

_FORMAT_NAMES = {"ARTWORK_SIZES", "PACKAGE", "PAGE_TEMPLATES", "SiteFormat"}
"""The names of `backpub_site.format` reachable from the package, as before the class moved there."""


@hookimpl
def register_formats() -> list[type[Format]]:
    from backpub_site.format import SiteFormat

    return [SiteFormat]


def __getattr__(name: str) -> Any:
    if name in _FORMAT_NAMES:
        return getattr(importlib.import_module("backpub_site.format"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
