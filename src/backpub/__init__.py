"""backpub: publish a programme from one validated model into every format.

The public API for plugins is `backpub.api`, re-exported here; anything else is internal. Names are imported on
first use, so commands that need no model (a no-op build, `--help`) start without importing pydantic: which
module defines each name is read from backpub/api.py's import lines, the one list of public names.
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backpub.api import *  # noqa: F403 - the public API, for type checkers


@functools.cache
def _public_names() -> dict[str, str]:
    """Every public name -> the module that defines it, as backpub/api.py imports it (without importing it)."""
    import ast

    tree = ast.parse((Path(__file__).parent / "api.py").read_text(encoding="utf-8"))
    return {
        alias.asname or alias.name: node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }


def __getattr__(name: str) -> Any:
    if name == "__all__":
        return sorted(_public_names())
    if name in _public_names():
        value = getattr(importlib.import_module(_public_names()[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'backpub' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_public_names()])
