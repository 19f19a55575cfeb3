"""backpub: publish a programme from one validated model into every format.

The public API for plugins is re-exported here; anything else is internal. Names are imported on first
use, so commands that need no model (a no-op build, `--help`) start without importing pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backpub.errors import BackpubError, ConfigError, ContentError, PluginError, Problem, RenderError
    from backpub.formats import BuildContext, Format, Job, NoOptions
    from backpub.hookspecs import hookimpl
    from backpub.publication import Publication, Source
    from backpub.session import Session

_PUBLIC = {
    "BackpubError": "backpub.errors",
    "ConfigError": "backpub.errors",
    "ContentError": "backpub.errors",
    "PluginError": "backpub.errors",
    "Problem": "backpub.errors",
    "RenderError": "backpub.errors",
    "BuildContext": "backpub.formats",
    "Format": "backpub.formats",
    "Job": "backpub.formats",
    "NoOptions": "backpub.formats",
    "hookimpl": "backpub.hookspecs",
    "Publication": "backpub.publication",
    "Source": "backpub.publication",
    "Session": "backpub.session",
}

__all__ = [
    "BackpubError",
    "BuildContext",
    "ConfigError",
    "ContentError",
    "Format",
    "Job",
    "NoOptions",
    "PluginError",
    "Problem",
    "Publication",
    "RenderError",
    "Session",
    "Source",
    "hookimpl",
]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'backpub' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
