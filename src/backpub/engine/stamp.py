"""The no-op fast path: a build whose every input is unchanged since the last successful build does nothing.

A stamp written after each successful build records a digest of everything a build reads: the content
files, the formats' code (backpub's own code and the installed packages are in the cache's code digest), the
project's theme and local plugins, the arguments, the date it published for and the environment variables that
matter. It also records the state of outputs/ and the programme's timezone, so "today" is known without loading
the model. When all of that is unchanged, the build is skipped without importing the model or any renderer.
This module uses the standard library only, so the check itself costs milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from backpub.files.cache import Store, files_under, folder_digest

STAMP_ENTRY = "last-build.pickle"
ENVIRONMENT = ("SOURCE_DATE_EPOCH", "BACKPUB_DISABLE_PLUGINS")


def _outputs_state(output_dir: Path) -> dict[str, list[int]]:
    state: dict[str, list[int]] = {}
    if not output_dir.is_dir():
        return state
    for path in files_under(output_dir):
        info = path.lstat()
        state[path.relative_to(output_dir).as_posix()] = [info.st_size, info.st_mtime_ns, info.st_ino]
    return state


def inputs_key(
    content_dir: Path, content: str, output_dir: Path, formats: Iterable[str] | None, as_of: date, strict: bool
) -> str:
    """The digest of everything but the code that a build depends on (`content`: the content folder's digest,
    taken once per command by the session, so the stamp describes exactly what was loaded)."""
    project_dir = content_dir.parent
    parts: dict[str, Any] = {
        "content": content,
        "theme": folder_digest(project_dir / "theme"),
        "local_plugins": folder_digest(project_dir / "local_plugins"),
        "paths": [str(content_dir), str(output_dir), os.getcwd()],
        "formats": sorted(formats) if formats else None,
        "as_of": as_of.isoformat(),
        "strict": strict,
        "environment": {name: os.environ.get(name) for name in ENVIRONMENT},
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _code_digest(folders: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(folder_digest(Path(f)) for f in sorted(folders)).encode()).hexdigest()


def unchanged_report(
    store: Store,
    content_dir: Path,
    content: str,
    output_dir: Path,
    formats: Iterable[str] | None,
    as_of: date | None,
    strict: bool,
    today_in: Callable[[str], date],
) -> dict[str, Any] | None:
    """The last build's report when nothing it depended on changed since (the build can be skipped), else None.
    `today_in(timezone)` is the command's today (the session's): the stamp says the programme's timezone."""
    if any(output_dir.parent.glob(f".{output_dir.name}.[so][tl][ad]*-*")):
        return None  # a killed build left a staging or old tree: only a real build (under the lock) removes it
    stamp = store.get(STAMP_ENTRY, "stamp")
    if not isinstance(stamp, dict) or "timezone" not in stamp:
        return None
    day = as_of or today_in(stamp["timezone"])
    if inputs_key(content_dir, content, output_dir, formats, day, strict) != stamp.get("inputs"):
        return None
    if _code_digest(stamp.get("code_folders", [])) != stamp.get("code"):
        return None
    if _outputs_state(output_dir) != stamp.get("outputs"):
        return None
    return stamp["report"]


def record(
    store: Store,
    content_dir: Path,
    content: str,
    output_dir: Path,
    formats: Iterable[str] | None,
    *,
    requested_as_of: date | None,
    as_of: date,
    timezone: str,
    strict: bool,
    code_folders: Iterable[str],
    report: dict[str, Any],
) -> None:
    """Keep the stamp after a successful build. A build for an explicit date is skipped only for that date; one
    for today, only while it is still that day in the programme's timezone."""
    folders = sorted(set(code_folders))
    stamp = {
        "timezone": timezone,
        "inputs": inputs_key(content_dir, content, output_dir, formats, requested_as_of or as_of, strict),
        "code_folders": folders,
        "code": _code_digest(folders),
        "outputs": _outputs_state(output_dir),
        "report": report,
    }
    store.put(STAMP_ENTRY, "stamp", stamp)


def forget(store: Store) -> None:
    """Drop the stamp (before a build changes anything), so a half-finished build can never be skipped past."""
    store.forget(STAMP_ENTRY)
