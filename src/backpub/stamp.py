"""The no-op fast path: a build whose every input is unchanged since the last successful build does nothing.

A stamp written after each successful build records a digest of everything a build reads: the content
files, backpub's and the formats' code (and installed packages, via site-packages), the project's theme and
local plugins, the arguments, the date it published for and the environment variables that matter. It also
records the state of outputs/. When all of that is unchanged, the build is skipped without importing the
model or any renderer. This module uses the standard library only, so the check itself costs milliseconds.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

STAMP_FILE = "last-build.json"
STAMP_VERSION = 1
ENVIRONMENT = ("SOURCE_DATE_EPOCH", "BACKPUB_DISABLE_PLUGINS")
_HASHED_FILE_LIMIT = 2_000_000
"""Files up to this size are hashed; larger ones (audio) are identified by their stat details."""


def files_under(folder: Path) -> Iterable[Path]:
    """Every file below a folder, following symlinked folders (as loading does) but never in a loop."""
    seen: set[str] = set()
    for root, folders, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            folders.clear()
            continue
        seen.add(real)
        folders.sort()
        for name in files:
            yield Path(root, name)


def folder_digest(folder: Path) -> str:
    """A digest of every file in a folder: names and bytes (stat details for large files)."""
    digest = hashlib.sha256()
    if not folder.is_dir():
        return "absent"
    for path in sorted(files_under(folder)):
        try:
            info = path.stat()
        except OSError:
            continue
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        if info.st_size <= _HASHED_FILE_LIMIT:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        else:
            digest.update(f"{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}".encode())
    return digest.hexdigest()


def default_as_of(content_dir: Path) -> date | None:
    """Today in the programme's timezone, read without the model; None if programme.yaml does not say plainly."""
    from zoneinfo import ZoneInfo

    try:
        text = (content_dir / "programme.yaml").read_text(encoding="utf-8")
        match = re.search(r"^timezone:[ \t]*[\"']?([A-Za-z0-9_+\-/]+)[\"']?[ \t]*$", text, re.MULTILINE)
        return datetime.now(ZoneInfo(match.group(1))).date() if match else None
    except (OSError, ValueError, KeyError, UnicodeDecodeError):
        return None


def _installed_state() -> list[tuple[str, int]]:
    """Modification times of the import path's folders: installing or upgrading any package changes them."""
    state = []
    for entry in sys.path:
        if "site-packages" not in entry and "dist-packages" not in entry:
            continue  # the working folder and source folders are covered by the digests, not by mtimes
        try:
            state.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            continue
    return state


def _outputs_state(output_dir: Path) -> dict[str, list[int]]:
    state: dict[str, list[int]] = {}
    if not output_dir.is_dir():
        return state
    for path in files_under(output_dir):
        info = path.lstat()
        state[path.relative_to(output_dir).as_posix()] = [info.st_size, info.st_mtime_ns, info.st_ino]
    return state


def inputs_key(
    content_dir: Path, output_dir: Path, formats: Iterable[str] | None, as_of: date | None, strict: bool
) -> str | None:
    """The digest of everything but the formats' code that a build depends on; None when it cannot be known."""
    as_of = as_of or default_as_of(content_dir)
    if as_of is None:
        return None
    project_dir = content_dir.resolve().parent
    parts: dict[str, Any] = {
        "version": STAMP_VERSION,
        "python": sys.version,
        "installed": _installed_state(),
        "backpub": folder_digest(Path(__file__).resolve().parent),
        "content": folder_digest(content_dir),
        "theme": folder_digest(project_dir / "theme"),
        "local_plugins": folder_digest(project_dir / "local_plugins"),
        "paths": [str(content_dir.resolve()), str(output_dir.resolve()), os.getcwd()],
        "formats": sorted(formats) if formats else None,
        "as_of": as_of.isoformat(),
        "strict": strict,
        "environment": {name: os.environ.get(name) for name in ENVIRONMENT},
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _code_digest(folders: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(folder_digest(Path(f)) for f in sorted(folders)).encode()).hexdigest()


def _stamp_path(project_dir: Path) -> Path:
    return project_dir / ".backpub" / "cache" / STAMP_FILE


def unchanged_report(
    content_dir: Path, output_dir: Path, formats: Iterable[str] | None, as_of: date | None, strict: bool
) -> dict[str, Any] | None:
    """The last build's stamp when nothing it depended on changed since (the build can be skipped), else None."""
    project_dir = content_dir.resolve().parent
    try:
        stamp = json.loads(_stamp_path(project_dir).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("version") != STAMP_VERSION:
        return None
    key = inputs_key(content_dir, output_dir, formats, as_of, strict)
    if key is None or key != stamp.get("inputs"):
        return None
    if _code_digest(stamp.get("code_folders", [])) != stamp.get("code"):
        return None
    if _outputs_state(output_dir) != stamp.get("outputs"):
        return None
    return stamp


def noop_report(stamp: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The last build's report, restated for a build that found nothing to do."""
    report = dict(stamp["report"])
    report["seconds"] = round(seconds, 3)
    report["rendered"] = []
    report["formats"] = {
        name: {**stats, "written": 0, "removed": 0, "bytes": 0, "seconds": 0.0,
               "unchanged": stats["written"] + stats["unchanged"]}
        for name, stats in report["formats"].items()
    }  # fmt: skip
    return report


def record(
    content_dir: Path,
    output_dir: Path,
    formats: Iterable[str] | None,
    as_of: date | None,
    strict: bool,
    code_folders: Iterable[str],
    report: dict[str, Any],
) -> None:
    """Write the stamp after a successful build; any failure to write only costs the next build its shortcut."""
    key = inputs_key(content_dir, output_dir, formats, as_of, strict)
    path = _stamp_path(content_dir.resolve().parent)
    try:
        if key is None:
            path.unlink(missing_ok=True)
            return
        folders = sorted(set(code_folders))
        stamp = {
            "version": STAMP_VERSION,
            "inputs": key,
            "code_folders": folders,
            "code": _code_digest(folders),
            "outputs": _outputs_state(output_dir),
            "report": report,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(stamp))
        os.replace(temporary, path)
    except OSError:
        pass


def forget(project_dir: Path) -> None:
    """Drop the stamp (before a build changes anything), so a half-finished build can never be skipped past."""
    with contextlib.suppress(OSError):
        _stamp_path(project_dir).unlink(missing_ok=True)
